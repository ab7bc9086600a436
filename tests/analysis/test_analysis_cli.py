"""``kubeward network``, ``kubeward rbac`` and ``kubeward generate netpol``
end to end (in-process with CliRunner; two real subprocess runs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from kw_analysis_helpers import FIXTURES

from kubeward.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
NETPOL = str(FIXTURES / "netpol.yaml")
RBAC = str(FIXTURES / "rbac.yaml")
ESC = str(FIXTURES / "escalation.yaml")
CORPUS = ROOT.parent / "shared" / "corpus" / "realworld-a"
MINE = ("XNET", "XRBAC", "REF")


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_network_text():
    r = run("network", NETPOL)
    assert r.exit_code == 0
    text = r.output
    assert f"Deployment shop/web ({NETPOL}:11)" in text
    assert "  ingress: isolated by shop/default-deny, shop/web-in, shop/web-out\n" in text
    assert "    - from addresses 0.0.0.0/0 except 169.254.0.0/16 on TCP/8080 " \
           "[shop/web-in rule 0]\n" in text
    assert "    - to pods {app=api} in namespace shop on TCP/grpc [shop/web-out rule 0]\n" in text
    assert "  exposed outside the cluster: Service shop/web type LoadBalancer (TCP/443)\n" in text
    assert "  reachable from workloads of the input: Deployment monitoring/prom (TCP/9090)\n" \
        in text
    assert "  egress: isolated by shop/default-deny\n    nothing allowed to anywhere\n" in text
    assert "  reachable from workloads of the input: Deployment shop/web (TCP/5432); " \
           "CronJob db/backup (all ports); Deployment monitoring/prom (all ports)\n" in text


def test_network_json_matches_analysis():
    from kw_analysis_helpers import load

    from kubeward.analysis.network import NetworkAnalysis

    r = run("network", NETPOL, "-o", "json")
    assert r.exit_code == 0
    data = json.loads(r.output)
    assert data["workloads"] == json.loads(json.dumps(NetworkAnalysis(load("netpol.yaml"))
                                                      .report()))
    assert [w["workload"] for w in data["workloads"]] == [
        "Deployment shop/web", "Deployment shop/api", "StatefulSet db/postgres",
        "CronJob db/backup", "Deployment monitoring/prom"]


def test_network_unreadable_input_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [\n")
    r = CliRunner().invoke(cli, ["network", str(bad), NETPOL])
    assert r.exit_code == 2
    assert str(bad) in r.output  # one error line naming the file (stderr mixed in)
    assert "Traceback" not in r.output


def test_who_can_json_exact():
    r = run("rbac", "who-can", "create", "deployments", "-n", "dev", RBAC, "-o", "json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["request"] == "create deployments.apps in namespace dev"
    rows = [(s["kind"], s["name"], s["namespace"], s["bindings"],
             [(g["binding"], g["subjectIndex"], g["role"], g["rule"], g["ruleText"])
              for g in s["grants"]]) for s in data["subjects"]]
    grant = ("RoleBinding dev/deployers", "Role dev/deployer", 0,
             "verbs=create,update apiGroups=apps resources=deployments")
    assert rows == [
        ("Group", "devs", None, ["RoleBinding dev/deployers"],
         [(grant[0], 1) + grant[1:]]),
        ("ServiceAccount", "ci", "dev", ["RoleBinding dev/deployers"],
         [(grant[0], 2) + grant[1:]]),
        ("User", "alice", None, ["RoleBinding dev/deployers"],
         [(grant[0], 0) + grant[1:]]),
    ]


def test_who_can_text_and_notes():
    r = CliRunner().invoke(cli, ["rbac", "who-can", "get", "pods", "-n", "dev", RBAC])
    assert r.exit_code == 0
    assert r.stdout == (
        "Group system:serviceaccounts\n"
        "  ClusterRoleBinding all-sa-read-pods -> ClusterRole pod-reader rule 0: "
        "verbs=get,list apiGroups=\"\" resources=pods\n"
        "ServiceAccount monitoring/prom\n"
        "  RoleBinding dev/monitor -> ClusterRole monitor rule 0 (aggregated from ClusterRole "
        "pod-reader): verbs=get,list apiGroups=\"\" resources=pods\n")
    assert "RoleBinding dev/ghost references Role dev/ghost, which is not in the input" \
        in r.stderr
    r = run("rbac", "who-can", "delete", "nodes", RBAC)
    assert r.stdout == "no subject of the input may delete nodes cluster-wide\n"


@pytest.mark.parametrize("args,code,first_line", [
    (["serviceaccount:dev:ci", "create", "deployments", "-n", "dev"], 0,
     "yes: ServiceAccount dev/ci may create deployments.apps in namespace dev"),
    (["user:alice", "get", "secrets", "-n", "dev", "--name", "app-config"], 0,
     "yes: User alice may get secrets 'app-config' in namespace dev"),
    (["user:alice", "get", "secrets", "-n", "dev"], 1,
     "no: User alice may not get secrets in namespace dev: no rule of a binding that applies "
     "to it allows it"),
    (["serviceaccount:monitoring:prom", "get", "/healthz/live"], 0,
     "yes: ServiceAccount monitoring/prom may get /healthz/live"),
    (["user:bob", "update", "deployments.apps/scale"], 0,
     "yes: User bob may update deployments.apps/scale cluster-wide"),
    (["user:carol", "get", "pods", "-n", "dev"], 1,
     "no: User carol may not get pods in namespace dev: no rule of a binding that applies to "
     "it allows it"),
])
def test_can(args, code, first_line):
    r = run("rbac", "can", *args[:3], RBAC, *args[3:])
    assert r.exit_code == code
    assert r.stdout.splitlines()[0] == first_line


def test_can_reason_lines():
    r = run("rbac", "can", "user:carol", "get", "pods", RBAC, "-n", "dev")
    assert r.stdout.splitlines()[1:] == [
        "  RoleBinding dev/ghost references Role dev/ghost, which is not in the input: its "
        "rules are unknown"]
    r = run("rbac", "can", "group:devs", "create", "pods/exec", RBAC, "-n", "dev")
    assert r.stdout.splitlines()[1:] == [
        "  RoleBinding dev/deployers -> Role dev/deployer rule 2: verbs=create apiGroups=\"\" "
        "resources=pods/exec"]


def test_can_usage_errors():
    r = CliRunner().invoke(cli, ["rbac", "can", "robot:x", "get", "pods", RBAC])
    assert r.exit_code == 2 and "bad subject kind" in r.output
    r = CliRunner().invoke(cli, ["rbac", "can", "user:a", "get", "pods", "/nonexistent.yaml"])
    assert r.exit_code == 2 and "/nonexistent.yaml" in r.output
    r = CliRunner().invoke(cli, ["rbac", "can", "user:a", "get", "/metrics", "-n", "x", RBAC])
    assert r.exit_code == 2


def test_escalation_json_and_text():
    from test_rbac_authorizer import ESCALATION

    r = run("rbac", "escalation", ESC, "-o", "json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert {s["subject"]: [st["step"] for st in s["chain"]] for s in data["subjects"]} == \
        ESCALATION
    kim = next(s for s in data["subjects"] if s["subject"] == "User kim")
    assert (kim["kind"], kim["name"], kim["namespace"]) == ("User", "kim", None)
    assert [st["to"] for st in kim["chain"]] == ["ServiceAccount a/creator", "cluster-admin"]
    r = run("rbac", "escalation", ESC)
    assert "User kim\n  1. can impersonate ServiceAccount a/creator\n" \
           "       via RoleBinding a/kim -> Role a/sa-impersonator rule 0: verbs=impersonate " \
           "apiGroups=\"\" resources=serviceaccounts resourceNames=creator\n  2. can create pods" \
        in r.stdout
    r = run("rbac", "escalation", RBAC)
    assert [line for line in r.stdout.splitlines() if not line.startswith(" ")] == [
        "Group devs", "ServiceAccount dev/ci", "User alice"]  # create deployments in dev
    r = run("rbac", "escalation", str(ROOT / "examples" / "hardened-app"))
    assert r.stdout == "no subject of the input can escalate to cluster admin\n"


def test_generate_netpol_is_valid_and_passes_network_checks(tmp_path):
    from kubeward.analysis.network import EGRESS, INGRESS, NetworkAnalysis
    from kubeward.engine import ScanOptions, scan
    from kubeward.loading.files import load_paths

    r = run("generate", "netpol", "--namespace", "shop")
    assert r.exit_code == 0
    docs = list(yaml.safe_load_all(r.stdout))
    assert [(d["kind"], d["metadata"]["name"], d["metadata"]["namespace"]) for d in docs] == [
        ("NetworkPolicy", "default-deny", "shop"), ("NetworkPolicy", "allow-dns-egress", "shop")]
    pol = tmp_path / "netpol.yaml"
    pol.write_text(r.stdout)
    app = tmp_path / "app.yaml"
    app.write_text("""apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "web:1.0"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system}
