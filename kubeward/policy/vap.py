"""ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding,
evaluated offline as the API server evaluates them for a create.

``review(objects)`` finds the policies and bindings among ``objects`` and
evaluates every other object: ``matchConstraints`` (``resourceRules``,
``excludeResourceRules``, ``namespaceSelector``, ``objectSelector``,
``matchPolicy``), the binding's ``matchResources``, ``matchConditions``,
``paramKind`` with ``paramRef`` (``name``, ``namespace``, ``selector``,
``parameterNotFoundAction``), ``variables``, ``validations`` (``message``,
``messageExpression``, ``reason``), ``auditAnnotations``, ``failurePolicy``
and the binding's ``validationActions``. Messages are the API server's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kubeward.analysis.selectors import selector_matches
from kubeward.model import K8sObject
from kubeward.policy.evaluate import (CompiledPolicy, Validation, Violation, compile_one,
                                      evaluate, parse_field_path)
from kubeward.policy.resources import equivalents, resource_of

POLICY_KIND = "ValidatingAdmissionPolicy"
BINDING_KIND = "ValidatingAdmissionPolicyBinding"
_ADMISSION_GROUP = "admissionregistration.k8s.io"


def _d(v) -> dict:
    return v if isinstance(v, dict) else {}


def _l(v) -> list:
    return v if isinstance(v, list) else []


def gvk(obj: K8sObject) -> tuple[str, str, str]:
    group, _, version = obj.api_version.rpartition("/")
    return group, version, obj.kind


def object_namespace(obj: K8sObject) -> str | None:
    """The namespace a create of ``obj`` would land in (``default`` when a
    namespaced object's manifest names none), None when cluster-scoped."""
    _res, namespaced = resource_of(obj.kind)
    if not namespaced:
        return None
    return obj.namespace or "default"


def _rule_matches(rule: dict, group: str, version: str, resource: str, namespaced: bool,
                  name: str, exact: bool) -> bool:
    ops = _l(rule.get("operations")) or []
    if ops and not ({"*", "CREATE"} & set(ops)):
        return False
    scope = rule.get("scope") or "*"
    if scope == "Cluster" and namespaced or scope == "Namespaced" and not namespaced:
        return False
    names = _l(rule.get("resourceNames"))
    if names and name not in names:
        return False
    groups, versions = _l(rule.get("apiGroups")), _l(rule.get("apiVersions"))
    resources = _l(rule.get("resources"))
    pairs = {(group, resource)} if exact else equivalents(group, resource)
    for g, r in pairs:
        if "*" not in groups and g not in groups:
            continue
        if (g, r) == (group, resource) or exact:
            if "*" not in versions and version not in versions:
                continue
        if "*" in resources or "*/*" in resources or r in resources:
            return True
    return False


def matches_resources(constraints: dict, obj: K8sObject, ns_labels: dict | None,
                      rules_required: bool = False) -> bool:
    """``matchConstraints`` / ``matchResources`` against a create of ``obj``.
    A policy's ``matchConstraints`` must list ``resourceRules`` (the API
    server requires them); a binding's ``matchResources`` without them
    keeps every resource the policy matches."""
    group, version, _kind = gvk(obj)
    resource, namespaced = resource_of(obj.kind)
    exact = constraints.get("matchPolicy") == "Exact"
    rules = _l(constraints.get("resourceRules"))
    if (rules or rules_required) and not any(
            _rule_matches(_d(r), group, version, resource, namespaced, obj.name, exact) for r in rules):
        return False
    if any(_rule_matches(_d(r), group, version, resource, namespaced, obj.name, exact)
           for r in _l(constraints.get("excludeResourceRules"))):
        return False
    obj_sel = constraints.get("objectSelector")
    if obj_sel is not None and not selector_matches(obj_sel, obj.labels):
        return False
    ns_sel = constraints.get("namespaceSelector")
    if ns_sel is not None:
        if obj.kind == "Namespace":
            labels = dict(obj.labels, **{"kubernetes.io/metadata.name": obj.name})
            if not selector_matches(ns_sel, labels):
                return False
        elif namespaced and not selector_matches(ns_sel, ns_labels or {}):
            return False
    return True


@dataclass
class PolicyCompileError:
    policy: K8sObject
    path: tuple
    expression: str
    message: str


@dataclass
class Decision:
    """One violation of one policy through one binding for one object,
    with the action the binding takes (Deny, Warn or Audit)."""

    policy: K8sObject
    binding: K8sObject
    target: K8sObject
    action: str
    violation: Violation
    message: str
    audit_annotations: dict = field(default_factory=dict)


def compile_policy(policy: K8sObject) -> tuple[CompiledPolicy, list]:
    spec = _d(policy.raw.get("spec"))
    cp = CompiledPolicy(policy.name, failure_policy=spec.get("failurePolicy") or "Fail")
    for i, mc in enumerate(_l(spec.get("matchConditions"))):
        mc = _d(mc)
        cp.match_conditions.append((str(mc.get("name", i)), compile_one(mc.get("expression")),
                                    ("spec", "matchConditions", i, "expression")))
    for i, var in enumerate(_l(spec.get("variables"))):
        var = _d(var)
        cp.variables.append((str(var.get("name", i)), compile_one(var.get("expression")),
                             ("spec", "variables", i, "expression")))
    for i, v in enumerate(_l(spec.get("validations"))):
        v = _d(v)
        me = v.get("messageExpression")
        fp = v.get("fieldPath")
        cp.validations.append(Validation(
            compile_one(v.get("expression")), v.get("message") if isinstance(v.get("message"), str)
            else None, compile_one(me) if me is not None else None,
            str(v.get("reason") or "Invalid"),
            parse_field_path(fp) if isinstance(fp, str) else None,
            ("spec", "validations", i)))
    for i, aa in enumerate(_l(spec.get("auditAnnotations"))):
        aa = _d(aa)
        cp.audit_annotations.append((str(aa.get("key", i)), compile_one(aa.get("valueExpression")),
                                     ("spec", "auditAnnotations", i, "valueExpression")))
    errors = [PolicyCompileError(policy, where, expr, msg)
              for where, expr, msg in cp.compile_errors()]
    return cp, errors


def _namespace_labels(name: str | None, namespaces: dict) -> dict:
    if name is None:
        return {}
    ns = namespaces.get(name)
    labels = dict(ns.labels) if ns is not None else {}
    labels["kubernetes.io/metadata.name"] = name
    return labels


def namespace_object(name: str | None, obj: K8sObject | None,
                     labels: dict | None = None) -> dict | None:
    """``namespaceObject``: the Namespace from the input, else one with
    ``labels`` (known without the object: the webhook's namespace view),
    else the one the API server would hold (no labels but the automatic
    name label); None for cluster-scoped objects."""
    if name is None:
        return None
    if obj is not None:  # the API server always sets the name label
        meta = obj.metadata
        labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
        if labels.get("kubernetes.io/metadata.name") == name:
            return obj.raw
        return {**obj.raw, "metadata": {**meta, "labels": {
            **labels, "kubernetes.io/metadata.name": name}}}
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {**(labels or {}),
                                                  "kubernetes.io/metadata.name": name}}}


