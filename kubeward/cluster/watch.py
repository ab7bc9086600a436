"""Continuous audit: watch streams, incremental re-evaluation.

One thread per resource keeps a watch open with ``kubernetes.watch.Watch``
from the last resourceVersion it saw (events and BOOKMARKs both move it);
each stream ends after ``watch_timeout`` seconds (``timeoutSeconds``) and is
reopened from there. A 410 Gone (``Expired``) answer - as an ERROR event
or as the HTTP status - means the version is too old: the resource is
listed afresh (objects that vanished meanwhile are removed) and watched
from the new list's version. Any other failure (connection lost, 5xx)
reconnects with exponential backoff and jitter.

Changes wake one evaluator thread that waits ``debounce`` seconds for more,
then re-runs the per-object checks on changed objects only (all of them
when an object that is not a workload changed, since checks may consult
neighbours such as LimitRanges) and the cross-resource checks on
everything, and publishes a new Report (to metrics, PolicyReports and the
``on_report`` callback).
"""

from __future__ import annotations

import random
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from kubeward.cluster import ClusterError
from kubeward.cluster.audit import Snapshot, State, in_scope, list_into
from kubeward.cluster.client import ApiError, Client, Resource


@dataclass
class Stats:
    events: dict = field(default_factory=lambda: {"ADDED": 0, "MODIFIED": 0, "DELETED": 0,
                                                  "BOOKMARK": 0})
    relists: int = 0
    reconnects: int = 0
    evaluations: int = 0
    last_evaluation: float = 0.0
    last_duration: float = 0.0


def _log(msg: str) -> None:
    print(f"kubeward: {msg}", file=sys.stderr, flush=True)


