#!/usr/bin/env python3
"""Load generator for the admission webhook (loopback only).

Starts ``kubeward admission serve`` on 127.0.0.1 with a throw-away
certificate (or targets ``--url https://127.0.0.1:PORT`` of one already
running), then sends AdmissionReviews of typical Deployments (a hardened
one, one with a few findings, one that is denied) over HTTPS with many
concurrent keep-alive connections, and reports throughput and latency
percentiles.

Two load shapes:

* closed loop (default): ``--connections`` clients each send the next review
  as soon as the previous answer arrives - the maximum throughput;
* open loop (``--rate R``): reviews start at a fixed rate whatever the
  answers do, spread over the connections - the latency at that rate (what
  an API server sees; a closed loop hides queueing).

Bounded: at most ``--duration`` seconds (<= 120) and ``--requests`` reviews
(<= 2,000,000). Example::

    python bench/admission_bench.py --workers 2 --connections 32 --duration 10
    python bench/admission_bench.py --workers 2 --rate 1000 --duration 10
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import datetime as dt
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def make_cert(directory: str) -> tuple[str, str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubeward-bench")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    crt, k = os.path.join(directory, "tls.crt"), os.path.join(directory, "tls.key")
    with open(crt, "wb") as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(k, "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    return crt, k, crt  # self-signed: the certificate is its own CA


def deployment(name: str, variant: str) -> dict:
    """A typical Deployment as an API server sends it (defaults filled in)."""
    container = {
        "name": "api", "image": "registry.example.com/shop/api:2.14.3",
        "imagePullPolicy": "IfNotPresent",
        "args": ["--listen=:8080", "--log-format=json"],
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        "env": [{"name": "LOG_LEVEL", "value": "info"},
                {"name": "DB_HOST", "value": "postgres.shop.svc"},
                {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db",
                                                                       "key": "password"}}}],
        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"},
                      "limits": {"cpu": "1", "memory": "512Mi"}},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": "http", "scheme": "HTTP"},
                           "periodSeconds": 5, "timeoutSeconds": 1, "successThreshold": 1,
                           "failureThreshold": 3},
        "livenessProbe": {"httpGet": {"path": "/live", "port": "http", "scheme": "HTTP"},
                          "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1,
                          "failureThreshold": 3},
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"},
                         {"name": "config", "mountPath": "/etc/api", "readOnly": True}],
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True, "runAsUser": 10001,
                            "capabilities": {"drop": ["ALL"]}},
    }
    pod_sc = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"},
              "fsGroup": 10001}
    if variant == "findings":
        del container["securityContext"]["readOnlyRootFilesystem"]
        container["securityContext"]["capabilities"] = {"drop": ["NET_RAW"]}
        pod_sc = {"runAsNonRoot": True}
    elif variant == "denied":
        container["securityContext"] = {"privileged": True}
        pod_sc = {}
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "shop",
              "app.kubernetes.io/version": "2.14.3"}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop", "labels": labels,
                     "annotations": {"deployment.kubernetes.io/revision": "7"},
                     "uid": "6f0c1a52-3b0e-4f5e-9a55-7c2b1f1e9d01", "generation": 7,
                     "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {
            "replicas": 3, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
            "template": {
                "metadata": {"labels": labels,
                             "annotations": {"prometheus.io/scrape": "true"}},
                "spec": {
                    "serviceAccountName": name, "automountServiceAccountToken": False,
                    "restartPolicy": "Always", "terminationGracePeriodSeconds": 30,
                    "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
                    "securityContext": pod_sc,
                    "containers": [container, {**copy.deepcopy(container), "name": "sidecar",
                                               "image": "registry.example.com/mesh/proxy:1.9.0",
                                               "args": ["proxy"], "ports": []}],
                    "volumes": [{"name": "tmp", "emptyDir": {}},
                                {"name": "config", "configMap": {"name": f"{name}-config"}}],
                },
            },
        },
    }


def review_template(obj: dict, operation: str) -> bytes:
    req = {"uid": "@@UID@@", "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
           "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
           "name": obj["metadata"]["name"], "namespace": "shop", "operation": operation,
           "userInfo": {"username": "system:serviceaccount:ci:deployer",
                        "groups": ["system:serviceaccounts", "system:authenticated"]},
           # an UPDATE that changes the spec (updates of metadata only are not judged)
           "object": obj, "oldObject": (dict(obj, spec=dict(obj["spec"], replicas=2))
                                        if operation == "UPDATE" else None),
           "dryRun": False}
    return json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                       "request": req}).encode()


def cpu_seconds(pids) -> float:
    """User + system CPU time of these processes (Linux /proc)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


