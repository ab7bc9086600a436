"""Admission reviews with cross checks share one escalation graph and one
network analysis per namespace and cluster-view version: the decisions are
those of a fresh analysis per review."""

from __future__ import annotations

import json

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

    def labels(self, name):
        return {}

    def ready(self):
        return True

    def context(self, namespace):
        return [o for o in self.objects if o.namespace in (None, namespace)]


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


def _decisions(monkeypatch, share: bool):
    objects = [K8sObject(d.data, Source("view.yaml", d.index, d.line, d.positions))
               for d in parse_documents(VIEW)]
    policy = AdmissionPolicy()
    policy.set_namespaces(View(objects))
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
