"""``tests/checks/<ID>/fail*.fixed.yaml`` is exactly what ``kubeward fix
--unsafe-fixes`` (limited to check <ID>, with the fixture's header options)
makes of the matching ``fail*.yaml``; fixing it again changes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kubeward.config import Config, parse_version
from kubeward.engine import ScanOptions
from kubeward.fix.run import fix_paths
from kwtest.fixtures import fixture_header

CHECKS = Path(__file__).resolve().parents[1] / "checks"


def _pairs():
    out = []
    for fixed in sorted(CHECKS.glob("*/fail*.fixed.yaml")):
        src = fixed.with_name(fixed.name[: -len(".fixed.yaml")] + ".yaml")
        out.append(pytest.param(fixed.parent.name, src, fixed,
                                id=f"{fixed.parent.name}/{fixed.name}"))
    return out


def _options(check_id: str, path: Path) -> ScanOptions:
    _expected, version, opts = fixture_header(path)
    return ScanOptions(checks=(check_id,), config=Config(options={check_id: opts} if opts else {}),
                       k8s_version=parse_version(version) if version else None)


@pytest.mark.parametrize("check_id,src,fixed", _pairs())
def test_fixed_fixture(check_id, src, fixed, tmp_path):
    assert src.exists(), f"{fixed.name} has no matching {src.name}"
    work = tmp_path / src.name
    shutil.copyfile(src, work)
    options = _options(check_id, src)
    run = fix_paths([str(work)], options, unsafe=True)
    assert not run.failed, [(f.check_id, f.field_path, r) for f, r in run.failed]
    assert run.applied, "the fail fixture had nothing to fix"
    assert work.read_text() == fixed.read_text()
    # what remains of this check has no fix (for example privilege escalation
    # of a privileged container, which only the unsafe PSS002 fix resolves)
    assert not [f for f in run.after.findings if f.check_id == check_id and f.edits]
    again = fix_paths([str(work)], options, unsafe=True)
    assert not again.applied and work.read_text() == fixed.read_text()
