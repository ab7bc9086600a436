"""The RBAC authorizer and escalation paths: exact answers on crafted input."""

from __future__ import annotations

import pytest
from kwtest.analysis import ESCALATION, load, load_text

from kubeward.analysis.rbac import (
    EscalationAnalysis,
    RBACModel,
    Request,
    Rule,
    Subject,
    analyse,
    parse_resource,
    parse_subject,
)


@pytest.fixture(scope="module")
def model():
    return RBACModel(load("rbac.yaml"))


def req(verb, resource, namespace="", name=""):
    res, sub, group, path = parse_resource(resource)
    return Request(verb, res, sub, group, namespace, name, path)


def grants(model, subject, verb, resource, namespace="", name=""):
    ok, gs, notes = model.authorize(parse_subject(subject), req(verb, resource, namespace, name))
    return ok, [(g.binding, g.role, g.rule_index) for g in gs], notes


# -- rule matching ---------------------------------------------------------------

@pytest.mark.parametrize("rule,args,expected", [
    (dict(verbs=["get"], apiGroups=[""], resources=["pods"]), ("get", "", "pods", "", ""), True),
    (dict(verbs=["get"], apiGroups=[""], resources=["pods"]), ("list", "", "pods", "", ""), False),
    (dict(verbs=["*"], apiGroups=[""], resources=["pods"]), ("delete", "", "pods", "", ""), True),
    (dict(verbs=["get"], apiGroups=["apps"], resources=["pods"]), ("get", "", "pods", "", ""), False),
    (dict(verbs=["get"], apiGroups=["*"], resources=["pods"]), ("get", "x.io", "pods", "", ""), True),
    # a subresource is its own resource: "pods" does not grant "pods/exec"
    (dict(verbs=["create"], apiGroups=[""], resources=["pods"]), ("create", "", "pods", "exec", ""), False),
    (dict(verbs=["create"], apiGroups=[""], resources=["pods/exec"]), ("create", "", "pods", "exec", ""), True),
    (dict(verbs=["create"], apiGroups=[""], resources=["pods/exec"]), ("create", "", "pods", "", ""), False),
    (dict(verbs=["get"], apiGroups=[""], resources=["*"]), ("get", "", "pods", "log", ""), True),
    (dict(verbs=["get"], apiGroups=[""], resources=["*/log"]), ("get", "", "pods", "log", ""), True),
    (dict(verbs=["get"], apiGroups=[""], resources=["*/log"]), ("get", "", "pods", "", ""), False),
    (dict(verbs=["get"], apiGroups=[""], resources=["pods/*"]), ("get", "", "pods", "log", ""), False),
    # resourceNames only match requests for those names
    (dict(verbs=["get"], apiGroups=[""], resources=["secrets"], resourceNames=["a"]),
     ("get", "", "secrets", "", "a"), True),
    (dict(verbs=["get"], apiGroups=[""], resources=["secrets"], resourceNames=["a"]),
     ("get", "", "secrets", "", "b"), False),
    (dict(verbs=["list"], apiGroups=[""], resources=["secrets"], resourceNames=["a"]),
     ("list", "", "secrets", "", ""), False),
])
def test_rule_allows_resource(rule, args, expected):
    assert Rule.parse(rule).allows_resource(*args) is expected


@pytest.mark.parametrize("urls,verb,path,expected", [
    (["/metrics"], "get", "/metrics", True),
    (["/metrics"], "get", "/metrics/cadvisor", False),
    (["/healthz/*"], "get", "/healthz/ready", True),
    (["/healthz/*"], "get", "/healthz", False),
    (["/api*"], "get", "/apis/apps", True),
    (["*"], "get", "/anything", True),
    (["/metrics"], "post", "/metrics", False),
])
def test_rule_allows_url(urls, verb, path, expected):
    assert Rule.parse({"verbs": ["get"], "nonResourceURLs": urls}).allows_url(verb, path) \
        is expected


def test_parse_subject_and_resource():
    assert parse_subject("serviceaccount:dev:ci") == Subject("ServiceAccount", "ci", "dev")
    assert parse_subject("system:serviceaccount:dev:ci") == Subject("ServiceAccount", "ci", "dev")
    assert parse_subject("user:system:serviceaccount:dev:ci") == \
        Subject("ServiceAccount", "ci", "dev")
    assert parse_subject("user:alice") == Subject("User", "alice")
    assert parse_subject("group:system:masters") == Subject("Group", "system:masters")
    for bad in ("alice", "serviceaccount:dev", "robot:x", "user:"):
        with pytest.raises(ValueError):
            parse_subject(bad)
    assert parse_resource("pods/exec") == ("pods", "exec", "", "")
    assert parse_resource("deployments") == ("deployments", "", "apps", "")
    assert parse_resource("deployments.apps/scale") == ("deployments", "scale", "apps", "")
    assert parse_resource("widgets.example.com") == ("widgets", "", "example.com", "")
    assert parse_resource("/healthz") == ("", "", "", "/healthz")


