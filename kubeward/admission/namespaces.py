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

With ``context_kinds`` (``--cross-checks``), the cluster view also keeps
the objects of :data:`CONTEXT_RESOURCES`, so that cross-resource checks
(network policy coverage, RBAC, references, quotas, PDBs) can judge the
object under review against the rest of its namespace.

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


#: (group, kind, plural) the webhook watches for cross-resource checks
#: (``--cross-checks``): what those checks consult besides the object under
#: review. Never Secrets or ConfigMaps (their data is none of the webhook's
#: business), never workloads (the object under review is the workload).
CONTEXT_RESOURCES: tuple[tuple[str, str, str], ...] = (
    ("rbac.authorization.k8s.io", "ClusterRole", "clusterroles"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding", "clusterrolebindings"),
    ("rbac.authorization.k8s.io", "Role", "roles"),
    ("rbac.authorization.k8s.io", "RoleBinding", "rolebindings"),
    ("", "ServiceAccount", "serviceaccounts"),
    ("", "Service", "services"),
    ("networking.k8s.io", "NetworkPolicy", "networkpolicies"),
    ("networking.k8s.io", "Ingress", "ingresses"),
    ("", "LimitRange", "limitranges"),
    ("", "ResourceQuota", "resourcequotas"),
    ("policy", "PodDisruptionBudget", "poddisruptionbudgets"),
    ("autoscaling", "HorizontalPodAutoscaler", "horizontalpodautoscalers"),
)
CONTEXT_KINDS = tuple((g, k) for g, k, _ in CONTEXT_RESOURCES)


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
    """Namespace labels kept current by a list and watch of the cluster and,
    with ``context_kinds``, the objects cross-resource checks consult
    (RBAC, ServiceAccounts, Services, NetworkPolicies, LimitRanges, quotas,
    PDBs...; never Secrets, never workloads), one watch per resource."""

    def __init__(self, client, *, context_kinds=(), watch_timeout: int = 300,
                 backoff=(0.5, 30.0), log=_log):
        self.client = client
        self.source = f"cluster ({client.source})"
        self.context_kinds = tuple(context_kinds)
        self.watch_timeout = watch_timeout
        self.backoff = backoff
        self.log = log
        self._labels: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._state = None  # kubeward.cluster.audit.State of the context objects
        self._version = 0  # bumped on every change of the context objects
        #: per scope (a namespace; None: cluster-scoped objects): a counter
        #: bumped on every change of its context objects, and the entries
        #: of ``_state`` in it (in ``_state``'s order)
        self._scopes: dict[str | None, int] = {}
        self._by_scope: dict[str | None, dict] = {}
        self._epoch = 0  # bumped by a relist (any scope may have changed)
        self._contexts: dict[str | None, tuple] = {}  # namespace -> (version, objects)
        self._pending: set = set()  # resources not listed yet
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._watches: dict = {}
        self.resources: list = []
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

    def fetch(self, name: str) -> dict | None:
        """GET one namespace that the watch has not shown yet (created a
        moment ago, e.g. in the same ``kubectl apply`` as its workloads) and
        remember its labels; None when it does not exist or cannot be read.
        Blocking: the server calls it in a thread, only on a miss."""
        from kubeward.cluster import ClusterError
        from kubeward.cluster.client import ApiError

        try:
            item = self.client.get_json(f"/api/v1/namespaces/{name}")
        except (ApiError, ClusterError, ValueError) as e:
            self.log("namespace-fetch-failed", namespace=name, reason=str(e)[:200])
            return None
        if not isinstance(item, dict):
            return None
        table = dict(self._labels)
        self._put(table, item)
        if name not in self._labels:  # the watch may have delivered it meanwhile
            self._labels = table
        return self._labels.get(name)

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    @property
    def version(self) -> int:
        """Bumped on every change of the context objects."""
        return self._version

    def scope_version(self, namespace: str | None) -> tuple:
        """Changes when the context of ``namespace`` changes (its objects
        or the cluster-scoped ones), not when another namespace's do: what
        the webhook keys its shared analyses on. A namespaced object's
        owner is in its namespace or cluster-scoped, so an object's
        visibility (owned objects are hidden) changes with its scope only."""
        scopes = self._scopes
        return (self._epoch, scopes.get(None, 0), scopes.get(namespace, 0) if namespace else 0)

    @property
    def has_context(self) -> bool:
        return bool(self.context_kinds)

    def context_namespaces(self) -> list[str]:
        """The namespaces that hold context objects, sorted."""
        return sorted(ns for ns, entries in list(self._by_scope.items())
                      if ns is not None and entries)

    def context(self, namespace: str | None) -> list:
        """The context objects of ``namespace`` plus the cluster-scoped ones
        (K8sObjects, in the order they were read; rebuilt only after a
        change of that namespace or of a cluster-scoped object)."""
        got = self._contexts.get(namespace)
        if got is not None and got[0] == self.scope_version(namespace):
            return list(got[1])
        with self._lock:
            version = self.scope_version(namespace)
            objects: list = []
            if self._state is not None:
                uids = self._state.uids
                for scope in ((None, namespace) if namespace else (None,)):
                    objects += [e.obj for e in self._by_scope.get(scope, {}).values()
                                if e.obj is not None and (e.owner is None or e.owner not in uids)]
            self._contexts[namespace] = (version, objects)
        return list(objects)

    def start(self) -> "WatchedNamespaces":
        t = threading.Thread(target=self._main, name="kubeward-cluster-view", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        for w in list(self._watches.values()):
            try:
                w.stop()
            except Exception:  # pragma: no cover - best effort
                pass
        deadline = time.monotonic() + timeout
        for t in list(self._threads):
            t.join(max(0.0, deadline - time.monotonic()))
        try:
            self.client.close()
        except Exception:  # pragma: no cover
            pass

    # -- the loops ----------------------------------------------------------
    def _main(self) -> None:
        from kubeward.cluster.client import Resource

        ns_res = Resource("", "v1", "Namespace", "namespaces", False,
                          frozenset({"get", "list", "watch"}))
        resources = [ns_res]
        if self.context_kinds:
            from kubeward.cluster.audit import State, resolve

            self._state = State()
            delay = self.backoff[0]
            while not self._stop.is_set():
                try:
                    found = resolve(self.client, [k for k in self.context_kinds
                                                  if k != ("", "Namespace")])
                    break
                except Exception as e:  # discovery failed: retry
                    delay = self._backoff("discovery", f"{type(e).__name__}: {e}", delay)
            else:
                return
            resources += found
        self.resources = resources
        self._pending = set(resources)
        for res in resources[1:]:
            t = threading.Thread(target=self._loop, args=(res,), daemon=True,
                                 name=f"kubeward-watch-{res.plural}")
            t.start()
            self._threads.append(t)
        self._loop(ns_res)

    def _apply(self, res, etype: str, obj: dict) -> None:
        if res.kind == "Namespace" and res.group == "":
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
        if self._state is not None and etype in ("ADDED", "MODIFIED", "DELETED"):
            with self._lock:
                if etype == "DELETED":
                    key = self._state.remove(res, obj)
                    changed = key is not None
                else:  # unchanged: e.g. a status update (HPAs, LoadBalancer Services)
                    key, changed = self._state.upsert(res, obj)
                if changed:
                    scope = key[2] or None
                    entries = self._by_scope.setdefault(scope, {})
                    entry = self._state.entries.get(key)
                    if entry is None:
                        entries.pop(key, None)
                    else:
                        entries[key] = entry
                    self._scopes[scope] = self._scopes.get(scope, 0) + 1
                    self._version += 1

    def _relist(self, res) -> str:
        fresh: list[dict] = []
        rv = ""
        for items, page_rv in self.client.list_pages(res):
            rv = page_rv or rv
            fresh.extend(items)
        if res.kind == "Namespace" and res.group == "":
            table: dict[str, dict] = {}
            for item in fresh:
                self._put(table, item)
            self._labels = table  # one assignment: readers see old or new, never half
        if self._state is not None:
            with self._lock:
                staged = self._state.fork(res)
            seen = {staged.upsert(res, item)[0] for item in fresh}
            with self._lock:
                self._state.replace_resource(res, staged, seen)
                by_scope: dict = {}
                for key, entry in self._state.entries.items():
                    by_scope.setdefault(key[2] or None, {})[key] = entry
                self._by_scope = by_scope
                self._epoch += 1
                self._version += 1
        self.relists += 1
        self._mark_listed(res)
        self.log("cluster-listed", resource=res.display(), count=len(fresh), resourceVersion=rv)
        return rv

    def _mark_listed(self, res) -> None:
        self._pending.discard(res)
        if not self._pending:
            self._ready.set()

    @staticmethod
    def _put(table: dict, item: dict) -> None:
        meta = item.get("metadata") or {}
        name = meta.get("name")
        if isinstance(name, str) and name:
            labels = meta.get("labels")
            table[name] = dict(labels) if isinstance(labels, dict) else {}

    def _loop(self, res) -> None:
        from kubernetes import watch as kwatch
        from kubernetes.client.exceptions import ApiException

        from kubeward.cluster import ClusterError
        from kubeward.cluster.client import ApiError

        fn = self.client.list_fn(res)
        rv = None
        delay = self.backoff[0]
        what = res.display()
        while not self._stop.is_set():
            try:
                if rv is None:
                    rv = self._relist(res)
                w = kwatch.Watch()
                self._watches[res] = w
                for ev in w.stream(fn, resource_version=rv, allow_watch_bookmarks=True,
                                   timeout_seconds=self.watch_timeout):
                    if self._stop.is_set():
                        break
                    etype = ev.get("type")
                    obj = ev.get("raw_object") or ev.get("object")
                    if not isinstance(obj, dict):
                        continue
                    self._apply(res, etype, obj)
                    self.events += 1
                    new_rv = (obj.get("metadata") or {}).get("resourceVersion")
                    if new_rv:
                        rv = str(new_rv)
                    delay = self.backoff[0]
            except (ApiException, ApiError) as e:
                if self._stop.is_set():
                    break
                if e.status == 410:
                    self.log("cluster-watch-expired", resource=what, resourceVersion=rv)
                    rv = None
                    continue
                if e.status == 403 and res.kind != "Namespace":
                    # a context kind the webhook may not read must not keep it
                    # unready (and so block the cluster): go on without it
                    self._mark_listed(res)
                delay = self._backoff(what, f"{e.status} {getattr(e, 'reason', '') or ''}".strip(),
                                      delay)
            except ClusterError as e:
                if self._stop.is_set():
                    break
                delay = self._backoff(what, str(e), delay)
            except Exception as e:  # connection reset, protocol errors, bad JSON
                if self._stop.is_set():
                    break
                delay = self._backoff(what, f"{type(e).__name__}: {e}", delay)
            finally:
                self._watches.pop(res, None)

    def _backoff(self, what: str, why: str, delay: float) -> float:
        wait = delay * (0.5 + random.random())
        self.log("cluster-watch-failed", resource=what, reason=why[:200],
                 retryInSeconds=round(wait, 2))
        self._stop.wait(wait)
        return min(delay * 2, self.backoff[1])
