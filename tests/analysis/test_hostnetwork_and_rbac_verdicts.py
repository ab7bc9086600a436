"""Verdicts that must be right: NetworkPolicy does not govern hostNetwork
pods; Kubernetes' default ClusterRoles are not findings by themselves; one
RBAC rule matcher for the checks and the authorizer."""

from __future__ import annotations

import inspect
import json

from hypothesis import given, settings
from hypothesis import strategies as st
from kw_testlib import run

from kubeward.analysis import rbac as arbac
from kubeward.analysis import rbacrules
from kubeward.analysis.network import analyse
from kubeward.checks import rbac as crbac
from kubeward.engine import ScanOptions, scan

HOSTNET = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: mon}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-exporter, namespace: mon}
spec:
  selector:
    matchLabels: {app: ne}
  template:
    metadata:
      labels: {app: ne}
    spec:
      hostNetwork: true
      containers:
        - name: ne
          image: quay.io/prometheus/node-exporter:v1.8.0
          ports:
            - containerPort: 9100
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: mon}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""


def test_hostnetwork_pod_is_not_isolated_and_exposed_on_its_ports(tmp_path):
    f = tmp_path / "hn.yaml"
    f.write_text(HOSTNET)
    r = run(["network", "-o", "json", str(f)])
    assert r.exit_code == 0
    by = {w["workload"]: w for w in json.loads(r.stdout)["workloads"]}
    ne, web = by["DaemonSet mon/node-exporter"], by["Deployment mon/web"]
    for d in ("ingress", "egress"):
        assert ne[d]["isolated"] is False and ne[d]["hostNetwork"] is True
        assert ne[d]["anyAddress"]["level"] == "all"
        assert ne[d]["notes"] == ["mon/default-deny selects it without effect: "
                                  "NetworkPolicies do not govern hostNetwork pods"]
        assert web[d]["isolated"] is True  # the same policy isolates a normal pod
    assert ne["exposure"] == [{"kind": "hostPort", "ports": ["TCP/9100"],
                               "via": "container ne port 9100 on the node's addresses "
                                      "(hostNetwork)"}]
    r = run(["network", str(f)])
    assert "ingress: not isolated (hostNetwork: NetworkPolicies do not govern it)" in r.stdout
    assert "nothing allowed from anywhere" in r.stdout  # web only
    assert r.stdout.count("nothing allowed from anywhere") == 1


def test_hostnetwork_pod_keeps_xnet001_and_xnet002(tmp_path):
    f = tmp_path / "hn.yaml"
    f.write_text(HOSTNET)
    # XNET002 is an alias of XNET001, whose one finding names both directions
    report = scan([str(f)], ScanOptions(checks=("XNET001", "XNET002")))
    got = [(x.check_id, x.object.name, x.field_path, x.line)
           for x in report.findings]
    assert got == [("XNET001", "node-exporter", "spec.template.metadata.labels", 16)]
    assert report.findings[0].message == (
        "DaemonSet mon/node-exporter: its pods use hostNetwork, which NetworkPolicies do not "
        "govern; mon/default-deny selects it without effect, so they accept traffic from any "
        "pod and any address on the ports they listen on and may connect to any pod and any "
        "address")


def test_hostnetwork_without_ports_is_exposed_on_every_port(tmp_path):
    f = tmp_path / "hn.yaml"
    f.write_text(HOSTNET.replace("          ports:\n            - containerPort: 9100\n", ""))
    a = analyse(scan([str(f)], ScanOptions(checks=("SUP001",))).scanned)
    ne = next(w for w in a.workloads if w.obj.name == "node-exporter")
    assert [(e.kind, e.ports) for e in a.exposure(ne)] == [("hostPort", ["*"])]