# -- the authorizer on the crafted input ----------------------------------------

def test_role_binding_and_implicit_service_account_namespace(model):
    # the ServiceAccount subject without namespace takes the RoleBinding's (dev)
    assert grants(model, "serviceaccount:dev:ci", "create", "deployments", "dev")[:2] == \
        (True, [("RoleBinding dev/deployers", "Role dev/deployer", 0)])
    assert grants(model, "serviceaccount:prod:ci", "create", "deployments", "dev")[0] is False
    # RoleBindings only grant in their namespace
    assert grants(model, "user:alice", "create", "deployments", "prod")[0] is False
    assert grants(model, "group:devs", "update", "deployments.apps", "dev")[:2] == \
        (True, [("RoleBinding dev/deployers", "Role dev/deployer", 0)])


def test_resource_names_and_subresources(model):
    assert grants(model, "user:alice", "get", "secrets", "dev", "app-config")[:2] == \
        (True, [("RoleBinding dev/deployers", "Role dev/deployer", 1)])
    assert grants(model, "user:alice", "get", "secrets", "dev", "other")[0] is False
    assert grants(model, "user:alice", "get", "secrets", "dev")[0] is False  # unnamed request
    assert grants(model, "user:alice", "create", "pods/exec", "dev")[:2] == \
        (True, [("RoleBinding dev/deployers", "Role dev/deployer", 2)])
    assert grants(model, "user:alice", "get", "pods/exec", "dev")[0] is False
    # */scale in apps: any resource's scale subresource, cluster-wide
    assert grants(model, "user:bob", "update", "deployments/scale")[:2] == \
        (True, [("ClusterRoleBinding scalers", "ClusterRole scaler", 0)])
    assert grants(model, "user:bob", "update", "statefulsets.apps/scale", "any")[0] is True
    assert grants(model, "user:bob", "update", "deployments")[0] is False


def test_implicit_groups_and_aggregation(model):
    # every ServiceAccount is in system:serviceaccounts
    assert grants(model, "serviceaccount:x:y", "list", "pods", "z")[:2] == \
        (True, [("ClusterRoleBinding all-sa-read-pods", "ClusterRole pod-reader", 0)])
    assert grants(model, "user:alice", "list", "pods", "z")[0] is False
    # monitor aggregates pod-reader and node-stats; its own secrets rule is replaced
    ok, gs, _ = grants(model, "serviceaccount:monitoring:prom", "get", "pods", "dev")
    # every grant, ClusterRoleBindings first (as the authorizer visits them)
    assert gs == [("ClusterRoleBinding all-sa-read-pods", "ClusterRole pod-reader", 0),
                  ("RoleBinding dev/monitor", "ClusterRole monitor", 0)]
    assert grants(model, "serviceaccount:monitoring:prom", "get", "secrets", "dev", "x")[0] \
        is False
    # node-stats via a RoleBinding: nodes are cluster-scoped, so not granted
    assert grants(model, "serviceaccount:monitoring:prom", "get", "nodes/stats")[0] is False
    rules = [(i, r.describe(), o) for i, r, o in model.roles[("ClusterRole", None, "monitor")].rules]
    assert rules == [
        (0, "verbs=get apiGroups=\"\" resources=nodes/stats", "aggregated from ClusterRole node-stats"),
        (0, "verbs=get,list apiGroups=\"\" resources=pods", "aggregated from ClusterRole pod-reader")]


def test_non_resource_urls_only_through_cluster_role_bindings(model):
    assert grants(model, "serviceaccount:monitoring:prom", "get", "/healthz/ready")[:2] == \
        (True, [("ClusterRoleBinding monitor-urls", "ClusterRole metrics-urls", 0)])
    assert grants(model, "serviceaccount:monitoring:prom", "get", "/metrics")[0] is True
    assert grants(model, "serviceaccount:monitoring:prom", "get", "/metricsx")[0] is False
    assert grants(model, "serviceaccount:monitoring:prom", "post", "/metrics")[0] is False
    assert grants(model, "serviceaccount:dev:ci", "get", "/metrics")[0] is False


def test_missing_role_and_system_masters(model):
    ok, gs, notes = grants(model, "user:carol", "get", "pods", "dev")
    assert (ok, gs) == (False, [])
    assert notes == ["RoleBinding dev/ghost references Role dev/ghost, which is not in the "
                     "input: its rules are unknown"]
    ok, gs, notes = grants(model, "group:system:masters", "delete", "nodes")
    assert ok and gs == [] and "bypass RBAC" in notes[0]
    assert [(b.ref, w) for b, w in model.missing_roles()] == [
        ("RoleBinding dev/ghost", "Role dev/ghost")]


