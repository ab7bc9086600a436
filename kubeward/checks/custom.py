"""Custom rules written in CEL (``--rules``, ``rules:`` in .kubeward.yaml)
as checks.

Each rule of a rule file becomes a ``Check`` class registered under the
rule's id, so selection, suppression annotations, exemptions, severities,
baselines, every output, ``kubeward checks`` and ``kubeward explain`` treat
it like a built-in check. Rules are compiled once when loaded
(kubeward/policy/rules.py). Simple rules (no variables, params or match
conditions) that apply to the same kind run as one check (``batch_group``,
see ``group_checks``): one call of the CEL runtime per object for all of
them. For a rule found false only its messages and field paths are worked
out (``evaluate.known_false``); a rule whose expression errors is evaluated
again on its own so that the error is its own.
"""

from __future__ import annotations

import re
from typing import ClassVar, Iterator

from kubeward.checks.base import (Check, Context, CrossCheck, Finding, K8sObject, Severity,
                                  registry, unregister)
from kubeward.policy.evaluate import CompiledPolicy, Violation, evaluate, known_false
from kubeward.policy.rules import Rule

_FIX_SAFETY_DOC = "No automatic fix: a custom rule reports, it does not change the manifest."


class _RuleCheck:
    """What every check made from a custom rule does (never registered)."""

    dynamic: ClassVar[bool] = True
    rule: ClassVar[Rule]

    def check(self, obj: K8sObject, ctx: Context) -> list[Finding]:
        """This rule alone on ``obj`` (the engine runs the simple rules of a
        kind together: see ``CelRuleCheck.together``)."""
        rule = self.rule
        if rule.match_constraints and not _matches(rule, obj, ctx):
            return []
        return [self.finding(obj, v.path, v.message) for v in _violations(rule, obj, ctx)]


class CelRuleCheck(_RuleCheck, Check):
    """A custom rule that reads only the object under review (and the
    request): a per-object check."""

    @classmethod
    def together(cls, members: list) -> "_RuleGroup":
        return _RuleGroup(members)


class CelNamespaceRuleCheck(_RuleCheck, CrossCheck):
    """A custom rule that reads the object's namespace (``namespaceObject``,
    or a ``namespaceSelector`` on its labels): a cross check, so that it
    sees the Namespace objects of the scan (under ``--jobs`` too, where a
    worker holds only its own files), as the API server would. The webhook
    runs it on the object under review with the labels of its namespace
    view (``Context.namespace_labels``)."""

    admission_per_object: ClassVar[bool] = True

    def check_all(self, objects, ctx) -> Iterator[Finding]:
        for obj in objects:
            if self.applies_to(obj):
                yield from self.check(obj, ctx)


class _RuleGroup:
    """The simple rules that apply to one kind, run as one check: every
    validation of every rule in one call of the CEL runtime per object;
    then the messages and field paths of a rule found false, or the error
    of a rule evaluated alone (it errs), reported under the rule's own id."""

    __slots__ = ("id", "members", "slots", "key")

    def __init__(self, members: list):
        self.members = {m.id: m for m in members}
        self.id = members[0].id  # names the group in an internal error
        self.slots = [(m.id, i) for m in members for i in range(len(m.rule.policy.validations))]
        self.key = _KEYS.setdefault(tuple(self.slots), len(_KEYS))

    def check(self, obj: K8sObject, ctx: Context) -> list[Finding]:
        from kubeward.policy.evaluate import _Run

        run = _Run(_data(obj, ctx), _positions(obj))
        failed: dict = {}
        _eval_range(run, self.key, self.slots, 0, len(self.slots), failed)
        if not failed:
            return []
        out = []
        for rid, m in self.members.items():
            if rid in failed:
                out += [m.finding(obj, v.path, v.message)
                        for v in _batch_violations(m.rule, failed[rid], run)]
        return out


