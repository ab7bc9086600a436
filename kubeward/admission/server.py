"""The HTTPS server of the admission webhook (aiohttp).

Routes: ``POST /validate``, ``POST /mutate`` (AdmissionReview v1),
``GET /healthz`` (the process answers), ``GET /readyz`` (certificate loaded,
namespace view synced, not shutting down), ``GET /metrics`` (Prometheus).

A small request (``INLINE_BODY`` bytes, ``INLINE_CONTAINERS`` containers) is
decided in the event loop, synchronously: the decision is short CPU work and
a thread would only add GIL hand-offs. A larger one is decided in a worker
thread, so that ``/healthz`` and small reviews keep being answered, and
within ``decide_timeout`` seconds: past it the answer is a 503 (the API
server then applies the webhook's ``failurePolicy``; keep ``decide_timeout``
below the webhook's ``timeoutSeconds``). More cores are used
with ``workers`` > 1: that many processes, each with its own listening
socket bound with ``SO_REUSEPORT`` to the same port, so the kernel spreads
connections across them (metrics then use prometheus_client's multiprocess
mode). Every process polls the certificate files and swaps in a new TLS
context when they change.

Limits: a body larger than ``max_body`` bytes gets 413 (before it is read
when Content-Length says so), a body that does not arrive within
``body_timeout`` seconds gets 408, an object with more than
``max_containers`` containers gets 413, idle keep-alive connections close
after ``keepalive_timeout`` seconds, and a connection whose request headers
are not complete ``header_timeout`` seconds after their first byte (or after
the connection opened) is closed. At most ``max_inflight`` reviews are read
and decided at once (the others wait up to ``body_timeout``, then get 503),
which bounds memory: ``max_inflight`` x ``max_body`` x the JSON expansion
stays well inside the shipped Deployment's 256 Mi limit; after a large
review the allocator returns freed memory to the system (glibc
``malloc_trim``). Every malformed request gets a 4xx JSON
answer ``{"error": ..., "code": ...}`` and the server keeps serving; an
unexpected error in the decision is a 500 for that request only.

One JSON log line per request on standard error: time, path, HTTP status,
review uid, operation, kind, namespace, name, user, dry run, modes,
decision, check ids found, latency. Never object content (no field values,
no Secret data).

SIGTERM/SIGINT: ``/readyz`` turns 503, the server waits ``shutdown_delay``
seconds (so endpoints stop sending), stops accepting, lets in-flight
requests finish (up to ``shutdown_timeout``), then exits.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import signal
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from kubeward.admission.policy import AdmissionPolicy, BadReview, Decision
from kubeward.admission.tls import CertStore

MiB = 1024 * 1024

try:  # orjson is a dependency; the fallback keeps a broken install serving
    # (orjson refuses integers beyond 64 bits and nesting deeper than 1024:
    # a 400 either way for such bodies)
    import orjson as _orjson

    def _loads(data: bytes):
        try:
            return _orjson.loads(data)
        except _orjson.JSONDecodeError as e:
            raise ValueError(str(e)) from None

    def _dumps(obj) -> bytes:
        return _orjson.dumps(obj)
except ImportError:  # pragma: no cover - depends on the environment
    def _loads(data: bytes):
        return json.loads(data)

    def _dumps(obj) -> bytes:
        return json.dumps(obj, separators=(",", ":")).encode()


@dataclass
class Settings:
    host: str = "0.0.0.0"
    port: int = 8443
    workers: int = 1
    max_body: int = 3 * MiB
    body_timeout: float = 10.0
    keepalive_timeout: float = 75.0
    reload_interval: float = 5.0
    shutdown_delay: float = 3.0
    shutdown_timeout: float = 20.0
    access_log: bool = True
    namespace_fetch_timeout: float = 2.0
    parent_pid: int | None = None  # workers: stop when this process is gone
    header_timeout: float = 10.0
    max_containers: int = 1000
    max_inflight: int = 4
    decide_timeout: float = 4.0  # below the shipped webhooks' timeoutSeconds (5)


#: reviews at most this large (bytes, containers) are decided in the event loop
INLINE_BODY = 64 * 1024
INLINE_CONTAINERS = 32
#: reviews at least this large are followed by a malloc_trim
TRIM_BODY = 1 * MiB
#: seconds between checks for a changed cluster view to rebuild in the background
WARM_INTERVAL = 1.0


def count_containers(raw) -> int:
    """Containers (init, regular, ephemeral) of the pod spec in ``raw``."""
    from kubeward.model import K8sObject, Source

    if not isinstance(raw, dict):
        return 0
    pod = K8sObject(raw, Source("<admission>", 0, 0, {})).pod
    if pod is None:
        return 0
    n = 0
    for key in ("initContainers", "containers", "ephemeralContainers"):
        items = pod.spec.get(key)
        if isinstance(items, list):
            n += len(items)
    return n


def _malloc_trim() -> None:
    """Give freed heap back to the system (glibc); nothing elsewhere."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


