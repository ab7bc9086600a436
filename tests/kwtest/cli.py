"""Helpers for the output and integration tests: the CLI runner, the SARIF
and JSON-report schema validators, and a small manifest generator."""

from __future__ import annotations

import json
import textwrap

from click.testing import CliRunner

from kwtest.shared import DATA

_VALIDATOR = None
_REPORT_VALIDATOR = None


def sarif_validator():
    global _VALIDATOR
    if _VALIDATOR is None:
        import jsonschema
        schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
        _VALIDATOR = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    return _VALIDATOR


def report_validator():
    """The validator of kubeward's own JSON report (kubeward/data/report.schema.json)."""
    global _REPORT_VALIDATOR
    if _REPORT_VALIDATOR is None:
        import jsonschema

        from kubeward.outputs.json import SCHEMA_FILE
        with open(SCHEMA_FILE, encoding="utf-8") as fh:
            schema = json.load(fh)
        jsonschema.Draft202012Validator.check_schema(schema)
        _REPORT_VALIDATOR = jsonschema.Draft202012Validator(schema)
    return _REPORT_VALIDATOR


def report_errors(doc, every_finding: bool = True) -> list[str]:
    """Where ``doc`` breaks the JSON-report schema, one line each (none when
    valid). With ``every_finding`` False, a report of more than
    ``FULL_UP_TO`` findings is validated whole except that, of findings with
    the same shape (check, keys, value types, line and column at least 1, fix
    safety), only the first is: jsonschema takes about a millisecond per
    finding, and the corpus reports of the suite have thousands."""
    if not every_finding:
        doc = _representative(doc)
    errors = sorted(report_validator().iter_errors(doc), key=lambda e: list(e.absolute_path))
    return [f"{e.message} at {list(e.absolute_path)}" for e in errors]


FULL_UP_TO = 300


def _shape(f) -> tuple:
    if not isinstance(f, dict):
        return (repr(f),)
    fix = f.get("fix")
    return (f.get("checkId"), f.get("severity"),
            tuple(sorted((k, type(v).__name__) for k, v in f.items())),
            isinstance(f.get("line"), int) and f["line"] >= 1,
            isinstance(f.get("column"), int) and f["column"] >= 1,
            json.dumps(fix.get("safety") if isinstance(fix, dict) else fix),
            (tuple(sorted(f["suppressed"].items())) if isinstance(f.get("suppressed"), dict)
             else repr(f.get("suppressed"))),
            bool(f.get("message")), bool(f.get("file")))


def _representative(doc):
    if not isinstance(doc, dict):
        return doc
    lists = {k: doc[k] for k in ("findings", "suppressed") if isinstance(doc.get(k), list)}
    if sum(len(v) for v in lists.values()) <= FULL_UP_TO:
        return doc
    out = dict(doc)
    for key, items in lists.items():
        seen, keep = set(), []
        for f in items:
            shape = _shape(f)
            if shape not in seen:
                seen.add(shape)
                keep.append(f)
        out[key] = keep
    return out


def run(args, input=None):
    from kubeward.cli.main import cli
    return CliRunner().invoke(cli, args, input=input, catch_exceptions=False)


def deployment(name="web", ns="shop", privileged: bool | None = True, host_pid=False,
               annotations=None, comment_lines=0, container="app") -> str:
    """A Deployment's YAML text; ``privileged`` None: no securityContext."""
    ann = ""
    if annotations:
        ann = "  annotations:\n" + "".join(f"    {k}: {json.dumps(v)}\n"
                                           for k, v in annotations.items())
    sc = "" if privileged is None else (
        f"          securityContext:\n            privileged: {str(privileged).lower()}\n")
    return "# filler\n" * comment_lines + textwrap.dedent(f"""\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {name}
          namespace: {ns}
        """) + ann + textwrap.dedent(f"""\
        spec:
          template:
            spec:
              hostPID: {str(host_pid).lower()}
              containers:
                - name: {container}
                  image: busybox:1.36
        """) + sc


#: checks pinned in these tests, so new checks elsewhere do not change counts
PINNED = ["--check", "PSS001", "--check", "PSS002", "--check", "SUP001"]
