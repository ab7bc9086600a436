"""``kubeward fix`` and ``kubeward fix --unsafe-fixes`` over writable copies
of ../shared/corpus/realworld-a and realworld-c: no run aborts, every
changed object is schema-valid for the target version and breaks none of
the encoded API rules (:mod:`kubeward.fix.validity`), the text changes are
exactly the edits, a rescan shows none of the fixed findings, and a second
run changes nothing."""

from __future__ import annotations

import os
import shutil
import stat

import pytest

from kubeward.engine import ScanOptions
from kubeward.fix.rewrite import parse_data
from kubeward.fix.run import fix_paths
from kubeward.fix.validity import violations
from tests.conftest import CORPUS, require
from tests.fix.oracle import applied_edits, expected_data, line_violations
from tests.schema_check import schema_errors

CASES = [("realworld-a", False), ("realworld-a", True), ("realworld-c", False),
         ("realworld-c", True)]


def _writable_copy(src, dst) -> None:
    shutil.copytree(src, dst, symlinks=True)
    for root, dirs, files in os.walk(dst):
        for name in dirs + files:
            p = os.path.join(root, name)
            if not os.path.islink(p):
                os.chmod(p, os.stat(p).st_mode | stat.S_IWUSR)


@pytest.fixture(scope="module", params=CASES, ids=[f"{c}{'-unsafe' if u else ''}"
                                                   for c, u in CASES])
def fixed_corpus(request, tmp_path_factory):
    name, unsafe = request.param
    src = require(CORPUS / name)
    dst = tmp_path_factory.mktemp("corpus") / name
    _writable_copy(src, dst)
    run = fix_paths([str(dst)], ScanOptions(), unsafe=unsafe)
    return dst, run, unsafe


def _objects(text: str, is_json: bool) -> list:
    out = []
    for d in parse_data(text, is_json):
        if isinstance(d, dict) and isinstance(d.get("items"), list) and \
                str(d.get("kind", "")).endswith("List"):
            out += [i for i in d["items"] if isinstance(i, dict)]
        elif isinstance(d, dict):
            out.append(d)
    return out


def test_fixes_apply_and_files_still_parse(fixed_corpus):
    dst, run, unsafe = fixed_corpus
    assert len(run.applied) > 100
    assert len([ff for ff in run.files if ff.changed]) > 20
    assert [ff.display for ff in run.files if ff.error] == []  # every file was written
    # Only files with input errors (duplicate keys) are left alone: their
    # objects are scanned, but never rewritten.
    bad = {e.file for e in run.before.errors}
    assert {f.file for f, _why in run.failed} <= bad
    assert all("has load errors" in why for _f, why in run.failed)
    before = {(e.file, e.message) for e in run.before.errors}
    after = {(e.file, e.message) for e in run.after.errors}
    assert after <= before  # no file that parsed stopped parsing
    # privileged containers: allowPrivilegeEscalation: false is held back
    # alone, and applied with --unsafe-fixes (which removes privileged first)
    held = [r for _f, r in run.held]
    assert all(r.startswith("held back: ") for r in held)
    if unsafe:
        assert not [r for r in held if "privileged: true" in r]


def test_every_changed_object_is_valid(fixed_corpus):
    _dst, run, _unsafe = fixed_corpus
    checked = 0
    for ff in run.files:
        if not ff.changed:
            continue
        is_json = ff.path.endswith(".json")
        old, new = _objects(ff.old_text, is_json), _objects(ff.new_text, is_json)
        assert len(old) == len(new), ff.path
        for a, b in zip(old, new):
            if a == b:
                continue
            checked += 1
            if schema_errors(a) == []:
                assert schema_errors(b) == [], (ff.path, b.get("kind"), schema_errors(b))
            base = set(violations(a))
            assert [v for v in violations(b) if v not in base] == [], ff.path
    assert checked > 20


def test_rescan_shows_no_fixed_finding(fixed_corpus):
    _dst, run, _unsafe = fixed_corpus
    fixed = {(f.check_id, f.file, f.doc_index, f.object.kind, f.object.name, f.path)
             for f in run.applied}
    left = [f for f in run.after.findings
            if (f.check_id, f.file, f.doc_index, f.object.kind, f.object.name, f.path) in fixed]
    assert left == []


def test_changes_are_exactly_the_edits(fixed_corpus):
    _dst, run, _unsafe = fixed_corpus
    edits = applied_edits(run)
    for ff in run.files:
        if not ff.changed:
            continue
        is_json = ff.path.endswith(".json")
        with open(ff.path, encoding="utf-8", newline="") as fh:
            new = fh.read()
        assert new == ff.new_text
        assert parse_data(new, is_json) == expected_data(ff.old_text, edits[ff.path], is_json), ff.path
        assert line_violations(ff.old_text, new, edits[ff.path], is_json) == [], ff.path


def test_second_run_is_a_no_op(fixed_corpus):
    dst, run, unsafe = fixed_corpus
    snapshot = {p: p.read_bytes() for p in dst.rglob("*") if p.is_file()}
    again = fix_paths([str(dst)], ScanOptions(), unsafe=unsafe)
    assert again.applied == []
    assert {f.file for f, _why in again.failed} == {f.file for f, _why in run.failed}
    assert {p: p.read_bytes() for p in dst.rglob("*") if p.is_file()} == snapshot
