"""Per-check fire counts over ../shared/corpus/realworld-a.

    python tools/realworld_counts.py            # print the table
    python tools/realworld_counts.py --write    # update it in README.md

Counts distinct objects each check fires on when every check runs
(`--framework all`), so noisy checks are visible; the README carries the
table between the realworld-counts markers and a test keeps it current.
"""

from __future__ import annotations

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus", "realworld-a")
BEGIN, END = "<!-- realworld-counts:begin -->", "<!-- realworld-counts:end -->"


def table(corpus: str = CORPUS) -> str:
    sys.path.insert(0, ROOT)
    from kubeward.checks.base import registry
    from kubeward.engine import ScanOptions, scan

    cwd = os.getcwd()
    os.chdir(os.path.dirname(corpus))  # stable relative file names
    try:
        report = scan([os.path.basename(corpus)], ScanOptions(frameworks=("all",)))
    finally:
        os.chdir(cwd)
    objects: dict[str, set] = {}
    for f in report.findings + report.suppressed:
        objects.setdefault(f.check_id, set()).add((f.file, f.doc_index, f.object))
    reg = registry()
    workloads = sum(1 for o in report.scanned if o.pod is not None)
    lines = [f"Scanned {report.objects} objects ({workloads} with a pod spec) from "
             f"{report.files} files; {len(report.errors)} input errors (all in the corpus itself: "
             "duplicate keys). Objects each check fires on (every check run, `--framework all`):",
             "", "| check | on by default | severity | objects |", "|---|---|---|---|"]
    for cid in sorted(reg):
        n = len(objects.get(cid, ()))
        lines.append(f"| {cid} {reg[cid].name} | {'yes' if reg[cid].default_enabled else 'no'} | "
                     f"{reg[cid].severity.label} | {n} |")
    return "\n".join(lines) + "\n"


def main(argv) -> int:
    if not os.path.isdir(CORPUS):
        print(f"{CORPUS} is absent", file=sys.stderr)
        return 2
    text = table()
    if "--write" in argv:
        path = os.path.join(ROOT, "README.md")
        readme = open(path, encoding="utf-8").read()
        new = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END),
                     lambda _m: f"{BEGIN}\n{text}{END}", readme, flags=re.S)
        open(path, "w", encoding="utf-8").write(new)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
