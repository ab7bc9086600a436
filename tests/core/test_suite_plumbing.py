"""The test suite's own promises: isolation from a stray .kubeward.yaml, and
shared material that fails (not skips) under CI."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from kwtest.shared import ROOT, require


def test_stray_config_above_the_test_run_is_ignored(tmp_path):
    """A .kubeward.yaml that disables every check, in a parent folder of the
    test run's temporary directories, changes nothing: test_sarif.py still
    passes (it failed before conftest stopped the upward search)."""
    outer = tmp_path / "outer"
    outer.mkdir()
    (outer / ".kubeward.yaml").write_text("version: 1\nchecks:\n  disable: ['*']\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         f"--basetemp={outer / 'base'}", "tests/outputs/test_sarif.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout


def test_the_config_search_stops_at_the_test_tmp_root(tmp_path_factory, tmp_path, monkeypatch):
    from kubeward import config

    base = tmp_path_factory.getbasetemp()
    assert config.find_config(str(tmp_path)) is None
    (tmp_path / ".kubeward.yaml").write_text("version: 1\n")
    # a test's own config is still found, from below too
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert config.find_config(str(sub)) == str(tmp_path / ".kubeward.yaml")
    monkeypatch.chdir(sub)
    assert config.find_config() == str(tmp_path / ".kubeward.yaml")
    assert str(tmp_path).startswith(str(base))


def test_missing_shared_material_skips_outside_ci(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="is absent"):
        require(tmp_path / "no-such-corpus")


@pytest.mark.parametrize("value", ["true", "1", "TRUE"])
def test_missing_shared_material_fails_under_ci(tmp_path, monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="CI=true and .*no-such-corpus is absent"):
        require(tmp_path / "no-such-corpus")
    assert require(tmp_path) == tmp_path


def test_helpers_are_imported_one_way():
    """Test helpers come from the kwtest package only: no sys.path edits, no
    imports of other test modules or conftest files (tests/kwtest/__init__.py)."""
    import re

    bad_patterns = [
        (re.compile(r"^\s*sys\.path\.(insert|append)\(", re.M), "edits sys.path"),
        (re.compile(r"^\s*from\s+(tests\.|\.?conftest\b|\.test_|test_\w+\s+import)", re.M),
         "imports a test module or conftest"),
        (re.compile(r"^\s*from\s+\.\w*\s+import", re.M), "relative import (use kwtest)"),
        (re.compile(r"^\s*(from|import)\s+(kw_testlib|kw_analysis_helpers|fakeapi)\b", re.M),
         "old helper module (now kwtest.cli, kwtest.analysis, kwtest.fakeapi)"),
    ]
    problems = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[1] == "kwtest" or "fixtures" in rel.parts:
            continue
        text = path.read_text()
        problems += [f"{rel}: {why}" for pattern, why in bad_patterns if pattern.search(text)]
    assert problems == []
