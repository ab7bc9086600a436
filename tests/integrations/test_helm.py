"""Helm charts: rendered by Helm (helm-python-sdk, else the helm binary),
findings on the template file and line; values, --set, suppressions and
the config apply; clear errors when Helm is missing or a template fails."""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile

import pytest
from kwtest.cli import DATA, deployment, run

from kubeward.loading import helm

CHART = DATA / "helm" / "mychart"
TEMPLATE = os.path.join(str(CHART), "templates", "deployment.yaml")
PIN = ["--check", "PSS001", "--check", "PSS002", "--check", "SUP001"]


def _findings(r):
    return [(f["checkId"], f["file"], f["line"], f["column"], f["fieldPath"])
            for f in json.loads(r.stdout)["findings"]]


needs_sdk = pytest.mark.skipif(helm._sdk() is None,
                               reason="helm-python-sdk (kubeward[helm], dev extra) not installed")


@needs_sdk
def test_values_set_and_template_lines(tmp_path):
    r = run(["scan", *PIN, "-o", "json", str(CHART)])
    assert r.exit_code == 0 and _findings(r) == []
    r = run(["scan", *PIN, "-o", "json", str(CHART), "--set", "privileged=true"])
    assert r.exit_code == 1
    assert _findings(r) == [("PSS002", TEMPLATE, 24, 13,
                             "spec.template.spec.containers[0].securityContext.privileged")]
    obj = json.loads(r.stdout)["findings"][0]["object"]
    assert obj == {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default",
                   "name": "release-name-mychart"}
    vals = tmp_path / "prod.yaml"
    vals.write_text("hostNetwork: true\nprivileged: true\n")
    override = tmp_path / "override.yaml"
    override.write_text("privileged: false\n")
    r = run(["scan", *PIN, "-o", "json", str(CHART), "--values", str(vals), "-f", str(override)])
    assert _findings(r) == [("PSS001", TEMPLATE, 19, 7, "spec.template.spec.hostNetwork")]
    r = run(["scan", *PIN, "-o", "json", str(CHART), "--values", str(vals), "--set", "hostNetwork=false"])
    assert _findings(r) == [("PSS002", TEMPLATE, 24, 13,
                             "spec.template.spec.containers[0].securityContext.privileged")]


@needs_sdk
def test_text_output_shows_the_template_line():
    r = run(["scan", *PIN, str(CHART), "--set", "privileged=true"])
    assert "    >   24 |             privileged: {{ .Values.privileged }}" in r.stdout


@needs_sdk
def test_suppression_and_config_on_rendered_objects(tmp_path, monkeypatch):
    r = run(["scan", *PIN, "-o", "json", "--show-suppressed", str(CHART), "--set", "privileged=true",
             "--set", "suppress=PSS002: the chart runs a CNI agent"])
    data = json.loads(r.stdout)
    assert r.exit_code == 0 and data["findings"] == []
    [s] = data["suppressed"]
    assert s["checkId"] == "PSS002" and s["suppressed"] == {"by": "annotation",
                                                             "reason": "the chart runs a CNI agent"}
    # an annotation without a reason is reported on its template line
    r = run(["scan", *PIN, "-o", "json", str(CHART), "--set", "suppress=PSS002"])
    assert _findings(r) == [("SUP001", TEMPLATE, 8, 5, 'metadata.annotations["kubeward.io/ignore"]')]
    cfg = tmp_path / "kw.yaml"
    cfg.write_text("exemptions:\n  - checks: [PSS002]\n    kinds: [Deployment]\n"
                   "    names: [release-name-*]\n    reason: reviewed in SEC-1\n")
    r = run(["scan", *PIN, "--config", str(cfg), "-o", "json", "--show-suppressed", str(CHART),
             "--set", "privileged=true"])
    data = json.loads(r.stdout)
    assert r.exit_code == 0 and data["suppressed"][0]["suppressed"]["by"] == "config", data["errors"]


def _no_helm(monkeypatch, tmp_path):
    monkeypatch.setattr(helm, "_sdk", lambda: None)
    empty = tmp_path / "emptybin"
    empty.mkdir(exist_ok=True)
    monkeypatch.setenv("PATH", str(empty))