def test_who_can_exact(model):
    entries, notes = model.who_can(req("get", "pods", "dev"))
    assert [(e["kind"], e["name"], e["namespace"], e["bindings"],
             [(g["role"], g["rule"], g.get("origin")) for g in e["grants"]]) for e in entries] == [
        ("Group", "system:serviceaccounts", None, ["ClusterRoleBinding all-sa-read-pods"],
         [("ClusterRole pod-reader", 0, None)]),
        ("ServiceAccount", "prom", "monitoring", ["RoleBinding dev/monitor"],
         [("ClusterRole monitor", 0, "aggregated from ClusterRole pod-reader")]),
    ]
    assert notes == ["RoleBinding dev/ghost references Role dev/ghost, which is not in the "
                     "input: its rules are unknown"]
    # cluster-wide: only ClusterRoleBindings count
    entries, _ = model.who_can(req("get", "pods"))
    assert [(e["kind"], e["name"]) for e in entries] == [("Group", "system:serviceaccounts")]
    entries, _ = model.who_can(req("create", "deployments", "dev"))
    assert [(e["kind"], e["name"], e["namespace"], [g["subjectIndex"] for g in e["grants"]])
            for e in entries] == [("Group", "devs", None, [1]),
                                  ("ServiceAccount", "ci", "dev", [2]),
                                  ("User", "alice", None, [0])]


def test_aggregation_is_transitive_and_falls_back_to_own_rules():
    m = RBACModel(load_text("""
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: top}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {to-top: "yes"}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: middle, labels: {to-top: "yes"}}
aggregationRule:
  clusterRoleSelectors: [{matchExpressions: [{key: to-middle, operator: Exists}]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: leaf, labels: {to-middle: ""}}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: lonely}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {nobody: "x"}}]
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
"""))
    top = m.roles[("ClusterRole", None, "top")].rules
    assert [(r.resources, o) for _, r, o in top] == [
        (("configmaps",), "aggregated from ClusterRole leaf")]
    lonely = m.roles[("ClusterRole", None, "lonely")].rules
    assert [r.resources for _, r, _ in lonely] == [("pods",)]
    assert m.notes == ["ClusterRole lonely aggregates ClusterRoles matching its "
                       "clusterRoleSelectors, but none is in the input; using its own rules"]


# -- escalation ------------------------------------------------------------------



@pytest.fixture(scope="module")
def escalation():
    return analyse(load("escalation.yaml"))


def test_escalation_chains_exact(escalation):
    _, esc = escalation
    got = {r["subject"]: [s["step"] for s in r["chain"]] for r in esc.report()}
    assert got == ESCALATION
    assert list(got) == list(ESCALATION)  # sorted: kind, namespace, name


def test_escalation_steps_name_their_grants(escalation):
    _, esc = escalation
    lee = esc.path(Subject("User", "lee"))
    assert [s.to for s in lee] == ["ServiceAccount g/runner", "cluster-admin"]
    assert lee[0].via == ['RoleBinding g/lee -> Role g/exec rule 0: verbs=create apiGroups="" '
                          'resources=pods/exec']
    assert lee[1].via == ["ClusterRoleBinding runner -> ClusterRole cluster-admin rule 0 "
                          "(built-in default ClusterRole, not in the input): verbs=* apiGroups=* "
                          "resources=*"]
    hank = esc.path(Subject("User", "hank"))
    assert hank[0].via == [
        'ClusterRoleBinding hank-pv -> ClusterRole pv-creator rule 0: verbs=create apiGroups="" '
        'resources=persistentvolumes',
        'RoleBinding e/hank -> Role e/pod-and-claim rule 0: verbs=create apiGroups="" '
        'resources=pods,persistentvolumeclaims']
    judy = esc.path(Subject("User", "judy"))
    assert [s.to for s in judy] == ["admin of namespace f", "cluster-admin"]


def test_no_path_and_masters(escalation):
    _, esc = escalation
    assert esc.path(Subject("User", "nobody")) is None
    assert esc.path(Subject("ServiceAccount", "someone", "b")) is None
    steps = esc.path(Subject("Group", "system:masters"))
    assert [s.text for s in steps] == ["is in the group system:masters, which bypasses RBAC"]


def test_resource_names_limit_escalation():
    _model, esc = analyse(load_text("""
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: r, namespace: d}
rules:
  - {apiGroups: [""], resources: [serviceaccounts/token], verbs: [create], resourceNames: [other]}
  - {apiGroups: [""], resources: [secrets], verbs: [get], resourceNames: [unrelated]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: u, namespace: d}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: u}]
---
apiVersion: v1
kind: Secret
metadata:
  name: robot-token
  namespace: d
  annotations: {kubernetes.io/service-account.name: robot}
type: kubernetes.io/service-account-token
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: robot}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: robot, namespace: d}]
"""))
    assert esc.path(Subject("User", "u")) is None
    assert [s.text for s in esc.path(Subject("ServiceAccount", "robot", "d"))] == [
        "has every verb on every resource cluster-wide (cluster-admin)"]
    assert isinstance(esc, EscalationAnalysis)
