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

With ``--cluster-view N`` the server runs with ``--cluster --cross-checks``
against a fake Kubernetes API server (``tests/kwtest/fakeapi.py``, in this
process) holding the first N objects of the kinds the webhook watches
(``CONTEXT_KINDS``) of the realistic corpus (``bench/realistic.py``, 2N
documents, ``--seed``; cached in the temporary folder as
``kubeward-realistic-2N-SEED``) plus their Namespaces; once ``/readyz``
says every worker has listed the view, the reviews are UPDATEs of the
corpus's Deployments in the namespaces of the view, in an order shuffled by
the seed. ``--warmup S`` first sends S seconds of the same load and
does not count it: without it the figures start with the server's first
review after ``/readyz`` (every worker's ``warmed`` event: its shared
analyses are built), so they include the first review of each namespace,
ServiceAccount and code path in each worker (the *cold* figure); with it
(long enough to reach every Deployment) they are the *steady-state*
figure. ``--churn R`` / ``--spec-churn R`` change the view
during the load; ``--trace FILE`` writes a timeline of every review.

Bounded: at most ``--duration`` seconds (<= 120) and ``--requests`` reviews
(<= 2,000,000). Example::

    python bench/admission_bench.py --workers 2 --connections 32 --duration 10
    python bench/admission_bench.py --workers 2 --rate 1000 --duration 10
    python bench/admission_bench.py --workers 1 --rate 500 --duration 20 \\
        --cluster-view 10000 --warmup 10
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import datetime as dt
import ipaddress
import json
import os
import random
import re
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlsplit

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
#: a cross-resource check id in an answer (warning, deny message, audit key)
CROSS_ID = re.compile(rb"\bX[A-Z]{2,5}[0-9]{3}\b")


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
           "name": obj["metadata"]["name"], "namespace": obj["metadata"]["namespace"],
           "operation": operation,
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