def start_server(args, tmp: str) -> tuple[subprocess.Popen, int, str]:
    crt, key, ca = make_cert(tmp)
    cmd = [sys.executable, "-m", "kubeward", "admission", "serve", "--tls-cert", crt,
           "--tls-key", key, "--host", "127.0.0.1", "--port", "0", "--workers", str(args.workers),
           "--shutdown-delay", "0", "--no-access-log"]
    if args.config:
        cmd += ["--config", args.config]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    port = None
    listening = 0
    args.server_pids = [proc.pid]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and listening < args.workers:
        line = proc.stderr.readline()
        if not line:
            if proc.poll() is not None:
                raise SystemExit(f"the server exited with {proc.returncode}")
            continue
        rec = json.loads(line)
        if rec.get("event") == "listening":
            listening += 1
            port = port or rec["port"]
        elif rec.get("event") == "workers-started":
            port = rec["port"]
            args.server_pids = list(rec["pids"])
    if port is None:
        raise SystemExit("the server did not start")
    return proc, port, ca


async def scrape_histogram(session, base: str, endpoint: str) -> dict[float, float]:
    """le -> cumulative count of the server's own latency histogram."""
    out: dict[float, float] = {}
    async with session.get(f"{base}/metrics") as resp:
        text = await resp.text()
    prefix = "kubeward_admission_request_duration_seconds_bucket{"
    for line in text.splitlines():
        if line.startswith(prefix) and f'endpoint="{endpoint}"' in line:
            le = line.split('le="', 1)[1].split('"', 1)[0]
            out[float("inf") if le == "+Inf" else float(le)] = float(line.rsplit(" ", 1)[1])
    return out


def histogram_quantile(before: dict, after: dict, q: float) -> float | None:
    """Upper bound (ms) of the bucket holding quantile ``q`` of the
    observations made between two scrapes."""
    les = sorted(after)
    counts = [after[le] - before.get(le, 0.0) for le in les]
    if not counts or counts[-1] <= 0:
        return None
    target = q * counts[-1]
    for le, c in zip(les, counts):
        if c >= target:
            return le * 1000
    return None


async def run_load(url: str, ca: str, bodies: list[bytes], args) -> dict:
    import aiohttp

    ctx = ssl.create_default_context(cafile=ca)
    connector = aiohttp.TCPConnector(ssl=ctx, limit=args.connections, force_close=False,
                                     keepalive_timeout=60)
    latencies: list[float] = []
    errors = {"http": 0, "other": 0}
    sent = 0
    stop_at = time.perf_counter() + args.duration
    headers = {"Content-Type": "application/json"}
    timeout = aiohttp.ClientTimeout(total=10)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        async def one(i: int, scheduled: float | None = None) -> None:
            body = bodies[i % len(bodies)].replace(b"@@UID@@", f"bench-{i}".encode())
            # open loop: latency counts from when the review was due, so a
            # late start (the previous answer on this connection was slow)
            # is not hidden ("coordinated omission")
            t0 = time.perf_counter() if scheduled is None else scheduled
            try:
                async with session.post(url, data=body, headers=headers) as resp:
                    data = await resp.read()
                    if resp.status != 200 or b'"uid":"bench-' not in data:
                        errors["http"] += 1
                        return
            except Exception:
                errors["other"] += 1
                return
            latencies.append(time.perf_counter() - t0)

        # warm-up: open the connections and fill the caches
        await asyncio.gather(*(one(-1 - i) for i in range(args.connections)))
        latencies.clear()
        # keep the load generator's own collector pauses out of the figures
        import gc
        gc.collect()
        gc.freeze()
        pids = getattr(args, "server_pids", [])
        base = url.rsplit("/", 1)[0]
        hist0 = await scrape_histogram(session, base, args.endpoint)
        cpu0, own0 = cpu_seconds(pids), time.process_time()
        t_start = time.perf_counter()
        stop_at = t_start + args.duration
        if args.rate:
            # each connection paces itself at rate/connections, staggered, one
            # review in flight per connection (as an API server's pool does
            # over HTTP/1.1)
            interval = args.connections / args.rate

            async def paced(w: int) -> None:
                nonlocal sent
                nxt = t_start + w * interval / args.connections
                i = w
                while nxt < stop_at and sent < args.requests:
                    now = time.perf_counter()
                    if now < nxt:
                        await asyncio.sleep(nxt - now)
                    sent += 1
                    await one(i, scheduled=nxt)
                    i += args.connections
                    nxt += interval

            await asyncio.gather(*(paced(w) for w in range(args.connections)))
        else:
            counter = iter(range(args.requests))

            async def worker() -> None:
                nonlocal sent
                for i in counter:
                    if time.perf_counter() >= stop_at:
                        return
                    sent += 1
                    await one(i)

            await asyncio.gather(*(worker() for _ in range(args.connections)))
        elapsed = time.perf_counter() - t_start
        server_cpu = cpu_seconds(pids) - cpu0 if pids else None
        client_cpu = time.process_time() - own0
        hist1 = await scrape_histogram(session, base, args.endpoint)
    lat = sorted(latencies)

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000, 3) if lat else 0.0

    return {"mode": f"open loop at {args.rate}/s" if args.rate else "closed loop",
            "connections": args.connections, "sent": sent, "ok": len(lat),
            "errors": errors, "seconds": round(elapsed, 2),
            "throughput_per_s": round(len(lat) / elapsed, 1) if elapsed else 0.0,
            "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99),
            "max_ms": round(lat[-1] * 1000, 3) if lat else 0.0,
            "server_cpu_ms_per_review": (round(server_cpu * 1000 / len(lat), 3)
                                         if server_cpu is not None and lat else None),
            "client_cpu_ms_per_review": round(client_cpu * 1000 / len(lat), 3) if lat else None,
            # the server's own time per review (body read to response), from its
            # histogram: the bucket bound that holds the quantile
            "server_p50_ms_le": histogram_quantile(hist0, hist1, 0.50),
            "server_p99_ms_le": histogram_quantile(hist0, hist1, 0.99)}


