"""CONTRIBUTING.md's promises: the check scaffold (tools/new_check.py)
makes a working check with its fixtures in a copy of the repository, and
import-linter (run by .ci/run) fails on an import that breaks the layers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest
from kwtest.shared import ROOT

PROBE = textwrap.dedent("""
    import json
    from pathlib import Path
    from kwtest.fixtures import fixture_header
    from kubeward.checks.base import DOC_SECTIONS, registry
    from kubeward.engine import ScanOptions, scan

    cls = registry()["{cid}"]
    assert list(cls.doc_sections()) == list(DOC_SECTIONS), list(cls.doc_sections())
    here = Path("tests/checks/{cid}")
    out = {{}}
    for f in sorted(here.glob("*.yaml")):
        r = scan([str(f)], ScanOptions(checks=("{cid}",)))
        out[f.name] = {{"got": sorted([x.check_id, x.field_path, x.line] for x in r.findings),
                       "want": sorted(list(e) for e in fixture_header(f)[0]),
                       "errors": [e.one_line() for e in r.errors]}}
    print(json.dumps(out))
""")


def _copy(tmp_path):
    dst = tmp_path / "repo"
    shutil.copytree(ROOT / "kubeward", dst / "kubeward",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (dst / "tests" / "checks").mkdir(parents=True)
    shutil.copy(ROOT / ".importlinter", dst / ".importlinter")
    return dst


def _probe(repo, cid):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(repo), str(ROOT / "tests")])}
    proc = subprocess.run([sys.executable, "-c", PROBE.format(cid=cid)],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    import json
    return json.loads(proc.stdout)


def test_scaffold_makes_a_working_check_with_fixtures(tmp_path):
    repo = _copy(tmp_path)
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "new_check.py"), "CTR099",
                           "--module", "container", "--name", "Pod shares the host's users",
                           "--severity", "high", "--pod-field", "hostUsers", "--value", "true",
                           "--root", str(repo)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[:3] == ["wrote kubeward/checks/container.py",
                                            "wrote tests/checks/CTR099/fail1.yaml",
                                            "wrote tests/checks/CTR099/pass1.yaml"]
    got = _probe(repo, "CTR099")
    assert got["fail1.yaml"]["want"] == [["CTR099", "spec.template.spec.hostUsers", 14]]
    assert got["fail1.yaml"]["got"] == got["fail1.yaml"]["want"]
    assert got["pass1.yaml"] == {"got": [], "want": [], "errors": []}
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache",
                           str(repo / "kubeward" / "checks" / "container.py")],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert ruff.returncode == 0, ruff.stdout
    # the same id twice is refused
    again = subprocess.run([sys.executable, str(ROOT / "tools" / "new_check.py"), "CTR099",
                            "--module", "container", "--name", "x", "--root", str(repo)],
                           capture_output=True, text=True, timeout=60)
    assert again.returncode != 0 and "exists already" in again.stderr


def test_scaffold_without_a_rule_fails_until_written(tmp_path):
    repo = _copy(tmp_path)
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "new_check.py"), "ZZZ001",
                           "--module", "newfamily", "--name", "Something wrong",
                           "--root", str(repo)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert '"kubeward.checks.newfamily",' in (repo / "kubeward" / "checks" / "__init__.py").read_text()
    got = _probe(repo, "ZZZ001")
    # the rule is not written: the scan reports the check's error, no silent pass
    assert any("NotImplementedError" in e or "ZZZ001" in e for e in got["fail1.yaml"]["errors"])


def _lint_imports():
    beside = os.path.join(os.path.dirname(sys.executable), "lint-imports")
    return beside if os.path.exists(beside) else shutil.which("lint-imports")


@pytest.mark.skipif(_lint_imports() is None, reason="import-linter (dev extra) is not installed")
def test_import_linter_fails_on_a_forbidden_import(tmp_path):
    """A check importing an output (checks sit below outputs) breaks the
    layers contract: lint-imports exits non-zero and names the import."""
    repo = _copy(tmp_path)
    exe = _lint_imports()
    env = {**os.environ, "PYTHONPATH": str(repo)}
    ok = subprocess.run([exe, "--no-cache"], cwd=repo, env=env, capture_output=True, text=True,
                        timeout=300)
    assert ok.returncode == 0, ok.stdout[-2000:]
    mod = repo / "kubeward" / "checks" / "placement.py"
    mod.write_text(mod.read_text() + "\nfrom kubeward.outputs import text as _layer_violation  # noqa\n")
    bad = subprocess.run([exe, "--no-cache"], cwd=repo, env=env, capture_output=True, text=True,
                         timeout=300)
    assert bad.returncode != 0
    assert "Contracts: 0 kept, 1 broken." in bad.stdout
    assert "kubeward.checks.placement -> kubeward.outputs.text" in bad.stdout


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "bench").glob("*.py")))
def test_bench_scripts_start(script):
    """The benchmarks CONTRIBUTING.md points to still import (helpers they
    borrow from the tests, such as kwtest.fakeapi, included)."""
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / script), "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("usage: ")
