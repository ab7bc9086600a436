"""A local stand-in for a Kubernetes API server, for tests and benchmarks.

No API server can run on the test machines, so this module serves the parts
of the Kubernetes REST API that a read-only auditor uses, with the same URLs,
the same JSON shapes and the same semantics as kube-apiserver:

* discovery: ``/version``, ``/api``, ``/api/v1``, ``/apis``,
  ``/apis/<group>/<version>`` (``APIVersions``, ``APIGroupList``,
  ``APIResourceList`` with ``namespaced`` and ``verbs``);
* list, cluster-wide and per namespace, for core and group resources, with
  ``limit`` + ``continue`` pagination over a consistent snapshot
  (``metadata.continue``, ``metadata.remainingItemCount``,
  ``metadata.resourceVersion``); list items carry no ``kind``/``apiVersion``,
  as on a real server;
* ``watch=1`` streams of newline-delimited ``WatchEvent`` JSON over chunked
  transfer encoding: ``ADDED``/``MODIFIED``/``DELETED``, ``BOOKMARK`` events
  when ``allowWatchBookmarks`` is set, ``resourceVersion`` semantics (unset
  or "0": synthetic ADDED events for the current state, then changes;
  a version: changes after it; a compacted version: an ``ERROR`` event
  carrying a 410 ``Expired`` Status), ``timeoutSeconds``;
* get/create/update/delete of single objects (for PolicyReports), with
  409 ``AlreadyExists``/``Conflict``, 404 ``NotFound``;
* a bearer token (401 without it) and 403 ``Forbidden`` Status answers for
  configured resources.

Tests drive it through :class:`FakeKubeAPI`: load objects from YAML, start
it (loopback, port 0), point a kubeconfig at it (:func:`write_kubeconfig`),
then change objects while watches are open (:meth:`FakeKubeAPI.add`,
:meth:`~FakeKubeAPI.modify`, :meth:`~FakeKubeAPI.delete`,
:meth:`~FakeKubeAPI.compact`). Every request is recorded in
``FakeKubeAPI.requests`` so tests can assert what the client asked.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()


# (group, version, kind, plural, namespaced, short names): what a v1.35
# cluster serves for the kinds a security audit reads.
BUILTIN = [Resource(*r) for r in (
    ("", "v1", "Namespace", "namespaces", False, ("ns",)),
    ("", "v1", "Node", "nodes", False, ("no",)),
    ("", "v1", "Pod", "pods", True, ("po",)),
    ("", "v1", "PodTemplate", "podtemplates", True),
    ("", "v1", "ReplicationController", "replicationcontrollers", True, ("rc",)),
    ("", "v1", "Service", "services", True, ("svc",)),
    ("", "v1", "ServiceAccount", "serviceaccounts", True, ("sa",)),
    ("", "v1", "ConfigMap", "configmaps", True, ("cm",)),
    ("", "v1", "Secret", "secrets", True),
    ("", "v1", "Endpoints", "endpoints", True, ("ep",)),
    ("", "v1", "LimitRange", "limitranges", True, ("limits",)),
    ("", "v1", "ResourceQuota", "resourcequotas", True, ("quota",)),
    ("", "v1", "PersistentVolume", "persistentvolumes", False, ("pv",)),
    ("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, ("pvc",)),
    ("apps", "v1", "Deployment", "deployments", True, ("deploy",)),
    ("apps", "v1", "ReplicaSet", "replicasets", True, ("rs",)),
    ("apps", "v1", "StatefulSet", "statefulsets", True, ("sts",)),
    ("apps", "v1", "DaemonSet", "daemonsets", True, ("ds",)),
    ("batch", "v1", "Job", "jobs", True),
    ("batch", "v1", "CronJob", "cronjobs", True, ("cj",)),
    ("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, ("hpa",)),
    ("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", True, ("pdb",)),
    ("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", True, ("netpol",)),
    ("networking.k8s.io", "v1", "Ingress", "ingresses", True, ("ing",)),
    ("networking.k8s.io", "v1", "IngressClass", "ingressclasses", False),
    ("rbac.authorization.k8s.io", "v1", "Role", "roles", True),
    ("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True),
    ("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False),
    ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False),
    ("storage.k8s.io", "v1", "StorageClass", "storageclasses", False, ("sc",)),
    ("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration",
     "validatingwebhookconfigurations", False),
    ("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration",
     "mutatingwebhookconfigurations", False),
    ("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicy",
     "validatingadmissionpolicies", False),
    ("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicyBinding",
     "validatingadmissionpolicybindings", False),
    ("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions",
     False, ("crd", "crds")),
    ("wgpolicyk8s.io", "v1alpha2", "PolicyReport", "policyreports", True, ("polr",)),
    ("wgpolicyk8s.io", "v1alpha2", "ClusterPolicyReport", "clusterpolicyreports", False,
     ("cpolr",)),
)]


def _status(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    out = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
           "message": message, "reason": reason, "code": code}
    if details:
        out["details"] = details
    return out


class _Event:
    __slots__ = ("rv", "res", "type", "obj")

    def __init__(self, rv: int, res: Resource, type_: str, obj: dict):
        self.rv, self.res, self.type, self.obj = rv, res, type_, obj


class FakeKubeAPI:
    """The fake server's state plus its HTTP front end.

    ``forbidden``: plurals (``"secrets"``) or ``"group/plural"``
    (``"rbac.authorization.k8s.io/clusterroles"``) whose list/watch answer
    403. ``bookmark_interval``: seconds between BOOKMARK events on watches
    that asked for them. ``token``: the bearer token a request must carry.
    """

    def __init__(self, *, forbidden=(), token: str = "fake-token",
                 bookmark_interval: float = 0.2, max_page: int | None = None,
                 extra_resources=()):
        self.resources: dict[tuple[str, str], Resource] = {}
        for r in itertools.chain(BUILTIN, extra_resources):
            self.resources[(r.group, r.plural)] = r
        self.forbidden = set(forbidden)
        self.token = token
        self.bookmark_interval = bookmark_interval
        self.max_page = max_page  # server-side cap on a page, like --max-requests
        self.store: dict[tuple[str, str], dict[tuple[str, str], dict]] = {}
        self.events: list[_Event] = []
        self.rv = 1000
        self.compacted_rv = 0  # watches/continues from at or below this: 410
        self.snapshots: dict[str, list] = {}
        self.requests: list[dict] = []  # {"method", "path", "query"}
        self.cond = threading.Condition()
        self.closing = False
        self.open_watches = 0
        self.fail_watches = 0  # the next N watch requests answer 500
        #: URL path -> function(handler, query) that answers instead (a
        #: failing or hostile server: errors, cut-off or dripped bodies)
        self.faults: dict = {}
        self._server: ThreadingHTTPServer | None = None
        self._tls = False
        self._thread: threading.Thread | None = None

    # -- objects ---------------------------------------------------------
    def resource_for(self, api_version: str, kind: str, namespaced: bool | None = None) -> Resource:
        group, _, version = api_version.rpartition("/")
        for r in self.resources.values():
            if r.group == group and r.kind == kind:
                return r
        # an unknown kind: serve it as a custom resource
        lower = kind.lower()
        plural = lower + ("es" if lower.endswith(("s", "x", "ch")) else "s")
        r = Resource(group, version, kind, plural, bool(namespaced))
        self.resources[(group, plural)] = r
        return r

    def _stamp(self, obj: dict, res: Resource, created: bool) -> dict:
        obj = copy.deepcopy(obj)
        obj["apiVersion"] = res.api_version
        obj["kind"] = res.kind
        meta = obj.setdefault("metadata", {})
        if res.namespaced:
            meta.setdefault("namespace", "default")
        else:
            meta.pop("namespace", None)
        self.rv += 1
        meta["resourceVersion"] = str(self.rv)
        if created or "uid" not in meta:
            meta.setdefault("uid", str(uuid.uuid5(uuid.NAMESPACE_URL,
                                                  f"{res.plural}/{meta.get('namespace')}/"
                                                  f"{meta.get('name')}")))
            meta.setdefault("creationTimestamp", "2026-01-01T00:00:00Z")
        if created:
            meta.setdefault("generation", 1)
        return obj

    def _put(self, obj: dict, type_: str | None = None) -> dict:
        if not isinstance(obj, dict) or not obj.get("kind") or not obj.get("apiVersion"):
            raise ValueError("object without apiVersion/kind")
        meta = obj.get("metadata") or {}
        res = self.resource_for(obj["apiVersion"], obj["kind"], bool(meta.get("namespace")))
        key = (meta.get("namespace") or "default" if res.namespaced else "", meta["name"])
        with self.cond:
            bucket = self.store.setdefault((res.group, res.plural), {})
            exists = key in bucket
            if type_ is None:
                type_ = "MODIFIED" if exists else "ADDED"
            elif type_ == "ADDED" and exists:
                raise KeyError(f"{res.plural} {key[1]!r} already exists")
            elif type_ == "MODIFIED" and not exists:
                raise KeyError(f"{res.plural} {key[1]!r} not found")
            stamped = self._stamp(obj, res, created=not exists)
            if exists:
                old_meta = bucket[key]["metadata"]
                stamped["metadata"]["uid"] = old_meta["uid"]
                stamped["metadata"]["generation"] = old_meta.get("generation", 1) + 1
            bucket[key] = stamped
            self.events.append(_Event(self.rv, res, type_, stamped))
            self.cond.notify_all()
        return stamped

    def add(self, obj: dict) -> dict:
        """Create (or replace) an object; open watches see ADDED/MODIFIED."""
        return self._put(obj)

    def modify(self, obj: dict) -> dict:
        return self._put(obj, "MODIFIED")

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None,
               *, silent: bool = False) -> dict:
        """Delete an object; open watches see DELETED. ``silent``: no event
        (a change a client missed while its resourceVersion was compacted
        away; only a fresh list shows it)."""
        res = self.resource_for(api_version, kind)
        key = (namespace or "default" if res.namespaced else "", name)
        with self.cond:
            obj = self.store.get((res.group, res.plural), {}).pop(key)
            self.rv += 1
            obj = copy.deepcopy(obj)
            obj["metadata"]["resourceVersion"] = str(self.rv)
            if not silent:
                self.events.append(_Event(self.rv, res, "DELETED", obj))
            self.cond.notify_all()
        return obj

    def load_yaml(self, *paths) -> int:
        """Load every object (``*List`` items too) from YAML files or folders."""
        n = 0
        files: list[Path] = []
        for p in map(Path, paths):
            files.extend(sorted(x for x in p.rglob("*") if x.suffix in (".yaml", ".yml"))
                         if p.is_dir() else [p])
        for f in files:
            for doc in yaml.safe_load_all(f.read_text()):
                n += self.load_objects([doc])
        return n

    def load_objects(self, docs) -> int:
        n = 0
        for doc in docs:
            if not isinstance(doc, dict):
                continue
            if str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list):
                n += self.load_objects(doc["items"])
            elif doc.get("kind") and doc.get("apiVersion"):
                self._put(doc)
                n += 1
        return n

    def compact(self) -> int:
        """Forget history: every resourceVersion issued so far becomes too
        old for a watch or a continue token (410 Gone / Expired)."""
        with self.cond:
            self.compacted_rv = self.rv
            self.rv += 1  # lists made after the compaction are valid
            self.events.clear()
            self.snapshots.clear()
            self.cond.notify_all()
            return self.rv

    def objects(self, plural: str, group: str = "") -> list[dict]:
        with self.cond:
            return list(self.store.get((group, plural), {}).values())

    def requests_for(self, path_suffix: str, **query) -> list[dict]:
        """Recorded requests whose path ends with ``path_suffix`` and whose
        query has every given key (value None: any value)."""
        out = []
        for r in list(self.requests):
            if not r["path"].endswith(path_suffix):
                continue
            if all(k in r["query"] and (v is None or r["query"][k] == v)
                   for k, v in query.items()):
                out.append(r)
        return out

    # -- server ------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"{'https' if self._tls else 'http'}://{host}:{port}"

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._server.server_address[1]

    def start(self, certfile: str | None = None, keyfile: str | None = None) -> "FakeKubeAPI":
        """Serve on 127.0.0.1, a free port; HTTPS with ``certfile``/``keyfile``."""
        api = self

        class Handler(_Handler):
            pass

        Handler.api = api
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._tls = bool(certfile)
        if certfile:
            import ssl

            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(certfile, keyfile)
            self._server.socket = ctx.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self.cond:
            self.closing = True
            self.cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    api: FakeKubeAPI
    protocol_version = "HTTP/1.1"
    server_version = "fake-kube-apiserver/1.35"

    def setup(self):
        super().setup()
        # as Go's net/http does: no Nagle delay between headers and body
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):  # keep test output clean
        pass

    # -- plumbing -------------------------------------------------------------
    def _send_json(self, code: int, body: dict) -> None:
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(data)

    def _read_body(self) -> dict | None:
        n = int(self.headers.get("Content-Length") or 0)
        if not n:
            return None
        try:
            return json.loads(self.rfile.read(n))
        except ValueError:
            return None

    def _dispatch(self, method: str) -> None:
        api = self.api
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        api.requests.append({"method": method, "path": parts.path, "query": query})
        body = self._read_body() if method in ("POST", "PUT") else None
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        if api.token and (scheme.lower() != "bearer" or token.strip() != api.token):
            return self._send_json(401, _status(401, "Unauthorized", "Unauthorized"))
        segs = [s for s in parts.path.split("/") if s]
        fault = api.faults.get(parts.path)
        try:
            if fault is not None:
                return fault(self, query)
            self._route(method, segs, query, body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    # -- routing ----------------------------------------------------------------
    def _route(self, method, segs, query, body):
        api = self.api
        if segs == ["version"]:
            return self._send_json(200, {
                "major": "1", "minor": "35", "gitVersion": "v1.35.0",
                "gitCommit": "0" * 40, "gitTreeState": "clean",
                "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.25.0",
                "compiler": "gc", "platform": "linux/amd64"})
        if segs == ["api"]:
            return self._send_json(200, {
                "kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                "serverAddress": "127.0.0.1:6443"}]})
        if segs == ["apis"]:
            return self._send_json(200, self._group_list())
        if segs and segs[0] == "api":
            group, rest = "", segs[1:]
        elif segs and segs[0] == "apis" and len(segs) >= 2:
            group, rest = segs[1], segs[2:]
        else:
            return self._send_json(404, _status(404, "NotFound", "the server could not find "
                                                "the requested resource"))
        if not rest:
            return self._send_json(404, _status(404, "NotFound", "not found"))
        version, rest = rest[0], rest[1:]
        if not rest:
            return self._resource_list(group, version)
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        plural, name = rest[0], (rest[1] if len(rest) > 1 else None)
        res = api.resources.get((group, plural))
        if res is None or res.version != version or (namespace and not res.namespaced):
            return self._send_json(404, _status(
                404, "NotFound", "the server could not find the requested resource"))
        scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
        verb = {"GET": "get" if name else ("watch" if _truthy(query.get("watch")) else "list"),
                "POST": "create", "PUT": "update", "DELETE": "delete"}[method]
        if plural in api.forbidden or f"{group}/{plural}" in api.forbidden:
            return self._send_json(403, _status(
                403, "Forbidden",
                f'{plural}{"." + group if group else ""} is forbidden: User '
                f'"system:serviceaccount:kubeward:kubeward" cannot {verb} resource "{plural}" '
                f'in API group "{group}" {scope}',
                {"group": group, "kind": plural}))
        if method == "GET" and name is None:
            if _truthy(query.get("watch")):
                with api.cond:
                    failing = api.fail_watches > 0
                    api.fail_watches -= failing
                if failing:
                    return self._send_json(500, _status(500, "InternalError",
                                                        "etcdserver: request timed out"))
                return self._watch(res, namespace, query)
            return self._list(res, namespace, query)
        return self._single(method, res, namespace, name, body)

    def _group_list(self) -> dict:
        groups: dict[str, list[str]] = {}
        for r in self.api.resources.values():
            if r.group:
                vs = groups.setdefault(r.group, [])
                if r.version not in vs:
                    vs.append(r.version)
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
            {"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v} for v in vs],
             "preferredVersion": {"groupVersion": f"{g}/{vs[0]}", "version": vs[0]}}
            for g, vs in sorted(groups.items())]}

    def _resource_list(self, group: str, version: str):
        res = [r for r in self.api.resources.values()
               if r.group == group and r.version == version]
        if not res:
            return self._send_json(404, _status(404, "NotFound", "the server could not find "
                                                "the requested resource"))
        items = []
        for r in sorted(res, key=lambda r: r.plural):
            item = {"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
                    "kind": r.kind, "verbs": VERBS, "storageVersionHash": "fake"}
            if r.short_names:
                item["shortNames"] = list(r.short_names)
            items.append(item)
            if r.kind in ("Deployment", "StatefulSet", "ReplicaSet"):
                items.append({"name": f"{r.plural}/scale", "singularName": "",
                              "namespaced": True, "group": "autoscaling", "version": "v1",
                              "kind": "Scale", "verbs": ["get", "patch", "update"]})
            if r.kind == "Pod":
                items.append({"name": "pods/log", "singularName": "", "namespaced": True,
                              "kind": "Pod", "verbs": ["get"]})
        gv = f"{group}/{version}" if group else version
        return self._send_json(200, {"kind": "APIResourceList", "apiVersion": "v1",
                                     "groupVersion": gv, "resources": items})

    # -- list ---------------------------------------------------------------------
    def _snapshot(self, res: Resource, namespace: str | None) -> tuple[int, list]:
        api = self.api
        with api.cond:
            bucket = api.store.get((res.group, res.plural), {})
            items = [o for (ns, _n), o in sorted(bucket.items())
                     if namespace is None or ns == namespace]
            return api.rv, items

    def _list(self, res: Resource, namespace: str | None, query: dict):
        api = self.api
        limit = int(query.get("limit") or 0)
        if api.max_page:
            limit = min(limit or api.max_page, api.max_page)
        token = query.get("continue")
        if token:
            try:
                info = json.loads(base64.urlsafe_b64decode(token.encode()))
                snap_id, start, rv = info["id"], int(info["start"]), int(info["rv"])
            except (ValueError, KeyError, TypeError):
                return self._send_json(400, _status(400, "BadRequest",
                                                    "continue key is not valid"))
            items = api.snapshots.get(snap_id)
            if items is None or rv <= api.compacted_rv:
                return self._send_json(410, _status(
                    410, "Expired", "The provided continue parameter is too old to display "
                    "a consistent list result. You can start a new list without the continue "
                    "parameter."))
        else:
            rv, items = self._snapshot(res, namespace)
            snap_id, start = uuid.uuid4().hex, 0
        end = start + limit if limit else len(items)
        page = items[start:end]
        meta: dict = {"resourceVersion": str(rv)}
        if end < len(items):
            api.snapshots[snap_id] = items
            meta["continue"] = base64.urlsafe_b64encode(json.dumps(
                {"id": snap_id, "start": end, "rv": rv}).encode()).decode()
            meta["remainingItemCount"] = len(items) - end
        else:
            api.snapshots.pop(snap_id, None)
        out_items = []
        for o in page:  # items of a list carry no kind/apiVersion
            o = dict(o)
            o.pop("kind", None)
            o.pop("apiVersion", None)
            out_items.append(o)
        return self._send_json(200, {"kind": f"{res.kind}List", "apiVersion": res.api_version,
                                     "metadata": meta, "items": out_items})

    # -- watch --------------------------------------------------------------------
    def _chunk(self, obj: dict) -> None:
        data = json.dumps(obj, separators=(",", ":")).encode() + b"\n"
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _watch(self, res: Resource, namespace: str | None, query: dict):
        api = self.api
        rv_param = query.get("resourceVersion") or ""
        bookmarks = _truthy(query.get("allowWatchBookmarks"))
        timeout = float(query.get("timeoutSeconds") or 1800)
        deadline = time.monotonic() + timeout
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def wanted(ev: _Event) -> bool:
            return ev.res is res and (namespace is None
                                      or ev.obj["metadata"].get("namespace") == namespace)

        with api.cond:
            api.open_watches += 1
            api.cond.notify_all()
        try:
            with api.cond:
                if rv_param in ("", "0"):
                    cursor = api.rv
                    _, items = self._snapshot(res, namespace)
                    initial = [{"type": "ADDED", "object": o} for o in items]
                else:
                    try:
                        cursor = int(rv_param)
                    except ValueError:
                        cursor = -1
                    initial = []
                    if cursor <= api.compacted_rv:
                        initial = None
            if initial is None:
                self._chunk({"type": "ERROR", "object": _status(
                    410, "Expired", f"too old resource version: {rv_param} "
                    f"({api.compacted_rv + 1})")})
                return self._end_chunks()
            for ev in initial:
                self._chunk(ev)
            last_bookmark = time.monotonic()
            while True:
                with api.cond:
                    if api.closing:
                        break
                    if cursor < api.compacted_rv:
                        pending = None
                    else:
                        pending = [e for e in api.events if e.rv > cursor]
                        if not pending:
                            wait = min(deadline, last_bookmark + api.bookmark_interval
                                       if bookmarks else deadline) - time.monotonic()
                            if wait > 0:
                                api.cond.wait(min(wait, 0.5))
                            pending = [e for e in api.events if e.rv > cursor]
                    now_rv = api.rv
                if pending is None:
                    self._chunk({"type": "ERROR", "object": _status(
                        410, "Expired", f"too old resource version: {cursor} "
                        f"({api.compacted_rv + 1})")})
                    break
                for ev in pending:
                    cursor = ev.rv
                    if wanted(ev):
                        self._chunk({"type": ev.type, "object": ev.obj})
                now = time.monotonic()
                if bookmarks and now - last_bookmark >= api.bookmark_interval:
                    cursor = max(cursor, now_rv)
                    self._chunk({"type": "BOOKMARK", "object": {
                        "kind": res.kind, "apiVersion": res.api_version,
                        "metadata": {"resourceVersion": str(cursor)}}})
                    last_bookmark = now
                if now >= deadline:
                    break
            self._end_chunks()
        finally:
            with api.cond:
                api.open_watches -= 1
                api.cond.notify_all()

    def _end_chunks(self):
        try:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            pass
        self.close_connection = True

    # -- single objects -----------------------------------------------------------
    def _single(self, method, res: Resource, namespace, name, body):
        api = self.api
        key = (namespace or "", name)
        bucket_key = (res.group, res.plural)
        what = f'{res.plural}{"." + res.group if res.group else ""}'
        if method == "GET":
            with api.cond:
                obj = api.store.get(bucket_key, {}).get(key)
            if obj is None:
                return self._send_json(404, _status(404, "NotFound",
                                                    f'{what} "{name}" not found',
                                                    {"name": name, "kind": res.plural}))
            return self._send_json(200, obj)
        if method == "DELETE":
            try:
                api.delete(res.api_version, res.kind, name, namespace)
            except KeyError:
                return self._send_json(404, _status(404, "NotFound",
                                                    f'{what} "{name}" not found'))
            return self._send_json(200, {"kind": "Status", "apiVersion": "v1",
                                         "metadata": {}, "status": "Success"})
        if not isinstance(body, dict):
            return self._send_json(400, _status(400, "BadRequest", "invalid body"))
        body = copy.deepcopy(body)
        meta = body.setdefault("metadata", {})
        if res.namespaced:
            meta["namespace"] = namespace
        body.setdefault("apiVersion", res.api_version)
        body.setdefault("kind", res.kind)
        if method == "POST":
            if name is not None:
                return self._send_json(405, _status(405, "MethodNotAllowed", "not allowed"))
            with api.cond:
                exists = (namespace or "", meta.get("name")) in api.store.get(bucket_key, {})
            if exists:
                return self._send_json(409, _status(
                    409, "AlreadyExists", f'{what} "{meta.get("name")}" already exists',
                    {"name": meta.get("name"), "kind": res.plural}))
            meta.pop("resourceVersion", None)
            return self._send_json(201, api.add(body))
        # PUT
        if meta.get("name") != name:
            return self._send_json(400, _status(400, "BadRequest", "the name of the object "
                                                "does not match the name on the URL"))
        with api.cond:
            cur = api.store.get(bucket_key, {}).get(key)
        if cur is None:
            return self._send_json(404, _status(404, "NotFound", f'{what} "{name}" not found'))
        want = meta.get("resourceVersion")
        if want and want != cur["metadata"]["resourceVersion"]:
            return self._send_json(409, _status(
                409, "Conflict", f'Operation cannot be fulfilled on {what} "{name}": the object '
                "has been modified; please apply your changes to the latest version and try "
                "again"))
        return self._send_json(200, api.modify(body))


def _truthy(v) -> bool:
    return str(v).lower() in ("1", "true")


def write_self_signed_cert(directory) -> tuple[str, str]:
    """A certificate for 127.0.0.1 (its own CA) and its key, as PEM files
    (needs the ``cryptography`` package)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-kube-apiserver")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         crl_sign=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    d = Path(directory)
    (d / "tls.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (d / "tls.key").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                  serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    return str(d / "tls.crt"), str(d / "tls.key")


def write_kubeconfig(path, server: str, *, token: str = "fake-token",
                     context: str = "fake", namespace: str | None = None,
                     extra_contexts: dict | None = None, ca_file: str | None = None) -> Path:
    """Write a kubeconfig whose current context points at ``server``.

    ``extra_contexts``: more contexts, name -> server URL (to test
    ``--context``). ``ca_file``: the CA for an HTTPS server."""
    servers = {context: server, **(extra_contexts or {})}
    cfg = {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "current-context": context,
        "clusters": [{"name": f"{n}-cluster", "cluster": {
            "server": s, **({"certificate-authority": ca_file} if ca_file else {})}}
            for n, s in servers.items()],
        "users": [{"name": "kubeward-test", "user": {"token": token}}],
        "contexts": [{"name": n, "context": {
            "cluster": f"{n}-cluster", "user": "kubeward-test",
            **({"namespace": namespace} if namespace else {})}} for n in servers],
    }
    path = Path(path)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path
