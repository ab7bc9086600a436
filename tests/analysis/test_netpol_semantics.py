"""NetworkPolicy semantics: exact answers on crafted inputs."""

from __future__ import annotations

import pytest
from kw_analysis_helpers import load, load_text

from kubeward.analysis.network import (
    EGRESS,
    INGRESS,
    ContainerPort,
    NetworkAnalysis,
    PortSet,
    analyse,
    rule_ports,
)
from kubeward.analysis.selectors import selector_matches


@pytest.fixture(scope="module")
def net():
    objects = load("netpol.yaml")
    return NetworkAnalysis(objects)


def _w(a, key):
    return next(w for w in a.workloads if w.key == key)


def _report(a):
    return {r["workload"]: r for r in a.report()}


# -- selectors -------------------------------------------------------------

@pytest.mark.parametrize("selector,labels,expected", [
    ({}, {}, True),
    ({}, {"a": "1"}, True),
    ({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True),
    ({"matchLabels": {"a": "1"}}, {"a": "2"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "2"]}]}, {"a": "2"}, True),
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1"]}]}, {}, False),
    ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {}, True),
    ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {"a": "1"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"a": ""}, True),
    ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"b": "1"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"b": "1"}, True),
    ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"a": "1"}, False),
    # matchLabels AND matchExpressions
    ({"matchLabels": {"b": "1"}, "matchExpressions": [{"key": "a", "operator": "Exists"}]},
     {"b": "1"}, False),
    # malformed: unknown operator, In without values -> nothing
    ({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]}, {"a": "2"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]}, {"a": "1"}, False),
])
def test_selector_matches(selector, labels, expected):
    assert selector_matches(selector, labels) is expected


# -- ports -----------------------------------------------------------------

def test_port_sets():
    everything = PortSet.all()
    assert everything.is_all() and everything.to_list() == ["*"]
    a = PortSet({"TCP": [(80, 80), (81, 90), (100, 200)]})
    assert a.to_list() == ["TCP/80-90", "TCP/100-200"]
    assert a.intersect(PortSet({"TCP": [(85, 150)], "UDP": [(1, 65535)]})).to_list() == \
        ["TCP/85-90", "TCP/100-150"]
    assert PortSet({"UDP": [(1, 65535)]}).to_list() == ["UDP/*"]
    assert a.contains("TCP", 150) and not a.contains("UDP", 150)


def test_rule_ports_defaults_named_and_ranges():
    cps = [ContainerPort("http", 8080, "TCP"), ContainerPort("dns", 53, "UDP")]
    assert rule_ports(None, cps)[0].is_all()  # missing ports: every port
    assert rule_ports([], cps)[0].is_all()
    ps, named = rule_ports([{"port": 80}], cps)  # protocol defaults to TCP
    assert ps.to_list() == ["TCP/80"] and named == ()
    assert rule_ports([{"protocol": "UDP"}], cps)[0].to_list() == ["UDP/*"]
    assert rule_ports([{"port": 32000, "endPort": 32768}], cps)[0].to_list() == \
        ["TCP/32000-32768"]
    # named ports resolve against the destination's container ports, by protocol
    assert rule_ports([{"port": "http"}], cps)[0].to_list() == ["TCP/8080"]
    assert rule_ports([{"port": "dns"}], cps)[0].to_list() == []  # dns is UDP, not TCP
    assert rule_ports([{"port": "dns", "protocol": "UDP"}], cps)[0].to_list() == ["UDP/53"]
    # unresolved (egress): kept by name
    assert rule_ports([{"port": "http"}], None) == (PortSet(), (("TCP", "http"),))


# -- the crafted network -------------------------------------------------------

def test_isolation_and_policy_type_defaults(net):
    web, api = _w(net, "Deployment shop/web"), _w(net, "Deployment shop/api")
    pg, backup = _w(net, "StatefulSet db/postgres"), _w(net, "CronJob db/backup")
    # web-out has egress rules and no policyTypes: [Ingress, Egress]
    assert net.view(web, INGRESS).policies == ["shop/default-deny", "shop/web-in",
                                               "shop/web-out"]
    assert net.view(web, EGRESS).policies == ["shop/default-deny", "shop/web-out"]
    # api-in has only ingress rules and no policyTypes: [Ingress]
    assert net.view(api, INGRESS).policies == ["shop/default-deny", "shop/api-in"]
    assert net.view(api, EGRESS).policies == ["shop/default-deny"]
    assert net.view(pg, INGRESS).isolated and not net.view(pg, EGRESS).isolated
    assert not net.view(backup, INGRESS).isolated and not net.view(backup, EGRESS).isolated


