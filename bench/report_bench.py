"""Cost of the HTML report and the attack paths.

Generates N manifests as ``scan_bench.py`` does (deterministic from --seed),
then, in fresh processes, times ``kubeward scan -o json`` against
``kubeward scan -o json=... -o html=...`` (wall and CPU seconds, peak
memory, the page's size) and ``kubeward paths -o json`` (how many paths).

    python bench/report_bench.py --docs 10000 --seed 1 [--repeat 2]

Results and conditions: docs/report.md#cost.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from scan_bench import CPU, generate, timed  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    folder = tempfile.mkdtemp(prefix="kubeward-report-bench-")
    out = tempfile.mkdtemp(prefix="kubeward-report-out-")
    try:
        n = generate(folder, args.docs, args.seed)
        kw = [sys.executable, "-m", "kubeward"]
        js, page = os.path.join(out, "r.json"), os.path.join(out, "r.html")
        runs = {"json": kw + ["scan", "-o", f"json={js}", folder],
                "json+html": kw + ["scan", "-o", f"json={js}", "-o", f"html={page}", folder],
                "paths": kw + ["paths", "-o", "json", folder]}
        result: dict = {"documents": n}
        for name, cmd in runs.items():
            best = None
            for _ in range(args.repeat):
                dt, rss, p = timed(cmd)
                if p.returncode not in (0, 1):
                    print(p.stderr, file=sys.stderr)
                    return 2
                cur = {"seconds": round(dt, 2), "cpuSeconds": round(CPU[-1], 2),
                       "peakRssMiB": round(rss / 1024, 1)}
                best = cur if best is None or cur["cpuSeconds"] < best["cpuSeconds"] else best
                if name == "paths":
                    best["paths"] = json.loads(p.stdout)["attackPaths"]["count"]
            result[name] = best
        result["findings"] = json.load(open(js))["summary"]["findings"]
        result["htmlMiB"] = round(os.path.getsize(page) / 2**20, 1)
        print(json.dumps(result, indent=2))
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