def request_for(obj: K8sObject, ns: str | None) -> dict:
    """The AdmissionRequest of a create of ``obj`` by user kubeward."""
    group, version, kind = gvk(obj)
    resource, _ = resource_of(kind)
    return {
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": resource},
        "requestKind": {"group": group, "version": version, "kind": kind},
        "requestResource": {"group": group, "version": version, "resource": resource},
        "name": obj.name, "namespace": ns or "", "operation": "CREATE",
        "userInfo": {"username": "kubeward", "groups": ["system:authenticated"]},
        "dryRun": True, "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"},
    }


def _params_for(policy_spec: dict, binding_spec: dict, obj_ns: str | None, objects_by_kind: dict):
    """(list of param objects, error message or None, not-found action)."""
    pk = policy_spec.get("paramKind")
    if not isinstance(pk, dict):
        return [None], None
    ref = binding_spec.get("paramRef")
    if not isinstance(ref, dict):
        return [], "failed to configure binding: no paramRef specified", "Deny"
    action = ref.get("parameterNotFoundAction") or "Deny"
    kind, api_version = pk.get("kind"), pk.get("apiVersion")
    _res, namespaced = resource_of(str(kind))
    candidates = [o for o in objects_by_kind.get(kind, ()) if o.api_version == api_version]
    if namespaced:
        ns = ref.get("namespace") or obj_ns
        if ns is None:
            return [], ("failed to configure binding: paramRef.namespace must be set for a "
                        "cluster-scoped object when the param kind is namespaced"), "Deny"
        candidates = [o for o in candidates if (o.namespace or "default") == ns]
    if ref.get("name"):
        found = [o for o in candidates if o.name == ref["name"]]
    elif isinstance(ref.get("selector"), dict):
        found = [o for o in candidates if selector_matches(ref["selector"], o.labels)]
    else:
        found = []
    return found, None, action