def machine_ticks() -> tuple[int, int, int] | None:
    """(busy, steal, total) clock ticks of all CPUs since boot (Linux
    ``/proc/stat``): steal is time the hypervisor gave to other machines."""
    try:
        with open("/proc/stat") as fh:
            f = [int(x) for x in fh.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = f[3] + f[4]  # idle + iowait
    return sum(f) - idle - f[7], f[7], sum(f)


def machine_share(t0, t1) -> dict | None:
    """Busy and steal share (percent of all CPUs) between two machine_ticks()."""
    if t0 is None or t1 is None or t1[2] <= t0[2]:
        return None
    total = t1[2] - t0[2]
    return {"busy_pct": round(100 * (t1[0] - t0[0]) / total, 1),
            "steal_pct": round(100 * (t1[1] - t0[1]) / total, 1)}


class ClusterView:
    """The fake API server holding the cluster view, and the reviews of the
    Deployments of the view's namespaces (``--cluster-view``)."""

    def __init__(self, size: int, seed: int, directory: str, operation: str = "UPDATE"):
        # the test helpers package (the fake API server) and bench/realistic.py
        for path in (os.path.join(ROOT, "tests"), HERE):
            if path not in sys.path:
                sys.path.insert(0, path)
        from kwtest.fakeapi import FakeKubeAPI, write_kubeconfig
        from realistic import cached

        from kubeward.admission.namespaces import CONTEXT_KINDS, CONTEXT_RESOURCES
        from kubeward.loading.files import load_paths

        docs = 2 * size  # the corpus has about 0.7 context objects per document
        self.corpus = cached(docs, seed)
        objects = load_paths([self.corpus]).objects
        kinds = {k for _, k in CONTEXT_KINDS}
        view = [o for o in objects if o.kind in kinds][:size]
        if len(view) < size:
            raise SystemExit(f"the corpus of {docs} documents has only {len(view)} objects "
                             f"of the watched kinds")
        names = {o.namespace for o in view if o.namespace}
        namespaces = [o for o in objects if o.kind == "Namespace" and o.name in names]
        # plain JSON-shaped dicts, as the API server sends them
        deployments = [json.loads(json.dumps(o.raw)) for o in objects
                       if o.kind == "Deployment" and o.namespace in names]
        random.Random(seed).shuffle(deployments)
        self.view_objects = len(view)
        self.namespaces = len(namespaces)
        # what --churn rewrites: HPAs get status updates (as their controller
        # does every sync), RoleBindings a label (a change the checks may see)
        self.hpas = [json.loads(json.dumps(o.raw)) for o in view
                     if o.kind == "HorizontalPodAutoscaler"]
        self.bindings = [json.loads(json.dumps(o.raw)) for o in view if o.kind == "RoleBinding"]
        self.changes = {"status": 0, "spec": 0}
        self._stop = threading.Event()
        self.bodies = [review_template(d, operation) for d in deployments]
        self.body_namespace = [d["metadata"]["namespace"] for d in deployments]
        #: resources each server worker lists before it is ready
        self.resources = 1 + len(CONTEXT_RESOURCES)
        # a real API server sends a watch bookmark about once a minute; the
        # fake one's default (5 a second per watch) would only add wake-ups
        self.api = FakeKubeAPI(bookmark_interval=60.0)
        self.api.load_objects([json.loads(json.dumps(o.raw)) for o in namespaces + view])
        # forget the load's ADDED events: every watch thread of the fake server
        # scans the event history on each wake-up, which for 10,000 events
        # would cost the load generator's process milliseconds of GIL time
        # per --churn batch (the server lists first, so it needs none of them)
        self.api.compact()
        del objects, view, namespaces
        self.api.start()
        self.kubeconfig = str(write_kubeconfig(os.path.join(directory, "kubeconfig"),
                                               self.api.url))

    def churn(self, status_rate: float, spec_rate: float) -> None:
        """Change the view while the load runs, in batches every 250 ms (so
        the fake API server's watch threads wake 4 times a second, not once
        per change): ``status_rate`` HPA status updates per second (what
        does not change what the checks see) and ``spec_rate`` RoleBinding
        label changes per second (what does: that namespace's shared
        analyses are rebuilt at its next review)."""
        if (status_rate <= 0 or not self.hpas) and (spec_rate <= 0 or not self.bindings):
            return

        def run() -> None:
            due = {"status": 0.0, "spec": 0.0}
            rates = {"status": status_rate, "spec": spec_rate}
            pools = {"status": self.hpas, "spec": self.bindings}
            while not self._stop.wait(0.25):
                for what, rate in rates.items():
                    pool = pools[what]
                    if rate <= 0 or not pool:
                        continue
                    due[what] += rate * 0.25
                    while due[what] >= 1:
                        due[what] -= 1
                        n = self.changes[what]
                        obj = pool[n % len(pool)]
                        if what == "status":
                            obj["status"] = {"currentReplicas": 2 + n % 3,
                                             "desiredReplicas": 2 + (n + 1) % 3}
                        else:
                            obj["metadata"].setdefault("labels", {})[
                                "bench.kubeward.io/revision"] = str(n)
                        self.api.modify(obj)
                        self.changes[what] = n + 1

        threading.Thread(target=run, name="bench-churn", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self.api.stop()


def _drain(proc: subprocess.Popen, events: dict) -> None:
    """Read the server's standard error to its end (so it never blocks on a
    full pipe), counting the JSON events by name; other lines are echoed."""
    for line in proc.stderr:
        try:
            name = json.loads(line).get("event")
        except (ValueError, AttributeError):
            sys.stderr.write(line)
            continue
        with events["lock"]:
            events[name] = events.get(name, 0) + 1


def wait_ready(args, base: str, ca: str, events: dict, timeout: float = 180.0) -> float:
    """Wait until every worker has listed the cluster view (its
    ``cluster-listed`` events) and built its shared analyses (``warmed``),
    and ``/readyz`` answers 200; seconds since the server was started."""
    import http.client

    t0 = args.server_started
    want = args.workers * args.view.resources
    ctx = ssl.create_default_context(cafile=ca)
    port = int(base.rsplit(":", 1)[1])
    while time.monotonic() - t0 < timeout:
        if args.server.poll() is not None:
            raise SystemExit(f"the server exited with {args.server.returncode}")
        with events["lock"]:
            listed = events.get("cluster-listed", 0)
            warmed = events.get("warmed", 0) + events.get("warm-failed", 0)
        if listed >= want and warmed >= args.workers:
            conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=5)
            try:
                conn.request("GET", "/readyz")
                if conn.getresponse().status == 200:
                    return time.monotonic() - t0
            except OSError:
                pass
            finally:
                conn.close()
        time.sleep(0.1)
    raise SystemExit(f"the server's cluster view was not ready within {timeout:g} s")


def start_server(args, tmp: str) -> tuple[subprocess.Popen, int, str]:
    crt, key, ca = make_cert(tmp)
    cmd = [sys.executable, "-m", "kubeward", "admission", "serve", "--tls-cert", crt,
           "--tls-key", key, "--host", "127.0.0.1", "--port", "0", "--workers", str(args.workers),
           "--shutdown-delay", "0", "--no-access-log"]
    if args.config:
        cmd += ["--config", args.config]
    if args.view is not None:
        cmd += ["--cluster", "--kubeconfig", args.view.kubeconfig, "--cross-checks"]
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    args.server_started = time.monotonic()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env)
    args.server = proc
    port = None
    listening = 0
    args.server_pids = [proc.pid]
    args.events = events = {"lock": threading.Lock()}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and listening < args.workers:
        line = proc.stderr.readline()
        if not line:
            if proc.poll() is not None:
                raise SystemExit(f"the server exited with {proc.returncode}")
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            sys.stderr.write(line)
            continue
        events[rec.get("event")] = events.get(rec.get("event"), 0) + 1
        if rec.get("event") == "listening":
            listening += 1
            port = port or rec["port"]
        elif rec.get("event") == "workers-started":
            port = rec["port"]
            args.server_pids = list(rec["pids"])
    if port is None:
        raise SystemExit("the server did not start")
    threading.Thread(target=_drain, args=(proc, events), daemon=True).start()
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
    body_ns = args.view.body_namespace if args.view is not None else None
    st: dict = {}

    def reset() -> None:
        st.update(latencies=[], errors={"http": 0, "other": 0}, sent=0, denied=0, cross=0,
                  namespaces=set(), trace=[])

    reset()
    seq = iter(range(2_000_000_000))
    headers = {"Content-Type": "application/json"}
    timeout = aiohttp.ClientTimeout(total=10)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        async def one(i: int, scheduled: float | None = None) -> None:
            body = bodies[i % len(bodies)].replace(b"@@UID@@", f"bench-{i}".encode())
            if body_ns is not None:
                st["namespaces"].add(body_ns[i % len(bodies)])
            # open loop: latency counts from when the review was due, so a
            # late start (the previous answer on this connection was slow)
            # is not hidden ("coordinated omission")
            t0 = time.perf_counter() if scheduled is None else scheduled
            try:
                async with session.post(url, data=body, headers=headers) as resp:
                    data = await resp.read()
                    if resp.status != 200 or b'"uid":"bench-' not in data:
                        st["errors"]["http"] += 1
                        return
            except Exception:
                st["errors"]["other"] += 1
                return
            st["latencies"].append(time.perf_counter() - t0)
            st["trace"].append((t0, st["latencies"][-1], i))
            st["denied"] += b'"allowed":false' in data
            st["cross"] += CROSS_ID.search(data) is not None

        async def drive(seconds: float) -> float:
            """The load for ``seconds``; returns the elapsed time."""
            t_start = time.perf_counter()
            stop_at = t_start + seconds
            if args.rate:
                # each connection paces itself at rate/connections, staggered, one
                # review in flight per connection (as an API server's pool does
                # over HTTP/1.1)
                interval = args.connections / args.rate

                async def paced(w: int) -> None:
                    nxt = t_start + w * interval / args.connections
                    while nxt < stop_at and st["sent"] < args.requests:
                        now = time.perf_counter()
                        if now < nxt:
                            await asyncio.sleep(nxt - now)
                            if st["sent"] >= args.requests:  # another connection got there
                                break
                        st["sent"] += 1
                        await one(next(seq), scheduled=nxt)
                        nxt += interval

                await asyncio.gather(*(paced(w) for w in range(args.connections)))
            else:
                async def worker() -> None:
                    while st["sent"] < args.requests:
                        if time.perf_counter() >= stop_at:
                            return
                        st["sent"] += 1
                        await one(next(seq))

                await asyncio.gather(*(worker() for _ in range(args.connections)))
            return time.perf_counter() - t_start

        base = url.rsplit("/", 1)[0]
        if args.view is None:
            # open the connections and fill the caches
            await asyncio.gather(*(one(-1 - i) for i in range(args.connections)))
        else:
            # open the connections without a review: no namespace's analysis
            # is built before the measured (or warm-up) load

            async def probe() -> None:
                async with session.get(f"{base}/healthz") as resp:
                    await resp.read()

            await asyncio.gather(*(probe() for _ in range(args.connections)))
        if args.view is not None:
            args.view.churn(args.churn, args.spec_churn)
        warmup: dict = {}
        if args.warmup > 0:
            warm_s = await drive(args.warmup)
            warmup = {"warmup_seconds": round(warm_s, 2), "warmup_reviews": len(st["latencies"]),
                      "warmup_p99_ms": _percentile(sorted(st["latencies"]), 99),
                      "warmup_max_ms": _percentile(sorted(st["latencies"]), 100),
                      "warmup_errors": dict(st["errors"]),
                      "warmup_namespaces": len(st["namespaces"])}
        warm_namespaces = set(st["namespaces"])
        reset()
        # keep the load generator's own collector pauses out of the figures
        import gc
        gc.collect()
        gc.freeze()
        pids = getattr(args, "server_pids", [])
        hist0 = await scrape_histogram(session, base, args.endpoint)
        cpu0, own0 = cpu_seconds(pids), time.process_time()
        wall0, perf0 = time.time(), time.perf_counter()
        machine0 = machine_ticks()
        samples: list = []
        if args.trace:
            # the machine's busy and steal share every 250 ms, to tell a slow
            # server from a machine whose CPUs were taken by someone else
            async def sample() -> None:
                last = machine0
                while True:
                    await asyncio.sleep(0.25)
                    now = machine_ticks()
                    samples.append((time.perf_counter(), machine_share(last, now)))
                    last = now

            sampler = asyncio.ensure_future(sample())
        elapsed = await drive(args.duration)
        if args.trace:
            sampler.cancel()
        machine = machine_share(machine0, machine_ticks())
        measured = [round(wall0, 3), round(wall0 + elapsed, 3)]
        server_cpu = cpu_seconds(pids) - cpu0 if pids else None
        client_cpu = time.process_time() - own0
        hist1 = await scrape_histogram(session, base, args.endpoint)
    lat = sorted(st["latencies"])
    if args.trace:
        with open(args.trace, "w") as fh:
            for t0, took, i in sorted(st["trace"]):
                fh.write(json.dumps({"at_ms": round((t0 - perf0) * 1000, 3),
                                     "ms": round(took * 1000, 3),
                                     "namespace": body_ns[i % len(bodies)] if body_ns else None})
                         + "\n")
            for t, share in samples:
                fh.write(json.dumps({"machine_at_ms": round((t - perf0) * 1000, 3), **(share or {})})
                         + "\n")
    out = {"mode": f"open loop at {args.rate}/s" if args.rate else "closed loop",
           "connections": args.connections, "sent": st["sent"], "ok": len(lat),
           "errors": st["errors"], "seconds": round(elapsed, 2),
           "throughput_per_s": round(len(lat) / elapsed, 1) if elapsed else 0.0,
           "p50_ms": _percentile(lat, 50), "p90_ms": _percentile(lat, 90),
           "p99_ms": _percentile(lat, 99), "max_ms": _percentile(lat, 100),
           "denied": st["denied"], "with_cross_finding": st["cross"],
           "server_cpu_ms_per_review": (round(server_cpu * 1000 / len(lat), 3)
                                        if server_cpu is not None and lat else None),
           "client_cpu_ms_per_review": round(client_cpu * 1000 / len(lat), 3) if lat else None,
           # the server's own time per review (body read to response), from its
           # histogram: the bucket bound that holds the quantile
           "server_p50_ms_le": histogram_quantile(hist0, hist1, 0.50),
           "server_p99_ms_le": histogram_quantile(hist0, hist1, 0.99),
           # wall-clock window of the measured load (to match server-side logs)
           "measured_epoch": measured,
           # all CPUs of the machine during the measured load: busy (every
           # process, this benchmark's included) and stolen by the hypervisor;
           # /proc/stat is sampled at clock ticks and undercounts short bursts
           # on a tickless VM: a sign of another job, not an exact figure
           "machine": machine}
    if args.view is not None:
        # namespaces whose first review (per worker) fell in the measured load
        out["figure"] = "steady state" if args.warmup > 0 else "cold"
        out["namespaces_reviewed"] = len(st["namespaces"])
        out["namespaces_first_reviewed_when_measured"] = len(st["namespaces"] - warm_namespaces)
        out["view_changes"] = dict(args.view.changes)  # over warm-up and measured load
        out.update(warmup)
    return out