def test_web_summary(net):
    r = _report(net)["Deployment shop/web"]
    ing = r["ingress"]
    assert ing["sameNamespace"] == {"level": "none", "ports": []}
    assert ing["otherNamespaces"] == {"level": "some", "ports": ["TCP/9090"]}
    assert ing["anyAddress"] == {"level": "some", "ports": ["TCP/8080"]}  # except -> some
    assert ing["cidrs"] == [{"peer": "addresses 0.0.0.0/0 except 169.254.0.0/16",
                             "ports": ["TCP/8080"]}]
    assert [(g["policy"], g["rule"], g["ports"]) for g in ing["rules"]] == [
        ("shop/web-in", 0, ["TCP/8080"]), ("shop/web-in", 1, ["TCP/9090"])]
    eg = r["egress"]
    assert eg["sameNamespace"] == {"level": "some", "ports": ["TCP/grpc"]}
    assert eg["otherNamespaces"] == {"level": "some", "ports": ["TCP/5432"]}
    assert eg["anyAddress"] == {"level": "none", "ports": []}
    assert eg["notes"] == ["shop/web-out rule 1 selects namespaces by labels {team in (b)}; "
                           "namespaces not in the input may match (in the input: db)"]
    assert r["exposure"] == [{"kind": "LoadBalancer", "via": "Service shop/web type LoadBalancer",
                              "ports": ["TCP/443"], "object": "Service shop/web"}]
    assert r["reachableFrom"] == [{"workload": "Deployment monitoring/prom",
                                   "ports": ["TCP/9090"]}]
    assert r["canReach"] == [
        {"workload": "Deployment shop/api", "ports": ["TCP/50051"]},
        {"workload": "StatefulSet db/postgres", "ports": ["TCP/5432"]},
        {"workload": "CronJob db/backup", "ports": ["TCP/5432"]}]


def test_api_peer_and_versus_or(net):
    r = _report(net)["Deployment shop/api"]
    assert r["ingress"]["sameNamespace"] == {"level": "some", "ports": ["TCP/50051"]}
    assert r["ingress"]["otherNamespaces"] == {"level": "some", "ports": ["TCP/50000-50100"]}
    # namespaceSelector AND podSelector: backup (team=b, app=backup) yes, prom and pg no
    assert r["reachableFrom"] == [
        {"workload": "Deployment shop/web", "ports": ["TCP/50051"]},
        {"workload": "CronJob db/backup", "ports": ["TCP/50000-50100"]}]
    assert r["canReach"] == []  # default deny egress, no egress rule for api
    assert r["egress"]["sameNamespace"]["level"] == "none"
    assert r["exposure"] == [{"kind": "Ingress",
                              "via": "Ingress shop/api api.example.com/ -> Service api:grpc",
                              "ports": ["grpc"], "object": "Ingress shop/api"}]


def test_postgres_named_port_and_notin_namespaces(net):
    r = _report(net)["StatefulSet db/postgres"]
    assert r["ingress"]["sameNamespace"] == {"level": "all", "ports": ["*"]}
    assert r["ingress"]["otherNamespaces"] == {"level": "some", "ports": ["*"]}
    # monitoring is not in the input: only its name label, so NotIn [a] matches it
    assert r["reachableFrom"] == [
        {"workload": "Deployment shop/web", "ports": ["TCP/5432"]},
        {"workload": "CronJob db/backup", "ports": ["*"]},
        {"workload": "Deployment monitoring/prom", "ports": ["*"]}]
    assert r["egress"]["isolated"] is False and r["egress"]["anyAddress"]["level"] == "all"
    assert r["exposure"] == []


def test_allowed_is_egress_and_ingress(net):
    web, api = _w(net, "Deployment shop/web"), _w(net, "Deployment shop/api")
    pg = _w(net, "StatefulSet db/postgres")
    assert net.allowed(api, pg).is_empty()  # api's egress is denied
    assert net.allowed(api, web).is_empty()
    assert net.allowed(web, pg).to_list() == ["TCP/5432"]


def _one(text):
    a = NetworkAnalysis(load_text(text))
    return a, a.workloads


POD = """
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns, labels: {app: p}}
spec:
  containers: [{name: c, image: "c:1"}]
"""


def test_empty_from_and_empty_selector_allow_everything():
    a, (p,) = _one(POD + """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-all, namespace: ns}
spec:
  podSelector: {}
  ingress: [{}]
""")
    s = a.summary(p, INGRESS)
    assert s["isolated"] is True
    assert s["sameNamespace"]["level"] == s["otherNamespaces"]["level"] == \
        s["anyAddress"]["level"] == "all"
    assert s["anyAddress"]["ports"] == ["*"]


