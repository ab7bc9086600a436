"""``kubeward audit manifests``: the in-cluster deployment."""

import yaml
from click.testing import CliRunner

from kubeward.cli.main import cli
from kubeward.cluster.audit import audit_once, needed_kinds
from kubeward.cluster.manifests import plural
from kubeward.engine import ScanOptions, scan_objects
from kubeward.findings import Severity
from kubeward.loading.files import LoadResult, load_text


def _manifests(*args):
    r = CliRunner().invoke(cli, ["audit", "manifests", *args], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.stdout


def _objects(text):
    result = LoadResult()
    load_text(text, "manifests.yaml", result)
    assert result.errors == []
    return result.objects


def test_manifests_have_the_kinds_and_a_read_only_least_privilege_role():
    docs = list(yaml.safe_load_all(_manifests()))
    assert [d["kind"] for d in docs] == ["Namespace", "ServiceAccount", "ClusterRole",
                                         "ClusterRoleBinding", "Deployment", "Service",
                                         "NetworkPolicy"]
    role = docs[2]
    granted = set()
    for rule in role["rules"]:
        assert rule["verbs"] == ["list", "watch"]
        assert "*" not in rule["resources"] and "*" not in rule["apiGroups"]
        granted.update((rule["apiGroups"][0], r) for r in rule["resources"])
    assert not any(r == "secrets" for _g, r in granted)
    wanted = {(g, plural(k)) for g, k in needed_kinds() if g is not None}
    assert granted == wanted
    dep = docs[4]
    assert dep["spec"]["template"]["spec"]["serviceAccountName"] == "kubeward"
    args = dep["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[:2] == ["audit", "--watch"] and "--policy-reports" not in args
    assert docs[5]["spec"]["ports"][0]["port"] == 9422


def test_policy_report_variant_grants_only_report_writes():
    docs = list(yaml.safe_load_all(_manifests("--policy-reports", "--namespace", "sec")))
    roles = [d for d in docs if d["kind"] == "ClusterRole"]
    assert [r["metadata"]["name"] for r in roles] == ["kubeward-read", "kubeward-policyreports"]
    assert roles[1]["rules"] == [{"apiGroups": ["wgpolicyk8s.io"],
                                  "resources": ["clusterpolicyreports", "policyreports"],
                                  "verbs": ["create", "get", "update"]}]
    assert all(d["metadata"].get("namespace", "sec") == "sec" for d in docs)
    dep = next(d for d in docs if d["kind"] == "Deployment")
    assert "--policy-reports" in dep["spec"]["template"]["spec"]["containers"][0]["args"]


def test_manifests_pass_scan_with_nothing_medium_or_above():
    for variant in ((), ("--policy-reports",)):
        objects = _objects(_manifests(*variant))
        report = scan_objects(objects, ScanOptions(complete=True))
        bad = [(f.check_id, f.object.display(), f.field_path) for f in report.findings
               if f.severity >= Severity.MEDIUM]
        assert bad == []
        assert report.errors == []


def test_the_role_is_enough_for_the_audit(fake_api, client):
    """A fake cluster that forbids everything the ClusterRole does not grant:
    the audit reads all it needs without a single 403."""
    docs = list(yaml.safe_load_all(_manifests()))
    granted = {(rule["apiGroups"][0], r) for rule in docs[2]["rules"] for r in rule["resources"]}
    fake_api.load_objects(docs)
    fake_api.forbidden.update(f"{g}/{p}" if g else p for (g, p) in fake_api.resources
                              if (g, p) not in granted)
    assert "secrets" in fake_api.forbidden
    report, snap = audit_once(client, ScanOptions())
    assert snap.warnings == [] and snap.skipped == []
    assert [f for f in report.findings if f.severity >= Severity.MEDIUM] == []
    assert not [r for r in fake_api.requests if "secrets" in r["path"]]