class Auditor:
    """Keeps ``state`` in step with the cluster and ``report`` in step with
    ``state``. ``start()`` returns at once; ``stop()`` ends every thread."""

    def __init__(self, client: Client, snapshot: Snapshot, options, *,
                 namespace: str | None = None, watch_timeout: int = 300,
                 debounce: float = 0.5, backoff: tuple[float, float] = (0.5, 30.0),
                 on_report: Callable | None = None, log: Callable[[str], None] = _log):
        from kubeward.engine import select_checks
        from kubeward.checks.base import CrossCheck

        self.client = client
        self.state: State = snapshot.state
        self.resources = [r for r in snapshot.resources if r not in snapshot.skipped]
        self.versions = dict(snapshot.versions)
        self.options = options
        self.namespace = namespace
        self.watch_timeout = watch_timeout
        self.debounce = debounce
        self.backoff = backoff
        self.on_report = on_report
        self.log = log
        checks = select_checks(options)
        self.per_object = [c for c in checks if not isinstance(c, CrossCheck)]
        self.cross = [c for c in checks if isinstance(c, CrossCheck)]
        self.check_ids = [c.id for c in checks]
        self.stats = Stats()
        self.report = None
        self.lock = threading.RLock()  # guards state
        self._changed = threading.Condition()
        self._dirty: set = set()
        self._all_dirty = True
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._watches: dict[Resource, object] = {}
        self._cache: dict[int, tuple] = {}  # id(obj) -> (obj, pairs)
        self._evaluated = threading.Condition()

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> "Auditor":
        self.evaluate()
        for res in self.resources:
            t = threading.Thread(target=self._watch_loop, args=(res,), daemon=True,
                                 name=f"watch-{res.plural}")
            t.start()
            self._threads.append(t)
        t = threading.Thread(target=self._eval_loop, daemon=True, name="evaluate")
        t.start()
        self._threads.append(t)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for w in list(self._watches.values()):
            try:
                w.stop()
            except Exception:  # pragma: no cover - best effort
                pass
        with self._changed:
            self._changed.notify_all()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))

    def wait_evaluated(self, after: int, timeout: float) -> bool:
        """Wait until more than ``after`` evaluations have run."""
        with self._evaluated:
            return self._evaluated.wait_for(lambda: self.stats.evaluations > after, timeout)

    # -- watching ----------------------------------------------------------
    def _mark(self, key, res: Resource) -> None:
        with self._changed:
            if res.kind not in ("Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet",
                                "Job", "CronJob", "ReplicationController"):
                self._all_dirty = True
            self._dirty.add(key)
            self._changed.notify_all()

    def _relist(self, res: Resource) -> str:
        with self.lock:
            fresh = self.state.fork(res)
        rv, seen = list_into(self.client, res, self.namespace, fresh)
        with self.lock:
            self.state.replace_resource(res, fresh, seen)
        with self._changed:
            self._all_dirty = True
            self._changed.notify_all()
        with self.lock:
            self.stats.relists += 1
        return rv

    def _watch_loop(self, res: Resource) -> None:
        from kubernetes import watch as kwatch
        from kubernetes.client.exceptions import ApiException

        rv = self.versions.get(res) or None
        delay = self.backoff[0]
        fn = self.client.list_fn(res, self.namespace if res.namespaced else None)
        w = kwatch.Watch()  # one per resource, reused for every stream
        self._watches[res] = w
        while not self._stop.is_set():
            try:
                if rv is None:
                    rv = self._relist(res)
                for ev in w.stream(fn, resource_version=rv, allow_watch_bookmarks=True,
                                   timeout_seconds=self.watch_timeout):
                    if self._stop.is_set():
                        break
                    etype = ev.get("type")
                    obj = ev.get("raw_object") or ev.get("object")
                    if not isinstance(obj, dict):
                        continue
                    new_rv = (obj.get("metadata") or {}).get("resourceVersion")
                    if etype in ("ADDED", "MODIFIED"):
                        with self.lock:
                            key, changed = self.state.upsert(res, obj)
                        if changed:
                            self._mark(key, res)
                    elif etype == "DELETED":
                        with self.lock:
                            key = self.state.remove(res, obj)
                        if key is not None:
                            self._mark(key, res)
                    if etype in self.stats.events:
                        with self.lock:
                            self.stats.events[etype] += 1
                    if new_rv:
                        rv = str(new_rv)
                    delay = self.backoff[0]
            except (ApiException, ApiError) as e:
                if self._stop.is_set():
                    break
                if e.status == 410:
                    self.log(f"watch of {res.display()}: resourceVersion {rv} expired "
                             "(410 Gone); listing again")
                    rv = None
                    continue
                self._backoff(res, f"{e.status} {getattr(e, 'reason', '')}".strip(), delay)
                delay = min(delay * 2, self.backoff[1])
            except ClusterError as e:
                if self._stop.is_set():
                    break
                self._backoff(res, str(e), delay)
                delay = min(delay * 2, self.backoff[1])
            except Exception as e:  # connection reset, protocol errors, bad JSON
                if self._stop.is_set():
                    break
                self._backoff(res, f"{type(e).__name__}: {e}", delay)
                delay = min(delay * 2, self.backoff[1])
        self._watches.pop(res, None)

    def _backoff(self, res: Resource, why: str, delay: float) -> None:
        with self.lock:
            self.stats.reconnects += 1
        wait = delay * (0.5 + random.random())
        self.log(f"watch of {res.display()} failed ({why}); reconnecting in {wait:.1f}s")
        self._stop.wait(wait)

    # -- evaluation ---------------------------------------------------------
    def _eval_loop(self) -> None:
        while not self._stop.is_set():
            with self._changed:
                self._changed.wait_for(lambda: self._dirty or self._all_dirty
                                       or self._stop.is_set(), timeout=1.0)
                if self._stop.is_set():
                    return
                if not (self._dirty or self._all_dirty):
                    continue
            self._stop.wait(self.debounce)  # let a burst of events settle
            if self._stop.is_set():
                return
            try:
                self.evaluate()
            except Exception as e:  # pragma: no cover - keep the daemon alive
                self.log(f"evaluation failed: {type(e).__name__}: {e}")

    def evaluate(self):
        """Re-run the checks over the current state; returns the new Report."""
        from kubeward.checks.base import CrossContext
        from kubeward.engine import Report, apply_policy, run_checks

        t0 = time.perf_counter()
        with self._changed:
            all_dirty = self._all_dirty
            self._dirty.clear()
            self._all_dirty = False
        with self.lock:
            objects = self.state.visible()
        ctx = CrossContext(k8s_version=self.options.version,
                           options=self.options.config.options, objects=objects,
                           complete=self.options.complete)
        octx = ctx.per_object()
        errors: list = []
        pairs: list = []
        cache: dict[int, tuple] = {}
        for obj in objects:
            hit = None if all_dirty else self._cache.get(id(obj))
            if hit is None or hit[0] is not obj:
                hit = (obj, run_checks([obj], self.per_object, octx, errors))
            cache[id(obj)] = hit
            pairs.extend(hit[1])
        self._cache = cache
        if self.cross:
            pairs.extend(run_checks(objects, self.cross, ctx, errors))
        report = Report(errors=errors)
        apply_policy(pairs, self.options, report)
        keep = in_scope(self.namespace)
        report.findings = [f for f in report.findings if keep(f.object)]
        report.suppressed = [f for f in report.suppressed if keep(f.object)]
        key = lambda f: (f.file, f.line, f.column, f.check_id, f.field_path)  # noqa: E731
        report.findings.sort(key=key)
        report.suppressed.sort(key=key)
        report.objects = len(objects)
        report.checks = list(self.check_ids)
        report.frameworks = tuple(self.options.frameworks or self.options.config.frameworks)
        report.k8s_version = self.options.version
        report.scanned = objects
        previous = self.report
        self.report = report
        self.stats.last_duration = time.perf_counter() - t0
        self.stats.last_evaluation = time.time()
        with self._evaluated:
            self.stats.evaluations += 1
            self._evaluated.notify_all()
        if self.on_report is not None:
            try:
                self.on_report(previous, report)
            except Exception as e:  # pragma: no cover - a sink must not stop the audit
                self.log(f"publishing the report failed: {type(e).__name__}: {e}")
        return report


def finding_key(f) -> tuple:
    return (f.check_id, f.object.kind, f.object.namespace, f.object.name, f.path)


def diff(previous, report) -> tuple[list, list]:
    """(new findings, resolved findings) between two reports."""
    old = {finding_key(f): f for f in (previous.findings if previous else [])}
    new = {finding_key(f): f for f in report.findings}
    return ([f for k, f in new.items() if k not in old],
            [f for k, f in old.items() if k not in new])
