"""Noise of the default checks over ../shared/corpus/realworld-a.

    python tools/noise_report.py

Prints, for a scan with the default checks (no config): findings per
workload (objects holding a pod spec), the ten checks with the most
findings, and how many findings share an object and a field path with
another finding (issue 13: there must be none). The README's
"Noise" table records its output before and after the deduplication.
"""

from __future__ import annotations

import collections
import os
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus", "realworld-a")


def stats(corpus: str = CORPUS) -> dict:
    sys.path.insert(0, ROOT)
    from kubeward.engine import ScanOptions, scan

    report = scan([corpus], ScanOptions())
    per_object: dict = collections.Counter()
    for f in report.findings:
        per_object[(f.file, f.doc_index, f.object)] += 1
    workloads = [(o.source.file, o.source.doc_index, o.ref()) for o in report.scanned
                 if o.pod is not None]
    counts = [per_object.get(w, 0) for w in workloads]
    keys = collections.Counter((f.file, f.doc_index, f.object, f.field_path)
                               for f in report.findings)
    return {
        "findings": len(report.findings),
        "workloads": len(workloads),
        "workload_findings": sum(counts),
        "mean": round(statistics.mean(counts), 1) if counts else 0.0,
        "median": statistics.median(counts) if counts else 0,
        "max": max(counts, default=0),
        "top10": collections.Counter(f.check_id for f in report.findings).most_common(10),
        "shared_paths": sum(n for n in keys.values() if n > 1),
    }


def main() -> int:
    if not os.path.isdir(CORPUS):
        print(f"{CORPUS} is absent", file=sys.stderr)
        return 2
    s = stats()
    print(f"findings: {s['findings']}; workloads: {s['workloads']}; findings on workloads: "
          f"{s['workload_findings']} (mean {s['mean']}, median {s['median']}, max {s['max']}); "
          f"findings sharing an object and field path: {s['shared_paths']}")
    print("top 10: " + ", ".join(f"{cid} {n}" for cid, n in s["top10"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
