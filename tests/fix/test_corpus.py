"""``kubeward fix --unsafe-fixes`` over a copy of ../shared/corpus/realworld-a."""

from __future__ import annotations

import shutil

import pytest

from kubeward.engine import ScanOptions
from kubeward.fix.rewrite import parse_data
from kubeward.fix.run import fix_paths
from tests.conftest import CORPUS, require
from tests.fix.oracle import applied_edits, expected_data, line_violations


@pytest.fixture(scope="module")
def fixed_corpus(tmp_path_factory):
    src = require(CORPUS / "realworld-a")
    dst = tmp_path_factory.mktemp("corpus") / "realworld-a"
    shutil.copytree(src, dst)
    run = fix_paths([str(dst)], ScanOptions(), unsafe=True)
    return dst, run


def test_fixes_apply_and_files_still_parse(fixed_corpus):
    dst, run = fixed_corpus
    assert len(run.applied) > 800  # 866 since each problem is one finding (1372 with the twins)
    assert len([ff for ff in run.files if ff.changed]) > 100
    # Only files with input errors (the corpus has 5 with duplicate keys)
    # are left alone: their objects are scanned, but never rewritten.
    bad = {e.file for e in run.before.errors}
    assert {f.file for f, _why in run.failed} <= bad
    assert all("does not parse cleanly" in why for _f, why in run.failed)
    before = {(e.file, e.message) for e in run.before.errors}
    after = {(e.file, e.message) for e in run.after.errors}
    assert after <= before  # no file that parsed stopped parsing


def test_rescan_shows_no_fixed_finding(fixed_corpus):
    _dst, run = fixed_corpus
    fixed = {(f.check_id, f.file, f.doc_index, f.object.kind, f.object.name, f.path)
             for f in run.applied}
    left = [f for f in run.after.findings
            if (f.check_id, f.file, f.doc_index, f.object.kind, f.object.name, f.path) in fixed]
    assert left == []


def test_changes_are_exactly_the_edits(fixed_corpus):
    _dst, run = fixed_corpus
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
    dst, run = fixed_corpus
    snapshot = {p: p.read_bytes() for p in dst.rglob("*") if p.is_file()}
    again = fix_paths([str(dst)], ScanOptions(), unsafe=True)
    assert again.applied == []
    assert {f.file for f, _why in again.failed} == {f.file for f, _why in run.failed}
    assert {p: p.read_bytes() for p in dst.rglob("*") if p.is_file()} == snapshot
