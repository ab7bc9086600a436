"""Every field of ValidatingAdmissionPolicy and its binding, with the API
server's verdicts and messages."""

from __future__ import annotations

import pytest

from kwtest.vaplib import binding, deployment, messages, namespace, policy, verdicts

DENY = "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: "


def test_deny_reports_the_field_and_line(tmp_path):
    got = verdicts(tmp_path, policy(), binding(), deployment())
    assert len(got) == 1
    cid, name, path, line, msg = got[0]
    assert (cid, name, path) == ("VAP001", "web", ("spec", "replicas"))
    assert msg == DENY + "failed expression: object.spec.replicas <= 5"
    text = (tmp_path / "in.yaml").read_text().splitlines()
    assert text[line - 1].strip() == "replicas: 10"


def test_allowed_object_gives_nothing(tmp_path):
    assert verdicts(tmp_path, policy(), binding(), deployment(replicas=5)) == []


@pytest.mark.parametrize("actions,expected", [
    (["Deny"], [("VAP001", "web", DENY + "failed expression: object.spec.replicas <= 5")]),
    (["Warn"], [("VAP002", "web", "Validation failed for ValidatingAdmissionPolicy 'p' with "
                                  "binding 'b': failed expression: object.spec.replicas <= 5")]),
    (["Audit"], [("VAP003", "web", "audit: ValidatingAdmissionPolicy 'p' with binding 'b' "
                                   "failed: failed expression: object.spec.replicas <= 5")]),
    (["Deny", "Audit"], [("VAP001", "web", DENY + "failed expression: object.spec.replicas <= 5"),
                         ("VAP003", "web", "audit: ValidatingAdmissionPolicy 'p' with binding "
                                           "'b' failed: failed expression: "
                                           "object.spec.replicas <= 5")]),
    ([], []),
])
def test_validation_actions(tmp_path, actions, expected):
    got = messages(tmp_path, policy(), binding(actions=actions), deployment())
    assert sorted(got) == sorted(expected)


def test_severity_of_actions_and_annotation(tmp_path):
    from kubeward.engine import ScanOptions, scan
    import yaml
    p = policy()
    p["metadata"]["annotations"] = {"kubeward.io/severity": "critical"}
    f = tmp_path / "x.yaml"
    f.write_text(yaml.safe_dump_all([p, binding(actions=["Deny", "Warn", "Audit"]), deployment()]))
    r = scan([str(f)], ScanOptions(checks=("VAP001", "VAP002", "VAP003")))
    assert sorted((x.check_id, x.severity.label) for x in r.findings) == [
        ("VAP001", "critical"), ("VAP002", "low"), ("VAP003", "info")]


def test_binding_to_a_missing_policy_does_nothing(tmp_path):
    assert verdicts(tmp_path, policy(), binding(policy_name="other"), deployment()) == []


# -- matchConstraints ---------------------------------------------------------

