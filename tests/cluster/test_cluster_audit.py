"""One-off ``kubeward audit`` against the fake API server, through the real
``kubernetes`` client and a kubeconfig."""

import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from kwtest.fakeapi import write_kubeconfig
from kubeward.cli.main import cli
from kubeward.cluster.audit import audit_once
from kubeward.cluster.convert import render
from kubeward.engine import ScanOptions, scan, scan_objects

DATA = Path(__file__).resolve().parent / "data"


def _keys(findings, scope=None):
    out = set()
    for f in findings:
        ns = f.object.namespace
        if scope is not None:
            ns = scope(f.object.kind, ns)
        out.add((f.check_id, f.object.kind, ns, f.object.name, f.field_path, f.severity.label))
    return out


def _run(args, **kw):
    return CliRunner().invoke(cli, args, catch_exceptions=False, **kw)


def test_audit_equals_scan_of_the_same_files(fake_api, client):
    fake_api.load_yaml(DATA)
    files = scan([str(DATA)], ScanOptions(complete=True))
    report, snap = audit_once(client, ScanOptions())
    assert snap.warnings == []
    assert files.findings and files.suppressed  # the fixture exercises both
    assert _keys(report.findings) == _keys(files.findings)
    assert _keys(report.suppressed) == _keys(files.suppressed)
    assert {o.kind for o in report.scanned} >= {"Deployment", "StatefulSet", "CronJob", "Pod",
                                                "ClusterRole", "ClusterRoleBinding", "Namespace"}
    f = next(f for f in report.findings if f.check_id == "PSS002")
    assert f.file == "cluster://shop/Deployment/web"
    assert f.field_path == "spec.template.spec.containers[0].securityContext.privileged"


def test_audit_equals_scan_on_the_realworld_corpus(fake_api, client, corpus):
    """Every object of the shared real-world corpus the audit reads gives the
    same findings live as from its file."""
    from kubeward.cluster.audit import needed_kinds
    from kubeward.loading.files import load_paths

    from kwtest.fakeapi import BUILTIN

    loaded = load_paths([str(corpus / "realworld-a")])
    audited = {k for _g, k in needed_kinds()}
    served = {(r.api_version, r.kind): r for r in BUILTIN}  # not e.g. extensions/v1beta1
    seen, objects = set(), []
    for o in loaded.objects:
        key = (o.api_version, o.kind, o.namespace, o.name)
        res = served.get((o.api_version, o.kind))
        # a namespaced object without a namespace is a different object live
        # (it is in "default" there), so only objects that say where they go
        if (o.kind in audited and res is not None and o.name and key not in seen
                and (o.namespace or not res.namespaced)):
            seen.add(key)
            objects.append(o)
    assert len(objects) > 50
    fake_api.load_objects([o.raw for o in objects])

    def scope(kind, ns):
        res = next((r for r in fake_api.resources.values() if r.kind == kind), None)
        return (ns or "default") if res is not None and res.namespaced else None

    # keys are unique per (kind, namespace, name) once namespaces are defaulted
    by_key = {}
    for o in objects:
        by_key[(o.kind, scope(o.kind, o.namespace), o.name)] = o
    files = scan_objects(list(by_key.values()), ScanOptions(complete=True))
    report, snap = audit_once(client, ScanOptions())
    assert snap.warnings == []
    assert len(report.findings) > 20
    assert _keys(report.findings, scope) == _keys(files.findings, scope)


def test_pagination_uses_limit_and_continue(fake_api, client):
    for i in range(7):
        fake_api.add({"apiVersion": "v1", "kind": "Pod",
                      "metadata": {"name": f"p{i}", "namespace": "ns"},
                      "spec": {"containers": [{"name": "c", "image": "x:1",
                                               "securityContext": {"privileged": True}}]}})
    report, _ = audit_once(client, ScanOptions(checks=("PSS002",)), page_size=3)
    assert sorted(f.object.name for f in report.findings) == [f"p{i}" for i in range(7)]
    pods = fake_api.requests_for("/api/v1/pods")
    assert [r["query"].get("limit") for r in pods] == ["3", "3", "3"]
    assert [bool(r["query"].get("continue")) for r in pods] == [False, True, True]


def test_expired_continue_token_restarts_the_list(fake_api, client):
    from kubeward.cluster.client import Resource

    for i in range(5):
        fake_api.add({"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": f"c{i}", "namespace": "ns"}})
    res = Resource("", "v1", "ConfigMap", "configmaps", True)
    pages = client.list_pages(res, page_size=2)
    first, _ = next(pages)
    fake_api.compact()  # the token of the first page is now too old
    rest = [i["metadata"]["name"] for items, _ in pages for i in items]
    assert [i["metadata"]["name"] for i in first] == ["c0", "c1"]
    assert rest == ["c0", "c1", "c2", "c3", "c4"]  # listed again from the start
    assert first[0]["kind"] == "ConfigMap" and first[0]["apiVersion"] == "v1"


