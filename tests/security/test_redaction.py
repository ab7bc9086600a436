"""Issue 18 items 1 and 2, issue 14 (one redaction module): no output prints a
secret, whatever findings are shown; masking is decided by what a line holds."""

from __future__ import annotations

import io
import json
import textwrap

import pytest

from kubeward.engine import ScanOptions, scan
from kubeward.fix.run import fix_paths
from kubeward.outputs import FORMATS, RenderContext, get_renderer
from kubeward.redact import REDACTED, mask_source, redact_text
from kwtest.cli import run

SECRETS = ("Env-Literal-4711", "Arg-Literal-9731", "Json-Literal-5555", "Merge-Literal-1212",
           "Ann-Literal-7070", "Flow-Literal-4242")

LEAKY = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      annotations:
        kubeward.io/ignore: "SEC001,SEC002,SEC004: reviewed"
        db-password: "Ann-Literal-7070"
    spec:
      template:
        spec:
          containers:
            - {name: app, image: nginx, env: [{name: DB_PASSWORD, value: Flow-Literal-4242}]}
            - name: side
              image: nginx
              args: ["--password=Arg-Literal-9731"]
              env:
                - name: DB_PASSWORD
                  value: "Env-Literal-4711"
                - name: CONFIG
                  value: '{"user": "app", "password": "Json-Literal-5555"}'
    ---
    defaults: &defaults
      password: TWVyZ2UtTGl0ZXJhbC0xMjEy
      raw: Merge-Literal-1212
    apiVersion: v1
    kind: Secret
    metadata:
      name: s
    stringData:
      <<: *defaults
    """)


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


@pytest.fixture()
def leaky(tmp_path):
    p = tmp_path / "leaky.yaml"
    p.write_text(LEAKY)
    return p


def test_fix_diff_hides_env_args_json_and_merged_secret_values(leaky):
    """Item 1: ``fix --diff`` context lines go through the redaction."""
    res = run(["fix", str(leaky), "--diff", "--unsafe-fixes"])
    assert "@@" in res.output  # there is a diff, with context around the secrets
    assert _leaks(res.output) == []
    assert "value: <redacted>" in res.output


def test_fix_diff_api(leaky):
    ff = fix_paths([str(leaky)], unsafe=True, write=False).files[0]
    diff = ff.diff()
    assert diff.count("\n") > 10
    assert _leaks(diff) == []


@pytest.mark.parametrize("args", [
    [],  # SEC001 suppressed by annotation with a reason
    ["--check", "CTR001"],
    ["--check", "PSS001", "--check", "CTR001", "--show-suppressed"],
])
def test_text_snippets_mask_by_line_content(leaky, args):
    """Item 2: a flow-style container line, an annotation and env values are
    masked although no SEC finding is shown on them."""
    res = run(["scan", str(leaky), "-o", "text", *args])
    assert "> " in res.output  # snippets are shown
    assert _leaks(res.output) == [], res.output


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_output_hides_secrets_in_messages_and_errors(tmp_path, fmt):
    """A secret that reaches a finding's message or an error message (a
    rendered value the checks quote) is hidden by every output."""
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    p = tmp_path / "pod.yaml"
    p.write_text(f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
                 f"    - name: a\n      image: \"{token}:latest\"\n---\n: : bad {token}\n")
    report = scan([str(p)], ScanOptions())
    assert any(token in f.message for f in report.findings)  # the check quotes the image
    out = io.StringIO()
    get_renderer(fmt)(report, out, RenderContext())
    assert token not in out.getvalue()
    assert token not in json.dumps([e.to_dict() for e in report.errors])


def test_error_messages_are_redacted():
    from kubeward.findings import LoadError

    e = LoadError("f.yaml", "cannot parse --password=hunter2xyz", 3)
    assert "hunter2xyz" not in e.one_line()


@pytest.mark.parametrize("text, hidden", [
    ("--password=s3cr3t-v4lue", "s3cr3t-v4lue"),
    ('{"api_key": "k3y-v4lue-zz"}', "k3y-v4lue-zz"),
    ("AWS AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE"),
    ("postgres://u:pw-Literal-1@db/x", "pw-Literal-1"),
])
def test_redact_text(text, hidden):
    assert hidden not in redact_text(text)
    assert REDACTED in redact_text(text)


@pytest.mark.parametrize("text", [
    "image: nginx:1.25", "secretName: tls-cert", "token: {{ .Values.token }}",
    "password: ${DB_PASSWORD}", "automountServiceAccountToken: false",
    "env DB_PASSWORD has a literal value (redacted, 5 characters)",
    "do not mount its token (automountServiceAccountToken: false).",
])
def test_redact_text_leaves_non_secrets(text):
    assert redact_text(text) == text


def test_mask_source_keeps_lines_and_non_secrets():
    masked = mask_source(LEAKY)
    assert masked.count("\n") == LEAKY.count("\n")
    assert _leaks(masked) == []
    assert "TWVyZ2UtTGl0ZXJhbC0xMjEy" not in masked
    assert "- {name: app, image: nginx, env: [{name: DB_PASSWORD, value: <redacted>}]}" in masked
    assert "    db-password: <redacted>" in masked
    assert "image: nginx" in masked and "name: side" in masked


def test_mask_source_on_text_that_does_not_parse():
    text = "a: [\n  - name: API_TOKEN\n    value: Tok-Literal-3030\n  password: Pw-Literal-1\n"
    masked = mask_source(text)
    assert "Tok-Literal-3030" not in masked and "Pw-Literal-1" not in masked
    assert masked.count("\n") == text.count("\n")


def test_one_home_for_redacted():
    import kubeward.checks.secrets as secrets
    import kubeward.redact as redact

    assert secrets.REDACTED is redact.REDACTED
    assert secrets.is_secret_name is redact.is_secret_name
    import kubeward.outputs.text as text
    assert not hasattr(text, "REDACTED")


def test_mask_source_every_document_of_a_long_file():
    """Found by the fuzz test: node ids of freed documents were reused, and
    later documents of a long file were left unmasked."""
    doc = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations: {db-password: "
           "Ann-Literal-7070}\nspec:\n  containers:\n    - name: a\n      image: nginx\n"
           "      env: [{name: API_TOKEN, value: Env-Literal-4711}]\n")
    masked = mask_source("---\n".join([doc] * 300))
    assert _leaks(masked) == []
    assert masked.count("<redacted>") == 600


def test_mask_source_with_a_broken_document_in_the_middle():
    doc = "kind: Secret\napiVersion: v1\ndata:\n  k: Env-Literal-4711\n"
    masked = mask_source(doc + "---\na: [\n---\n" + doc + "---\nx: \x01\n" + doc)
    assert _leaks(masked) == []