def _namespace_of(obj: K8sObject, ctx: Context) -> tuple[str | None, dict | None]:
    """(namespace of ``obj``, the ``namespaceObject`` of its evaluation): the
    Namespace of the scan's objects (a cross-resource run), else the labels
    of the webhook's namespace view, else the Namespace as the API server
    would hold it without labels of its own (a per-object check sees no
    other object). (None, None) for a cluster-scoped object."""
    from kubeward.policy.vap import namespace_object, object_namespace

    ns = object_namespace(obj)
    if ns is None:
        return None, None
    by_kind = getattr(ctx, "by_kind", None)
    if by_kind is not None:
        return ns, namespace_object(ns, ctx.memo("custom.namespaces", lambda: _by_name(
            by_kind("Namespace"))).get(ns))
    labels = ctx.namespace_labels(ns) if ctx.namespace_labels is not None else None
    return ns, namespace_object(ns, None, labels)


def _by_name(namespaces: list) -> dict:
    out: dict = {}
    for n in namespaces:
        out.setdefault(n.name, n)  # the first of duplicates, as the API server keeps one
    return out


def _matches(rule: Rule, obj: K8sObject, ctx: Context) -> bool:
    from kubeward.policy.vap import matches_resources

    _ns, ns_raw = _namespace_of(obj, ctx)
    labels = ns_raw["metadata"]["labels"] if ns_raw is not None else {}
    return matches_resources(rule.match_constraints, obj, labels)


def _data(obj: K8sObject, ctx: Context) -> dict:
    from kubeward.policy.vap import request_for

    ns, ns_raw = _namespace_of(obj, ctx)
    req = ctx.admission_request
    if req is not None:
        return {"object": obj.raw, "oldObject": req.get("oldObject"),
                "request": {k: v for k, v in req.items() if k not in ("object", "oldObject")},
                "namespaceObject": ns_raw, "params": None}
    return {"object": obj.raw, "oldObject": None, "request": request_for(obj, ns),
            "namespaceObject": ns_raw, "params": None}


_NAMESPACE_OBJECT = re.compile(r"\bnamespaceObject\b")


def _reads_namespace(rule: Rule) -> bool:
    """The rule reads its object's namespace: an expression names
    ``namespaceObject``, or its match constraints select namespaces by
    label."""
    sel = (rule.match_constraints or {}).get("namespaceSelector")
    if isinstance(sel, dict) and (sel.get("matchLabels") or sel.get("matchExpressions")):
        return True
    p = rule.policy
    sources = [c.source for _n, c, _w in p.match_conditions + p.variables + p.audit_annotations]
    for v in p.validations:
        sources.append(v.expression.source)
        if v.message_expression is not None:
            sources.append(v.message_expression.source)
    return any(_NAMESPACE_OBJECT.search(src) for src in sources)


def _simple(rule: Rule) -> bool:
    """Rules evaluated together with the others of their kind."""
    p = rule.policy
    return not (p.variables or p.match_conditions or rule.params is not None
                or rule.match_constraints)


def _violations(rule: Rule, obj: K8sObject, ctx: Context) -> list[Violation]:
    data = _data(obj, ctx)
    data["params"] = rule.params
    out = evaluate(rule.policy, data)
    return out.violations if out.matched else []


def _batch_violations(rule: Rule, failed, run) -> list[Violation]:
    """``failed``: indexes of the rule's false validations, or None when the
    rule must be evaluated alone (an error, a non-bool)."""
    if failed is None:
        return evaluate(rule.policy, run.data, run).violations
    got = known_false(rule.policy, failed, run)
    if got is not None:
        return got
    only = CompiledPolicy(rule.policy.name, rule.policy.failure_policy,
                          validations=[rule.policy.validations[i] for i in failed])
    return evaluate(only, run.data, run).violations


def _positions(obj: K8sObject) -> dict | None:
    """The position tables of ``obj`` when its document holds only it."""
    src = obj.source
    return src.positions if src.positions and not src.doc_path else None