def test_owned_pods_are_reported_once_on_their_deployment(fake_api, client):
    pod_spec = {"containers": [{"name": "app", "image": "app:1",
                                "securityContext": {"privileged": True}}]}
    dep = fake_api.add({"apiVersion": "apps/v1", "kind": "Deployment",
                        "metadata": {"name": "app", "namespace": "prod"},
                        "spec": {"selector": {"matchLabels": {"a": "b"}},
                                 "template": {"metadata": {"labels": {"a": "b"}},
                                              "spec": pod_spec}}})

    def owner(o, kind):
        return [{"apiVersion": o["apiVersion"], "kind": kind, "name": o["metadata"]["name"],
                 "uid": o["metadata"]["uid"], "controller": True}]

    rs = fake_api.add({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                       "metadata": {"name": "app-5d8f", "namespace": "prod",
                                    "ownerReferences": owner(dep, "Deployment")},
                       "spec": {"selector": {"matchLabels": {"a": "b"}},
                                "template": {"metadata": {"labels": {"a": "b"}},
                                             "spec": pod_spec}}})
    for i in range(3):
        fake_api.add({"apiVersion": "v1", "kind": "Pod",
                      "metadata": {"name": f"app-5d8f-{i}", "namespace": "prod",
                                   "ownerReferences": owner(rs, "ReplicaSet")},
                      "spec": pod_spec, "status": {"phase": "Running"}})
    # a mirror pod owned by a Node (not audited) and a bare pod: both reported
    fake_api.add({"apiVersion": "v1", "kind": "Pod",
                  "metadata": {"name": "etcd-node1", "namespace": "prod",
                               "ownerReferences": [{"apiVersion": "v1", "kind": "Node",
                                                    "name": "node1", "uid": "n-1",
                                                    "controller": True}]},
                  "spec": pod_spec})
    fake_api.add({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare", "namespace": "prod"},
                  "spec": pod_spec})
    report, _ = audit_once(client, ScanOptions(checks=("PSS002",)))
    assert sorted((f.object.kind, f.object.name) for f in report.findings) == [
        ("Deployment", "app"), ("Pod", "bare"), ("Pod", "etcd-node1")]


def test_live_objects_are_cleaned_and_lines_point_into_their_rendering(fake_api, client):
    fake_api.add({"apiVersion": "v1", "kind": "Pod", "metadata": {
        "name": "p", "namespace": "default",
        "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "team": "a"},
        "managedFields": [{"manager": "kubectl", "operation": "Update"}]},
        "spec": {"containers": [{"name": "c", "image": "x:1",
                                 "securityContext": {"privileged": True}}]},
        "status": {"phase": "Running"}})
    report, _ = audit_once(client, ScanOptions(checks=("PSS002",)))
    (obj,) = [o for o in report.scanned if o.kind == "Pod"]
    assert "status" not in obj.raw
    assert obj.raw["metadata"] == {"name": "p", "namespace": "default",
                                   "annotations": {"team": "a"}}
    (f,) = report.findings
    text = render(obj.raw).splitlines()
    assert text[f.line - 1].strip() == "privileged: true"
    assert text[f.line - 1].index("privileged") == f.column - 1


def test_namespace_option_reads_one_namespace(fake_api, client):
    fake_api.load_yaml(DATA)
    report, _ = audit_once(client, ScanOptions(), namespace="shop")
    assert report.findings
    assert {f.object.namespace for f in report.findings} == {"shop"} or \
        {f.object.namespace for f in report.findings} == {"shop", None}
    assert all(f.object.namespace == "shop" or (f.object.kind, f.object.name) == ("Namespace", "shop")
               for f in report.findings)
    assert fake_api.requests_for("/api/v1/namespaces/shop/pods")
    assert not fake_api.requests_for("/api/v1/pods")
    assert fake_api.requests_for("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings")


def test_cli_audit_json_and_exit_code(fake_api, kubeconfig):
    fake_api.load_yaml(DATA)
    r = _run(["audit", "--kubeconfig", kubeconfig, "-o", "json", "--fail-on", "critical"])
    assert r.exit_code == 1, r.output
    data = json.loads(r.stdout)
    files = {f["file"] for f in data["findings"]}
    assert "cluster://shop/Deployment/web" in files
    assert "cluster://ops/CronJob/backup" in files
    r = _run(["audit", "--kubeconfig", kubeconfig, "--check", "PSS002", "-n", "ops"])
    assert r.exit_code == 0, r.output