def _header_timeout_server(server_cls, handler_cls, header_timeout: float):
    """A subclass of aiohttp's Server whose connections must complete their
    request headers within ``header_timeout`` seconds of the first byte (or
    of the connection opening): slow-header clients are closed."""

    class Handler(handler_cls):
        _kw_timer = None

        def connection_made(self, transport):
            super().connection_made(transport)
            self._kw_arm()

        def _kw_arm(self):
            if self._kw_timer is None and header_timeout > 0:
                self._kw_timer = self._loop.call_later(header_timeout, self._kw_expired)

        def _kw_disarm(self):
            if self._kw_timer is not None:
                self._kw_timer.cancel()
                self._kw_timer = None

        def _kw_expired(self):
            self._kw_timer = None
            if not self._request_in_progress and not self._messages:
                self.force_close()

        def data_received(self, data):
            before = self._request_count
            super().data_received(data)
            if self._request_count != before:
                self._kw_disarm()  # a whole request head arrived
            elif not self._request_in_progress and not self._messages:
                self._kw_arm()  # part of a head: it must complete in time

        def connection_lost(self, exc):
            self._kw_disarm()
            super().connection_lost(exc)

    class Server(server_cls):
        def __call__(self):
            return Handler(self, loop=self._loop, **self._kwargs)

    return Server