#: the slots of a rule group -> a small number naming them in _PROGRAMS
_KEYS: dict = {}
#: (group key, first slot, end slot) -> the program of those slots, or None
_PROGRAMS: dict = {}


def _eval_range(run, key: int, slots, lo: int, hi: int, failed: dict) -> None:
    """Evaluate slots[lo:hi] in one call; where that errs, each half apart
    (so one erring rule costs a few calls, not one per rule)."""
    from kubeward.policy.celenv import PER_CALL_LIMIT, EvalError

    if lo >= hi:
        return
    pkey = (key, lo, hi)
    prog = _PROGRAMS.get(pkey, False)
    if prog is False:
        prog = _PROGRAMS[pkey] = _compile_slots(slots[lo:hi])
    values = None
    if prog is not None:
        try:
            # many rules at once: each has its own budget and cost limit
            values = run.eval(prog, budget=False, limit=PER_CALL_LIMIT * (hi - lo),
                              as_list=True)
        except EvalError:
            values = None
    if values is None:
        if hi - lo == 1:
            failed[slots[lo][0]] = None  # evaluated alone, which reports its error
            return
        mid = (lo + hi) // 2
        _eval_range(run, key, slots, lo, mid, failed)
        _eval_range(run, key, slots, mid, hi, failed)
        return
    if values.count(True) == len(values):
        return  # the usual case: every rule holds
    for (rid, vi), ok in zip(slots[lo:hi], values):
        if ok is True:
            continue
        lst = failed.get(rid, [])
        if ok is False and lst is not None:
            lst.append(vi)
            failed[rid] = lst
        else:
            failed[rid] = None  # not a bool: the rule reports it alone


def _compile_slots(slots: list):
    from kubeward.policy.celenv import CompileError, compile_expression

    reg = registry()
    parts = [f"({reg[rid].rule.policy.validations[vi].expression.source})" for rid, vi in slots]
    if not parts:
        return None
    try:
        return compile_expression("[" + ",\n".join(parts) + "]", locate=False)
    except CompileError:
        return None


def _doc(rule: Rule) -> str:
    d = rule.docs
    what = d.get("whatItDoes") or rule.description or rule.name
    why = d.get("whyIsThisBad") or "Your organisation's policy (a custom rule)."
    example = d.get("example") or "\n".join(f"- `{v.expression.source}`"
                                            for v in rule.policy.validations)
    use = d.get("useInstead") or rule.remediation or "Change the object so that every validation holds."
    return (f"## What it does\n{what}\n\n## Why is this bad?\n{why}\n\n## Example\n{example}\n\n"
            f"## Use instead\n{use}\n\n## Fix safety\n{_FIX_SAFETY_DOC}\n\n"
            f"Defined in {rule.file}:{rule.line}.")


def register_rules(rules: list[Rule]) -> list[str]:
    """Register each rule as a check (replacing custom rules registered
    before); returns their ids."""
    clear_rules()
    ids = []
    for rule in rules:
        if rule.id in registry():
            continue  # a built-in id (prevented by the prefix rule) or a duplicate
        reads_ns = _reads_namespace(rule)
        type(f"Rule_{rule.id}", (CelNamespaceRuleCheck if reads_ns else CelRuleCheck,), {
            "__doc__": _doc(rule), "__module__": __name__, "id": rule.id, "name": rule.name,
            "severity": Severity.parse(rule.severity), "kinds": rule.kinds,
            "frameworks": dict(rule.frameworks), "default_enabled": rule.default_enabled,
            "remediation": rule.remediation, "rule": rule, "source": f"{rule.file}:{rule.line}",
            # simple rules of a kind run together (see _simple)
            "batch_group": "custom.cel" if _simple(rule) and not reads_ns else None,
        })
        ids.append(rule.id)
    return ids


def clear_rules() -> None:
    """Forget every registered custom rule."""
    for cid, cls in list(registry().items()):
        if getattr(cls, "dynamic", False):
            unregister(cid)
    _PROGRAMS.clear()
    _KEYS.clear()