@pytest.mark.parametrize("rule,matched", [
    ({"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["deployments"]}, True),
    ({"apiGroups": ["*"], "apiVersions": ["*"], "operations": ["*"], "resources": ["*"]}, True),
    ({"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["deployments"]}, False),
    ({"apiGroups": ["apps"], "apiVersions": ["v1beta1"], "operations": ["CREATE"], "resources": ["deployments"]}, False),
    ({"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["UPDATE", "DELETE"], "resources": ["deployments"]}, False),
    ({"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["statefulsets"]}, False),
    ({"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["deployments"], "scope": "Cluster"}, False),
    ({"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["deployments"], "scope": "Namespaced"}, True),
    ({"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["deployments"], "resourceNames": ["web"]}, True),
    ({"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["deployments"], "resourceNames": ["api"]}, False),
])
def test_resource_rules(tmp_path, rule, matched):
    got = messages(tmp_path, policy(rules=[rule]), binding(), deployment())
    assert [g[0] for g in got] == (["VAP001"] if matched else [])


def test_policy_without_resource_rules_matches_nothing(tmp_path):
    p = policy()
    p["spec"]["matchConstraints"] = {"namespaceSelector": {}}
    assert verdicts(tmp_path, p, binding(), deployment()) == []


def test_exclude_resource_rules(tmp_path):
    p = policy(matchConstraints={
        "resourceRules": [{"apiGroups": ["*"], "apiVersions": ["*"], "operations": ["*"],
                           "resources": ["*"]}],
        "excludeResourceRules": [{"apiGroups": ["apps"], "apiVersions": ["v1"],
                                  "operations": ["CREATE"], "resources": ["deployments"],
                                  "resourceNames": ["web"]}]})
    got = messages(tmp_path, p, binding(), deployment("web"), deployment("api"))
    assert [(g[0], g[1]) for g in got] == [("VAP001", "api")]


def test_namespace_selector_uses_namespace_labels(tmp_path):
    p = policy(matchConstraints={
        "resourceRules": [{"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE"],
                           "resources": ["deployments"]}],
        "namespaceSelector": {"matchLabels": {"environment": "test"}}})
    got = messages(tmp_path, p, binding(), namespace("t", {"environment": "test"}),
                   namespace("prod", {"environment": "prod"}),
                   deployment("a", namespace="t"), deployment("b", namespace="prod"),
                   deployment("c", namespace="unknown"))
    assert [(g[0], g[1]) for g in got] == [("VAP001", "a")]


def test_namespace_selector_sees_the_automatic_name_label(tmp_path):
    p = policy(matchConstraints={
        "resourceRules": [{"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE"],
                           "resources": ["deployments"]}],
        "namespaceSelector": {"matchExpressions": [{"key": "kubernetes.io/metadata.name",
                                                    "operator": "NotIn",
                                                    "values": ["kube-system"]}]}})
    got = messages(tmp_path, p, binding(), deployment("a", namespace="kube-system"),
                   deployment("b", namespace="apps"), deployment("c"))
    assert [g[1] for g in got] == ["b", "c"]


def test_object_selector(tmp_path):
    p = policy(matchConstraints={
        "resourceRules": [{"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE"],
                           "resources": ["deployments"]}],
        "objectSelector": {"matchExpressions": [{"key": "tier", "operator": "In",
                                                 "values": ["web"]}]}})
    got = messages(tmp_path, p, binding(), deployment("a", labels={"tier": "web"}),
                   deployment("b", labels={"tier": "db"}), deployment("c"))
    assert [g[1] for g in got] == ["a"]


@pytest.mark.parametrize("match_policy,matched", [("Equivalent", True), ("Exact", False),
                                                  (None, True)])
def test_match_policy(tmp_path, match_policy, matched):
    mc = {"resourceRules": [{"apiGroups": ["apps"], "apiVersions": ["v1"],
                             "operations": ["CREATE"], "resources": ["deployments"]}]}
    if match_policy:
        mc["matchPolicy"] = match_policy
    got = messages(tmp_path, policy(matchConstraints=mc), binding(),
                   deployment(api_version="extensions/v1beta1"))
    assert [g[0] for g in got] == (["VAP001"] if matched else [])


def test_binding_match_resources_narrow_the_policy(tmp_path):
    b = binding(matchResources={"namespaceSelector": {"matchLabels": {"environment": "test"}}})
    got = messages(tmp_path, policy(), b, namespace("t", {"environment": "test"}),
                   deployment("a", namespace="t"), deployment("b", namespace="other"))
    assert [g[1] for g in got] == ["a"]
    b = binding(matchResources={"resourceRules": [{"apiGroups": ["apps"], "apiVersions": ["v1"],
                                                   "operations": ["CREATE"],
                                                   "resources": ["deployments"],
                                                   "resourceNames": ["b"]}]})
    got = messages(tmp_path, policy(), b, deployment("a"), deployment("b"))
    assert [g[1] for g in got] == ["b"]


def test_admission_objects_are_never_targets(tmp_path):
    p = policy(rules=[{"apiGroups": ["*"], "apiVersions": ["*"], "operations": ["*"],
                       "resources": ["*"]}],
               validations=[{"expression": "false", "message": "nothing allowed"}])
    got = messages(tmp_path, p, binding(), namespace("n"))
    assert got == [("VAP001", "n", DENY + "nothing allowed")]


# -- matchConditions ------------------------------------------------------------

def test_match_conditions_false_skips(tmp_path):
    p = policy(matchConditions=[
        {"name": "not-exempt", "expression": "!('exempt' in object.metadata.?labels.orValue({}))"}])
    got = messages(tmp_path, p, binding(), deployment("a", labels={"exempt": "yes"}),
                   deployment("b"))
    assert [g[1] for g in got] == ["b"]


@pytest.mark.parametrize("failure_policy,expected", [
    ("Fail", [("VAP001", "web", DENY + "matchCondition 'bad' resulted in error: "
                                       "No such key: nope")]),
    ("Ignore", []),
])
def test_match_condition_error_follows_failure_policy(tmp_path, failure_policy, expected):
    p = policy(failurePolicy=failure_policy,
               matchConditions=[{"name": "bad", "expression": "object.nope == 1"}])
    got = messages(tmp_path, p, binding(), deployment())
    assert [(g[0], g[1], g[2].replace("Key not found in map : \"nope\"", "No such key: nope"))
            for g in got] == expected


def test_a_false_match_condition_wins_over_an_error(tmp_path):
    p = policy(matchConditions=[{"name": "bad", "expression": "object.nope == 1"},
                                {"name": "never", "expression": "false"}])
    assert messages(tmp_path, p, binding(), deployment()) == []


# -- validations, messages, reasons, failure policy -----------------------------------

@pytest.mark.parametrize("validation,expected", [
    ({"expression": "object.spec.replicas <= 5", "message": "at most 5 replicas"},
     "at most 5 replicas"),
    ({"expression": "object.spec.replicas <= 5",
      "messageExpression": "'replicas ' + string(object.spec.replicas) + ' > 5'"},
     "replicas 10 > 5"),
    ({"expression": "object.spec.replicas <= 5", "message": "fallback",
      "messageExpression": "object.nope"}, "fallback"),
    ({"expression": "object.spec.replicas <= 5", "message": "fallback",
      "messageExpression": "''"}, "fallback"),
    ({"expression": "object.spec.replicas <= 5", "message": "fallback",
      "messageExpression": "'two\\nlines'"}, "fallback"),
    ({"expression": "object.spec.replicas <= 5"}, "failed expression: object.spec.replicas <= 5"),
])
def test_messages(tmp_path, validation, expected):
    got = messages(tmp_path, policy(validations=[validation]), binding(), deployment())
    assert got == [("VAP001", "web", DENY + expected)]


def test_every_failing_validation_is_reported(tmp_path):
    p = policy(validations=[{"expression": "object.spec.replicas <= 5", "message": "one"},
                            {"expression": "object.metadata.name != 'web'", "message": "two"},
                            {"expression": "true", "message": "never"}])
    got = messages(tmp_path, p, binding(), deployment())
    assert sorted(g[2] for g in got) == [DENY + "one", DENY + "two"]


def test_reason_is_kept():
    from kubeward.policy.vap import compile_policy
    from kubeward.model import K8sObject
    from kubeward.model.objects import Source
    from kubeward.policy.evaluate import evaluate
    p = policy(validations=[{"expression": "false", "reason": "Forbidden"},
                            {"expression": "false"}])
    cp, errors = compile_policy(K8sObject(p, Source("x", 0, 1, {})))
    assert errors == []
    out = evaluate(cp, {"object": deployment()})
    assert [v.reason for v in out.violations] == ["Forbidden", "Invalid"]


@pytest.mark.parametrize("failure_policy,expected", [
    ("Fail", [("VAP001", "web", DENY + "expression 'object.spec.missing > 1' resulted in "
                                       "error: Key not found in map : \"missing\"")]),
    (None, [("VAP001", "web", DENY + "expression 'object.spec.missing > 1' resulted in "
                                     "error: Key not found in map : \"missing\"")]),
    ("Ignore", []),
])
def test_runtime_error_follows_failure_policy(tmp_path, failure_policy, expected):
    spec = {} if failure_policy is None else {"failurePolicy": failure_policy}
    p = policy(validations=[{"expression": "object.spec.missing > 1"}], **spec)
    assert messages(tmp_path, p, binding(), deployment()) == expected


def test_non_bool_result_is_an_error(tmp_path):
    p = policy(validations=[{"expression": "object.spec.replicas"}])
    got = messages(tmp_path, p, binding(), deployment())
    assert got == [("VAP001", "web", DENY + "expression 'object.spec.replicas' resulted in "
                                            "error: validation failed due to an unexpected "
                                            "result type: expression must return bool")]


def test_field_path_hint(tmp_path):
    p = policy(validations=[{"expression": "object.spec.replicas <= 5",
                             "fieldPath": "spec.template.spec.containers[0].image"}])
    got = verdicts(tmp_path, p, binding(), deployment())
    assert got[0][2] == ("spec", "template", "spec", "containers", 0, "image")


def test_culprit_is_the_failing_list_element(tmp_path):
    d = deployment()
    d["spec"]["template"]["spec"]["containers"] = [{"name": "a", "image": "reg.io/a"},
                                                   {"name": "b", "image": "evil.io/b"}]
    p = policy(validations=[{"expression": "object.spec.template.spec.containers.all(c, "
                                           "c.image.startsWith('reg.io/'))"}])
    got = verdicts(tmp_path, p, binding(), d)
    assert got[0][2] == ("spec", "template", "spec", "containers", 1, "image")


# -- variables -------------------------------------------------------------------------

def test_variables_compose(tmp_path):
    p = policy(variables=[{"name": "limit", "expression": "3"},
                          {"name": "over", "expression": "object.spec.replicas > variables.limit"}],
               validations=[{"expression": "!variables.over",
                             "messageExpression": "'more than ' + string(variables.limit)"}])
    assert messages(tmp_path, p, binding(), deployment(replicas=4)) == [
        ("VAP001", "web", DENY + "more than 3")]
    assert messages(tmp_path, p, binding(), deployment(replicas=3)) == []


def test_a_variable_error_is_reported_where_used(tmp_path):
    p = policy(variables=[{"name": "x", "expression": "object.spec.nope"}],
               validations=[{"expression": "variables.x == 1"}])
    got = messages(tmp_path, p, binding(), deployment())
    assert got == [("VAP001", "web", DENY + "expression 'variables.x == 1' resulted in error: "
                                            "variables.x: Key not found in map : \"nope\"")]


# -- params ----------------------------------------------------------------------------

def _limit(name="limits", ns="default", value=3, labels=None):
    meta = {"name": name, "namespace": ns}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "rules.example.com/v1", "kind": "ReplicaLimit", "metadata": meta,
            "maxReplicas": value}


def _param_policy(**kw):
    return policy(paramKind={"apiVersion": "rules.example.com/v1", "kind": "ReplicaLimit"},
                  validations=[{"expression": "object.spec.replicas <= params.maxReplicas",
                                "messageExpression": "'at most ' + string(params.maxReplicas)"}],
                  **kw)


def test_param_ref_by_name(tmp_path):
    b = binding(paramRef={"name": "limits", "namespace": "default",
                          "parameterNotFoundAction": "Deny"})
    assert messages(tmp_path, _param_policy(), b, _limit(), deployment(replicas=4)) == [
        ("VAP001", "web", DENY + "at most 3")]
    assert messages(tmp_path, _param_policy(), b, _limit(), deployment(replicas=3)) == []


def test_param_ref_namespace_defaults_to_the_object_namespace(tmp_path):
    b = binding(paramRef={"name": "limits", "parameterNotFoundAction": "Deny"})
    got = messages(tmp_path, _param_policy(), b, _limit(ns="a", value=1), _limit(ns="b", value=9),
                   deployment("x", replicas=5, namespace="a"),
                   deployment("y", replicas=5, namespace="b"))
    assert got == [("VAP001", "x", DENY + "at most 1")]


def test_param_ref_selector_evaluates_every_param(tmp_path):
    b = binding(paramRef={"selector": {"matchLabels": {"kind": "limit"}},
                          "namespace": "default", "parameterNotFoundAction": "Deny"})
    got = messages(tmp_path, _param_policy(), b,
                   _limit("l1", value=8, labels={"kind": "limit"}),
                   _limit("l2", value=4, labels={"kind": "limit"}),
                   _limit("l3", value=1, labels={"kind": "other"}), deployment(replicas=6))
    assert got == [("VAP001", "web", DENY + "at most 4")]


@pytest.mark.parametrize("action,expected", [
    ("Deny", [("VAP001", "web", DENY + "failed to configure binding: no params found for policy "
                                       "binding with `Deny` parameterNotFoundAction")]),
    ("Allow", []),
])
def test_parameter_not_found_action(tmp_path, action, expected):
    b = binding(paramRef={"name": "missing", "namespace": "default",
                          "parameterNotFoundAction": action})
    assert messages(tmp_path, _param_policy(), b, deployment()) == expected


def test_param_kind_without_param_ref(tmp_path):
    assert messages(tmp_path, _param_policy(), binding(), deployment()) == [
        ("VAP001", "web", DENY + "failed to configure binding: no paramRef specified")]


# -- auditAnnotations, namespaceObject, request -----------------------------------------

def test_audit_annotations():
    from kubeward.model import K8sObject
    from kubeward.model.objects import Source
    from kubeward.policy.evaluate import evaluate
    from kubeward.policy.vap import compile_policy
    p = policy(auditAnnotations=[
        {"key": "high-replica-count",
         "valueExpression": "object.spec.replicas > 5 ? 'Deployment spec.replicas set to ' + "
                            "string(object.spec.replicas) : null"}])
    cp, _ = compile_policy(K8sObject(p, Source("x", 0, 1, {})))
    assert evaluate(cp, {"object": deployment(replicas=7)}).audit_annotations == {
        "p/high-replica-count": "Deployment spec.replicas set to 7"}
    assert evaluate(cp, {"object": deployment(replicas=2)}).audit_annotations == {}


def test_namespace_object_and_request_variables(tmp_path):
    p = policy(validations=[
        {"expression": "namespaceObject.metadata.labels.env == 'prod' && "
                       "request.operation == 'CREATE' && request.namespace == 'team' && "
                       "request.resource.resource == 'deployments'",
         "message": "saw prod"}])
    got = messages(tmp_path, p, binding(), namespace("team", {"env": "dev"}),
                   deployment(namespace="team"))
    assert got == [("VAP001", "web", DENY + "saw prod")]


# -- compile errors -----------------------------------------------------------------------

def test_compile_error_names_policy_and_expression(tmp_path):
    p = policy(validations=[{"expression": "object.spec.replicas <="},
                            {"expression": "object.spec.replicas < 9"}])
    got = verdicts(tmp_path, p, binding(), deployment())
    assert [(g[0], g[1], g[2]) for g in got] == [
        ("VAP004", "p", ("spec", "validations", 0, "expression")),
        ("VAP001", "web", ("spec", "replicas")),
        ("VAP001", "web", ())] or sorted((g[0], g[1]) for g in got) == [
        ("VAP001", "web"), ("VAP001", "web"), ("VAP004", "p")]
    msgs = sorted(g[4] for g in got)
    assert msgs[0].startswith(DENY + "expression 'object.spec.replicas <=': compilation failed: "
                                     "ERROR: <input>:1:24: Syntax error")
    assert msgs[1] == DENY + "failed expression: object.spec.replicas < 9"
    assert msgs[2].startswith("ValidatingAdmissionPolicy 'p': spec.validations[0].expression: "
                              "compilation failed: ERROR: <input>:1:24: Syntax error")


def test_undeclared_reference_is_a_compile_error(tmp_path):
    p = policy(validations=[{"expression": "authorizer.group('').resource('x').check('get')"
                                           ".allowed()"}])
    got = messages(tmp_path, p, binding(), checks=("VAP004",))
    assert got == [("VAP004", "p", "ValidatingAdmissionPolicy 'p': spec.validations[0]."
                                   "expression: compilation failed: ERROR: <input>:1:1: "
                                   "undeclared reference to 'authorizer' (in container '')")]


def test_cost_limit_stops_an_expensive_expression(tmp_path):
    d = deployment()
    d["spec"]["template"]["spec"]["containers"] = [{"name": f"c{i}", "image": "x"}
                                                   for i in range(120)]
    expr = ("object.spec.template.spec.containers.all(a, object.spec.template.spec.containers"
            ".all(b, object.spec.template.spec.containers.all(c, a.name != '' && "
            "b.name != '' && c.name != '')))")
    got = messages(tmp_path, policy(validations=[{"expression": expr}]), binding(), d)
    assert got == [("VAP001", "web", DENY + f"expression '{expr}' resulted in error: "
                                            "operation cancelled: actual cost limit exceeded")]
    # the same expression over 10 containers is cheap enough
    d["spec"]["template"]["spec"]["containers"] = d["spec"]["template"]["spec"]["containers"][:10]
    assert messages(tmp_path, policy(validations=[{"expression": expr}]), binding(), d) == []


def test_namespace_object_always_has_its_name_label(tmp_path):
    p = policy(validations=[
        {"expression": "namespaceObject.metadata.labels['kubernetes.io/metadata.name'] != "
                       "object.metadata.namespace", "message": "has the name label"}])
    got = messages(tmp_path, p, binding(), namespace("given"), deployment("a", namespace="given"),
                   deployment("b", namespace="absent"))
    assert got == [("VAP001", "a", DENY + "has the name label"),
                   ("VAP001", "b", DENY + "has the name label")]
