"""The encoded API validation rules (:mod:`kubeward.fix.validity`): one test
per rule (its example violates exactly that rule, and stops violating it
when the rule's first field is removed), and the choice of fixes to hold
back."""

from __future__ import annotations

import copy

import pytest

from kubeward.findings import Edit
from kubeward.fix.validity import RULES, RULES_BY_ID, pod_violations, select_valid, violations
from tests.schema_check import schema_errors


def _version(rule) -> tuple:
    return (1, 29) if rule.until else (1, 35)


def _pod(example: dict) -> dict:
    spec = copy.deepcopy(example)
    meta = spec.pop("metadata", {})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", **meta}, "spec": spec}


def _without_first_field(rule, pod: dict) -> dict:
    pod = copy.deepcopy(pod)
    spec = pod["spec"]
    scope, fld = rule.when[0][0], rule.when[0][1]
    targets = []
    if scope in ("c", "e"):
        targets += [c.setdefault("securityContext", {}) for c in spec["containers"]]
    if scope in ("p", "e"):
        targets.append(spec.setdefault("securityContext", {}))
    if scope == "s":
        targets.append(spec)
    parts = fld.split(".")
    for t in targets:
        for part in parts[:-1]:
            t = t.get(part, {}) if isinstance(t, dict) else {}
        if isinstance(t, dict):
            t.pop(parts[-1], None)
    return pod


def test_rule_ids_are_unique_and_name_their_source():
    assert len(RULES_BY_ID) == len(RULES)
    for r in RULES:
        assert r.source and r.message and r.scope in ("pod", "container") and r.example


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule(rule):
    pod = _pod(rule.example)
    got = [v.rule for v in violations(pod, _version(rule))]
    assert got == [rule.id]
    fixed = _without_first_field(rule, pod)
    assert rule.id not in [v.rule for v in violations(fixed, _version(rule))]


@pytest.mark.parametrize("rule", [r for r in RULES if r.since or r.until],
                         ids=[r.id for r in RULES if r.since or r.until])
def test_versioned_rules_apply_only_to_their_versions(rule):
    pod = _pod(rule.example)
    outside = (rule.since[0], rule.since[1] - 1) if rule.since else rule.until
    assert rule.id not in [v.rule for v in violations(pod, outside)]


def test_violation_paths_and_workload_templates():
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
           "spec": {"template": {"spec": {"containers": [
               {"name": "a", "image": "a"},
               {"name": "b", "image": "b", "securityContext": {
                   "privileged": True, "allowPrivilegeEscalation": False}}]}}}}
    (v,) = violations(dep)
    assert v.rule == "ape-false-privileged"
    assert v.path == ("spec", "template", "spec", "containers", 1, "securityContext",
                      "privileged")
    cron = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {
                "hostUsers": False, "hostNetwork": True,
                "containers": [{"name": "a", "image": "a"}]}}}}}}
    assert [v.rule for v in violations(cron)] == ["user-namespace-host-network"]
    assert violations({"apiVersion": "v1", "kind": "ConfigMap"}) == []


def test_run_as_non_root_uses_effective_values():
    spec = {"securityContext": {"runAsNonRoot": True},
            "containers": [{"name": "a", "image": "a", "securityContext": {"runAsUser": 0}},
                           {"name": "b", "image": "b"}]}
    got = pod_violations(spec)
    assert [(v.rule, v.path) for v in got] == [
        ("run-as-non-root-uid-0", ("containers", 0, "securityContext", "runAsUser"))]


SC = ("spec", "containers", 0, "securityContext")


def _priv_pod(**sc) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "a", "image": "a",
                                     "securityContext": {"privileged": True, **sc}}]}}


def test_fix_that_breaks_a_rule_is_held_back_with_the_reason():
    ape = [Edit("set", SC + ("allowPrivilegeEscalation",), False)]
    drop = [Edit("append", SC + ("capabilities", "drop"), "ALL")]
    priv = [Edit("set", SC + ("privileged",), False)]
    sel = select_valid(_priv_pod(), [("PSS014", ape), ("PSS018", drop)],
                       helpers=[("PSS002", priv, "PSS002's unsafe fix (--unsafe-fixes)")])
    assert sel.accepted == ["PSS018"]
    assert sel.held == [("PSS014", "held back: the API server rejects allowPrivilegeEscalation: "
                         "false together with privileged: true (at spec.containers[0]."
                         "securityContext.privileged); valid together with PSS002's unsafe "
                         "fix (--unsafe-fixes)")]


