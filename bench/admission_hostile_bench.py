#!/usr/bin/env python3
"""Hostile load on the admission webhook (loopback only): memory under many
concurrent large reviews, and /healthz latency while a large /mutate is
decided (docs/security.md).

Starts ``kubeward admission serve`` (one process) with a throw-away
certificate, then

1. sends ``--concurrent`` reviews of about 2.7 MiB at once (a Deployment
   with large annotations), sampling the server's RSS every 20 ms; reports
   the RSS before, the peak, and 3 s after, and the answers' status codes;
2. sends a /mutate of a Deployment with ``--containers`` containers and
   measures /healthz latency while it is decided.

Bounded: a few hundred requests, at most ``--timeout`` seconds each.
Example::

    python bench/admission_hostile_bench.py --concurrent 50 --containers 500
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from admission_bench import start_server  # noqa: E402


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def big_review(mib: float) -> bytes:
    ann = {f"note-{i}": "x" * 1000 for i in range(int(mib * 1024))}
    obj = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "big", "namespace": "shop", "annotations": ann},
           "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "nginx"}]}}}}
    return _review(obj)


def many_containers(n: int) -> bytes:
    obj = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "many", "namespace": "shop"},
           "spec": {"template": {"spec": {"containers": [
               {"name": f"c{i}", "image": "nginx"} for i in range(n)]}}}}
    return _review(obj)


def _review(obj: dict) -> bytes:
    return json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                       "request": {"uid": "u", "operation": "CREATE", "namespace": "shop",
                                   "kind": {"group": "apps", "version": "v1",
                                            "kind": "Deployment"},
                                   "object": obj}}).encode()


async def post(port: int, ctx, path: str, body: bytes, timeout: float) -> tuple[int, float]:
    t0 = time.perf_counter()
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port, ssl=ctx), timeout)
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    writer.write(head + body)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), timeout)
    writer.close()
    return int(data.split(b" ", 2)[1]), time.perf_counter() - t0


async def get(port: int, ctx, path: str, timeout: float) -> tuple[int, float]:
    t0 = time.perf_counter()
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port, ssl=ctx), timeout)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), timeout)
    writer.close()
    return int(data.split(b" ", 2)[1]), time.perf_counter() - t0


async def run(args, port: int, ca: str, pid: int) -> dict:
    ctx = ssl.create_default_context(cafile=ca)
    out: dict = {"rss_idle_mb": round(rss_mb(pid), 1)}
    body = big_review(args.mib)
    peak = [0.0]
    done = asyncio.Event()

    async def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb(pid))
            await asyncio.sleep(0.02)

    sampler = asyncio.create_task(sample())
    t0 = time.perf_counter()
    results = await asyncio.gather(*(post(port, ctx, "/validate", body, args.timeout)
                                     for _ in range(args.concurrent)), return_exceptions=True)
    out["concurrent_seconds"] = round(time.perf_counter() - t0, 2)
    done.set()
    await sampler
    codes: dict = {}
    for r in results:
        key = str(r[0]) if isinstance(r, tuple) else type(r).__name__
        codes[key] = codes.get(key, 0) + 1
    out.update(body_mib=round(len(body) / 2**20, 2), concurrent=args.concurrent, codes=codes,
               rss_peak_mb=round(peak[0], 1))
    await asyncio.sleep(3)
    out["rss_after_3s_mb"] = round(rss_mb(pid), 1)
    # /healthz while a large /mutate is decided
    mut = asyncio.create_task(post(port, ctx, "/mutate", many_containers(args.containers),
                                   args.timeout))
    await asyncio.sleep(0.05)
    health = []
    while not mut.done():
        health.append((await get(port, ctx, "/healthz", args.timeout))[1])
        await asyncio.sleep(0.02)
    status, seconds = await mut
    out.update(mutate_containers=args.containers, mutate_status=status,
               mutate_seconds=round(seconds, 2), healthz_during=len(health),
               healthz_max_ms=round(max(health) * 1000, 1) if health else None)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--concurrent", type=int, default=50)
    ap.add_argument("--mib", type=float, default=2.7)
    ap.add_argument("--containers", type=int, default=500)
    ap.add_argument("--timeout", type=float, default=60.0)
    args = ap.parse_args(argv)
    args.workers, args.config = 1, None
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "kw.yaml"
        cfg.write_text("version: 1\nadmission:\n  enforce: critical\n  mutate: [safe]\n")
        args.config = str(cfg)
        proc, port, ca = start_server(args, tmp)
        try:
            result = asyncio.run(run(args, port, ca, proc.pid))
        finally:
            proc.terminate()
            proc.wait(30)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
