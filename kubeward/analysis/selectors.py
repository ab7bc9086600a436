"""Label selectors exactly as ``metav1.LabelSelector`` defines them."""

from __future__ import annotations

from typing import Any


def as_list(v) -> list:
    """``v`` if it is a list, else [] (malformed input never raises)."""
    return v if isinstance(v, list) else []


def as_dict(v) -> dict:
    """``v`` if it is a mapping, else {}."""
    return v if isinstance(v, dict) else {}


def selector_matches(selector: Any, labels: dict) -> bool:
    """``matchLabels`` AND every ``matchExpressions`` requirement. An empty
    selector ({}) matches everything; a malformed one (unknown operator,
    In/NotIn without values) matches nothing, as the API server would have
    rejected it."""
    if selector is None:
        return False
    if not isinstance(selector, dict):
        return False
    ml = selector.get("matchLabels") or {}
    if not isinstance(ml, dict):
        return False
    for k, v in ml.items():
        if not isinstance(k, str) or k not in labels or str(labels[k]) != str(v):
            return False
    exprs = selector.get("matchExpressions") or []
    if not isinstance(exprs, list):
        return False
    for e in exprs:
        if not isinstance(e, dict):
            return False
        key, op = e.get("key"), e.get("operator")
        if not isinstance(key, str):
            return False
        values = e.get("values") or []
        values = [str(x) for x in values] if isinstance(values, list) else []
        if op == "In":
            if not values or key not in labels or str(labels[key]) not in values:
                return False
        elif op == "NotIn":
            if not values:
                return False
            if key in labels and str(labels[key]) in values:
                return False
        elif op == "Exists":
            if key not in labels:
                return False
        elif op == "DoesNotExist":
            if key in labels:
                return False
        else:
            return False
    return True


def is_empty_selector(selector: Any) -> bool:
    return isinstance(selector, dict) and not selector.get("matchLabels") \
        and not selector.get("matchExpressions")


def describe_selector(selector: Any) -> str:
    """``{app=web, tier in (a,b), !debug}``; ``{}`` for the empty selector."""
    if not isinstance(selector, dict):
        return "{}"
    parts = [f"{k}={v}" for k, v in sorted(as_dict(selector.get("matchLabels")).items(),
                                                 key=str)]
    for e in as_list(selector.get("matchExpressions")):
        if not isinstance(e, dict):
            continue
        key, op, vals = e.get("key"), e.get("operator"), as_list(e.get("values"))
        if op == "In":
            parts.append(f"{key} in ({','.join(map(str, vals))})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(map(str, vals))})")
        elif op == "Exists":
            parts.append(str(key))
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
        else:
            parts.append(f"{key} {op}?")
    return "{" + ", ".join(parts) + "}"


def map_selector_matches(selector: Any, labels: dict) -> bool:
    """A Service-style selector (a plain map): every pair must be present.
    An empty or missing map selects nothing (Services without a selector
    have their endpoints managed by hand)."""
    if not isinstance(selector, dict) or not selector:
        return False
    return all(isinstance(k, str) and k in labels and str(labels[k]) == str(v)
               for k, v in selector.items())
