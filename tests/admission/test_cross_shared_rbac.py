"""Admission reviews with cross checks share one escalation graph per
namespace and cluster-view version: the decisions are those of a fresh
analysis per review."""

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
        monkeypatch.setattr(policy, "_rbac_with", lambda obj, objs: None)
    else:
        real = policy._rbac_with
        monkeypatch.setattr(policy, "_rbac_with",
                            lambda obj, objs: calls.append(1) or real(obj, objs))
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
    assert list(policy._rbac_bases) == [(1, "shop"), (1, "new-ns")]
    shop_esc = policy._rbac_bases[(1, "shop")][1]
    assert len(shop_esc._paths) >= 3  # the chains were searched on the shared graph
    assert not policy._rbac_bases[(1, "new-ns")][1]._paths  # a namespace new to it: fresh
    assert "XRBAC001" in fresh[0] and "XRBAC001" in fresh[1]  # chains were checked
    assert "XRBAC001" not in fresh[3]
