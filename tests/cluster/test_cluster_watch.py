"""``kubeward audit --watch`` against the fake API server: watch streams,
bookmarks, 410 relists, reconnects, metrics, PolicyReports. Every wait is
bounded."""

import threading
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubeward.cli.main import cli
from kubeward.cluster.audit import audit_once
from kubeward.cluster.metrics import serve
from kubeward.cluster.reports import ReportWriter
from kubeward.cluster.watch import Auditor
from kubeward.engine import ScanOptions

PRIV_POD = {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "late", "namespace": "shop"},
            "spec": {"containers": [{"name": "c", "image": "x:1",
                                     "securityContext": {"privileged": True}}]}}

DATA = Path(__file__).resolve().parent / "data"


def wait_for(pred, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def findings(a, check=None):
    return {(f.check_id, f.object.kind, f.object.namespace, f.object.name)
            for f in a.report.findings if check is None or f.check_id == check}


@pytest.fixture
def auditor_factory(fake_api, client):
    made = []

    def make(options=None, **kw):
        options = options or ScanOptions()
        _report, snap = audit_once(client, options)
        logs = []
        kw.setdefault("debounce", 0.05)
        kw.setdefault("backoff", (0.05, 0.2))
        a = Auditor(client, snap, options, log=logs.append, **kw)
        a.logs = logs
        made.append(a)
        a.start()
        wait_for(lambda: fake_api.open_watches >= len(a.resources), what="watches to open")
        return a

    yield make
    for a in made:
        a.stop()


def test_added_modified_deleted_objects_are_re_evaluated(fake_api, auditor_factory):
    fake_api.load_yaml(DATA)
    a = auditor_factory()
    assert ("PSS002", "Deployment", "shop", "web") in findings(a)
    assert ("PSS002", "Pod", "shop", "late") not in findings(a)

    fake_api.add(PRIV_POD)
    wait_for(lambda: ("PSS002", "Pod", "shop", "late") in findings(a), what="ADDED")

    fixed = {**PRIV_POD, "spec": {"containers": [{"name": "c", "image": "x:1",
                                                  "securityContext": {"privileged": False}}]}}
    fake_api.modify(fixed)
    wait_for(lambda: ("PSS002", "Pod", "shop", "late") not in findings(a), what="MODIFIED")
    assert ("PSS015", "Pod", "shop", "late") in findings(a)  # still checked, other findings

    fake_api.delete("apps/v1", "Deployment", "web", "shop")
    wait_for(lambda: not any(k[1:] == ("Deployment", "shop", "web") for k in findings(a)),
             what="DELETED")
    assert a.stats.events["ADDED"] >= 1 and a.stats.events["MODIFIED"] >= 1
    assert a.stats.events["DELETED"] >= 1
    assert a.stats.relists == 0 and a.stats.reconnects == 0


def test_status_only_changes_do_not_re_evaluate(fake_api, auditor_factory):
    fake_api.load_yaml(DATA)
    fake_api.add(PRIV_POD)
    a = auditor_factory()
    before = a.stats.evaluations
    for phase in ("Pending", "Running"):
        fake_api.modify({**PRIV_POD, "status": {"phase": phase}})
    wait_for(lambda: a.stats.events["MODIFIED"] == 2, what="MODIFIED events")
    time.sleep(0.3)  # several debounce periods
    assert a.stats.evaluations == before
    fake_api.modify({**PRIV_POD, "metadata": {**PRIV_POD["metadata"],
                                              "labels": {"tier": "debug"}}})
    assert a.wait_evaluated(before, timeout=10)


def test_owned_pods_added_while_watching_stay_collapsed(fake_api, auditor_factory):
    fake_api.load_yaml(DATA)
    a = auditor_factory(ScanOptions(checks=("PSS002",)))
    dep = fake_api.objects("deployments", "apps")[0]
    rs = fake_api.add({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {
        "name": "web-1", "namespace": "shop", "ownerReferences": [{
            "apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
            "uid": dep["metadata"]["uid"], "controller": True}]},
        "spec": dep["spec"]})
    fake_api.add({**PRIV_POD, "metadata": {"name": "web-1-x", "namespace": "shop",
                                           "ownerReferences": [{
                                               "apiVersion": "apps/v1", "kind": "ReplicaSet",
                                               "name": "web-1", "uid": rs["metadata"]["uid"],
                                               "controller": True}]}})
    fake_api.add(PRIV_POD)
    expected = {("PSS002", "Deployment", "shop", "web"), ("PSS002", "Pod", "shop", "late")}
    wait_for(lambda: findings(a) == expected, what=f"exactly {expected}")
    time.sleep(0.3)  # and it stays so
    assert findings(a) == expected


def test_410_gone_relists_and_finds_what_changed_meanwhile(fake_api, auditor_factory):
    fake_api.load_yaml(DATA)
    a = auditor_factory()
    assert any(k[1:] == ("StatefulSet", "shop", "db") for k in findings(a))
    # changes the watch never sees as events, then history is compacted away
    fake_api.delete("apps/v1", "StatefulSet", "db", "shop", silent=True)
    fake_api.compact()
    wait_for(lambda: not any(k[1:] == ("StatefulSet", "shop", "db") for k in findings(a)),
             what="relist after 410")
    assert a.stats.relists >= 1
    assert any("expired (410 Gone); listing again" in m for m in a.logs)
    # and the fresh watch works
    fake_api.add(PRIV_POD)
    wait_for(lambda: ("PSS002", "Pod", "shop", "late") in findings(a), what="ADDED after relist")


def test_bookmarks_move_the_resource_version(fake_api, auditor_factory):
    fake_api.load_yaml(DATA)
    a = auditor_factory(watch_timeout=1)
    start_rv = int(fake_api.requests_for("/api/v1/pods")[0]["query"].get("resourceVersion") or 0) \
        if fake_api.requests_for("/api/v1/pods", watch=None) else 0
    # a change elsewhere moves the global resourceVersion; only BOOKMARKs tell
    # the Pod watch about it
    fake_api.add({"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": "unrelated", "namespace": "shop"}})
    target = fake_api.rv
    wait_for(lambda: a.stats.events["BOOKMARK"] > 0, what="a BOOKMARK")

    def rewatched():
        return [int(r["query"]["resourceVersion"]) for r in
                fake_api.requests_for("/api/v1/pods", watch="true")
                if r["query"].get("resourceVersion")]
    wait_for(lambda: any(v >= target for v in rewatched()), timeout=5,
             what="a re-watch from the bookmark's resourceVersion")
    assert target > start_rv
    watches = fake_api.requests_for("/api/v1/pods", watch="true")
    assert all(r["query"].get("allowWatchBookmarks") == "true" for r in watches)
    assert all(r["query"].get("timeoutSeconds") == "1" for r in watches)
    assert a.stats.relists == 0