def review(objects: list[K8sObject]):
    """Yield Decision and PolicyCompileError for every policy and binding
    among ``objects``, applied to every other object."""
    by_kind: dict[str, list[K8sObject]] = {}
    for o in objects:
        by_kind.setdefault(o.kind, []).append(o)
    policies = {p.name: p for p in by_kind.get(POLICY_KIND, ())
                if p.api_version.startswith(_ADMISSION_GROUP + "/")}
    bindings = [b for b in by_kind.get(BINDING_KIND, ())
                if b.api_version.startswith(_ADMISSION_GROUP + "/")]
    if not policies:
        return
    compiled = {}
    for name, p in policies.items():
        cp, errors = compile_policy(p)
        compiled[name] = cp
        yield from errors
    namespaces = {n.name: n for n in by_kind.get("Namespace", ())}
    targets = [o for o in objects if o.group != _ADMISSION_GROUP]
    for b in bindings:
        bspec = _d(b.raw.get("spec"))
        pol = policies.get(bspec.get("policyName"))
        if pol is None:
            continue
        pspec = _d(pol.raw.get("spec"))
        actions = [a for a in _l(bspec.get("validationActions")) if a in ("Deny", "Warn", "Audit")]
        if not actions:
            continue
        cp = compiled[pol.name]
        constraints = _d(pspec.get("matchConstraints"))
        binding_match = bspec.get("matchResources")
        for obj in targets:
            ns = object_namespace(obj)
            ns_labels = _namespace_labels(ns, namespaces)
            if not matches_resources(constraints, obj, ns_labels, rules_required=True):
                continue
            if isinstance(binding_match, dict) and not matches_resources(binding_match, obj, ns_labels):
                continue
            params, err, *rest = _params_for(pspec, bspec, ns, by_kind)
            data = {"object": obj.raw, "oldObject": None, "request": request_for(obj, ns),
                    "namespaceObject": namespace_object(ns, namespaces.get(ns) if ns else None)}
            violations: list[tuple[Violation, dict]] = []
            if err is not None:
                if cp.failure_policy != "Ignore":
                    violations.append((Violation(err, "InvalidValue", error=True), {}))
            elif not params:
                if (rest[0] if rest else "Deny") == "Deny":
                    violations.append((Violation(
                        "failed to configure binding: no params found for policy binding with "
                        "`Deny` parameterNotFoundAction", "InvalidValue", error=True), {}))
            for param in params:
                data["params"] = param.raw if param is not None else None
                outcome = evaluate(cp, data)
                if outcome.matched:
                    violations.extend((v, outcome.audit_annotations) for v in outcome.violations)
            for v, notes in violations:
                for action in actions:
                    yield Decision(pol, b, obj, action, v, _message(action, pol, b, v), notes)


def _message(action: str, policy: K8sObject, binding: K8sObject, v: Violation) -> str:
    if action == "Deny":
        return (f"ValidatingAdmissionPolicy '{policy.name}' with binding '{binding.name}' "
                f"denied request: {v.message}")
    if action == "Warn":
        return (f"Validation failed for ValidatingAdmissionPolicy '{policy.name}' with binding "
                f"'{binding.name}': {v.message}")
    return (f"audit: ValidatingAdmissionPolicy '{policy.name}' with binding '{binding.name}' "
            f"failed: {v.message}")