EXPORT = """\
apiVersion: v1
kind: List
items:
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRole
    metadata:
      name: cluster-admin
      labels: {kubernetes.io/bootstrapping: rbac-defaults}
    rules:
      - apiGroups: ["*"]
        resources: ["*"]
        verbs: ["*"]
      - nonResourceURLs: ["*"]
        verbs: ["*"]
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRole
    metadata:
      name: edit
      labels: {kubernetes.io/bootstrapping: rbac-defaults}
    rules:
      - apiGroups: [""]
        resources: ["pods", "pods/exec", "pods/attach", "secrets", "serviceaccounts/token"]
        verbs: ["create", "delete", "get", "list", "patch", "update", "watch"]
      - apiGroups: ["apps"]
        resources: ["deployments", "daemonsets", "statefulsets"]
        verbs: ["create", "delete", "patch", "update"]
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRole
    metadata:
      name: system:node
      labels: {kubernetes.io/bootstrapping: rbac-defaults}
    rules:
      - apiGroups: [""]
        resources: ["nodes", "nodes/status", "secrets", "persistentvolumes"]
        verbs: ["get", "create", "update", "patch"]
      - apiGroups: ["certificates.k8s.io"]
        resources: ["certificatesigningrequests"]
        verbs: ["create", "get"]
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRoleBinding
    metadata: {name: ci-admin}
    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
    subjects:
      - {kind: ServiceAccount, name: deployer, namespace: ci}
"""


def test_default_cluster_roles_are_not_findings_but_bindings_are(tmp_path):
    f = tmp_path / "export.yaml"
    f.write_text(EXPORT)
    report = scan([str(f)], ScanOptions(frameworks=("all",)))
    assert not report.errors
    on_roles = [(x.check_id, x.object.name) for x in report.findings
                if x.object.kind == "ClusterRole"]
    assert on_roles == []
    assert ("RBAC021", "ci-admin") in {(x.check_id, x.object.name) for x in report.findings}
    # the same roles without the bootstrapping label are anyone's roles: reported
    report = scan([str(_without_label(tmp_path))], ScanOptions(frameworks=("all",)))
    ids = {(x.check_id, x.object.name) for x in report.findings if x.object.kind == "ClusterRole"}
    assert {("RBAC001", "cluster-admin"), ("RBAC004", "edit")} <= ids


def _without_label(tmp_path):
    g = tmp_path / "own.yaml"
    g.write_text(EXPORT.replace("      labels: {kubernetes.io/bootstrapping: rbac-defaults}\n", ""))
    return g


# -- one matcher ----------------------------------------------------------------

def test_one_rule_matcher():
    """Neither module compares rule entries with "*" itself: both call
    analysis.rbacrules."""
    for src in (inspect.getsource(crbac.Rule), inspect.getsource(arbac.Rule)):
        assert '== "*"' not in src and '"*/"' not in src and '"*" in' not in src
    assert crbac.rbacrules is rbacrules


_WORDS = st.sampled_from(["*", "", "apps", "get", "create", "pods", "pods/exec", "*/exec",
                          "secrets", "deployments", "list"])


@settings(max_examples=300, deadline=None)
@given(verbs=st.lists(_WORDS, max_size=3), groups=st.lists(_WORDS, max_size=3),
       resources=st.lists(_WORDS, max_size=3),
       request=st.tuples(st.sampled_from(["get", "create", "list"]),
                         st.sampled_from(["", "apps"]),
                         st.sampled_from(["pods", "secrets", "deployments"]),
                         st.sampled_from(["", "exec"])))
def test_checks_and_authorizer_agree(verbs, groups, resources, request):
    verb, group, res, sub = request
    raw = {"verbs": verbs, "apiGroups": groups, "resources": resources}
    c = crbac.Rule(0, raw)
    combined = f"{res}/{sub}" if sub else res
    by_checks = (c.verb_index(verb) is not None and c.group_index(group) is not None
                 and c.resource_index(combined) is not None)
    by_authorizer = arbac.Rule.parse(raw).allows_resource(verb, group, res, sub, "")
    assert by_checks == by_authorizer


def test_pod_selectors_do_not_match_hostnetwork_peers(tmp_path):
    f = tmp_path / "hn.yaml"
    f.write_text(HOSTNET.replace("  podSelector: {}\n  policyTypes: [Ingress, Egress]\n", """\
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        - podSelector: {}
  egress:
    - to:
        - podSelector: {}
"""))
    a = analyse(scan([str(f)], ScanOptions(checks=("SUP001",))).scanned)
    ne = next(w for w in a.workloads if w.obj.name == "node-exporter")
    web = next(w for w in a.workloads if w.obj.name == "web")
    # web admits every pod of mon, but node-exporter's traffic has the node's address
    assert a.allowed(ne, web).is_empty()
    assert a.allowed(web, ne).is_empty()
    assert not a.allowed(web, web).is_empty()
