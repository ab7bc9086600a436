"""``tests/checks/<ID>/fail*.fixed.yaml`` is exactly what ``kubeward fix
--unsafe-fixes`` (limited to check <ID>, with the fixture's header options)
makes of the matching ``fail*.yaml``; fixing it again changes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kubeward.config import Config, parse_version
from kubeward.engine import ScanOptions
from kubeward.fix.rewrite import parse_data
from kubeward.fix.run import fix_paths
from kubeward.fix.validity import violations
from tests.checks.test_fixtures import _header
from tests.fix.test_properties import check_objects_valid

CHECKS = Path(__file__).resolve().parents[1] / "checks"


def _pairs():
    out = []
    for fixed in sorted(CHECKS.glob("*/fail*.fixed.yaml")):
        src = fixed.with_name(fixed.name[: -len(".fixed.yaml")] + ".yaml")
        out.append(pytest.param(fixed.parent.name, src, fixed,
                                id=f"{fixed.parent.name}/{fixed.name}"))
    return out


def _options(check_id: str, path: Path) -> ScanOptions:
    _expected, version, opts = _header(path)
    return ScanOptions(checks=(check_id,), config=Config(options={check_id: opts} if opts else {}),
                       k8s_version=parse_version(version) if version else None)


def _orig(src: Path, doc: dict) -> dict:
    """The document of ``src`` that ``doc`` (fixed) came from (same kind and name)."""
    for d in parse_data(src.read_text()):
        if isinstance(d, dict) and d.get("kind") == doc.get("kind") and \
                (d.get("metadata") or {}).get("name") == (doc.get("metadata") or {}).get("name"):
            return d
    return {}


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
    # every fixed object is schema-valid and breaks none of the encoded API
    # rules (at 1.35, and at the fixture's own version)
    check_objects_valid(src.read_text(), fixed.read_text())
    version = options.version
    for doc in parse_data(fixed.read_text()):
        if isinstance(doc, dict):
            assert [v for v in violations(doc, version)
                    if v not in set(violations(_orig(src, doc), version))] == []
    # what remains of this check was held back because the result would be
    # invalid (privilege escalation of a privileged container, which only
    # the unsafe PSS002 fix resolves), with the reason
    held = {(f.check_id, f.path) for f, _reason in run.held}
    assert [(f.check_id, f.path) for f in run.after.findings
            if f.check_id == check_id and f.edits and (f.check_id, f.path) not in held] == []
    assert all(reason.startswith("held back: ") for _f, reason in run.held)
    again = fix_paths([str(work)], options, unsafe=True)
    assert not again.applied and work.read_text() == fixed.read_text()
