"""``bench/admission_bench.py --cluster-view``: the set-up the figures in
docs/benchmarks.md come from (not timed: only that the server it starts
watches the fake API server's view and runs the cross-resource checks on the
reviews it sends)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kwtest.shared import ROOT

pytest.importorskip("kubernetes")


def test_cluster_view_bench_reviews_against_a_synced_view(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env["TMPDIR"] = str(tmp_path)  # the generated corpus goes there, not in the shared /tmp
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "admission_bench.py"), "--workers", "1",
         "--rate", "400", "--connections", "4", "--duration", "1", "--requests", "200", "--cluster-view", "300",
         "--seed", "1", "--json", "--trace", str(tmp_path / "trace.jsonl")],
        capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    res = json.loads(proc.stdout)
    view = res["clusterView"]
    # the first 300 objects of the watched kinds of a 600-document corpus
    # (seed 1): two namespaces, whose Deployments are reviewed in turn (200
    # reviews: each about three times)
    assert view["objects"] == 300 and view["seed"] == 1
    assert view["corpus"] == str(tmp_path / "kubeward-realistic-600-1")
    assert view["namespaces"] == 2 and 0 < view["deployments"] < 100
    assert res["errors"] == {"http": 0, "other": 0}
    assert res["ok"] == res["sent"] == 200
    # no warm-up: every namespace reviewed was first reviewed in the measured load
    assert res["figure"] == "cold"
    assert res["namespaces_first_reviewed_when_measured"] == res["namespaces_reviewed"] == 2
    # the cross-resource checks ran against the watched view; the per-object
    # checks deny some of the corpus's Deployments
    assert res["with_cross_finding"] > 0
    assert 0 < res["denied"] < 200
    rows = [json.loads(line) for line in (tmp_path / "trace.jsonl").read_text().splitlines()]
    reviews = [r for r in rows if "ms" in r]
    assert len(reviews) == 200
    assert all(r["namespace"].startswith("team-") for r in reviews)