def test_failed_watches_reconnect_with_backoff(fake_api, auditor_factory):
    fake_api.load_yaml(DATA)
    fake_api.fail_watches = 4
    a = auditor_factory()
    wait_for(lambda: a.stats.reconnects >= 4, what="reconnects")
    assert any("500 InternalError" in m and "reconnecting in" in m for m in a.logs), a.logs
    fake_api.add(PRIV_POD)
    wait_for(lambda: ("PSS002", "Pod", "shop", "late") in findings(a), what="ADDED")


def test_metrics_endpoint(fake_api, auditor_factory):
    fake_api.load_yaml(DATA)
    a = auditor_factory()
    server, port = serve(a, "127.0.0.1", 0)
    try:
        def scrape():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                assert r.status == 200
                return r.read().decode()
        text = scrape()
        assert 'kubeward_findings{check="PSS002",namespace="shop",severity="critical"} 1.0' in text
        assert 'kubeward_findings{check="PSS001",namespace="ops",severity="high"} 1.0' in text
        assert 'kubeward_objects{kind="Deployment"} 1.0' in text
        assert "kubeward_watch_relists_total 0.0" in text
        assert "# TYPE kubeward_findings gauge" in text
        fake_api.add(PRIV_POD)
        wait_for(lambda: ("PSS002", "Pod", "shop", "late") in findings(a))
        text = scrape()
        assert 'kubeward_findings{check="PSS002",namespace="shop",severity="critical"} 2.0' in text
        assert 'kubeward_watch_events_total{type="ADDED"} 1.0' in text
    finally:
        server.shutdown()
        server.server_close()


