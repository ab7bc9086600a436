"""Issue 13, "severity follows the rubric": the rubric is data
(kubeward/data/severity.yaml) and every check's severity is tested
against its class."""

from __future__ import annotations

import pytest

from kubeward.checks.base import registry
from kubeward.docgen import severity_rubric
from kubeward.findings import Severity


def _classes():
    return severity_rubric()["classes"]


def test_every_check_is_in_exactly_one_class():
    seen: dict[str, str] = {}
    for c in _classes():
        for cid in c["checks"]:
            assert cid not in seen, f"{cid} in {seen[cid]} and {c['id']}"
            seen[cid] = c["id"]
    assert set(seen) == set(registry())


@pytest.mark.parametrize("cid", sorted(registry()))
def test_check_severity_is_its_rubric_class(cid):
    [cls] = [c for c in _classes() if cid in c["checks"]]
    assert registry()[cid].severity == Severity.parse(cls["severity"]), cls["id"]


def test_levels_are_the_severities():
    assert list(severity_rubric()["levels"]) == [s.label for s in sorted(Severity, reverse=True)]


@pytest.mark.parametrize("cid,severity", [
    # the cases where docs/severity.md and the checks disagreed (issue 13)
    ("RBAC001", "critical"), ("PSS018", "low"), ("CTR001", "low"), ("RES004", "low"),
    ("IMG001", "low"), ("REL001", "info"), ("REL003", "info"), ("REL004", "info"),
    ("XNET001", "medium"), ("PSS017", "medium"),
])
def test_reconciled_cases(cid, severity):
    assert registry()[cid].severity.label == severity
