"""Rule files: custom checks written in CEL.

A rule file is YAML (one or more documents), each document a ``RuleSet``::

    apiVersion: kubeward.io/v1alpha1
    kind: RuleSet
    rules:
      - id: ACME001
        name: Images come from the company registry
        severity: high
        kinds: [Deployment, StatefulSet, DaemonSet, Pod]
        validations:
          - expression: "object.spec.template.spec.containers.all(c, c.image.startsWith('registry.acme.io/'))"
            message: images must come from registry.acme.io

Every key is in ``RULE_SCHEMA`` and documented in docs/policies.md. A bad
file, rule or expression is one error naming the file and line; the other
rules still load.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from kubeward.findings import LoadError
from kubeward.loading.yamldoc import line_of as _line_of
from kubeward.paths import format_path as _dotted
from kubeward.policy.evaluate import (CompiledPolicy, Validation, compile_one, compile_together,
                                      parse_field_path)

API_VERSION = "kubeward.io/v1alpha1"
#: id prefixes of kubeward's own checks; a custom rule may not use them
BUILTIN_PREFIXES = frozenset({"PSS", "CTR", "RBAC", "SEC", "NET", "REL", "RES", "MNT", "IMG",
                              "API", "NSP", "XNET", "XRBAC", "REF", "SUP", "PSA", "VAP"})
_SEVERITIES = ["critical", "high", "medium", "low", "info"]
_STR = {"type": "string", "minLength": 1}
_VAR_ITEM = {"type": "object", "additionalProperties": False, "required": ["name", "expression"],
             "properties": {"name": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
                            "expression": _STR}}
_CONDITION_ITEM = {"type": "object", "additionalProperties": False,
                   "required": ["name", "expression"],
                   "properties": {"name": {"type": "string",
                                           "pattern": r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$"},
                                  "expression": _STR}}
_RULE_WITH_OPS = {
    "type": "object", "additionalProperties": False,
    "properties": {k: {"type": "array", "items": {"type": "string"}}
                   for k in ("apiGroups", "apiVersions", "resources", "operations",
                             "resourceNames")} | {"scope": {"enum": ["*", "Cluster", "Namespaced"]}},
}
_SELECTOR = {"type": "object", "additionalProperties": False,
             "properties": {"matchLabels": {"type": "object",
                                            "additionalProperties": {"type": "string"}},
                            "matchExpressions": {"type": "array", "items": {
                                "type": "object", "required": ["key", "operator"],
                                "additionalProperties": False,
                                "properties": {"key": _STR,
                                               "operator": {"enum": ["In", "NotIn", "Exists",
                                                                     "DoesNotExist"]},
                                               "values": {"type": "array",
                                                          "items": {"type": "string"}}}}}}}
RULE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "name", "validations"],
    "properties": {
        "id": {"type": "string", "pattern": r"^[A-Z]{2,6}\d{3}$"},
        "name": _STR,
        "severity": {"enum": _SEVERITIES},
        "kinds": {"type": "array", "items": _STR, "minItems": 1},
        "matchConstraints": {
            "type": "object", "additionalProperties": False,
            "properties": {"resourceRules": {"type": "array", "items": _RULE_WITH_OPS},
                           "excludeResourceRules": {"type": "array", "items": _RULE_WITH_OPS},
                           "namespaceSelector": _SELECTOR, "objectSelector": _SELECTOR,
                           "matchPolicy": {"enum": ["Exact", "Equivalent"]}}},
        "matchConditions": {"type": "array", "items": _CONDITION_ITEM},
        "variables": {"type": "array", "items": _VAR_ITEM},
        "params": {},
        "failurePolicy": {"enum": ["Fail", "Ignore"]},
        "validations": {
            "type": "array", "minItems": 1,
            "items": {"type": "object", "additionalProperties": False, "required": ["expression"],
                      "properties": {"expression": _STR, "message": _STR,
                                     "messageExpression": _STR, "fieldPath": _STR,
                                     "reason": _STR}}},
        "description": _STR,
        "docs": {"type": "object", "additionalProperties": False,
                 "properties": {k: _STR for k in ("whatItDoes", "whyIsThisBad", "example",
                                                  "useInstead")}},
        "remediation": _STR,
        "frameworks": {"type": "object", "additionalProperties": {"type": "array",
                                                                  "items": {"type": "string"}}},
        "defaultEnabled": {"type": "boolean"},
    },
}
FILE_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["rules"],
    "properties": {"apiVersion": {"const": API_VERSION}, "kind": {"const": "RuleSet"},
                   "rules": {"type": "array", "items": {"type": "object"}}},
}


@dataclass
class Rule:
    id: str
    name: str
    severity: str
    kinds: frozenset | None
    match_constraints: dict | None
    policy: CompiledPolicy
    params: object = None
    docs: dict = field(default_factory=dict)
    description: str = ""
    remediation: str = ""
    frameworks: dict = field(default_factory=dict)
    default_enabled: bool = True
    file: str = ""
    line: int = 0


def rule_files(paths) -> tuple[list[str], list[LoadError]]:
    """The YAML files named by ``paths`` (files, or directories searched
    recursively), sorted, and an error for each path that does not exist."""
    files, errors = [], []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                files += [os.path.join(root, n) for n in sorted(names)
                          if n.endswith((".yaml", ".yml"))]
        elif os.path.isfile(p):
            files.append(p)
        else:
            errors.append(LoadError(p, "rule file not found", kind="rules"))
    return files, errors


def load_rules(paths) -> tuple[list[Rule], list[LoadError]]:
    """Every rule of the rule files under ``paths``, compiled, and one
    error (file and line) per bad file, rule or expression."""
    files, errors = rule_files(paths)
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for f in files:
        file_errors: list = []
        loaded = _load_file(f, file_errors)
        errors.extend(sorted(file_errors, key=lambda e: e.line or 0))
        for r in loaded:
            if r.id in seen:
                errors.append(LoadError(f, f"rule {r.id}: duplicate rule id (first defined at "
                                           f"{seen[r.id]})", r.line, kind="rules"))
                continue
            seen[r.id] = f"{f}:{r.line}"
            rules.append(r)
    return rules, errors


def _load_file(path: str, errors: list) -> list[Rule]:
    from kubeward.loading.yamldoc import DocumentError, decode, parse_documents

    try:
        with open(path, "rb") as fh:
            text = decode(fh.read())
    except OSError as e:
        errors.append(LoadError(path, f"cannot read rule file: {e.strerror or e}", kind="rules"))
        return []
    except DocumentError as e:
        errors.append(LoadError(path, e.message, e.line, kind="rules"))
        return []
    import jsonschema

    file_validator = jsonschema.Draft202012Validator(FILE_SCHEMA)
    rule_validator = jsonschema.Draft202012Validator(RULE_SCHEMA)
    out = []
    for doc in parse_documents(text):
        if isinstance(doc, DocumentError):
            errors.append(LoadError(path, doc.message, doc.line, doc.column, kind="rules"))
            continue
        if doc.data is None:
            continue
        if not isinstance(doc.data, dict):
            errors.append(LoadError(path, "a rule file document must be a mapping with `rules:`",
                                    doc.line, kind="rules"))
            continue
        bad = _first_error(file_validator, doc.data)
        if bad is not None:
            where, msg = bad
            errors.append(LoadError(path, f"{_dotted(where) + ': ' if where else ''}{msg}",
                                    _line_of(doc, where), kind="rules"))
            continue
        valid = []
        for i, raw in enumerate(doc.data["rules"]):
            bad = _first_error(rule_validator, raw)
            if bad is not None:
                where, msg = bad
                full = ["rules", i, *where]
                errors.append(LoadError(path, f"{_dotted(full)}: {msg}", _line_of(doc, full),
                                        kind="rules"))
                continue
            valid.append((i, raw))
        good = compile_together(src for _i, raw in valid for src in _sources(raw))
        for i, raw in valid:
            rule = _build(raw, path, doc, i, errors, good)
            if rule is not None:
                out.append(rule)
    return out


def _first_error(validator, data):
    errs = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if not errs:
        return None
    e = errs[0]
    msg = e.message
    path = list(e.absolute_path)
    if e.validator == "additionalProperties":
        msg = msg.replace("Additional properties are not allowed", "unknown key")
        extra = [k for k in e.instance if k not in e.schema.get("properties", {})]
        if extra:  # point at the unknown key's own line
            path.append(extra[0])
    return path, msg


def _sources(raw: dict):
    for key in ("matchConditions", "variables"):
        for item in raw.get(key, ()):
            yield item["expression"]
    for v in raw["validations"]:
        yield v["expression"]
        if "messageExpression" in v:
            yield v["messageExpression"]


def _build(raw: dict, path: str, doc, i: int, errors: list, good=frozenset()) -> Rule | None:
    rid = raw["id"]
    prefix = rid.rstrip("0123456789")
    base = ["rules", i]
    if prefix in BUILTIN_PREFIXES:
        errors.append(LoadError(path, f"rule {rid}: the prefix {prefix} belongs to kubeward's own "
                                      f"checks; choose another (e.g. your organisation's initials)",
                                _line_of(doc, base + ["id"]), kind="rules"))
        return None
    policy = CompiledPolicy(rid, failure_policy=raw.get("failurePolicy", "Fail"))
    for j, mc in enumerate(raw.get("matchConditions", ())):
        policy.match_conditions.append((mc["name"], compile_one(mc["expression"], good),
                                        ("matchConditions", j, "expression")))
    for j, var in enumerate(raw.get("variables", ())):
        policy.variables.append((var["name"], compile_one(var["expression"], good),
                                 ("variables", j, "expression")))
    for j, v in enumerate(raw["validations"]):
        fp = None
        if "fieldPath" in v:
            fp = parse_field_path(v["fieldPath"])
            if fp is None:
                errors.append(LoadError(path, f"rule {rid}: validations[{j}].fieldPath: not a "
                                              f"field path: {v['fieldPath']!r}",
                                        _line_of(doc, base + ["validations", j, "fieldPath"]),
                                        kind="rules"))
                return None
        policy.validations.append(Validation(
            compile_one(v["expression"], good), v.get("message"),
            compile_one(v["messageExpression"], good) if "messageExpression" in v else None,
            v.get("reason", "Invalid"), fp, ("validations", j)))
    bad = list(policy.compile_errors())
    if bad:
        for where, _expr, msg in bad:
            errors.append(LoadError(path, f"rule {rid}: {_dotted(where)}: {msg}",
                                    _line_of(doc, base + list(where)), kind="rules"))
        return None
    return Rule(rid, raw["name"], raw.get("severity", "medium"),
                frozenset(raw["kinds"]) if "kinds" in raw and "*" not in raw["kinds"] else None,
                raw.get("matchConstraints"), policy, raw.get("params"), dict(raw.get("docs", {})),
                raw.get("description", ""), raw.get("remediation", ""),
                {k: tuple(v) for k, v in raw.get("frameworks", {}).items()},
                raw.get("defaultEnabled", True), path, _line_of(doc, base) or 0)