@pytest.mark.parametrize("order", ["unsafe-first", "safe-first"])
def test_fixes_valid_together_are_applied_together_in_any_order(order):
    ape = ("PSS014", [Edit("set", SC + ("allowPrivilegeEscalation",), False)])
    priv = ("PSS002", [Edit("set", SC + ("privileged",), False)])
    groups = [priv, ape] if order == "unsafe-first" else [ape, priv]
    sel = select_valid(_priv_pod(), groups)
    assert sorted(sel.accepted) == ["PSS002", "PSS014"] and sel.held == []


def test_an_already_invalid_object_does_not_block_other_fixes():
    pod = _priv_pod(allowPrivilegeEscalation=False)  # invalid as written
    sel = select_valid(pod, [("PSS018", [Edit("append", SC + ("capabilities", "drop"), "ALL")])])
    assert sel.accepted == ["PSS018"]


def test_windows_pods_get_no_linux_fields():
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "w"},
           "spec": {"os": {"name": "windows"}, "containers": [{"name": "a", "image": "a"}]}}
    seccomp = [Edit("set", ("spec", "securityContext", "seccompProfile"),
                    {"type": "RuntimeDefault"})]
    sel = select_valid(pod, [("PSS017", seccomp)])
    assert sel.accepted == [] and sel.held[0][1] == (
        "held back: securityContext.seccompProfile cannot be set for a windows pod "
        "(at spec.securityContext.seccompProfile)")


def test_seccomp_type_change_keeps_localhost_profile_rules():
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "a", "image": "a", "securityContext": {
               "seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}}}]}}
    only_type = [Edit("set", SC + ("seccompProfile", "type"), "RuntimeDefault")]
    whole = [Edit("set", SC + ("seccompProfile",), {"type": "RuntimeDefault"})]
    sel = select_valid(pod, [("CTR010", only_type)])
    assert sel.held and "can only be set when the type is Localhost" in sel.held[0][1]
    assert select_valid(pod, [("PSS017", whole)]).accepted == ["PSS017"]


def test_examples_are_schema_valid_objects():
    """The rule examples are well-formed objects (so a rule test fails on the
    rule, not on a malformed example); the AppArmor field needs 1.30."""
    for r in RULES:
        assert schema_errors(_pod(r.example), "1.35") == [], r.id


def test_work_grows_linearly_with_the_containers(monkeypatch):
    """500 privileged containers, each with a fix held back and one applied:
    the rules are evaluated a bounded number of times per group, on one
    container at a time (counts, not seconds)."""
    from kubeward.fix import validity

    n = 500
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "big"},
           "spec": {"containers": [{"name": f"c{i}", "image": "a",
                                    "securityContext": {"privileged": True}}
                                   for i in range(n)]}}
    groups = []
    for i in range(n):
        sc = ("spec", "containers", i, "securityContext")
        groups += [((i, "PSS014"), [Edit("set", sc + ("allowPrivilegeEscalation",), False)]),
                   ((i, "PSS018"), [Edit("append", sc + ("capabilities", "drop"), "ALL")])]
    calls = {"n": 0, "containers": 0}
    real = validity.violations

    def counting(raw, version=None, rules=()):
        calls["n"] += 1
        calls["containers"] += len(raw.get("spec", {}).get("containers", []))
        return real(raw, version, rules)

    monkeypatch.setattr(validity, "violations", counting)
    sel = select_valid(pod, groups)
    assert len(sel.accepted) == n and len(sel.held) == n
    assert sel.held[7] == ((7, "PSS014"), "held back: the API server rejects "
                           "allowPrivilegeEscalation: false together with privileged: true "
                           "(at spec.containers[7].securityContext.privileged)")
    assert calls["n"] <= 8 * n
    assert calls["containers"] <= 8 * n + 4 * n  # whole-object passes are few


def test_only_rules_reading_the_edited_fields_are_evaluated():
    from kubeward.fix.validity import relevant_rules

    pod = ("spec", "template", "spec")
    c0 = pod + ("containers", 0)
    # a container's name is read by the annotation rules only
    assert {r.id for r in relevant_rules([Edit("set", c0 + ("imagePullPolicy",), "Always")],
                                         pod)} == {"seccomp-annotation-mismatch",
                                                   "pod-seccomp-annotation-mismatch",
                                                   "apparmor-annotation-mismatch"}
    ape = relevant_rules([Edit("set", c0 + ("securityContext", "allowPrivilegeEscalation"),
                               False)], pod)
    assert {r.id for r in ape} == {"ape-false-privileged", "ape-false-cap-sys-admin",
                                   "ape-false-sys-admin",
                                   "windows-container-allowPrivilegeEscalation"}
    assert relevant_rules([Edit("set", pod + ("automountServiceAccountToken",), False)],
                          pod) == []
    # metadata (annotations) or a whole securityContext: every rule
    assert relevant_rules([Edit("set", ("metadata", "annotations", "a"), "b")], pod) is None
    assert relevant_rules([Edit("set", c0 + ("securityContext",), {})], pod) is None