def test_policy_reports_are_created_and_updated(fake_api, client, auditor_factory):
    fake_api.load_yaml(DATA)
    a = auditor_factory(ScanOptions(checks=("PSS002", "PSS001")))
    logs = []
    w = ReportWriter(client, logs.append)
    assert w.write(a.report, a.state.uid_lookup()) == 2
    reports = {o["metadata"]["namespace"]: o for o in
               fake_api.objects("policyreports", "wgpolicyk8s.io")}
    assert set(reports) == {"shop", "ops"}
    shop = reports["shop"]
    assert shop["metadata"]["name"] == "kubeward"
    assert shop["summary"] == {"pass": 0, "fail": 2, "warn": 0, "error": 0, "skip": 0}
    r = next(r for r in shop["results"] if r["policy"] == "PSS002")
    dep_uid = fake_api.objects("deployments", "apps")[0]["metadata"]["uid"]
    assert r["resources"] == [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                               "namespace": "shop", "uid": dep_uid}]
    assert (r["result"], r["severity"], r["source"], r["scored"]) == ("fail", "critical",
                                                                       "kubeward", True)
    assert r["properties"]["fieldPath"] == \
        "spec.template.spec.containers[0].securityContext.privileged"
    assert w.write(a.report, a.state.uid_lookup()) == 0  # unchanged: nothing written
    fake_api.delete("apps/v1", "Deployment", "web", "shop")
    wait_for(lambda: not any(k[1:] == ("Deployment", "shop", "web") for k in findings(a)))
    assert w.write(a.report, a.state.uid_lookup()) == 1
    shop = next(o for o in fake_api.objects("policyreports", "wgpolicyk8s.io")
                if o["metadata"]["namespace"] == "shop")
    assert shop["summary"]["fail"] == 0 and shop["results"] == []
    puts = [r for r in fake_api.requests if r["method"] == "PUT"]
    assert [r["path"] for r in puts] == [
        "/apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports/kubeward"]
    assert logs == []


def test_cluster_scoped_findings_go_to_a_cluster_policy_report(fake_api, client):
    from kubeward.cluster.reports import build

    fake_api.load_yaml(DATA)
    report, snap = audit_once(client, ScanOptions(checks=("PSA001",)))
    objs = build(report, snap.state.uid_lookup())
    assert set(objs) == {("ClusterPolicyReport", None)}
    cpr = objs[("ClusterPolicyReport", None)]
    assert cpr["metadata"]["name"] == "kubeward-cluster" and "namespace" not in cpr["metadata"]
    assert [r["resources"][0]["name"] for r in cpr["results"]] == ["shop"]