class JsonLog:
    """One JSON object per line; ``enabled`` False drops request lines
    (start-up, reload and shutdown events are always written)."""

    def __init__(self, stream=None, enabled: bool = True):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.pid = os.getpid()

    def event(self, event: str, level: str = "info", **fields) -> None:
        rec = {"ts": round(time.time(), 3), "level": level, "event": event, "pid": self.pid}
        rec.update(fields)
        self._write(rec)

    def request(self, rec: dict) -> None:
        if self.enabled:
            rec["ts"] = round(time.time(), 3)
            rec["pid"] = self.pid
            self._write(rec)

    def _write(self, rec: dict) -> None:
        try:
            self.stream.write(json.dumps(rec, separators=(",", ":"), default=str) + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # a closed stderr must not fail requests
            pass


class Metrics:
    def __init__(self, multiprocess: bool = False):
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.multiprocess = multiprocess
        reg = None if multiprocess else CollectorRegistry()
        self.registry = reg
        kw = {"registry": reg}
        self.requests = Counter("kubeward_admission_http_requests",
                                "HTTP requests by path and status code", ["path", "code"], **kw)
        self.reviews = Counter("kubeward_admission_reviews",
                               "AdmissionReviews answered, by endpoint, operation and result "
                               "(allowed, denied, exempt, patched, skipped)",
                               ["endpoint", "operation", "result"], **kw)
        self.decisions = Counter("kubeward_admission_findings",
                                 "Findings acted on, by mode (enforce: denied, warn, audit), "
                                 "check id and namespace", ["mode", "check", "namespace"], **kw)
        self.latency = Histogram("kubeward_admission_request_duration_seconds",
                                 "Time to answer an AdmissionReview, from the first byte of "
                                 "the body to the response", ["endpoint"],
                                 buckets=(.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1,
                                          2.5, 10), **kw)
        self.cert_reloads = Counter("kubeward_admission_certificate_reloads",
                                    "Times a changed TLS certificate was loaded", **kw)
        self.errors = Counter("kubeward_admission_check_errors",
                              "Internal errors in checks (the request is still answered)",
                              ["check"], **kw)

        self._children: dict[tuple, Any] = {}

    def child(self, metric, *labels: str):
        """``metric.labels(*labels)``, looked up once per label set."""
        key = (id(metric), labels)
        got = self._children.get(key)
        if got is None:
            got = metric.labels(*labels)
            if len(self._children) < 100_000:
                self._children[key] = got
        return got

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

        if self.multiprocess:
            from prometheus_client import multiprocess
            reg = CollectorRegistry()
            multiprocess.MultiProcessCollector(reg)
            return generate_latest(reg), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class AdmissionServer:
    """One server process: the aiohttp app on one listening socket."""

    def __init__(self, policy: AdmissionPolicy, certs: CertStore, settings: Settings,
                 namespaces=None, log: JsonLog | None = None, metrics: Metrics | None = None,
                 workers_ready: tuple | None = None):
        from aiohttp import web

        self.policy = policy
        self.certs = certs
        self.settings = settings
        self.namespaces = namespaces
        self.log = log or JsonLog(enabled=settings.access_log)
        self.metrics = metrics or Metrics()
        self.shutting_down = False
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._runner = None
        self._last_cert_error: str | None = None
        self._inflight: asyncio.Semaphore | None = None
        self._executor = None
        #: the shared analyses of the cluster view are built (see _warm_loop);
        #: set at once when there is nothing to build
        self.warmed = threading.Event()
        self._warm_stop = threading.Event()
        if not (namespaces is not None and policy.cross_enabled
                and hasattr(namespaces, "wait_ready")):
            self.warmed.set()
        #: (shared flags, this worker's index) with several worker processes:
        #: /readyz answers 200 only when every worker is ready (a probe
        #: reaches one worker; reviews reach all of them)
        self.workers_ready = workers_ready
        #: most reviews being read or decided at once (tests read it)
        self.max_inflight_seen = 0
        self._inflight_now = 0
        app = web.Application(client_max_size=settings.max_body,
                              handler_args={"auto_decompress": False})
        app.router.add_post("/validate", self._validate)
        app.router.add_post("/mutate", self._mutate)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        # every other method on these paths, and every other path, gets the
        # documented JSON error body (405 with Allow, 404) instead of
        # aiohttp's plain text; routes rather than a middleware, so the
        # reviews pay nothing for it
        for path, allowed in (("/validate", "POST"), ("/mutate", "POST"), ("/healthz", "GET, HEAD"),
                              ("/readyz", "GET, HEAD"), ("/metrics", "GET, HEAD")):
            app.router.add_route("*", path, functools.partial(self._not_allowed, allowed=allowed))
        app.router.add_route("*", "/{path:.*}", self._not_found)
        self.app = app

    # -- handlers ----------------------------------------------------------
    async def _not_allowed(self, request, allowed: str):
        from aiohttp import web

        return web.json_response(
            {"error": f"method {request.method[:20]} is not allowed on {request.path[:100]} "
                      f"(allowed: {allowed})", "code": 405},
            status=405, headers={"Allow": allowed})

    async def _not_found(self, request):
        from aiohttp import web

        return web.json_response(
            {"error": f"no such path {request.path[:100]} (serving /validate, /mutate, "
                      "/healthz, /readyz, /metrics)", "code": 404}, status=404)

    async def _validate(self, request):
        return await self._review(request, "validate", self.policy.validate)

    async def _mutate(self, request):
        return await self._review(request, "mutate", self.policy.mutate)

    async def _review(self, request, endpoint: str, decide: Callable[[Any], Decision]):
        from aiohttp import web

        t0 = time.perf_counter()
        status = 200
        decision: Decision | None = None
        error = None
        acquired = False
        if self._inflight is None:
            self._inflight = asyncio.Semaphore(max(1, self.settings.max_inflight))
        try:
            ctype = request.content_type
            if ctype != "application/json":
                shown = (ctype[:60] + "...") if len(ctype) > 60 else (ctype or "missing")
                raise BadReview(f"Content-Type must be application/json, not {shown}", 415)
            length = request.content_length
            if length is not None and length > self.settings.max_body:
                raise BadReview(f"the body is {length} bytes; the limit is "
                                f"{self.settings.max_body} bytes", 413)
            try:
                async with asyncio.timeout(self.settings.body_timeout):
                    await self._inflight.acquire()
            except asyncio.TimeoutError:
                raise BadReview("too many reviews in progress; try again", 503) from None
            acquired = True
            self._inflight_now += 1
            self.max_inflight_seen = max(self.max_inflight_seen, self._inflight_now)
            try:
                # asyncio.timeout, not wait_for: no extra task, so a body that
                # is already buffered is read without going back to the loop
                async with asyncio.timeout(self.settings.body_timeout):
                    body = await request.read()
            except web.HTTPRequestEntityTooLarge:
                raise BadReview(f"the body is larger than {self.settings.max_body} bytes",
                                413) from None
            except asyncio.TimeoutError:
                raise BadReview(f"the body did not arrive within {self.settings.body_timeout:g}s",
                                408) from None
            if not body:
                raise BadReview("the body is empty (expected an AdmissionReview)")
            try:
                review = _loads(body)
            except (ValueError, RecursionError):
                raise BadReview("the body is not valid JSON (expected an AdmissionReview)") \
                    from None
            req = review.get("request") if isinstance(review, dict) else None
            n = count_containers(req.get("object") if isinstance(req, dict) else None)
            if n > self.settings.max_containers:
                raise BadReview(f"the object has {n} containers; the limit is "
                                f"{self.settings.max_containers}", 413)
            await self._fetch_namespace(review)
            t1 = time.perf_counter()
            if len(body) <= INLINE_BODY and n <= INLINE_CONTAINERS:
                decision = decide(review)
                payload = _dumps(decision.review())
            else:
                decision, payload = await self._decide_off_loop(decide, review, len(body))
            decision.decide_seconds = time.perf_counter() - t1
            resp = web.Response(body=payload, content_type="application/json")
        except BadReview as e:
            status, error = e.status, e.message
            resp = web.json_response({"error": e.message, "code": e.status}, status=e.status)
        except Exception as e:  # never crash the server: this request only
            status, error = 500, f"internal error: {type(e).__name__}"
            resp = web.json_response({"error": error, "code": 500}, status=500)
        finally:
            if acquired:
                self._inflight_now -= 1
                self._inflight.release()
        elapsed = time.perf_counter() - t0
        self._record(request, endpoint, status, decision, error, elapsed)
        return resp

    async def _decide_off_loop(self, decide, review, size: int):
        """Decide a large review in a worker thread, within decide_timeout
        (a 503 past it: the API server applies the failurePolicy)."""
        if self._executor is None:
            from concurrent.futures import ThreadPoolExecutor
            self._executor = ThreadPoolExecutor(max_workers=max(1, self.settings.max_inflight),
                                                thread_name_prefix="kubeward-decide")

        def work():
            d = decide(review)
            out = _dumps(d.review())
            if size >= TRIM_BODY:
                _malloc_trim()
            return d, out

        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.settings.decide_timeout):
                return await loop.run_in_executor(self._executor, work)
        except asyncio.TimeoutError:
            raise BadReview(f"the review took longer than {self.settings.decide_timeout:g}s "
                            "to decide", 503) from None

    async def _fetch_namespace(self, review) -> None:
        """With a cluster view: a namespace it has not seen yet is read once
        (in a thread, bounded) before deciding, so that a namespace and its
        workloads applied together get the namespace's modes."""
        ns_view = self.policy.namespaces
        fetch = getattr(ns_view, "fetch", None)
        if fetch is None:
            return
        req = review.get("request") if isinstance(review, dict) else None
        ns = req.get("namespace") if isinstance(req, dict) else None
        if not isinstance(ns, str) or not ns or ns_view.labels(ns) is not None:
            return
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.settings.namespace_fetch_timeout):
                await loop.run_in_executor(None, fetch, ns)
        except Exception as e:  # the defaults apply
            self.log.event("namespace-fetch-failed", level="error", namespace=ns,
                           reason=type(e).__name__)

    def _record(self, request, endpoint, status, d: Decision | None, error, elapsed) -> None:
        m = self.metrics
        path = "/" + endpoint
        m.child(m.requests, path, str(status)).inc()
        m.child(m.latency, endpoint).observe(elapsed)
        result = None
        if d is not None:
            if d.exempt:
                result = "exempt"
            elif d.skipped:
                result = "skipped"
            elif not d.allowed:
                result = "denied"
            elif d.patched:
                result = "patched"
            else:
                result = "allowed"
            m.child(m.reviews, endpoint, d.operation or "-", result).inc()
            ns = d.namespace or "-"
            for mode, findings in d.by_mode.items():
                for f in findings:
                    m.child(m.decisions, mode, f.check_id, ns).inc()
            for cid, _text in d.errors:
                m.child(m.errors, cid).inc()
        if not self.log.enabled:
            return
        rec: dict[str, Any] = {"level": "info" if status < 500 else "error",
                               "event": "review", "path": path, "status": status,
                               "ms": round(elapsed * 1000, 3)}
        if error:
            rec["error"] = error
            rec["remote"] = request.remote
        if d is not None:
            rec.update(uid=d.uid, operation=d.operation, kind=d.kind, namespace=d.namespace,
                       name=d.name, user=d.user, dryRun=d.dry_run, result=result,
                       decideMs=round(d.decide_seconds * 1000, 3))
            if d.levels:
                rec["modes"] = d.levels
            found = {mode: sorted({f.check_id for f in fs}) for mode, fs in d.by_mode.items() if fs}
            if found:
                rec["checks"] = found
            if d.patched:
                rec["patched"] = d.patched
            if d.skipped:
                rec["skipped"] = d.skipped
            if d.errors:
                rec["checkErrors"] = [text for _cid, text in d.errors]
        self.log.request(rec)

    async def _healthz(self, request):
        from aiohttp import web
        return web.Response(text="ok\n")

    async def _readyz(self, request):
        from aiohttp import web
        if self.shutting_down:
            return web.Response(text="shutting down\n", status=503)
        if self.namespaces is not None and not self.namespaces.ready():
            return web.Response(text="namespace labels not synced yet\n", status=503)
        if not self.warmed.is_set():
            return web.Response(text="building the analyses of the cluster view\n", status=503)
        if self.workers_ready is not None:
            flags, index = self.workers_ready
            flags[index] = 1
            waiting = sum(1 for f in flags if not f)
            if waiting:
                return web.Response(text=f"{waiting} other worker process(es) not ready yet\n",
                                    status=503)
        return web.Response(text="ok\n")

    def _ready_here(self) -> bool:
        return (not self.shutting_down and self.warmed.is_set()
                and (self.namespaces is None or self.namespaces.ready()))

    async def _publish_ready(self) -> None:
        """With several workers: keep this worker's flag current, so that
        the worker a probe reaches knows whether all are ready."""
        flags, index = self.workers_ready
        while True:
            flags[index] = 1 if self._ready_here() else 0
            await asyncio.sleep(0.2)

    async def _metrics(self, request):
        from aiohttp import web
        body, ctype = self.metrics.render()
        return web.Response(body=body, headers={"Content-Type": ctype})

    # -- life cycle ----------------------------------------------------------
    async def _cert_poller(self) -> None:
        while True:
            await asyncio.sleep(self.settings.reload_interval)
            if self.certs.maybe_reload():
                self.metrics.cert_reloads.inc()
                self.log.event("certificate-reloaded", certFile=self.certs.cert_file)
                self._last_cert_error = None
            elif self.certs.last_error and self.certs.last_error != self._last_cert_error:
                self._last_cert_error = self.certs.last_error
                self.log.event("certificate-reload-failed", level="error",
                               reason=self.certs.last_error)

    async def _parent_watch(self) -> None:
        """A worker whose parent died (killed without a chance to stop it)
        stops too, rather than serve on unsupervised."""
        while True:
            await asyncio.sleep(1.0)
            if os.getppid() != self.settings.parent_pid:
                self.log.event("parent-exited", level="error", parent=self.settings.parent_pid)
                self._stop.set()
                return

    async def start(self, sock: socket.socket) -> None:
        from aiohttp import web

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        runner = web.AppRunner(self.app, handle_signals=False, access_log=None,
                               keepalive_timeout=self.settings.keepalive_timeout,
                               shutdown_timeout=self.settings.shutdown_timeout)
        await runner.setup()
        from aiohttp.web_protocol import RequestHandler
        server = runner.server
        server.__class__ = _header_timeout_server(type(server), RequestHandler,
                                                  self.settings.header_timeout)
        site = web.SockSite(runner, sock, ssl_context=self.certs.server_context, backlog=1024)
        await site.start()
        self._runner = runner
        self.port = sock.getsockname()[1]
        self._poller = asyncio.ensure_future(self._cert_poller())
        self._watchdog = (asyncio.ensure_future(self._parent_watch())
                          if self.settings.parent_pid else None)
        if not self.warmed.is_set():
            threading.Thread(target=self._warm_loop, name="kubeward-warm", daemon=True).start()
        self._ready_task = (asyncio.ensure_future(self._publish_ready())
                            if self.workers_ready is not None else None)
        self.log.event("listening", host=sock.getsockname()[0], port=self.port,
                       checks=len(self.policy.instances),
                       modes={m: lv.name for m, lv in self.policy.defaults.items()},
                       mutate=sorted(self.policy.mutate_ids),
                       namespaces=getattr(self.namespaces, "source", "config defaults only"))
        for note in self.policy.notes:
            self.log.event("note", message=note)

    def _warm_loop(self) -> None:
        """Once the cluster view is synced: build the shared RBAC and network
        analyses of every namespace and solve its ServiceAccounts' chains
        (``AdmissionPolicy.warm``) before ``/readyz`` answers 200, so that
        no review waits for them; then move them out of the garbage
        collector's sight (they live until the view changes). After a
        change of the view, rebuild what changed in the background, within
        ``WARM_INTERVAL`` seconds: the first review of a changed namespace
        before that builds its own."""
        view = self.namespaces
        while not view.wait_ready(0.5):
            if self._warm_stop.is_set():
                return
        start = time.monotonic()
        version = view.version
        built = self._warm_once()
        _quiet_gc()
        self.warmed.set()
        self.log.event("warmed", namespaces=built,
                       seconds=round(time.monotonic() - start, 3))
        while not self._warm_stop.wait(WARM_INTERVAL):
            if view.version != version:
                version = view.version
                self._warm_once()

    def _warm_once(self) -> int:
        try:
            return self.policy.warm()
        except Exception as e:  # a bug here must not keep the server unready
            self.log.event("warm-failed", error=f"{type(e).__name__}: {e}"[:300])
            return 0

    async def run(self, sock: socket.socket, install_signals: bool = True,
                  started: threading.Event | None = None) -> None:
        await self.start(sock)
        if install_signals:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self._stop.set)
        if started is not None:
            started.set()
        await self._stop.wait()
        await self.shutdown()

    async def shutdown(self) -> None:
        self.shutting_down = True
        self._warm_stop.set()
        if self.workers_ready is not None:
            self.workers_ready[0][self.workers_ready[1]] = 0
        self.log.event("shutting-down", delaySeconds=self.settings.shutdown_delay)
        if self.settings.shutdown_delay > 0:
            await asyncio.sleep(self.settings.shutdown_delay)
        self._poller.cancel()
        if self._ready_task is not None:
            self._ready_task.cancel()
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self._runner is not None:
            await self._runner.cleanup()  # stop accepting; wait for in-flight requests
        if self.namespaces is not None and hasattr(self.namespaces, "stop"):
            self.namespaces.stop()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        self.log.event("stopped")

    def request_stop(self) -> None:
        """Thread-safe: begin the graceful shutdown."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)


def listen_socket(host: str, port: int, reuse_port: bool = False) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    # accepted connections inherit it: no Nagle delay on small answers
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


class ServerThread:
    """A server in a background thread (tests, embedding): ``start()``
    returns once it listens; ``port`` is the bound port."""

    def __init__(self, server: AdmissionServer, host: str = "127.0.0.1", port: int = 0):
        self.server = server
        self.sock = listen_socket(host, port)
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True, name="kubeward-admission")
        self._error: BaseException | None = None

    def _main(self) -> None:
        try:
            asyncio.run(self.server.run(self.sock, install_signals=False, started=self._started))
        except BaseException as e:  # pragma: no cover - surfaced by start()
            self._error = e
            self._started.set()

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    def start(self, timeout: float = 10.0) -> "ServerThread":
        self._thread.start()
        if not self._started.wait(timeout) or self._error:
            raise RuntimeError(f"the admission server did not start: {self._error!r}")
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self.server.request_stop()
        self._thread.join(timeout)


# -- the command's entry point -----------------------------------------------------

def _serve_process(policy, cert_file, key_file, settings, make_namespaces, sock=None,
                   multiprocess=False, workers_ready=None) -> int:
    """Run one server process until SIGTERM/SIGINT."""
    log = JsonLog(enabled=settings.access_log)
    certs = CertStore(cert_file, key_file)
    namespaces = make_namespaces() if make_namespaces else None
    if sock is None:
        sock = listen_socket(settings.host, settings.port, reuse_port=settings.workers > 1)
    server = AdmissionServer(policy, certs, settings, namespaces=namespaces, log=log,
                             metrics=Metrics(multiprocess=multiprocess),
                             workers_ready=workers_ready)
    _quiet_gc()
    asyncio.run(server.run(sock))
    return 0


def _quiet_gc() -> None:
    """Everything loaded so far (checks, their tables, libraries) lives as
    long as the process: move it out of the collector's sight, so that the
    occasional full collection does not walk it in the middle of a request
    (a p99 of tens of milliseconds otherwise). Requests make little cyclic
    garbage; reference counting frees the rest."""
    import gc

    gc.collect()
    gc.freeze()


def serve(policy: AdmissionPolicy, cert_file: str, key_file: str, settings: Settings,
          make_namespaces: Callable[[], Any] | None = None) -> int:
    """Serve until SIGTERM/SIGINT; with ``settings.workers`` > 1, in that many
    processes sharing the port through SO_REUSEPORT."""
    CertStore(cert_file, key_file)  # fail early, with one line, on unusable files
    if settings.workers <= 1:
        return _serve_process(policy, cert_file, key_file, settings, make_namespaces)
    return _serve_workers(policy, cert_file, key_file, settings, make_namespaces)


def _serve_workers(policy, cert_file, key_file, settings: Settings, make_namespaces) -> int:
    import multiprocessing
    import shutil

    log = JsonLog()
    own_dir = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        own_dir = tempfile.mkdtemp(prefix="kubeward-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = own_dir
    # with port 0, reserve a port every worker then binds with SO_REUSEPORT
    reserve = None
    if settings.port == 0:
        reserve = socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET)
        reserve.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        reserve.bind((settings.host, 0))  # bound, never listening: receives nothing
        settings = Settings(**{**settings.__dict__, "port": reserve.getsockname()[1]})
    ctx = multiprocessing.get_context("fork")
    stopping = threading.Event()
    settings = Settings(**{**settings.__dict__, "parent_pid": os.getpid()})

    # one readiness flag per worker, in shared memory (see AdmissionServer._readyz)
    ready = ctx.Array("b", settings.workers, lock=False)

    def start_one(i: int):
        ready[i] = 0
        p = ctx.Process(target=_worker_main, name=f"kubeward-admission-{i}",
                        args=(policy, cert_file, key_file, settings, make_namespaces,
                              (ready, i)))
        p.start()
        return p

    procs = [start_one(i) for i in range(settings.workers)]
    log.event("workers-started", workers=settings.workers, port=settings.port,
              pids=[p.pid for p in procs])

    def on_signal(signum, frame):
        stopping.set()
        for p in procs:
            if p.is_alive():
                os.kill(p.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        while not stopping.is_set():
            for i, p in enumerate(procs):
                p.join(timeout=0.2)
                if p.exitcode is not None and not stopping.is_set():
                    log.event("worker-exited", level="error", pid=p.pid, exitcode=p.exitcode)
                    try:
                        from prometheus_client import multiprocess
                        multiprocess.mark_process_dead(p.pid)
                    except Exception:  # pragma: no cover
                        pass
                    procs[i] = start_one(i)
        for p in procs:
            p.join(settings.shutdown_delay + settings.shutdown_timeout + 5)
            if p.is_alive():  # pragma: no cover
                p.kill()
    finally:
        if reserve is not None:
            reserve.close()
        if own_dir:
            shutil.rmtree(own_dir, ignore_errors=True)
    return 0


def _worker_main(policy, cert_file, key_file, settings, make_namespaces,
                 workers_ready=None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:  # Linux: SIGTERM (a graceful stop) as soon as the parent dies
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except Exception:  # pragma: no cover - other systems: the watchdog task
        pass
    if os.getppid() != settings.parent_pid:  # the parent died before prctl
        sys.exit(0)
    try:
        sys.exit(_serve_process(policy, cert_file, key_file, settings, make_namespaces,
                                multiprocess=True, workers_ready=workers_ready))
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(0)