def test_missing_helm_is_an_error_for_the_chart_only(tmp_path, monkeypatch):
    _no_helm(monkeypatch, tmp_path)
    (tmp_path / "plain.yaml").write_text(deployment())
    r = run(["scan", *PIN, "-o", "json", str(CHART), str(tmp_path / "plain.yaml")])
    assert r.exit_code == 2
    data = json.loads(r.stdout)
    assert [e["file"] for e in data["errors"]] == [os.path.join(str(CHART), "Chart.yaml")]
    assert "pip install 'kubeward[helm]'" in data["errors"][0]["message"]
    assert "`helm` binary on PATH" in data["errors"][0]["message"]
    assert [f["file"] for f in data["findings"]] == [str(tmp_path / "plain.yaml")]
    assert "Traceback" not in r.stderr and "Chart.yaml: error: cannot render the Helm chart" in r.stderr


def test_helm_binary_fallback(tmp_path, monkeypatch):
    """Without the SDK, `helm template` is run (a stand-in binary records
    its arguments and prints what helm prints) and split on `# Source:`."""
    _no_helm(monkeypatch, tmp_path)
    rendered = (tmp_path / "rendered.yaml")
    rendered.write_text(
        "---\n# Source: mychart/templates/service.yaml\napiVersion: v1\nkind: Service\n"
        "metadata:\n  name: release-name-mychart\nspec:\n  ports:\n    - port: 80\n"
        "---\n# Source: mychart/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\n"
        "metadata:\n  name: release-name-mychart\n  namespace: default\nspec:\n  selector:\n"
        "    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n"
        "        app: web\n    spec:\n      hostNetwork: false\n      containers:\n"
        "        - name: web\n          image: nginx:1.27\n          securityContext:\n"
        "            privileged: true\n")
    fake = tmp_path / "emptybin" / "helm"
    fake.write_text(f"#!/bin/sh\necho \"$@\" > {tmp_path}/args\n/bin/cat {rendered}\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    vals = tmp_path / "v.yaml"
    vals.write_text("privileged: true\n")
    r = run(["scan", *PIN, "-o", "json", str(CHART), "--values", str(vals), "--set", "a=b"])
    assert _findings(r) == [("PSS002", TEMPLATE, 24, 13,
                             "spec.template.spec.containers[0].securityContext.privileged")]
    args = (tmp_path / "args").read_text().split()
    # helm renders a private copy of the chart (docs/security.md)
    assert args[2].startswith(tempfile.gettempdir()) and args[2].endswith("/chart")
    assert args[:2] + args[3:] == [
        "template", "release-name", "--namespace", "default", "--values", str(vals),
        "--set", "a=b"]
    fake.write_text("#!/bin/sh\necho 'Error: template: mychart/templates/x.yaml:3: bad' >&2\nexit 1\n")
    r = run(["scan", *PIN, "-o", "json", str(CHART)])
    assert r.exit_code == 2
    assert json.loads(r.stdout)["errors"][0]["message"] == \
        "helm template: template: mychart/templates/x.yaml:3: bad"


@needs_sdk
def test_template_error_and_bad_values(tmp_path):
    chart = tmp_path / "broken"
    shutil.copytree(CHART, chart)
    (chart / "templates" / "bad.yaml").write_text("kind: {{ .Values.x | nosuchfunction }}\n")
    r = run(["scan", *PIN, "-o", "json", str(chart)])
    assert r.exit_code == 2
    [err] = json.loads(r.stdout)["errors"]
    assert err["file"] == str(chart / "Chart.yaml") and err["message"].startswith("helm: ")
    assert "nosuchfunction" in err["message"]
    r = run(["scan", *PIN, "-o", "json", str(CHART), "--values", str(tmp_path / "none.yaml")])
    assert r.exit_code == 2 and "--values" in json.loads(r.stdout)["errors"][0]["message"]


def test_map_lines():
    template = ("spec:\n  containers:\n  {{- range .Values.names }}\n    - name: {{ . }}\n"
                "      securityContext:\n        {{- toYaml $.Values.sc | nindent 8 }}\n"
                "  {{- end }}\n")
    rendered = ("spec:\n  containers:\n    - name: a\n      securityContext:\n        privileged: true\n"
                "    - name: b\n      securityContext:\n        privileged: true\n")
    m = helm.map_lines(template, rendered)
    assert {k: v[0] for k, v in m.items()} == {1: 1, 2: 2, 3: 4, 4: 5, 5: 5, 6: 4, 7: 5, 8: 5}
    assert m[5] == (5, 7)  # toYaml output: the parent key's line and column
    assert m[3] == (4, 0)  # matched line: keep the rendered column


def test_merge():
    assert helm.merge({"a": {"b": 1, "c": 2}, "d": [1]}, {"a": {"b": 3}, "d": [2]}) == \
        {"a": {"b": 3, "c": 2}, "d": [2]}
