"""Run ``kubeward fix`` (and with ``--unsafe-fixes``) as a user would, in a
fresh process, over a writable copy of a corpus, and report what the
"fix never breaks anything" promise needs:

    python tools/fix_corpus_report.py ../shared/corpus/realworld-a [--unsafe-fixes]

tracebacks (must be 0), exit code, files and objects changed, invalid
objects among the changed ones (OpenAPI schema of the target version via
``kubernetes-validate``, and the encoded API rules of
``kubeward.fix.validity``; must be 0), files a second run changes (must be
0), and findings of the applied fixes that a rescan still shows (must be
0; the rescan is ``kubeward scan -o json`` in a fresh process).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _copy(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, symlinks=True)
    for root, dirs, files in os.walk(dst):
        for name in dirs + files:
            p = os.path.join(root, name)
            if not os.path.islink(p):
                os.chmod(p, os.stat(p).st_mode | stat.S_IWUSR)


def _snapshot(d: Path) -> dict:
    return {p: p.read_bytes() for p in d.rglob("*") if p.is_file()}


def _kubeward(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kubeward", *args], capture_output=True,
                          text=True, cwd=str(ROOT))


def _objects(text: str, is_json: bool) -> list:
    from kubeward.fix.rewrite import FixError, parse_data

    try:
        docs = parse_data(text, is_json)
    except FixError:
        return []
    out = []
    for d in docs:
        if isinstance(d, dict) and isinstance(d.get("items"), list) and \
                str(d.get("kind", "")).endswith("List"):
            out += [i for i in d["items"] if isinstance(i, dict)]
        elif isinstance(d, dict):
            out.append(d)
    return out


def _key(f: dict) -> tuple:
    o = f["object"]
    return (f["checkId"], f["file"], o.get("kind"), o.get("namespace"), o.get("name"),
            f["fieldPath"])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--unsafe-fixes", action="store_true")
    ap.add_argument("--k8s-version", default="1.35")
    a = ap.parse_args()
    from kubeward.engine import ScanOptions
    from kubeward.fix.run import fix_paths
    from kubeward.fix.validity import violations
    from tests.schema_check import schema_errors

    extra = ["--unsafe-fixes"] if a.unsafe_fixes else []
    with tempfile.TemporaryDirectory() as tmp:
        # copy 1: the command as a user runs it, in fresh processes
        work = Path(tmp) / "cli" / Path(a.corpus).name
        _copy(Path(a.corpus), work)
        before = _snapshot(work)
        t0 = time.perf_counter()
        first = _kubeward("fix", *extra, str(work))
        seconds = time.perf_counter() - t0
        after = _snapshot(work)
        changed = [p for p in before if after.get(p) != before[p]]
        objects_changed = invalid = schema_invalid = 0
        for p in changed:
            is_json = p.suffix == ".json"
            old = _objects(before[p].decode("utf-8-sig"), is_json)
            new = _objects(after[p].decode("utf-8-sig"), is_json)
            for o, n in zip(old, new):
                if o == n:
                    continue
                objects_changed += 1
                base = set(violations(o))
                if [v for v in violations(n) if v not in base]:
                    invalid += 1
                if schema_errors(o, a.k8s_version) == [] and schema_errors(n, a.k8s_version):
                    schema_invalid += 1
        second = _kubeward("fix", *extra, str(work))
        second_changed = [p for p, b in _snapshot(work).items() if after.get(p) != b]
        # copy 2: the same fix in process, for the list of applied fixes, then
        # a rescan in a fresh process
        work2 = Path(tmp) / "api" / Path(a.corpus).name
        _copy(Path(a.corpus), work2)
        run = fix_paths([str(work2)], ScanOptions(), unsafe=a.unsafe_fixes)
        rescan = _kubeward("scan", "-o", "json", str(work2))
        left_keys = {_key(f) for f in json.loads(rescan.stdout)["findings"]}
        applied = {(f.check_id, f.file, f.object.kind, f.object.namespace, f.object.name,
                    f.field_path) for f in run.applied}
        summary = next((ln for ln in reversed(first.stderr.splitlines())
                        if ln.startswith("kubeward: fixed")), "")
        report = {
            "corpus": a.corpus, "unsafe_fixes": a.unsafe_fixes,
            "tracebacks": (first.stderr + second.stderr + rescan.stderr).count("Traceback"),
            "exit_code": first.returncode, "seconds": round(seconds, 1),
            "files_changed": len(changed), "objects_changed": objects_changed,
            "objects_breaking_api_rules": invalid, "objects_schema_invalid": schema_invalid,
            "second_run_files_changed": len(second_changed),
            "fixes_applied": len(run.applied), "held_back": len(run.held),
            "fixed_findings_left_on_rescan": len(applied & left_keys),
            "same_result_in_process": _snapshot(work2).keys() is not None and all(
                _snapshot(work2)[work2 / p.relative_to(work)] == b for p, b in after.items()),
            "summary": summary,
        }
        print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