def test_cli_watch_prints_report_then_changes(fake_api, kubeconfig, tmp_path):
    import json

    fake_api.load_yaml(DATA)
    json_file = tmp_path / "current.json"

    def later():
        wait_for(lambda: fake_api.open_watches >= 5, what="CLI watches")
        fake_api.add(PRIV_POD)

    t = threading.Thread(target=later, daemon=True)
    t.start()
    r = CliRunner().invoke(cli, ["audit", "--kubeconfig", kubeconfig, "--watch",
                                 "--metrics-port", "0", "--check", "PSS002",
                                 "-o", "text", "-o", f"json={json_file}",
                                 "--duration", "2.5"], catch_exceptions=False)
    t.join(5)
    assert r.exit_code == 0, r.output
    out = r.stdout.splitlines()
    assert any(l.startswith("cluster://shop/Deployment/web") for l in out)
    assert ("new: PSS002 critical Pod shop/late spec.containers[0].securityContext.privileged: "
            "container \"c\" is privileged (securityContext.privileged: true)") in out
    assert "kubeward: watching" in r.stderr and "/metrics" in r.stderr
    # -o FORMAT=FILE always holds the current findings
    files = [f["file"] for f in json.loads(json_file.read_text())["findings"]]
    assert files == ["cluster://shop/Deployment/web", "cluster://shop/Pod/late"]


def test_policy_reports_need_watch(kubeconfig):
    r = CliRunner().invoke(cli, ["audit", "--kubeconfig", kubeconfig, "--policy-reports"])
    assert r.exit_code == 2
    assert r.stderr.strip() == "kubeward: error: --policy-reports needs --watch"


def test_suppressed_findings_are_skip_results_and_big_reports_are_cut(fake_api, client,
                                                                     monkeypatch):
    from kubeward.cluster import reports

    fake_api.load_yaml(DATA)
    report, snap = audit_once(client, ScanOptions())
    ops = reports.build(report, snap.state.uid_lookup())[("PolicyReport", "ops")]
    skips = [r for r in ops["results"] if r["result"] == "skip"]
    assert [(r["policy"], r["resources"][0]["name"]) for r in skips] == [("PSS017", "debug")]
    assert skips[0]["properties"]["reason"] == "debugging pod, removed daily"
    assert skips[0]["properties"]["suppressedBy"] == "annotation"
    assert ops["summary"]["skip"] == 1
    assert ops["summary"]["fail"] == len(ops["results"]) - 1
    assert ops["results"][-1]["result"] == "skip"  # fails first, most severe first
    sev = [r["severity"] for r in ops["results"][:-1]]
    order = ["critical", "high", "medium", "low", "info"]
    assert sev == sorted(sev, key=order.index)

    monkeypatch.setattr(reports, "MAX_RESULTS", 2)
    cut = reports.build(report, snap.state.uid_lookup())[("PolicyReport", "ops")]
    assert len(cut["results"]) == 2 and cut["summary"]["fail"] == 2
    assert cut["metadata"]["annotations"] == {
        "kubeward.io/truncated": f"{len(ops['results']) - 2} more results not listed"}


def test_watch_daemon_serves_metrics_and_stops_on_sigterm(fake_api, kubeconfig):
    """The real entry point as a process: it announces its metrics port,
    serves it, and exits 0 on SIGTERM."""
    import os
    import re
    import signal
    import subprocess
    import sys
    from pathlib import Path

    fake_api.load_yaml(DATA)
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "kubeward", "audit", "--kubeconfig", kubeconfig, "--watch",
         "--metrics-port", "0", "--check", "PSS002", "-o", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(root)})
    lines = []
    try:
        reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")),
                                  daemon=True)
        reader.start()
        wait_for(lambda: any("metrics on" in l for l in lines), timeout=20,
                 what="the metrics address")
        port = int(re.search(r"127\.0\.0\.1:(\d+)/metrics", "".join(lines)).group(1))
        want = 'kubeward_findings{check="PSS002",namespace="shop",severity="critical"} 1.0'

        def scraped() -> bool:  # the port opens before the first audit pass ends
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                return want in r.read().decode()

        wait_for(scraped, timeout=30, what="the first audit's findings in /metrics")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
        out = proc.stdout.read()  # small: one JSON report
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(5)
    assert proc.returncode == 0, "".join(lines)
    assert '"file": "cluster://shop/Deployment/web"' in out
    assert any("stopped after" in l for l in lines)
