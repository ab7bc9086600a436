"""Fixes and mutations keep objects valid: every object of the output is
schema-valid when its original was, and adds no violation of the API rules
kubeward encodes (kubeward.fix.validity). Shared by the fix tests."""

from __future__ import annotations

from kwtest.schema_check import schema_errors

from kubeward.fix.rewrite import parse_data
from kubeward.fix.validity import violations


def _objects(docs: list) -> list:
    out = []
    for d in docs:
        if isinstance(d, dict) and d.get("kind") == "List":
            out += [i for i in d.get("items") or [] if isinstance(i, dict)]
        elif isinstance(d, dict):
            out.append(d)
    return out


def check_objects_valid(old: str, new: str, is_json: bool = False) -> None:
    """Every object of ``new`` is schema-valid (1.35) when its original
    was, and adds no violation of the encoded API rules."""
    before = _objects(parse_data(old.lstrip("\ufeff"), is_json))
    after = _objects(parse_data(new.lstrip("\ufeff"), is_json))
    assert len(before) == len(after)
    for a, b in zip(before, after):
        if schema_errors(a) == []:
            assert schema_errors(b) == [], (b.get("kind"), schema_errors(b))
        added = [v for v in violations(b, (1, 35)) if v not in set(violations(a, (1, 35)))]
        assert added == [], added
