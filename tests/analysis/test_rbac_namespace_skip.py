"""The escalation analysis skips namespaces where a subject holds no grant
that any per-namespace primitive asks about. That shortcut is only right
while ``rbac.NAMESPACE_RESOURCES`` lists every resource
``EscalationAnalysis._namespace_edges`` queries: this test records them."""

from __future__ import annotations

import yaml

from kubeward.analysis import rbac
from kubeward.model import K8sObject, Source

DOCS = """
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
---
apiVersion: v1
kind: Secret
type: kubernetes.io/service-account-token
metadata:
  name: web-token
  namespace: shop
  annotations: {kubernetes.io/service-account.name: web}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      serviceAccountName: web
      containers: [{name: app, image: "r/app:1"}]
"""


def _objects():
    return [K8sObject(d, Source("f.yaml", i, 1, {}))
            for i, d in enumerate(yaml.safe_load_all(DOCS))]


def test_namespace_resources_cover_every_query(monkeypatch):
    asked: set[str] = set()
    original = rbac._Perms.allows

    def recording(self, verb, group, resource, sub="", ns=None, name=""):
        asked.add(f"{resource}/{sub}" if sub else resource)
        return original(self, verb, group, resource, sub, ns, name)

    monkeypatch.setattr(rbac._Perms, "allows", recording)
    _, esc = rbac.analyse(_objects())
    everything = rbac.Grant("b", 0, "r", 0, rbac.Rule(("*",), ("*",), ("*",), (), ()))
    node = ("subject", rbac.Subject("User", "someone"))
    for scoped in ([], [("shop", everything)]):  # every branch: all denied, all allowed
        esc._namespace_edges(rbac._Perms(scoped), "shop", node, lambda *a: None,
                             lambda *a: None, [])
    assert asked
    assert asked <= rbac.NAMESPACE_RESOURCES, asked - rbac.NAMESPACE_RESOURCES


def test_cluster_wide_read_grants_do_not_visit_every_namespace():
    view = rbac.Rule(("get",), ("",), ("configmaps",), (), ())
    create = rbac.Rule(("create",), ("",), ("pods",), (), ())
    assert not rbac._namespace_relevant(view)
    assert rbac._namespace_relevant(create)
    assert rbac._namespace_relevant(rbac.Rule(("get",), ("",), ("*/exec",), (), ()))
    assert rbac._namespace_relevant(rbac.Rule(("get",), ("",), ("*",), (), ()))