spec:
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      containers: [{name: coredns, image: "coredns:1.11"}]
""")
    report = scan([str(pol), str(app)], ScanOptions(checks=(
        "XNET001", "XNET002", "XNET003", "XNET004", "XNET005")))
    assert not report.errors
    # only coredns (kube-system, no policy) is reported; nothing in shop
    assert sorted((f.check_id, f.object.namespace) for f in report.findings) == [
        ("XNET001", "kube-system"), ("XNET003", "kube-system")]
    a = NetworkAnalysis(load_paths([str(pol), str(app)]).objects)
    web, dns = a.workloads
    assert a.view(web, INGRESS).isolated and a.view(web, EGRESS).isolated
    assert a.allowed(web, dns).to_list() == ["TCP/53", "UDP/53"]
    assert a.allowed(dns, web).is_empty()
    # with PATHs: the header lists the workloads it isolates; -f writes a file
    out = tmp_path / "out.yaml"
    r = run("generate", "netpol", "-n", "shop", "-f", str(out), str(app))
    assert r.exit_code == 0 and r.stdout == ""
    assert out.read_text().startswith("# Workloads of shop these policies isolate:\n"
                                      "#   Deployment shop/web\n")
    r = CliRunner().invoke(cli, ["generate", "netpol", "--namespace", "Bad_Name"])
    assert r.exit_code == 2 and "not a valid namespace name" in r.output


def test_hardened_example_has_no_cross_findings():
    from kubeward.engine import ScanOptions, scan

    report = scan([str(ROOT / "examples" / "hardened-app")], ScanOptions())
    assert not report.errors
    assert [f for f in report.findings if f.check_id.startswith(MINE)] == []
    assert {c for c in report.checks if c.startswith(MINE)} == {
        "XNET001", "XNET004", "XNET006", "XRBAC001", "XRBAC004",
        "REF001", "REF002", "REF003", "REF004", "REF005", "REF006"}


def test_realworld_corpus_runs_clean():
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    from kubeward.engine import ScanOptions, scan

    report = scan([str(CORPUS)], ScanOptions(frameworks=("all",)))
    assert not [e for e in report.errors if e.kind == "internal"]
    got = {(f.check_id, f.object.kind, f.object.namespace, f.object.name)
           for f in report.findings if f.check_id in ("XRBAC001", "XNET006")}
    assert got == {
        ("XRBAC001", "Deployment", "monitoring", "prometheus-operator"),
        ("XNET006", "ReplicationController", None, "es"),
    }


def _subprocess(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "kubeward", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=120, check=False)


def test_cli_subprocess_rbac_can():
    p = _subprocess("rbac", "can", "user:kim", "impersonate", "serviceaccounts", ESC,
                    "-n", "a", "--name", "creator")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("yes: User kim may impersonate serviceaccounts 'creator' in "
                               "namespace a\n")
    p = _subprocess("rbac", "can", "user:kim", "impersonate", "serviceaccounts", ESC, "-n", "a")
    assert p.returncode == 1


def test_cli_subprocess_network_json():
    p = _subprocess("network", "-o", "json", str(ROOT / "examples" / "hardened-app"))
    assert p.returncode == 0, p.stderr
    (w,) = json.loads(p.stdout)["workloads"]
    assert w["workload"] == "Deployment shop/web"
    assert w["ingress"]["otherNamespaces"] == {"level": "some", "ports": ["TCP/8080"]}
    assert w["egress"]["otherNamespaces"] == {"level": "some", "ports": ["TCP/53", "UDP/53"]}
    assert w["exposure"] == [] and w["reachableFrom"] == [] and w["canReach"] == []