def test_forbidden_kinds_warn_and_the_audit_goes_on(fake_api, kubeconfig):
    fake_api.load_yaml(DATA)
    fake_api.forbidden.update({"pods", "rbac.authorization.k8s.io/clusterroles"})
    r = _run(["audit", "--kubeconfig", kubeconfig, "-o", "json"])
    assert r.exit_code == 2  # what was not read is an error in the report (no silent gap)
    errors = [e["message"] for e in json.loads(r.stdout)["errors"]]
    assert sorted(m.split(" not read:")[0] for m in errors) == [
        "clusterroles.rbac.authorization.k8s.io", "pods"]
    warnings = [l for l in r.stderr.splitlines() if l.startswith("kubeward: warning:")]
    assert len(warnings) == 2
    assert "cannot list pods (403 Forbidden)" in warnings[1] or \
        "cannot list pods (403 Forbidden)" in warnings[0]
    assert any("clusterroles.rbac.authorization.k8s.io (403 Forbidden)" in w for w in warnings)
    kinds = {f["object"]["kind"] for f in json.loads(r.stdout)["findings"]}
    assert "Deployment" in kinds and "Pod" not in kinds


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_unreachable_cluster_is_one_error_and_exit_2(tmp_path):
    port = _closed_port()
    kc = write_kubeconfig(tmp_path / "kc", f"http://127.0.0.1:{port}")
    r = _run(["audit", "--kubeconfig", str(kc)])
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.splitlines() == [
        f"kubeward: error: cannot reach the cluster at http://127.0.0.1:{port}: connection refused"]


@pytest.mark.parametrize("case", ["missing-file", "bad-context", "bad-token", "not-yaml"])
def test_misconfigured_cluster_is_one_error_and_exit_2(fake_api, tmp_path, case):
    kc = tmp_path / "kc"
    args = ["audit", "--kubeconfig", str(kc)]
    if case == "missing-file":
        expect = f"kubeward: error: {kc}: kubeconfig file not found"
    elif case == "bad-context":
        write_kubeconfig(kc, fake_api.url)
        args += ["--context", "nope"]
        expect = f"kubeward: error: cannot use {kc}: Invalid kube-config file."
    elif case == "bad-token":
        write_kubeconfig(kc, fake_api.url, token="wrong")
        expect = (f"kubeward: error: the cluster at {fake_api.url} refused the credentials of "
                  f"kubeconfig {kc}: 401 Unauthorized")
    else:
        kc.write_text("- just\n- a list\n")
        expect = f"kubeward: error: {kc}: not a valid kubeconfig"
    r = _run(args)
    assert r.exit_code == 2
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(expect), lines
    if case == "bad-context":
        assert "nope" in lines[0]


def test_context_option_selects_the_cluster(fake_api, tmp_path):
    fake_api.load_yaml(DATA)
    kc = write_kubeconfig(tmp_path / "kc", f"http://127.0.0.1:{_closed_port()}",
                          extra_contexts={"fake-live": fake_api.url})
    r = _run(["audit", "--kubeconfig", str(kc), "--context", "fake-live", "--check", "PSS002",
              "-o", "json"])
    assert r.exit_code == 1, r.stderr
    assert [f["file"] for f in json.loads(r.stdout)["findings"]] == ["cluster://shop/Deployment/web"]


def test_namespace_and_all_namespaces_exclude_each_other(kubeconfig):
    r = _run(["audit", "--kubeconfig", kubeconfig, "-n", "a", "-A"])
    assert r.exit_code == 2
    assert r.stderr.strip() == "kubeward: error: --namespace and --all-namespaces exclude each other"


def test_custom_workloads_are_read_and_own_their_replicasets(fake_api, client):
    from kwtest.fakeapi import Resource

    fake_api.resources[("argoproj.io", "rollouts")] = Resource(
        "argoproj.io", "v1alpha1", "Rollout", "rollouts", True)
    pod_spec = {"containers": [{"name": "app", "image": "app:1",
                                "securityContext": {"privileged": True}}]}
    ro = fake_api.add({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                       "metadata": {"name": "canary", "namespace": "prod"},
                       "spec": {"strategy": {"canary": {}},
                                "template": {"metadata": {"labels": {"a": "b"}},
                                             "spec": pod_spec}}})
    rs = fake_api.add({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                       "metadata": {"name": "canary-1", "namespace": "prod",
                                    "ownerReferences": [{
                                        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                                        "name": "canary", "uid": ro["metadata"]["uid"],
                                        "controller": True}]},
                       "spec": {"template": {"spec": pod_spec}}})
    fake_api.add({"apiVersion": "v1", "kind": "Pod",
                  "metadata": {"name": "canary-1-a", "namespace": "prod",
                               "ownerReferences": [{
                                   "apiVersion": "apps/v1", "kind": "ReplicaSet",
                                   "name": "canary-1", "uid": rs["metadata"]["uid"],
                                   "controller": True}]},
                  "spec": pod_spec})
    report, _ = audit_once(client, ScanOptions(checks=("PSS002",)))
    assert [(f.object.kind, f.file, f.field_path) for f in report.findings] == [
        ("Rollout", "cluster://prod/Rollout/canary",
         "spec.template.spec.containers[0].securityContext.privileged")]
    assert fake_api.requests_for("/apis/argoproj.io/v1alpha1/rollouts", limit="500")
