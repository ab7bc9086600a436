"""One parametrised test for every check fixture.

``tests/checks/<ID>/pass*.yaml`` must give no finding of check <ID>;
``fail*.yaml`` must give exactly the findings listed in its header lines
``# expect: <ID> <field path> line <N>``. Fixtures named ``*.fixed.yaml`` are
the expected output of ``kubeward fix`` and are used by the fix tests.
A fixture may set options with ``# k8s-version: X.Y`` and
``# option: <name> <json value>`` header lines.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kwtest.fixtures import fixture_header

from kubeward.checks.base import registry
from kubeward.config import Config
from kubeward.engine import ScanOptions, scan

HERE = Path(__file__).parent


def _fixtures():
    out = []
    for d in sorted(p for p in HERE.iterdir() if p.is_dir() and not p.name.startswith("_")):
        for f in sorted(d.glob("*.yaml")):
            if f.name.endswith(".fixed.yaml"):
                continue
            if f.name.startswith(("pass", "fail")):
                out.append(pytest.param(d.name, f, id=f"{d.name}/{f.name}"))
    return out


def run_fixture(check_id: str, path: Path):
    from kubeward.config import parse_version

    expected, version, opts = fixture_header(path)
    cfg = Config(options={check_id: opts} if opts else {})
    options = ScanOptions(checks=(check_id,), config=cfg,
                          k8s_version=parse_version(version) if version else None)
    report = scan([str(path)], options)
    assert not report.errors, [e.one_line() for e in report.errors]
    got = {(f.check_id, f.field_path, f.line) for f in report.findings if f.check_id == check_id}
    return expected, got


@pytest.mark.parametrize("check_id,path", _fixtures())
def test_fixture(check_id, path):
    assert check_id in registry(), f"no check {check_id} for fixture folder"
    expected, got = run_fixture(check_id, path)
    if path.name.startswith("pass"):
        assert not expected, "pass fixtures carry no expect lines"
        assert got == set()
    else:
        assert expected, "a fail fixture needs at least one '# expect:' line"
        assert all(e[0] == check_id for e in expected)
        assert got == expected


def test_every_check_has_pass_and_fail_fixtures():
    missing = []
    for cid in registry():
        d = HERE / cid
        if not list(d.glob("pass*.yaml")) or not [p for p in d.glob("fail*.yaml")
                                                 if not p.name.endswith(".fixed.yaml")]:
            missing.append(cid)
    assert not missing, f"checks without pass and fail fixtures: {missing}"
