"""A small read-mostly client on top of the official ``kubernetes`` package.

Every request goes through the package's ``ApiClient`` (so kubeconfig auth,
exec plugins, client certificates, token refresh, proxies and TLS settings
behave exactly as with any other user of that client), but bodies are read
as raw JSON: no model classes are built, which keeps a 10,000-Pod list fast
and small. Watches use ``kubernetes.watch.Watch`` on a generic list function
(:meth:`Client.list_fn`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Iterator

from kubeward.cluster import ClusterError, require_client

PAGE_SIZE = 500
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 120


@dataclass(frozen=True)
class Resource:
    """One API resource, as discovery reports it."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    verbs: frozenset = frozenset()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if namespace and self.namespaced:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        return base + (f"/{name}" if name else "")

    def display(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural


class ApiError(Exception):
    """A non-2xx answer: ``status`` is the HTTP code, ``reason`` the Status
    reason (Forbidden, Expired, NotFound...), ``message`` its message."""

    def __init__(self, status: int, reason: str, message: str):
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message


def _status_error(resp, data: bytes | None = None) -> ApiError:
    if data is None:
        data = resp.data if hasattr(resp, "data") else b""
    try:
        body = json.loads(data)
        return ApiError(int(body.get("code") or resp.status), str(body.get("reason") or ""),
                        str(body.get("message") or ""))
    except (ValueError, AttributeError, TypeError):
        return ApiError(resp.status, str(getattr(resp, "reason", "") or ""),
                        data[:200].decode("utf-8", "replace") if data else "")


class _ErrorResponse:
    """A non-2xx answer that an older client raised as ApiException, in the
    shape of the urllib3 response newer clients return."""

    def __init__(self, exc):
        self.status = int(exc.status)
        self.reason = str(exc.reason or "")
        body = exc.body
        self.data = body.encode() if isinstance(body, str) else (body or b"")

    def read(self, *a, **kw) -> bytes:
        return self.data

    def release_conn(self) -> None:
        pass

    def close(self) -> None:
        pass


class Client:
    """A connection to one cluster."""

    def __init__(self, api_client, source: str):
        self.api_client = api_client
        self.host: str = api_client.configuration.host
        self.source = source  # where the config came from, for messages
        self._new_style = hasattr(api_client, "param_serialize")
        self._resources: dict[tuple[str, str], Resource] | None = None

    # -- connection ----------------------------------------------------------
    @classmethod
    def connect(cls, kubeconfig: str | None = None, context: str | None = None) -> "Client":
        """From ``kubeconfig`` (else $KUBECONFIG, else ~/.kube/config) and
        ``context``; with neither a file nor a context given and no kubeconfig
        present, the in-cluster service account."""
        require_client()
        from kubernetes import config as kconfig
        from kubernetes.client import ApiClient, Configuration

        cfg = Configuration()
        path = kubeconfig or os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
        first = path.split(os.pathsep)[0] if path else ""
        where = path
        try:
            if kubeconfig or context or os.path.exists(first):
                if kubeconfig and not os.path.exists(first):
                    raise ClusterError(f"{kubeconfig}: kubeconfig file not found")
                kconfig.load_kube_config(config_file=path, context=context,
                                         client_configuration=cfg, persist_config=False)
                source = f"kubeconfig {path}" + (f" (context {context})" if context else "")
            elif os.environ.get("KUBERNETES_SERVICE_HOST"):
                where = "the in-cluster service account"
                kconfig.load_incluster_config(client_configuration=cfg)
                source = "in-cluster service account"
            else:
                raise ClusterError(f"no kubeconfig at {path} and not running inside a cluster "
                                   "(use --kubeconfig)")
        except kconfig.ConfigException as e:
            msg = " ".join(str(e).split())
            raise ClusterError(f"cannot use {where}: {msg}") from None
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as e:
            raise ClusterError(f"{where}: not a valid kubeconfig ({type(e).__name__}: {e})") from None
        cfg.retries = 1
        # one connection per watch stream (about 25) plus lists and writes
        cfg.connection_pool_maxsize = max(cfg.connection_pool_maxsize or 0, 64)
        return cls(ApiClient(configuration=cfg), source)

    def close(self) -> None:
        try:
            self.api_client.close()
        except Exception:  # pragma: no cover - best effort
            pass

    # -- raw requests ----------------------------------------------------------
    def request(self, method: str, path: str, query: list | None = None, body: Any = None,
                timeout: Any = (CONNECT_TIMEOUT, READ_TIMEOUT)):
        """The raw ``urllib3`` response (not read yet). Connection problems
        become ClusterError."""
        import urllib3

        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        query = [(k, v) for k, v in (query or []) if v is not None]
        try:
            if self._new_style:
                req = self.api_client.param_serialize(
                    method, path, query_params=query, header_params=headers, body=body,
                    auth_settings=["BearerToken"])
                return self.api_client.call_api(*req, _request_timeout=timeout).response
            try:
                return self.api_client.call_api(  # kubernetes < 37
                    path, method, query_params=query, header_params=headers, body=body,
                    auth_settings=["BearerToken"], _preload_content=False,
                    _return_http_data_only=True, _request_timeout=timeout)
            except Exception as e:  # older clients raise on any non-2xx answer
                if type(e).__name__ == "ApiException" and getattr(e, "status", 0):
                    return _ErrorResponse(e)
                raise
        except urllib3.exceptions.MaxRetryError as e:
            raise ClusterError(f"cannot reach the cluster at {self.host}: "
                               f"{_reason(e.reason)}") from None
        except urllib3.exceptions.HTTPError as e:
            raise ClusterError(f"cannot reach the cluster at {self.host}: {_reason(e)}") from None
        except Exception as e:  # ApiException for TLS problems, bad auth plugins...
            if type(e).__name__ == "ApiException":
                reason = " ".join(str(getattr(e, "reason", e)).split())
                raise ClusterError(f"cannot talk to the cluster at {self.host}: {reason}") from None
            raise

    def get_json(self, path: str, query: list | None = None) -> dict:
        resp = self.request("GET", path, query)
        try:
            data = resp.data
        finally:
            resp.release_conn()
        if not 200 <= resp.status <= 299:
            raise _status_error(resp)
        try:
            return json.loads(data)
        except ValueError:
            raise ApiError(resp.status, "BadResponse",
                           f"GET {path}: the answer is not JSON") from None

    def send_json(self, method: str, path: str, body: dict) -> dict:
        resp = self.request(method, path, body=body)
        try:
            data = resp.data
        finally:
            resp.release_conn()
        if not 200 <= resp.status <= 299:
            raise _status_error(resp)
        return json.loads(data) if data else {}

    # -- discovery ---------------------------------------------------------
    def check_access(self) -> str:
        """GET /version: the first request, so that an unreachable cluster or
        refused credentials give one error before anything else."""
        try:
            info = self.get_json("/version")
        except ApiError as e:
            if e.status in (401, 403):
                raise ClusterError(f"the cluster at {self.host} refused the credentials of "
                                   f"{self.source}: {e.status} {e.reason or ''}".rstrip()) from None
            raise ClusterError(f"the cluster at {self.host} answered {e.status} "
                               f"{e.reason}: {e.message}") from None
        return str(info.get("gitVersion") or "")

    def resources(self) -> dict[tuple[str, str], Resource]:
        """(group, kind) -> Resource, for the preferred version of every
        group, from /api/v1 and /apis."""
        if self._resources is not None:
            return self._resources
        out: dict[tuple[str, str], Resource] = {}
        lists = [("", "v1", self.get_json("/api/v1"))]
        groups = self.get_json("/apis").get("groups") or []
        for g in groups:
            pref = (g.get("preferredVersion") or {}).get("version") or \
                ((g.get("versions") or [{}])[0]).get("version")
            if not pref:
                continue
            try:
                lists.append((g["name"], pref, self.get_json(f"/apis/{g['name']}/{pref}")))
            except ApiError:
                continue  # an aggregated API that is down: skip it, as kubectl does
        for group, version, rl in lists:
            for r in rl.get("resources") or []:
                name = r.get("name", "")
                if "/" in name or not r.get("kind"):
                    continue  # subresources
                key = (group, r["kind"])
                if key not in out:
                    out[key] = Resource(group, version, r["kind"], name,
                                        bool(r.get("namespaced")), frozenset(r.get("verbs") or ()))
        self._resources = out
        return out

    # -- list and watch ----------------------------------------------------------
    def list_pages(self, res: Resource, namespace: str | None = None,
                   page_size: int = PAGE_SIZE) -> Iterator[tuple[list, str]]:
        """Yield (items, resourceVersion) page by page (``limit`` and
        ``continue``). Items get ``apiVersion`` and ``kind`` (list items
        come without them). A continue token that expired restarts the
        list from the beginning once, as client-go's pager does."""
        token = None
        restarted = False
        path = res.path(namespace)
        while True:
            try:
                page = self.get_json(path, [("limit", page_size), ("continue", token)])
            except ApiError as e:
                if e.status == 410 and token and not restarted:
                    restarted, token = True, None
                    continue
                raise
            items = page.get("items") or []
            for it in items:
                if isinstance(it, dict):
                    it["apiVersion"] = res.api_version
                    it["kind"] = res.kind
            meta = page.get("metadata") or {}
            yield [i for i in items if isinstance(i, dict)], str(meta.get("resourceVersion") or "")
            token = meta.get("continue")
            if not token:
                return

    def list_fn(self, res: Resource, namespace: str | None = None):
        """A list function in the shape ``kubernetes.watch.Watch.stream``
        expects: called with ``watch=True``, ``resource_version``,
        ``allow_watch_bookmarks``, ``timeout_seconds`` and
        ``_preload_content=False``; returns the streaming response."""
        path = res.path(namespace)

        def list_resource(watch=False, resource_version=None, allow_watch_bookmarks=None,
                          timeout_seconds=None, _preload_content=False, **_ignored):
            query = [("watch", "true" if watch else None),
                     ("resourceVersion", resource_version),
                     ("allowWatchBookmarks", "true" if allow_watch_bookmarks else None),
                     ("timeoutSeconds", timeout_seconds)]
            read = (timeout_seconds or 0) + 30 if watch else READ_TIMEOUT
            resp = self.request("GET", path, query, timeout=(CONNECT_TIMEOUT, read))
            if not 200 <= resp.status <= 299:
                try:
                    data = resp.read()
                finally:
                    resp.release_conn()
                raise _status_error(resp, data)
            return resp

        list_resource.__name__ = f"list_{res.plural}"
        return list_resource


def _reason(err) -> str:
    text = str(err)
    for marker in ("Connection refused", "Name or service not known", "timed out",
                   "No route to host", "certificate verify failed", "Temporary failure in name "
                   "resolution", "nodename nor servname provided"):
        if marker in text:
            return marker.lower() if marker != "certificate verify failed" else \
                "TLS certificate verify failed"
    return " ".join(text.split())[:200]
