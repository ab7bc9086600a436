"""Namespace labels for the webhook's modes (``kubeward.io/enforce`` ...).

An AdmissionReview names the namespace of the object but not its labels, so
the webhook keeps its own view of them, from one of:

* :class:`WatchedNamespaces` - a cluster connection (the ``kubernetes``
  client; in-cluster service account or a kubeconfig): one list of
  Namespaces, then a watch that keeps the view current (bookmarks, a relist
  after ``410 Gone``, reconnect with back-off). Needs ``get``, ``list`` and
  ``watch`` on namespaces, nothing else.
* :class:`StaticNamespaces` - Namespace manifests read once from files
  (``--namespaces-file``), for tests and clusters where the webhook may not
  read namespaces.
* nothing - every namespace gets the modes of the config.

``labels(name)`` returns the label dict, or None for an unknown namespace
(the config defaults then apply). ``ready()`` says whether the first list
has completed (``/readyz``).
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time

from kubeward.admission import AdmissionSetupError


class StaticNamespaces:
    def __init__(self, labels: dict[str, dict]):
        self._labels = labels
        self.source = "namespaces file"

    @classmethod
    def from_files(cls, paths) -> "StaticNamespaces":
        from kubeward.loading.files import load_paths

        loaded = load_paths(list(paths))
        if loaded.errors:
            raise AdmissionSetupError(loaded.errors[0].one_line())
        out: dict[str, dict] = {}
        for obj in loaded.objects:
            if obj.kind == "Namespace" and obj.name:
                out[obj.name] = {str(k): str(v) for k, v in obj.labels.items()}
        if not out:
            raise AdmissionSetupError(f"{', '.join(paths)}: no Namespace object found")
        return cls(out)

    def labels(self, name: str) -> dict | None:
        return self._labels.get(name)

    def ready(self) -> bool:
        return True

    def stop(self) -> None:
        pass

    def __len__(self) -> int:
        return len(self._labels)


def _log(event: str, **fields) -> None:
    rec = {"ts": round(time.time(), 3), "level": "info", "event": event, **fields}
    sys.stderr.write(json.dumps(rec) + "\n")


class WatchedNamespaces:
    """Namespace labels kept current by a list and watch of the cluster."""

    def __init__(self, client, *, watch_timeout: int = 300, backoff=(0.5, 30.0), log=_log):
        self.client = client
        self.source = f"cluster ({client.source})"
        self.watch_timeout = watch_timeout
        self.backoff = backoff
        self.log = log
        self._labels: dict[str, dict] = {}
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._watch = None
        self.relists = 0
        self.events = 0

    @classmethod
    def connect(cls, kubeconfig: str | None = None, context: str | None = None,
                **kw) -> "WatchedNamespaces":
        from kubeward.cluster import ClusterError
        from kubeward.cluster.client import Client

        try:
            client = Client.connect(kubeconfig, context)
        except ClusterError as e:
            raise AdmissionSetupError(str(e)) from None
        return cls(client, **kw)

    def labels(self, name: str) -> dict | None:
        return self._labels.get(name)

    def ready(self) -> bool:
        return self._ready.is_set()

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    def start(self) -> "WatchedNamespaces":
        self._thread = threading.Thread(target=self._loop, name="kubeward-namespaces",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        w = self._watch
        if w is not None:
            try:
                w.stop()
            except Exception:  # pragma: no cover - best effort
                pass
        if self._thread is not None:
            self._thread.join(timeout)
        try:
            self.client.close()
        except Exception:  # pragma: no cover
            pass

    # -- the loop ----------------------------------------------------------
    def _resource(self):
        from kubeward.cluster.client import Resource
        return Resource("", "v1", "Namespace", "namespaces", False,
                        frozenset({"get", "list", "watch"}))

    def _relist(self, res) -> str:
        fresh: dict[str, dict] = {}
        rv = ""
        for items, rv in self.client.list_pages(res):
            for item in items:
                self._put(fresh, item)
        self._labels = fresh  # one assignment: readers see old or new, never half
        self.relists += 1
        self._ready.set()
        return rv

    @staticmethod
    def _put(table: dict, item: dict) -> None:
        meta = item.get("metadata") or {}
        name = meta.get("name")
        if isinstance(name, str) and name:
            labels = meta.get("labels")
            table[name] = dict(labels) if isinstance(labels, dict) else {}

    def _loop(self) -> None:
        from kubernetes import watch as kwatch
        from kubernetes.client.exceptions import ApiException

        from kubeward.cluster import ClusterError
        from kubeward.cluster.client import ApiError

        res = self._resource()
        fn = self.client.list_fn(res)
        rv = None
        delay = self.backoff[0]
        while not self._stop.is_set():
            try:
                if rv is None:
                    rv = self._relist(res)
                    self.log("namespaces-listed", count=len(self._labels), resourceVersion=rv)
                w = kwatch.Watch()
                self._watch = w
                for ev in w.stream(fn, resource_version=rv, allow_watch_bookmarks=True,
                                   timeout_seconds=self.watch_timeout):
                    if self._stop.is_set():
                        break
                    etype = ev.get("type")
                    obj = ev.get("raw_object") or ev.get("object")
                    if not isinstance(obj, dict):
                        continue
                    if etype in ("ADDED", "MODIFIED"):
                        table = dict(self._labels)
                        self._put(table, obj)
                        self._labels = table
                    elif etype == "DELETED":
                        name = (obj.get("metadata") or {}).get("name")
                        if name in self._labels:
                            table = dict(self._labels)
                            table.pop(name, None)
                            self._labels = table
                    self.events += 1
                    new_rv = (obj.get("metadata") or {}).get("resourceVersion")
                    if new_rv:
                        rv = str(new_rv)
                    delay = self.backoff[0]
            except (ApiException, ApiError) as e:
                if self._stop.is_set():
                    break
                if e.status == 410:
                    self.log("namespaces-watch-expired", resourceVersion=rv)
                    rv = None
                    continue
                delay = self._backoff(f"{e.status} {getattr(e, 'reason', '') or ''}".strip(),
                                      delay)
            except ClusterError as e:
                if self._stop.is_set():
                    break
                delay = self._backoff(str(e), delay)
            except Exception as e:  # connection reset, protocol errors, bad JSON
                if self._stop.is_set():
                    break
                delay = self._backoff(f"{type(e).__name__}: {e}", delay)
            finally:
                self._watch = None

    def _backoff(self, why: str, delay: float) -> float:
        wait = delay * (0.5 + random.random())
        self.log("namespaces-watch-failed", reason=why[:200], retryInSeconds=round(wait, 2))
        self._stop.wait(wait)
        return min(delay * 2, self.backoff[1])
