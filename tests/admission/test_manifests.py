"""``kubeward admission manifests``: what deploys the webhook, and it passes
``kubeward scan`` with no finding of medium severity or above."""

from __future__ import annotations

import base64

import pytest
import yaml
from click.testing import CliRunner

from kubeward.cli.main import cli


def _run(*args) -> tuple[int, str, str]:
    res = CliRunner().invoke(cli, ["admission", "manifests", *args])
    return res.exit_code, res.stdout, res.stderr


@pytest.fixture(params=["ca-file", "cert-manager"])
def generated(request, pki, tmp_path):
    args = (["--ca-file", str(pki.ca_file)] if request.param == "ca-file" else ["--cert-manager"])
    code, out, err = _run(*args)
    assert code == 0, err
    path = tmp_path / "webhook.yaml"
    path.write_text(out)
    return request.param, out, [d for d in yaml.safe_load_all(out) if d], path


def test_manifests_pass_scan_with_nothing_medium_or_above(generated):
    from kubeward.engine import ScanOptions, scan

    _, _, _, path = generated
    report = scan([str(path)], ScanOptions())
    assert report.errors == []
    worse = [(f.check_id, f.object.kind, f.field_path, f.severity.label) for f in report.findings
             if f.severity >= 2]
    assert worse == []
    # and the CLI agrees
    res = CliRunner().invoke(cli, ["scan", str(path), "--fail-on", "medium"])
    assert res.exit_code == 0, res.output


def test_manifest_contents(generated, pki):
    mode, text, docs, _ = generated
    kinds = [d["kind"] for d in docs]
    expected = ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap"]
    if mode == "cert-manager":
        expected += ["Issuer", "Certificate"]
    expected += ["Deployment", "PodDisruptionBudget", "Service", "NetworkPolicy", "NetworkPolicy",
                 "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"]
    assert kinds == expected
    by = {d["kind"]: d for d in docs}
    assert by["ClusterRole"]["rules"] == [{"apiGroups": [""], "resources": ["namespaces"],
                                           "verbs": ["get", "list", "watch"]}]
    dep = by["Deployment"]
    assert dep["spec"]["replicas"] >= 2
    pod = dep["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    c = pod["containers"][0]
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "https", "scheme": "HTTPS"}
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert set(c["resources"]) == {"requests", "limits"}
    assert "podAntiAffinity" in pod["affinity"]
    assert "--cluster" in c["args"]
    assert by["PodDisruptionBudget"]["spec"]["minAvailable"] == 1
    for kind, path, policy in (("ValidatingWebhookConfiguration", "/validate", "Fail"),
                               ("MutatingWebhookConfiguration", "/mutate", "Ignore")):
        hook = by[kind]["webhooks"][0]
        assert hook["clientConfig"]["service"] == {"name": "kubeward-admission",
                                                   "namespace": "kubeward", "path": path,
                                                   "port": 443}
        assert hook["sideEffects"] == "None"
        assert hook["admissionReviewVersions"] == ["v1"]
        assert hook["failurePolicy"] == policy
        assert hook["timeoutSeconds"] == 5
        assert hook["namespaceSelector"] == {"matchExpressions": [{
            "key": "kubernetes.io/metadata.name", "operator": "NotIn",
            "values": ["kube-system", "kubeward"]}]}
        if mode == "ca-file":
            assert base64.b64decode(hook["clientConfig"]["caBundle"]) == pki.ca_file.read_bytes()
            assert "annotations" not in by[kind]["metadata"]
        else:
            assert "caBundle" not in hook["clientConfig"]
            assert by[kind]["metadata"]["annotations"] == {
                "cert-manager.io/inject-ca-from": "kubeward/kubeward-admission"}
    assert "failurePolicy: Fail and timeoutSeconds: 5" in text.splitlines()[1]
    # the shipped config is valid
    from kubeward.config import load_config
    import tempfile, os  # noqa: E401
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fh:
        fh.write(by["ConfigMap"]["data"]["config.yaml"])
    try:
        assert load_config(fh.name).admission["enforce"] == "critical"
    finally:
        os.unlink(fh.name)


def test_manifest_options():
    code, out, _ = _run("--cert-manager", "--namespace", "guard", "--replicas", "3",
                        "--failure-policy", "Ignore", "--timeout-seconds", "3", "--no-cluster",
                        "--image", "registry.example/kubeward@sha256:" + "a" * 64)
    assert code == 0
    docs = [d for d in yaml.safe_load_all(out) if d]
    by = {d["kind"]: d for d in docs}
    assert "ClusterRole" not in by
    assert by["Deployment"]["spec"]["replicas"] == 3
    assert by["Deployment"]["metadata"]["namespace"] == "guard"
    c = by["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert c["image"].endswith("a" * 64) and "--cluster" not in c["args"]
    hook = by["ValidatingWebhookConfiguration"]["webhooks"][0]
    assert (hook["failurePolicy"], hook["timeoutSeconds"]) == ("Ignore", 3)
    assert hook["namespaceSelector"]["matchExpressions"][0]["values"] == ["guard", "kube-system"]


def test_manifest_cross_checks_rbac(tmp_path):
    code, out, _ = _run("--cert-manager", "--cross-checks")
    assert code == 0
    by = {d["kind"]: d for d in yaml.safe_load_all(out) if d}
    rules = by["ClusterRole"]["rules"]
    assert all(r["verbs"] == ["get", "list", "watch"] for r in rules)
    granted = {(g, r) for rule in rules for g in rule["apiGroups"] for r in rule["resources"]}
    assert ("", "namespaces") in granted and ("networking.k8s.io", "networkpolicies") in granted
    assert not {("", "secrets"), ("", "configmaps"), ("", "pods")} & granted
    args = by["Deployment"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[-2:] == ["--cluster", "--cross-checks"]
    path = tmp_path / "m.yaml"
    path.write_text(out)
    from kubeward.engine import ScanOptions, scan
    report = scan([str(path)], ScanOptions())
    assert [f for f in report.findings if f.severity >= 2] == []
    code, _, err = _run("--cert-manager", "--cross-checks", "--no-cluster")
    assert code == 2 and "--cross-checks needs the cluster watch" in err


def test_manifest_usage_errors(tmp_path):
    code, _, err = _run()
    assert code == 2 and err == "kubeward: error: give exactly one of --ca-file FILE or --cert-manager\n"
    bad = tmp_path / "ca.pem"
    bad.write_text("hello")
    code, _, err = _run("--ca-file", str(bad))
    assert code == 2 and err == f"kubeward: error: {bad}: not a PEM certificate\n"
