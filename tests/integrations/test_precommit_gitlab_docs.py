"""The pre-commit hook definition (valid for pre-commit, its entry runs on
the files pre-commit would pass), the GitLab CI example (its script runs and
writes a valid Code Quality report) and the YAML blocks of docs/ci.md."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HOOKS = ROOT / ".pre-commit-hooks.yaml"


def _hooks():
    return {h["id"]: h for h in yaml.safe_load(HOOKS.read_text())}


def test_hooks_valid_for_pre_commit():
    clientlib = pytest.importorskip("pre_commit.clientlib", reason="pre-commit not installed")
    loaded = clientlib.load_manifest(str(HOOKS))
    assert [h["id"] for h in loaded] == ["kubeward", "kubeward-fail-high"]
    for h in loaded:
        assert h["language"] == "python" and h["pass_filenames"] is True


def _selected(hook, files):
    """The files pre-commit would pass: by type (identify) and exclude regex."""
    exclude = re.compile(hook["exclude"])
    types = set(hook["types_or"])
    try:
        from identify.identify import tags_from_path
    except ImportError:
        tags_from_path = None
    out = []
    for f in files:
        tags = tags_from_path(str(ROOT / f)) if tags_from_path else (
            {"yaml"} if f.endswith((".yaml", ".yml")) else {"json"} if f.endswith(".json") else set())
        if tags & types and not exclude.search(f):
            out.append(f)
    return out


def _entry(hook, files):
    argv = shlex.split(hook["entry"])
    assert argv[0] == "kubeward"
    return subprocess.run([sys.executable, "-m", "kubeward", *argv[1:], *files], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_hook_entry_runs_on_the_selected_files():
    files = ["examples/insecure-app/deployment.yaml", "examples/hardened-app/deployment.yaml",
             "tests/data/helm/mychart/templates/deployment.yaml",
             "tests/data/helm/mychart/values.yaml", "tests/data/helm/mychart/Chart.yaml",
             "tests/data/kustomize/overlay/kustomization.yaml", "docs/ci.md", "action.yml"]
    hooks = _hooks()
    chosen = _selected(hooks["kubeward"], files)
    assert chosen == ["examples/insecure-app/deployment.yaml",
                      "examples/hardened-app/deployment.yaml", "action.yml"]
    r = _entry(hooks["kubeward"], chosen)
    assert r.returncode == 1, r.stderr
    assert "examples/insecure-app/deployment.yaml" in r.stdout and "\x1b[" not in r.stdout
    r = _entry(hooks["kubeward"], ["examples/hardened-app/deployment.yaml", "action.yml"])
    assert r.returncode == 0, r.stdout + r.stderr
    r = _entry(hooks["kubeward-fail-high"], ["examples/insecure-app/deployment.yaml"])
    assert r.returncode == 1 and "CRITICAL" in r.stdout


def test_gitlab_example_runs_and_writes_code_quality(tmp_path):
    ci = yaml.safe_load((ROOT / "examples" / "ci" / ".gitlab-ci.yml").read_text())
    job = ci["kubeward"]
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    env = {**os.environ, **job["variables"], "KUBEWARD_PATHS": str(ROOT / "examples"),
           "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    (tmp_path / "kubeward").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m kubeward "$@"\n')
    (tmp_path / "kubeward").chmod(0o755)
    for line in job["script"]:
        r = subprocess.run(["sh", "-c", line], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=120)
    assert r.returncode == 1, r.stderr  # examples/insecure-app has high findings
    issues = json.loads((tmp_path / "gl-code-quality-report.json").read_text())
    assert issues and all(set(i) >= {"description", "check_name", "fingerprint", "severity",
                                     "location"} for i in issues)
    assert {i["severity"] for i in issues} <= {"info", "minor", "major", "critical", "blocker"}
    assert (tmp_path / "kubeward-junit.xml").read_text().startswith("<?xml")
    from kwtest.cli import sarif_validator
    assert sarif_validator().is_valid(json.loads((tmp_path / "kubeward.sarif").read_text()))


def test_docs_yaml_blocks_parse_and_use_real_inputs():
    text = (ROOT / "docs" / "ci.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    assert len(blocks) >= 5
    action_inputs = set(yaml.safe_load((ROOT / "action.yml").read_text())["inputs"])
    gitlab = yaml.safe_load((ROOT / "examples" / "ci" / ".gitlab-ci.yml").read_text())
    for block in blocks:
        data = yaml.safe_load(block)
        assert data is not None
        for step in _steps(data):
            if str(step.get("uses", "")).startswith("kubeward/kubeward"):
                assert set(step.get("with", {})) <= action_inputs
        if isinstance(data, dict) and "kubeward" in data and "script" in data["kubeward"]:
            assert data["kubeward"] == gitlab["kubeward"]  # the docs copy matches the example
    formats = re.findall(r"^\| `(\w+)`", text, re.M)
    from kubeward.outputs import FORMATS
    assert set(formats) == set(FORMATS)


def _steps(data):
    if isinstance(data, list):
        for x in data:
            if isinstance(x, dict):
                yield x
    elif isinstance(data, dict):
        for job in (data.get("jobs") or {}).values():
            yield from job.get("steps", [])