def _percentile(lat: list[float], p: float) -> float:
    """``p``-th percentile (ms) of sorted latencies (seconds); 100: the max."""
    if not lat:
        return 0.0
    return round(lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000, 3)


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
    ap.add_argument("--cluster-view", type=int, default=0, metavar="N",
                    help="serve with --cluster --cross-checks against a fake API server "
                         "holding N objects of the realistic corpus; review its Deployments")
    ap.add_argument("--seed", type=int, default=1, help="seed of the realistic corpus")
    ap.add_argument("--warmup", type=float, default=0.0, metavar="SECONDS",
                    help="send the same load this long first, not counted")
    ap.add_argument("--churn", type=float, default=0.0, metavar="R",
                    help="with --cluster-view: R HPA status updates a second during the load")
    ap.add_argument("--spec-churn", type=float, default=0.0, metavar="R",
                    help="with --cluster-view: R RoleBinding label changes a second")
    ap.add_argument("--trace", metavar="FILE",
                    help="write each measured review (start in ms from the start of the "
                         "measured load, latency in ms, namespace) as a JSON line")
    args = ap.parse_args(argv)
    load_before = [round(x, 2) for x in os.getloadavg()]
    args.duration = min(max(args.duration, 1.0), 120.0)
    args.warmup = min(max(args.warmup, 0.0), 120.0)
    args.requests = min(max(args.requests, 1), 2_000_000)
    args.connections = min(max(args.connections, 1), 1024)
    args.cluster_view = min(max(args.cluster_view, 0), 200_000)
    if args.cluster_view and (args.url or args.decision_only):
        ap.error("--cluster-view starts its own server: not with --url or --decision-only")
    args.view = None
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
        if args.cluster_view:
            t0 = time.monotonic()
            args.view = ClusterView(args.cluster_view, args.seed, tmp, args.operation)
            bodies = args.view.bodies
            setup_s = time.monotonic() - t0
        if args.url:
            host = urlsplit(args.url).hostname or ""
            if host not in LOOPBACK:
                ap.error("--url must point at a loopback address")
            if not args.ca_file:
                ap.error("--url needs --ca-file")
            base, ca = args.url.rstrip("/"), args.ca_file
        try:
            if not args.url:
                proc, port, ca = start_server(args, tmp)
                base = f"https://127.0.0.1:{port}"
                if args.view is not None:
                    ready_s = wait_ready(args, base, ca, args.events)
            result = asyncio.run(run_load(f"{base}/{args.endpoint}", ca, bodies, args))
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(30)
            if args.view is not None:
                args.view.stop()
    sizes = sorted(len(b) for b in bodies)
    result.update(endpoint=args.endpoint, operation=args.operation,
                  serverWorkers=None if args.url else args.workers,
                  bodyBytes=(sizes if len(sizes) <= 8 else
                             {"min": sizes[0], "median": sizes[len(sizes) // 2],
                              "max": sizes[-1]}),
                  cpus=os.cpu_count(), loadAverageBefore=load_before,
                  loadAverageAfter=[round(x, 2) for x in os.getloadavg()])
    if args.view is not None:
        result.update(clusterView={"objects": args.view.view_objects,
                                   "namespaces": args.view.namespaces,
                                   "deployments": len(bodies), "seed": args.seed,
                                   "corpus": args.view.corpus,
                                   "setupSeconds": round(setup_s, 1),
                                   "readySeconds": round(ready_s, 1)})
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
        if args.view is not None:
            cv = result["clusterView"]
            print(f"  cluster view: {cv['objects']} objects, {cv['namespaces']} namespaces, "
                  f"{cv['deployments']} Deployments reviewed in turn (seed {cv['seed']}); "
                  f"ready {cv['readySeconds']} s after start")
            if args.churn or args.spec_churn:
                print(f"  view changed during warm-up and load: {result['view_changes']['status']} "
                      f"HPA status updates, {result['view_changes']['spec']} RoleBinding "
                      f"label changes")
            print(f"  {result['figure']} figure: {result['namespaces_first_reviewed_when_measured']}"
                  f" of {result['namespaces_reviewed']} namespaces first reviewed in the "
                  f"measured load; {result['denied']} denied, {result['with_cross_finding']} "
                  f"with a cross-check finding")
            if args.warmup > 0:
                print(f"  warm-up: {result['warmup_reviews']} reviews in "
                      f"{result['warmup_seconds']} s (not counted), p99 "
                      f"{result['warmup_p99_ms']} ms, max {result['warmup_max_ms']} ms, "
                      f"errors {result['warmup_errors']}")
        if result.get("machine"):
            print(f"  machine during the measured load: {result['machine']['busy_pct']}% of "
                  f"the CPUs busy, {result['machine']['steal_pct']}% stolen by the hypervisor")
        print(f"  load average (1, 5, 15 min) before {result['loadAverageBefore']}, "
              f"after {result['loadAverageAfter']}")
    return 0 if result["ok"] and not any(result["errors"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
