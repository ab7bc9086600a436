"""Issue 18 items 3 and 4: an untrusted chart reads no host file or
environment variable into the report, cannot exhaust memory, and cannot
hang the line mapping."""

from __future__ import annotations

import json
import os
import textwrap

import pytest

from kubeward.loading import helm
from kwtest.cli import run

needs_sdk = pytest.mark.skipif(helm._sdk() is None, reason="helm-python-sdk not installed")
TOKEN = "ci-token-Zq8Lm3Vr7Tx2"


def _chart(tmp_path, template: str, name="evil"):
    root = tmp_path / name
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
    (root / "templates" / "cm.yaml").write_text(textwrap.dedent(template))
    return root


@needs_sdk
def test_symlink_out_of_the_chart_is_refused_and_env_is_scrubbed(tmp_path, monkeypatch):
    monkeypatch.setenv("KW_CI_TOKEN", TOKEN)
    root = _chart(tmp_path, """\
        apiVersion: v1
        kind: Pod
        metadata:
          name: p
        spec:
          containers:
            - name: a
              image: {{ .Files.Get "files/env" | replace "\\x00" " " | quote }}
            - name: b
              image: {{ .Files.Get "files/inside" | trim | quote }}
        """)
    (root / "files").mkdir()
    os.symlink("/proc/self/environ", root / "files" / "env")
    (root / "files" / "real").write_text("nginx:1.27\n")
    os.symlink("real", root / "files" / "inside")  # a link inside the chart is followed
    os.mkfifo(root / "files" / "fifo")  # would block a reader forever
    for fmt in ("json", "sarif", "markdown", "text"):
        r = run(["scan", "-o", fmt, str(root)])
        assert TOKEN not in r.output, fmt
        assert r.exit_code == 2
    data = json.loads(run(["scan", "-o", "json", str(root)]).stdout)
    errors = {(e["file"], e["message"]) for e in data["errors"]}
    assert (os.path.join(str(root), "files", "env"),
            "symbolic link leaves the chart: left out of the rendering") in errors
    assert any(f == os.path.join(str(root), "files", "fifo") and "not a regular file" in m
               for f, m in errors)
    [pod] = helm.load_chart(str(root), {}).objects
    images = [c["image"] for c in pod.raw["spec"]["containers"]]
    assert images == ["", "nginx:1.27"]  # nothing from outside; the in-chart link followed


@needs_sdk
def test_child_environment_is_empty_of_our_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("KW_CI_TOKEN", TOKEN)
    env = helm._child_env(str(tmp_path))
    assert TOKEN not in json.dumps(env)
    assert set(env) <= {"PATH", "HOME", "LANG", "TMPDIR", "PYTHONPATH", "HELM_CACHE_HOME",
                        "HELM_CONFIG_HOME", "HELM_DATA_HOME"}


@needs_sdk
def test_memory_and_size_caps(tmp_path):
    root = _chart(tmp_path, """\
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: x
        data:
          a: |
        {{- range $i := until 50000000 }}
            {{ $i }}
        {{- end }}
        """)
    res = helm.load_chart(str(root), {"helm_memory_limit": 256 * 1024 * 1024})
    assert [e.message for e in res.errors] == [
        "helm: rendering needed more than 256 MiB of memory; stopped"]
    small = _chart(tmp_path, """\
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: x
        data:
          a: {{ repeat 5000 "a" | quote }}
        """, name="big")
    res = helm.load_chart(str(small), {"helm_max_rendered": 4000})
    assert len(res.errors) == 1 and "more than the limit of 4000" in res.errors[0].message
    assert helm.load_chart(str(small), {}).errors == []


def test_line_mapping_is_linear():
    """30 actions against 80 ``a``s: the old ``.*?`` regex never finished."""
    template = 'x: ' + '{{ "" }}' * 30 + 'b\n'
    rendered = 'x: ' + "a" * 80 + "\n"
    assert helm.map_lines(template, rendered) == {}
    assert helm.line_matches(helm._line_pattern(template), "x: " + "a" * 80 + "b")
    big = "k: " + "{{ x }}a" * 2000 + "\n"
    assert helm.map_lines(big, "k: " + "za" * 2000 + "\n") == {1: (1, 0)}
    # an unclosed "{{" is literal text, and splitting it is linear
    assert helm.split_actions("a {{ b }} c {{ d") == ["a ", " c {{ d"]
    assert len(helm.split_actions("{{" * 100_000)) == 1


def test_line_mapping_budget():
    template = "".join(f"k{i}: {{{{ .v }}}}\n" for i in range(200))
    rendered = "".join(f"z{i}: 1\n" for i in range(200)) + "k5: 1\n"
    assert helm.map_lines(template, rendered)[201] == (6, 0)
    # with a tiny budget the lines past it take the nearest line above: none here
    assert helm.map_lines(template, rendered, budget=100) == {}


@pytest.mark.parametrize("template, rendered, expect", [
    ("a: {{ .x }}", "a: 1", True), ("a: {{ .x }}", "b: 1", False),
    ("{{ .x }}: {{ .y }}", "k: v", True), ("plain", "plain", True), ("plain", "plainer", False),
    ("a{{x}}b{{y}}c", "abc", True), ("a{{x}}b{{y}}c", "ac", False), ("a{{x}}a", "a", False),
])
def test_line_matches(template, rendered, expect):
    assert helm.line_matches(helm._line_pattern(template), rendered) is expect