def decision_only(bodies: list[bytes], seconds: float) -> dict:
    """The decision alone, in this process (no HTTP, no TLS): microseconds
    per review for each body, JSON parsing included."""
    from kubeward.admission.policy import AdmissionPolicy

    policy = AdmissionPolicy()
    out = {}
    for body in bodies[:2] + bodies[3:]:
        data = body.replace(b"@@UID@@", b"bench")
        name = json.loads(data)["request"]["name"]
        policy.validate(json.loads(data))  # warm the caches
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds / 3:
            for _ in range(50):
                policy.validate(json.loads(data))
            n += 50
        out[name] = round((time.perf_counter() - t0) / n * 1e6, 1)
    return {"decision_us": out, "checks": len(policy.instances)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="target a running server (loopback only), e.g. "
                                  "https://127.0.0.1:8443 (needs --ca-file)")
    ap.add_argument("--ca-file", help="CA of the running server's certificate")
    ap.add_argument("--workers", type=int, default=2, help="server processes (own server)")
    ap.add_argument("--config", help="config file for the server it starts")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--requests", type=int, default=2_000_000)
    ap.add_argument("--rate", type=float, default=0.0, help="open loop: reviews per second")
    ap.add_argument("--endpoint", choices=["validate", "mutate"], default="validate")
    ap.add_argument("--operation", choices=["CREATE", "UPDATE"], default="UPDATE")
    ap.add_argument("--json", action="store_true", help="print the result as JSON only")
    ap.add_argument("--decision-only", action="store_true",
                    help="time the decision in this process only (no server, no HTTPS)")
    args = ap.parse_args(argv)
    args.duration = min(max(args.duration, 1.0), 120.0)
    args.requests = min(max(args.requests, 1), 2_000_000)
    args.connections = min(max(args.connections, 1), 1024)
    bodies = [review_template(deployment(f"api-{v}", v), args.operation)
              for v in ("hardened", "findings", "hardened", "denied")]
    if args.decision_only:
        res = decision_only(bodies, min(args.duration, 10.0))
        print(json.dumps(res) if args.json else
              "decision per review (us): " + ", ".join(f"{k} {v}" for k, v in
                                                      res["decision_us"].items()))
        return 0
    proc = None
    with tempfile.TemporaryDirectory() as tmp:
        if args.url:
            host = urlsplit(args.url).hostname or ""
            if host not in LOOPBACK:
                ap.error("--url must point at a loopback address")
            if not args.ca_file:
                ap.error("--url needs --ca-file")
            base, ca = args.url.rstrip("/"), args.ca_file
        else:
            proc, port, ca = start_server(args, tmp)
            base = f"https://127.0.0.1:{port}"
        try:
            result = asyncio.run(run_load(f"{base}/{args.endpoint}", ca, bodies, args))
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(30)
    result.update(endpoint=args.endpoint, operation=args.operation,
                  serverWorkers=None if args.url else args.workers,
                  bodyBytes=[len(b) for b in bodies], cpus=os.cpu_count())
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['mode']}, {result['connections']} connections, "
              f"{result['serverWorkers']} server workers, {result['cpus']} CPUs")
        print(f"  {result['ok']} reviews in {result['seconds']} s: "
              f"{result['throughput_per_s']} reviews/s; errors {result['errors']}")
        print(f"  latency p50 {result['p50_ms']} ms, p90 {result['p90_ms']} ms, "
              f"p99 {result['p99_ms']} ms, max {result['max_ms']} ms")
        print(f"  CPU per review: server {result['server_cpu_ms_per_review']} ms, "
              f"load generator {result['client_cpu_ms_per_review']} ms")
        print(f"  server-side time per review (histogram bucket): p50 <= "
              f"{result['server_p50_ms_le']} ms, p99 <= {result['server_p99_ms_le']} ms")
    return 0 if result["ok"] and not any(result["errors"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
