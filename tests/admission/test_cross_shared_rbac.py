"""Admission reviews with cross checks share one escalation graph and one
network analysis per namespace and cluster-view version: the decisions are
those of a fresh analysis per review."""

from __future__ import annotations

import json
import threading

from kubeward.admission.policy import AdmissionPolicy
from kubeward.loading.yamldoc import parse_documents
from kubeward.model import K8sObject, Source

VIEW = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: sa-reader}
rules: [{apiGroups: [""], resources: [serviceaccounts], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: sa-reader}
roleRef: {kind: ClusterRole, name: sa-reader}
subjects: [{kind: Group, name: system:serviceaccounts}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: creator, namespace: shop}
rules: [{apiGroups: [""], resources: [pods], verbs: [create]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: creator, namespace: shop}
roleRef: {kind: Role, name: creator}
subjects: [{kind: ServiceAccount, name: web, namespace: shop}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: tokens, namespace: shop}
rules: [{apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: tokens, namespace: shop}
roleRef: {kind: Role, name: tokens}
subjects: [{kind: ServiceAccount, name: api, namespace: shop}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: api, namespace: shop}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-ingress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress: [{from: [{namespaceSelector: {}}], ports: [{port: 8080}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-egress, namespace: shop}
spec:
  podSelector: {matchExpressions: [{key: app, operator: In, values: [api]}]}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}]}]
"""


class View:
    has_context = True
    source = "test"
    version = 1

    def __init__(self, objects):
        self.objects = objects
        self.synced = threading.Event()
        self.synced.set()

    def labels(self, name):
        return {}

    def ready(self):
        return self.synced.is_set()

    def wait_ready(self, timeout):
        return self.synced.wait(timeout)

    def context(self, namespace):
        return [o for o in self.objects if o.namespace in (None, namespace)]

    def context_namespaces(self):
        return sorted({o.namespace for o in self.objects if o.namespace})

    def scope_version(self, namespace):
        return self.version


def _review(i, name, sa, ns="shop"):
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": f"u{i}", "operation": "CREATE", "namespace": ns, "name": name,
                        "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
                        "userInfo": {"username": "alice"},
                        "object": {"apiVersion": "apps/v1", "kind": "Deployment",
                                   "metadata": {"name": name, "namespace": ns},
                                   "spec": {"selector": {"matchLabels": {"app": name}},
                                            "template": {
                                                "metadata": {"labels": {"app": name}},
                                                "spec": {"serviceAccountName": sa,
                                                         "containers": [{"name": "c",
                                                                         "image": "x:1"}]}}}}}}


def _view():
    return View([K8sObject(d.data, Source("view.yaml", d.index, d.line, d.positions))
                 for d in parse_documents(VIEW)])


def _decisions(monkeypatch, share: bool, warm: bool = False):
    policy = AdmissionPolicy()
    policy.set_namespaces(_view())
    if warm:
        assert policy.warm() == 1  # "shop", the one namespace with context objects
        assert policy.warm() == 0  # nothing changed since
    calls = []
    if not share:
        monkeypatch.setattr(policy, "_shared_with", lambda *args: (None, None))
    else:
        real = policy._shared_with
        monkeypatch.setattr(policy, "_shared_with", lambda *args: calls.append(1) or real(*args))
    reviews = [_review(0, "web", "web"), _review(1, "api", "api"), _review(2, "web2", "web"),
               _review(3, "other", "nobody"), _review(4, "api", "api"),
               _review(5, "elsewhere", "web", ns="new-ns")]
    out = [json.dumps(policy.validate(r).review(), sort_keys=True) for r in reviews]
    return out, calls, policy


def test_shared_escalation_graph_gives_the_same_decisions(monkeypatch):
    fresh, _, _ = _decisions(monkeypatch, share=False)
    shared, calls, policy = _decisions(monkeypatch, share=True)
    assert shared == fresh
    assert len(calls) == 6
    assert list(policy._bases) == ["shop", "new-ns"]
    assert [v for v, _ in policy._bases.values()] == [1, 1]
    shop_esc = policy._bases["shop"][1][0][1]
    assert len(shop_esc._paths) >= 3  # the chains were searched on the shared graph
    assert not policy._bases["new-ns"][1][0][1]._paths  # a namespace new to it: fresh
    shop_net = policy._bases["shop"][1][1]
    assert [p.name for p in shop_net.policies] == ["web-ingress", "api-egress"]
    assert not shop_net.workloads and shop_net._pol_index is not None  # shared, indexed once
    assert "XRBAC001" in fresh[0] and "XRBAC001" in fresh[1]  # chains were checked
    assert "XRBAC001" not in fresh[3]


def test_shared_network_analysis_gives_the_same_findings(monkeypatch):
    """Each review's network findings come out of the shared analysis as
    out of a fresh one: which policy selects the reviewed workload, and its
    exposure through the namespace's LoadBalancer Service."""
    fresh, _, _ = _decisions(monkeypatch, share=False)
    shared, _, _ = _decisions(monkeypatch, share=True)
    assert shared == fresh
    net = [[w.split(", ")[0] for w in json.loads(d)["response"].get("warnings", []) if " XNET" in w]
           for d in shared]
    assert net == [
        ["kubeward XNET001 (medium) spec.template.metadata.labels: Deployment shop/web: no NetworkPolicy in the "
         "input selects its pods for egress",
         "kubeward XNET006 (critical) spec.template.metadata.labels: Deployment shop/web is "
         "reachable from outside the cluster (Service shop/web type LoadBalancer) and runs as "
         "ServiceAccount shop/web"],
        ["kubeward XNET001 (medium) spec.template.metadata.labels: Deployment shop/api: no NetworkPolicy in the "
         "input selects its pods for ingress"],
        ["kubeward XNET001 (medium) spec.template.metadata.labels: Deployment shop/web2: no NetworkPolicy in the "
         "input selects its pods for ingress or egress"],
        ["kubeward XNET001 (medium) spec.template.metadata.labels: Deployment shop/other: no NetworkPolicy in the "
         "input selects its pods for ingress or egress"],
        ["kubeward XNET001 (medium) spec.template.metadata.labels: Deployment shop/api: no NetworkPolicy in the "
         "input selects its pods for ingress"],
        ["kubeward XNET001 (medium) spec.template.metadata.labels: Deployment new-ns/elsewhere: no NetworkPolicy in the "
         "input selects its pods for ingress or egress"]]


def test_warm_up_solves_every_service_account_before_the_first_review(monkeypatch):
    """``warm`` (run by the server before /readyz answers 200) builds the
    shared analyses of each namespace and solves its ServiceAccounts'
    chains; the decisions are those of a fresh analysis per review."""
    fresh, _, _ = _decisions(monkeypatch, share=False)
    policy = AdmissionPolicy()
    policy.set_namespaces(_view())
    assert policy.warm() == 1
    (model, esc), net = policy._bases["shop"][1]
    solved = {s[1].key: bool(steps) for s, steps in esc._paths.items()}
    assert solved == {"ServiceAccount shop/api": True, "ServiceAccount shop/default": False,
                      "ServiceAccount shop/web": True}
    assert [p.name for p in net.policies] == ["web-ingress", "api-egress"]
    warmed, calls, _ = _decisions(monkeypatch, share=True, warm=True)
    assert warmed == fresh
    # a change of the view: the next warm-up rebuilds the namespace
    policy.namespaces.version = 2
    assert policy.warm() == 1 and policy._bases["shop"][0] == 2


def test_readyz_waits_for_the_warm_up(pki, tmp_path):
    """The server answers /readyz 503 until the view is synced and its
    analyses are built, logs the warm-up, and rebuilds after a change."""
    import io

    from kubeward.admission.server import AdmissionServer, JsonLog, Metrics, ServerThread, \
        Settings
    from kubeward.admission.tls import CertStore
    from kwtest.admission import Client
    from kwtest.wait import wait_for

    view = _view()
    view.synced.clear()
    policy = AdmissionPolicy()
    policy.set_namespaces(view)
    gate, started = threading.Event(), threading.Event()
    real = policy.warm
    policy.warm = lambda: (started.set(), gate.wait(10))[1] and real()
    log = io.StringIO()
    server = AdmissionServer(policy, CertStore(str(pki.cert_file), str(pki.key_file)),
                             Settings(shutdown_delay=0.0, shutdown_timeout=5.0),
                             namespaces=view, log=JsonLog(log), metrics=Metrics())
    thread = ServerThread(server).start()
    client = Client(thread.port, pki.client_context())
    try:
        assert client.request("GET", "/readyz")[:2] == (503, b"namespace labels not synced yet\n")
        view.synced.set()
        assert started.wait(10)  # the warm-up has started and waits for the gate
        assert client.request("GET", "/readyz")[:2] == (
            503, b"building the analyses of the cluster view\n")
        assert not policy._bases
        gate.set()
        wait_for(lambda: client.request("GET", "/readyz")[0] == 200, timeout=10)
        assert list(policy._bases) == ["shop"]
        events = [json.loads(line) for line in log.getvalue().splitlines()]
        warmed = [e for e in events if e["event"] == "warmed"]
        assert len(warmed) == 1 and warmed[0]["namespaces"] == 1
        view.version = 2  # the view changed: rebuilt in the background
        wait_for(lambda: policy._bases["shop"][0] == 2, timeout=10)
    finally:
        client.close()
        thread.stop()