def test_policy_in_other_namespace_does_not_isolate():
    a, (p,) = _one(POD + """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: other}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
""")
    assert not a.view(p, INGRESS).isolated and not a.view(p, EGRESS).isolated


def test_namespace_selector_empty_means_all_namespaces_and_ipv6_any():
    a, (p,) = _one(POD + """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: x, namespace: ns}
spec:
  podSelector: {matchLabels: {app: p}}
  policyTypes: [Egress]
  egress:
    - to: [{namespaceSelector: {}}]
      ports: [{port: 443}]
    - to: [{ipBlock: {cidr: "::/0"}}]
      ports: [{port: 53, protocol: UDP}]
""")
    s = a.summary(p, EGRESS)
    assert s["sameNamespace"] == {"level": "all", "ports": ["TCP/443"]}
    assert s["otherNamespaces"] == {"level": "all", "ports": ["TCP/443"]}
    assert s["anyAddress"] == {"level": "all", "ports": ["UDP/53"]}
    assert s["notes"] == []


def test_only_ipblock_allows_no_pod():
    a, ws = _one(POD + """---
apiVersion: v1
kind: Pod
metadata: {name: q, namespace: ns, labels: {app: q}}
spec:
  containers: [{name: c, image: "c:1"}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: x, namespace: ns}
spec:
  podSelector: {matchLabels: {app: p}}
  ingress:
    - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
""")
    p, q = ws
    assert a.allowed(q, p).is_empty()
    assert a.allowed(p, q).is_all()
    assert a.summary(p, INGRESS)["cidrs"] == [{"peer": "addresses 10.0.0.0/8 except 10.1.0.0/16",
                                               "ports": ["*"]}]


def test_nodeport_and_host_port_exposure_and_podtemplate_ignored():
    a, ws = _one("""
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: d, namespace: ns}
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d}}
    spec:
      containers:
        - name: c
          image: c:1
          ports: [{containerPort: 9100, hostPort: 9100}]
---
apiVersion: v1
kind: Service
metadata: {name: d, namespace: ns}
spec:
  type: NodePort
  selector: {app: d}
  ports: [{port: 80, nodePort: 30080}, {port: 81, protocol: UDP}]
---
apiVersion: v1
kind: PodTemplate
metadata: {name: t, namespace: ns}
template:
  metadata: {labels: {app: d}}
  spec:
    containers: [{name: c, image: "c:1"}]
""")
    (d,) = ws
    assert [e.to_dict() for e in a.exposure(d)] == [
        {"kind": "NodePort", "via": "Service ns/d type NodePort",
         "ports": ["TCP/80 (nodePort 30080)", "UDP/81 (nodePort auto)"],
         "object": "Service ns/d"},
        {"kind": "hostPort", "via": "container c hostPort 9100", "ports": ["TCP/9100"]}]
    assert [e.kind for e in a.exposed_outside(d)] == ["NodePort"]


def test_analysis_is_computed_once_per_scan_context():
    from kubeward.analysis.network import of_context
    from kubeward.checks.base import CrossContext

    objects = load("netpol.yaml")
    ctx = CrossContext(objects=objects)
    assert of_context(ctx) is of_context(ctx)
    assert of_context(CrossContext(objects=objects)) is not of_context(ctx)
    assert analyse(objects) is not analyse(objects)  # no module-level cache keeps scans alive


def test_large_inputs_list_pairs_only_where_policies_restrict(monkeypatch):
    objects = load("netpol.yaml")
    monkeypatch.setattr(NetworkAnalysis, "PAIRWISE_LIMIT", 2)
    rep = {r["workload"]: r for r in NetworkAnalysis(objects).report()}
    assert rep["CronJob db/backup"]["reachableFrom"] is None
    assert rep["CronJob db/backup"]["canReach"] is None
    assert rep["StatefulSet db/postgres"]["canReach"] is None
    assert rep["StatefulSet db/postgres"]["reachableFrom"] == [
        {"workload": "Deployment shop/web", "ports": ["TCP/5432"]},
        {"workload": "CronJob db/backup", "ports": ["*"]},
        {"workload": "Deployment monitoring/prom", "ports": ["*"]}]
    assert rep["Deployment shop/web"]["canReach"] == _report(NetworkAnalysis(objects))[
        "Deployment shop/web"]["canReach"]
