"""Findings must not change when the algorithms do: save full reports of a set
of corpora with one version of kubeward, then compare another version's
reports with them (same findings, same order).

    python bench/compare_reports.py save  DIR   # before the change
    python bench/compare_reports.py check DIR   # after it: exit 1 on a difference

The corpora: ``../shared/corpus/realworld-a`` and ``realworld-c`` (when
present) and the realistic generated corpus (``bench/realistic.py``, seed 1)
at ``--sizes`` documents. Each is scanned with ``-o json --jobs 1``, with
``--framework all`` (every check, off-by-default ones included), and read by
``kubeward rbac escalation -o json`` and ``kubeward network -o json``; in
``check`` mode ``scan -o json --jobs 2`` must also equal the saved ``--jobs 1``
scan.
Timestamps and durations are dropped before comparing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from realistic import generate  # noqa: E402

COMMANDS = {
    "scan": ["scan", "-o", "json", "--jobs", "1"],
    "scan-all": ["scan", "-o", "json", "--jobs", "1", "--framework", "all"],
    "escalation": ["rbac", "escalation", "-o", "json"],
    "network": ["network", "-o", "json"],
    # compared with the saved "scan" report: worker processes change nothing
    "scan-jobs2": ["scan", "-o", "json", "--jobs", "2"],
}
SAME_AS = {"scan-jobs2": "scan"}
VOLATILE = {"generatedAt", "durationSeconds", "startedAt", "elapsed", "version",
            "toolVersion"}


def _strip(v):
    if isinstance(v, dict):
        return {k: _strip(x) for k, x in v.items() if k not in VOLATILE}
    if isinstance(v, list):
        return [_strip(x) for x in v]
    return v


def corpora(sizes: list[int], workdir: str) -> dict[str, str]:
    out = {}
    shared = os.path.normpath(os.path.join(ROOT, "..", "shared", "corpus"))
    for name in ("realworld-a", "realworld-c"):
        p = os.path.join(shared, name)
        if os.path.isdir(p):
            out[name] = p
    for n in sizes:
        p = os.path.join(workdir, f"realistic-{n}")
        if not os.path.isdir(p):
            generate(p, n, 1)
        out[f"realistic-{n}"] = p
    return out


def run(cmd: list[str], path: str):
    p = subprocess.run([sys.executable, "-m", "kubeward", *cmd, path], capture_output=True,
                       text=True, cwd=ROOT)
    # the corpus may sit elsewhere in another checkout: paths are relative to it
    out, err = p.stdout.replace(path, "<corpus>"), p.stderr.replace(path, "<corpus>")
    try:
        report = _strip(json.loads(out))
    except ValueError:
        report = None
    return {"exit": p.returncode, "stderr": err, "report": report}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("save", "check"))
    ap.add_argument("dir")
    ap.add_argument("--sizes", default="1000,2000,5000")
    ap.add_argument("--only", default="", help="comma-separated command names")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    os.makedirs(args.dir, exist_ok=True)
    work = os.path.join(tempfile.gettempdir(), "kubeward-compare-corpora")
    bad = 0
    names = [n for n in COMMANDS if not args.only or n in args.only.split(",")]
    for cname, path in corpora(sizes, work).items():
        for name in names:
            got = run(COMMANDS[name], path)
            file = os.path.join(args.dir, f"{cname}.{SAME_AS.get(name, name)}.json")
            if args.mode == "save":
                if name in SAME_AS:
                    continue
                with open(file, "w") as fh:
                    json.dump(got, fh)
                n = len(got.get("report", {}).get("findings", [])) \
                    if isinstance(got.get("report"), dict) else "-"
                print(f"saved {cname} {name}: exit {got['exit']}, findings {n}")
                continue
            with open(file) as fh:
                want = json.load(fh)
            if got == want:
                print(f"same      {cname} {name}")
                continue
            bad += 1
            print(f"DIFFERENT {cname} {name}")
            a, b = want.get("report"), got.get("report")
            if isinstance(a, dict) and isinstance(b, dict):
                for key in sorted(set(a) | set(b)):
                    if a.get(key) != b.get(key):
                        print(f"  key {key!r} differs")
                        la, lb = a.get(key), b.get(key)
                        if isinstance(la, list) and isinstance(lb, list):
                            for i, (x, y) in enumerate(zip(la, lb)):
                                if x != y:
                                    print(f"    first difference at [{i}]:\n      before {x}\n"
                                          f"      after  {y}")
                                    break
                            if len(la) != len(lb):
                                print(f"    {len(la)} entries before, {len(lb)} after")
    if args.mode == "check":
        print("all reports identical" if not bad else f"{bad} report(s) differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
