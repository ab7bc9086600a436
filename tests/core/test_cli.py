"""The scan command end to end: exit codes, outputs, stdin, config,
suppression, exemptions, parallel jobs. A demo check defined here keeps
these tests independent of the check library."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from kubeward.checks import base
from kubeward.cli.main import cli
from kwtest.cli import deployment


@pytest.fixture
def demo_check():
    class HostPidDemo(base.Check):
        """
        ## What it does
        Test-only check.
        ## Why is this bad?
        Test.
        ## Example
        ```yaml
        hostPID: true
        ```
        ## Use instead
        ```yaml
        hostPID: false
        ```
        ## Fix safety
        None.
        """

        id = "TST901"
        name = "Demo hostPID"
        severity = base.Severity.HIGH
        workloads_only = True
        frameworks = {"demo": ("D-1",)}
        remediation = "Remove hostPID."

        def check(self, obj, ctx):
            if obj.pod.spec.get("hostPID") is True:
                yield self.finding(obj, obj.pod.path + ("hostPID",), "hostPID is true", value=True)

    base.registry()
    yield HostPidDemo
    base._REGISTRY.pop("TST901", None)


def manifest(name="web", ns="shop", host_pid=True, annotations=None):
    """A Deployment with hostPID (by default) and no securityContext."""
    return deployment(name, ns, privileged=None, host_pid=host_pid, annotations=annotations,
                      container="c")


def run(args, input=None, cwd=None):
    runner = CliRunner()
    result = runner.invoke(cli, args, input=input, catch_exceptions=False)
    return result


def test_exit_codes_and_json_shape(tmp_path, demo_check, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text(manifest())
    (tmp_path / "good.yaml").write_text(manifest(name="ok", host_pid=False))
    r = run(["scan", "--check", "TST901", "-o", "json", "bad.yaml", "good.yaml"])
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["schemaVersion"] == "2.0"
    (f,) = data["findings"]
    assert (f["checkId"], f["fieldPath"], f["file"], f["line"], f["column"]) == (
        "TST901", "spec.template.spec.hostPID", "bad.yaml", 9, 7)
    assert f["object"] == {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "web"}
    assert f["severity"] == "high" and f["frameworks"] == {"demo": ["D-1"]}
    assert data["summary"]["objectsScanned"] == 2
    assert data["summary"]["findingsBySeverity"]["high"] == 1
    assert run(["scan", "--check", "TST901", "good.yaml"]).exit_code == 0
    assert run(["scan", "--check", "TST901", "--fail-on", "critical", "bad.yaml"]).exit_code == 0


def test_unreadable_input_exit_2_but_rest_scanned(tmp_path, demo_check, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text(manifest())
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: [\n")
    r = run(["scan", "--check", "TST901", "-o", "json", "."])
    assert r.exit_code == 2
    data = json.loads(r.stdout)
    assert [f["checkId"] for f in data["findings"]] == ["TST901"]
    assert data["errors"][0]["file"] == "broken.yaml" and data["errors"][0]["line"] == 4
    assert "broken.yaml:4:1: error: invalid YAML" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_stdin(demo_check):
    r = run(["scan", "--check", "TST901", "-o", "json", "-"], input=manifest())
    assert r.exit_code == 1
    assert json.loads(r.stdout)["findings"][0]["file"] == "<stdin>"


@pytest.mark.parametrize("args,fragment", [
    (["scan", "--check", "NOPE999", "x.yaml"], "unknown check id 'NOPE999'"),
    (["scan", "--framework", "nonsense", "x.yaml"], "unknown framework 'nonsense'"),
    (["scan", "--k8s-version", "banana", "x.yaml"], "bad Kubernetes version"),
    (["scan", "-o", "xml", "x.yaml"], "unknown output format 'xml'"),
    (["scan", "--config", "missing.yaml", "x.yaml"], "config file not found"),
    (["explain", "NOPE999"], "unknown check id"),
])
def test_usage_errors_exit_2_one_line(args, fragment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    r = run(args)
    assert r.exit_code == 2
    assert fragment in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_annotation_suppression_needs_reason(tmp_path, demo_check, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(manifest(annotations={"kubeward.io/ignore": "TST901: node agent, reviewed in SEC-1"}))
    (tmp_path / "b.yaml").write_text(manifest(name="b", annotations={"kubeward.io/ignore": "TST901"}))
    r = run(["scan", "--check", "TST901", "--check", "SUP001", "-o", "json", "--show-suppressed", "."])
    data = json.loads(r.stdout)
    active = sorted((f["file"], f["checkId"]) for f in data["findings"])
    assert active == [("b.yaml", "SUP001"), ("b.yaml", "TST901")]
    (s,) = data["suppressed"]
    assert s["file"] == "a.yaml" and s["suppressed"] == {"by": "annotation", "reason": "node agent, reviewed in SEC-1"}
    assert data["summary"]["suppressed"] == 1


def test_config_disable_severity_exemptions_and_expiry(tmp_path, demo_check, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "team-a.yaml").write_text(manifest(name="a", ns="team-a"))
    (tmp_path / "team-b.yaml").write_text(manifest(name="b", ns="team-b"))
    (tmp_path / "legacy.yaml").write_text(manifest(name="legacy-api", ns="team-c"))
    (tmp_path / ".kubeward.yaml").write_text(textwrap.dedent("""\
        checks:
          enable: [TST901]
          severity: {TST901: medium}
        overrides:
          - namespaces: ["team-b"]
            severity: {TST901: critical}
            reason: team-b runs payment workloads
        exemptions:
          - checks: [TST901]
            namespaces: ["team-a"]
            reason: team-a node agents need the host PID namespace
          - checks: ["*"]
            names: ["legacy-*"]
            reason: legacy API, being retired
            expires: "2020-01-01"
        """))
    r = run(["scan", "-o", "json", "--show-suppressed", "."])
    data = json.loads(r.stdout)
    got = sorted((f["object"]["name"], f["severity"]) for f in data["findings"] if f["checkId"] == "TST901")
    assert got == [("b", "critical"), ("legacy-api", "medium")]
    assert [s["object"]["name"] for s in data["suppressed"]] == ["a"]
    assert any("exemption expired on 2020-01-01" in n for n in data["notes"])
    assert "exemption expired" in r.stderr
    # the config can disable it again
    (tmp_path / ".kubeward.yaml").write_text("checks:\n  disable: [TST901]\n")
    data = json.loads(run(["scan", "-o", "json", "."]).stdout)
    assert not [f for f in data["findings"] if f["checkId"] == "TST901"]


@pytest.mark.parametrize("config,line,fragment", [
    ("checks:\n  enabel: [X]\n", 2, "checks: unknown key 'enabel' (did you mean 'enable'?)"),
    ("failOn: extreme\n", 1, "failOn: 'extreme' is not one of"),
    ("checks:\n  disable:\n    - PSS999\n    - ZZZ111\n", 3, "checks.disable[0]: unknown check id 'PSS999'"),
    ("exemptions:\n  - checks: [SUP001]\n", 2, "'reason' is a required property"),
    ("exemptions:\n  - checks: [SUP001]\n    reason: ok then\n    expires: 2024-13-45\n", 4, "not a date"),
    ("k8sVersion: [\n", 2, "invalid YAML"),
])
def test_config_errors_name_file_and_line(config, line, fragment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".kubeward.yaml").write_text(config)
    (tmp_path / "x.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    r = run(["scan", "x.yaml"])
    assert r.exit_code == 2
    assert r.stderr.startswith(f"{tmp_path / '.kubeward.yaml'}:{line}: config error:"), r.stderr
    assert fragment in r.stderr


def test_config_found_upward(tmp_path, demo_check, monkeypatch):
    (tmp_path / ".kubeward.yaml").write_text("checks:\n  enable: [TST901]\n")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    (sub / "d.yaml").write_text(manifest())
    monkeypatch.chdir(sub)
    data = json.loads(run(["scan", "-o", "json", "d.yaml"]).stdout)
    assert "TST901" in [f["checkId"] for f in data["findings"]]
    (tmp_path / ".kubeward.yaml").write_text("checks:\n  disable: [TST901]\n")
    data = json.loads(run(["scan", "-o", "json", "d.yaml"]).stdout)
    assert "TST901" not in [f["checkId"] for f in data["findings"]]


def test_multiple_outputs_to_files(tmp_path, demo_check, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.yaml").write_text(manifest())
    r = run(["scan", "--check", "TST901", "-o", "json=out.json", "-o", "text", "d.yaml"])
    assert r.exit_code == 1
    assert "TST901" in r.stdout and "spec.template.spec.hostPID" in r.stdout
    assert json.loads((tmp_path / "out.json").read_text())["findings"][0]["line"] == 9


def test_text_output_shows_source_line_and_fix(tmp_path, demo_check, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.yaml").write_text(manifest())
    out = run(["scan", "--check", "TST901", "d.yaml"]).stdout
    assert "9:7" in out and "hostPID: true" in out and "Remove hostPID." in out


def test_checks_and_explain(demo_check):
    r = run(["checks", "-o", "json"])
    info = {c["id"]: c for c in json.loads(r.stdout)}
    assert info["TST901"]["severity"] == "high" and info["TST901"]["defaultEnabled"] is True
    assert "crosswalk" in info["TST901"]
    r = run(["explain", "tst901"])
    assert r.exit_code == 0 and "## Why is this bad?" in r.stdout


def test_parallel_jobs_same_result(tmp_path):
    for i in range(6):
        (tmp_path / f"f{i}.yaml").write_text(manifest(name=f"w{i}", annotations={"kubeward.io/ignore": "PSS001"}))
    (tmp_path / "broken.yaml").write_text("a: [\n")
    base_args = [sys.executable, "-m", "kubeward", "scan", "-o", "json", "--check", "SUP001", str(tmp_path)]
    one = subprocess.run(base_args, capture_output=True, text=True)
    two = subprocess.run(base_args + ["--jobs", "2"], capture_output=True, text=True)
    assert one.returncode == two.returncode == 2
    a, b = json.loads(one.stdout), json.loads(two.stdout)
    assert a["findings"] == b["findings"] and len(a["findings"]) == 6
    assert a["errors"] == b["errors"]
    assert a["summary"] == b["summary"]
