"""The JSON report's schema (kubeward/data/report.schema.json) is shipped in
the package, describes real reports, and rejects what is not a report.
Every JSON report made in-process by any test is validated against it by the
autouse fixture in tests/conftest.py."""

from __future__ import annotations

import copy
import json
from importlib import resources

import pytest
from kwtest.cli import report_errors, run
from kwtest.shared import CORPUS, ROOT, require


def test_schema_is_package_data():
    from kubeward.outputs.json import SCHEMA_FILE

    shipped = resources.files("kubeward").joinpath("data", "report.schema.json")
    assert shipped.is_file()
    assert json.loads(shipped.read_text()) == json.loads(open(SCHEMA_FILE).read())


def _report(*args):
    r = run(["scan", "-o", "json", *args])
    assert r.exit_code in (0, 1, 2), r.output
    return json.loads(r.stdout)


def test_insecure_example_report_is_valid_and_checked(_validate_all_json_reports):
    doc = _report("--framework", "cis", "--framework", "nsa", "--show-suppressed", str(ROOT / "examples"))
    assert report_errors(doc) == []
    assert _validate_all_json_reports == [doc]  # the suite-wide fixture saw it
    assert doc["findings"] and set(doc["compliance"]) == {"cis", "nsa"}


def test_realworld_report_is_valid():
    doc = _report("--framework", "all", str(require(CORPUS / "realworld-a")))
    assert report_errors(doc) == []
    assert len(doc["errors"]) == 5 and {e["kind"] for e in doc["errors"]} == {"input"}


@pytest.fixture(scope="module")
def valid():
    return _report("--check", "PSS002", str(ROOT / "examples" / "insecure-app"))


@pytest.mark.parametrize("mutate,message", [
    (lambda d: d["findings"][0].update(extra=1), "Unevaluated properties are not allowed ('extra'"),
    (lambda d: d["findings"][0].update(severity="urgent"), "'urgent' is not one of"),
    (lambda d: d["findings"][0].pop("fieldPath"), "'fieldPath' is a required property"),
    (lambda d: d["findings"][0].update(line=0), "0 is less than the minimum of 1"),
    (lambda d: d["summary"].pop("checksRun"), "'checksRun' is a required property"),
    (lambda d: d["summary"].update(newCount=3), "Additional properties are not allowed ('newCount'"),
    (lambda d: d.update(schemaVersion="1.0"), "'1.0' does not match"),
    (lambda d: d["findings"][0].update(fix={"safety": "maybe", "edits": []}), "is not valid under any"),
])
def test_schema_rejects_what_is_not_a_report(valid, mutate, message):
    assert report_errors(valid) == []
    doc = copy.deepcopy(valid)
    mutate(doc)
    errors = report_errors(doc)
    assert errors and message in errors[0], errors


def test_large_reports_are_checked_by_shape():
    """The suite-wide fixture validates one finding of each shape in a large
    report: a bad value anywhere still changes the shape and is caught."""
    doc = _report("--framework", "all", str(ROOT / "examples"))
    base = doc["findings"][0]
    doc["findings"] = [dict(base, line=i + 1) for i in range(1000)]
    assert report_errors(doc, every_finding=False) == []
    for bad in ({"line": 0}, {"severity": "urgent"}, {"column": "3"}, {"extra": 1},
                {"fix": {"safety": "maybe", "edits": []}}):
        broken = copy.deepcopy(doc)
        broken["findings"][700].update(bad)
        assert report_errors(broken, every_finding=False), bad
