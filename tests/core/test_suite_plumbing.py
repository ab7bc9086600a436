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
