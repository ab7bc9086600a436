"""Namespace labels: from manifests, or from a cluster kept current by a
watch (the fake API server of tests/kwtest/fakeapi.py)."""

from __future__ import annotations


import pytest

from kwtest.wait import wait_for
from kwtest.workloads import PRIVILEGED, review, workload
from kwtest.workloads import namespace as _ns

def test_static_namespaces_from_files(tmp_path):
    from kubeward.admission import AdmissionSetupError
    from kubeward.admission.namespaces import StaticNamespaces

    f = tmp_path / "ns.yaml"
    f.write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n"
                 "    kubeward.io/enforce: baseline\n---\napiVersion: v1\nkind: Namespace\n"
                 "metadata:\n  name: b\n")
    ns = StaticNamespaces.from_files([str(f)])
    assert ns.labels("a") == {"kubeward.io/enforce": "baseline"}
    assert ns.labels("b") == {}
    assert ns.labels("c") is None and ns.ready()
    empty = tmp_path / "none.yaml"
    empty.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    with pytest.raises(AdmissionSetupError) as exc:
        StaticNamespaces.from_files([str(empty)])
    assert str(exc.value) == f"{empty}: no Namespace object found"
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [\n")
    with pytest.raises(AdmissionSetupError) as exc:
        StaticNamespaces.from_files([str(broken)])
    assert str(exc.value).startswith(f"{broken}:")


@pytest.fixture
def fake_cluster(tmp_path):
    pytest.importorskip("kubernetes", reason="the cluster connection needs the kubernetes client")
    from kwtest.fakeapi import FakeKubeAPI, write_kubeconfig

    api = FakeKubeAPI(bookmark_interval=0.1).start()
    try:
        yield api, str(write_kubeconfig(tmp_path / "kubeconfig", api.url))
    finally:
        api.stop()


def test_watched_namespaces_follow_the_cluster(fake_cluster):
    from kubeward.admission.namespaces import WatchedNamespaces
    from kubeward.admission.policy import AdmissionPolicy
    from kubeward.config import Config
    from kubeward.engine import ScanOptions

    api, kubeconfig = fake_cluster
    api.add(_ns("shop", **{"kubeward.io/enforce": "none", "kubeward.io/warn": "none"}))
    api.add(_ns("other"))
    logs = []
    ns = WatchedNamespaces.connect(kubeconfig, watch_timeout=5,
                                   log=lambda ev, **kw: logs.append(ev))
    ns.start()
    try:
        assert ns.wait_ready(5)
        assert ns.labels("shop") == {"kubeward.io/enforce": "none", "kubeward.io/warn": "none"}
        assert ns.labels("other") == {}
        policy = AdmissionPolicy(ScanOptions(config=Config()), namespaces=ns)
        pod = workload("Pod", PRIVILEGED)
        assert policy.validate(review(pod, namespace="shop")).allowed is True
        # the label changes in the cluster: the next review follows
        api.modify(_ns("shop", **{"kubeward.io/enforce": "baseline"}))
        wait_for(lambda: ns.labels("shop") == {"kubeward.io/enforce": "baseline"})
        d = policy.validate(review(pod, namespace="shop"))
        assert d.allowed is False and d.levels["enforce"] == "baseline"
        # a new namespace appears, an old one goes
        api.add(_ns("late", **{"kubeward.io/enforce": "none"}))
        api.delete("v1", "Namespace", "other")
        wait_for(lambda: ns.labels("late") is not None and ns.labels("other") is None)
        # history compacted while watching: a relist, then changes are seen again
        api.compact()
        api.modify(_ns("late", **{"kubeward.io/enforce": "restricted"}))
        wait_for(lambda: ns.labels("late") == {"kubeward.io/enforce": "restricted"})
        assert "cluster-listed" in logs
    finally:
        ns.stop()


def test_watched_namespaces_not_ready_until_listed(fake_cluster):
    from kubeward.admission.namespaces import WatchedNamespaces

    api, kubeconfig = fake_cluster
    api.forbidden.add("namespaces")
    logs = []
    ns = WatchedNamespaces.connect(kubeconfig, backoff=(0.05, 0.1),
                                   log=lambda ev, **kw: logs.append((ev, kw)))
    ns.start()
    try:
        wait_for(lambda: any(ev == "cluster-watch-failed" for ev, _ in logs))
        assert not ns.ready()
        assert logs[0][1]["reason"].startswith("403")
        api.forbidden.discard("namespaces")
        assert ns.wait_ready(5)
    finally:
        ns.stop()


def test_cross_checks_use_the_cluster_context(fake_cluster):
    from kubeward.admission.namespaces import CONTEXT_KINDS, WatchedNamespaces
    from kubeward.admission.policy import AdmissionPolicy
    from kubeward.config import Config
    from kubeward.engine import ScanOptions

    from kwtest.workloads import HARDENED

    api, kubeconfig = fake_cluster
    api.add(_ns("shop"))
    plain = AdmissionPolicy(ScanOptions(config=Config(admission={
        "enforce": "none", "warn": "low", "audit": "none"})))
    assert plain.cross_enabled is False
    assert plain.notes[0].startswith("checks that need other objects are not run in admission")
    dep = workload("Deployment", HARDENED)
    ids = {f.check_id for f in plain.validate(review(dep, namespace="shop")).by_mode["warn"]}
    assert "XNET001" not in ids
    view = WatchedNamespaces.connect(kubeconfig, context_kinds=CONTEXT_KINDS, watch_timeout=5)
    view.start()
    try:
        assert view.wait_ready(10)
        policy = AdmissionPolicy(ScanOptions(config=Config(admission={
            "enforce": "none", "warn": "low", "audit": "none"})), namespaces=view)
        assert policy.cross_enabled is True
        d = policy.validate(review(dep, namespace="shop"))
        found = {(f.check_id, f.field_path) for f in d.by_mode["warn"] if f.check_id.startswith("X")}
        assert found == {("XNET001", "spec.template.metadata.labels")}
        # a default-deny policy appears in the namespace: the findings go
        api.add({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "metadata": {"name": "default-deny", "namespace": "shop"},
                 "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}})
        wait_for(lambda: any(o.kind == "NetworkPolicy" for o in view.context("shop")))
        d = policy.validate(review(dep, namespace="shop"))
        assert not any(f.check_id.startswith("XNET") for f in d.by_mode["warn"])
        # other namespaces do not see it
        assert not any(o.kind == "NetworkPolicy" for o in view.context("other"))
    finally:
        view.stop()


def test_forbidden_context_kind_does_not_block_readiness(fake_cluster):
    from kubeward.admission.namespaces import CONTEXT_KINDS, WatchedNamespaces

    api, kubeconfig = fake_cluster
    api.add(_ns("shop", **{"kubeward.io/enforce": "baseline"}))
    api.forbidden.add("rbac.authorization.k8s.io/clusterroles")
    logs = []
    view = WatchedNamespaces.connect(kubeconfig, context_kinds=CONTEXT_KINDS, backoff=(0.05, 0.1),
                                     log=lambda ev, **kw: logs.append((ev, kw)))
    view.start()
    try:
        assert view.wait_ready(10)
        assert view.labels("shop") == {"kubeward.io/enforce": "baseline"}
        assert any(ev == "cluster-watch-failed" and kw["resource"] == "clusterroles.rbac.authorization.k8s.io"
                   and kw["reason"].startswith("403") for ev, kw in logs)
    finally:
        view.stop()


def test_fetch_reads_a_namespace_the_watch_has_not_shown(fake_cluster):
    from kubeward.admission.namespaces import WatchedNamespaces

    api, kubeconfig = fake_cluster
    logs = []
    view = WatchedNamespaces.connect(kubeconfig, log=lambda ev, **kw: logs.append((ev, kw)))
    # not started: nothing is watched, so only fetch() can know the namespace
    api.add(_ns("fresh", **{"kubeward.io/enforce": "restricted"}))
    assert view.labels("fresh") is None
    assert view.fetch("fresh") == {"kubeward.io/enforce": "restricted"}
    assert view.labels("fresh") == {"kubeward.io/enforce": "restricted"}
    assert view.fetch("missing") is None
    assert logs[-1][0] == "namespace-fetch-failed" and logs[-1][1]["namespace"] == "missing"
    view.client.close()


def test_server_fetches_unknown_namespaces_before_deciding(pki, tmp_path):
    from kwtest.admission import start_server

    class View:
        source = "test"

        def __init__(self):
            self.known: dict = {}
            self.fetched: list = []

        def labels(self, name):
            return self.known.get(name)

        def ready(self):
            return True

        def fetch(self, name):
            self.fetched.append(name)
            if name == "fresh":
                self.known[name] = {"kubeward.io/enforce": "none", "kubeward.io/warn": "none"}
            return self.known.get(name)

    r = start_server(pki, tmp_path, namespaces=None)
    try:
        view = View()
        r.policy.set_namespaces(view)
        pod = workload("Pod", PRIVILEGED)
        resp = r.client.review("/validate", review(pod, namespace="fresh"))
        assert resp["allowed"] is True and "warnings" not in resp
        r.client.review("/validate", review(pod, namespace="fresh"))
        assert view.fetched == ["fresh"]  # once: then it is known
        assert r.client.review("/validate", review(pod, namespace="gone"))["allowed"] is False
        assert view.fetched == ["fresh", "gone"]
    finally:
        r.client.close()
        r.thread.stop()


def test_context_versions_are_per_namespace(fake_cluster):
    """A change in one namespace leaves the other namespaces' context (and
    so the webhook's shared analyses of it) as it was; a cluster-scoped
    change reaches every namespace; a status-only update changes nothing."""
    from kubeward.admission.namespaces import CONTEXT_KINDS, WatchedNamespaces

    api, kubeconfig = fake_cluster
    for name in ("shop", "other"):
        api.add(_ns(name))
        api.add({"apiVersion": "v1", "kind": "Service",
                 "metadata": {"name": "web", "namespace": name},
                 "spec": {"type": "LoadBalancer", "selector": {"app": "web"},
                          "ports": [{"port": 80}]}})
    api.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
             "metadata": {"name": "reader"}, "rules": []})
    view = WatchedNamespaces.connect(kubeconfig, context_kinds=CONTEXT_KINDS, watch_timeout=5)
    view.start()
    try:
        assert view.wait_ready(10)
        shop, other = view.scope_version("shop"), view.scope_version("other")
        shop_ctx = view.context("shop")
        assert sorted((o.kind, o.namespace or "", o.name) for o in shop_ctx) == [
            ("ClusterRole", "", "reader"), ("Namespace", "", "other"), ("Namespace", "", "shop"),
            ("Service", "shop", "web")]

        def applied(n):
            return lambda: view.events >= n

        # a status-only update (a LoadBalancer gets its address): nothing changes
        svc = api.objects("services")[0]
        assert svc["metadata"]["namespace"] == "shop"
        svc = dict(svc, status={"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}})
        events = view.events
        api.modify(svc)
        wait_for(applied(events + 1))
        assert view.scope_version("shop") == shop and view.context("shop") == shop_ctx
        # a NetworkPolicy in "other": "shop" keeps its version and its context objects
        events = view.events
        api.add({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "metadata": {"name": "deny", "namespace": "other"},
                 "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}})
        wait_for(applied(events + 1))
        assert view.scope_version("other") != other
        assert view.scope_version("shop") == shop
        assert all(a is b for a, b in zip(view.context("shop"), shop_ctx))
        assert [o.name for o in view.context("other") if o.kind == "NetworkPolicy"] == ["deny"]
        # a cluster-scoped change reaches both
        other = view.scope_version("other")
        events = view.events
        api.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                 "metadata": {"name": "writer"}, "rules": []})
        wait_for(applied(events + 1))
        assert view.scope_version("shop") != shop and view.scope_version("other") != other
        assert [o.name for o in view.context("shop") if o.kind == "ClusterRole"] == [
            "reader", "writer"]
        # a deletion in "shop" takes its Service out of its context only
        shop, other = view.scope_version("shop"), view.scope_version("other")
        events = view.events
        api.delete("v1", "Service", "web", "shop")
        wait_for(applied(events + 1))
        assert view.scope_version("shop") != shop and view.scope_version("other") == other
        assert not [o for o in view.context("shop") if o.kind == "Service"]
        assert [o.name for o in view.context("other") if o.kind == "Service"] == ["web"]
    finally:
        view.stop()
