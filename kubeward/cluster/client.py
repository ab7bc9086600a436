"""A small read-mostly client on top of the official ``kubernetes`` package.

Every request goes through the package's ``ApiClient`` (so kubeconfig auth,
exec plugins, client certificates, token refresh, proxies and TLS settings
behave exactly as with any other user of that client), but bodies are read
as raw JSON: no model classes are built, which keeps a 10,000-Pod list fast
and small. Watches use ``kubernetes.watch.Watch`` on a generic list function
(:meth:`Client.list_fn`).

A failing or hostile API server (docs/security.md) never gives a traceback
and never stalls the audit: every request body must arrive whole within
``REQUEST_DEADLINE`` seconds and ``MAX_BODY`` bytes (a body dripped byte by
byte, or one that never ends, is cut off), a list may take at most
``MAX_PAGES`` pages and its ``continue`` token must change, and a failed
discovery is remembered (:attr:`Client.discovery_errors`) so that the kinds
it hides are reported as not read instead of silently missing.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from typing import Any, Iterator

from kubeward.cluster import ClusterError, require_client

PAGE_SIZE = 500
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 120
REQUEST_DEADLINE = 120.0  # seconds for a whole answer, body included
MAX_BODY = 512 * 1024 * 1024  # bytes of one answer
MAX_PAGES = 10_000  # pages of one list


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
        #: group ("" for the core group) -> why its discovery failed
        self.discovery_errors: dict[str, str] = {}

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

    def read_body(self, resp, what: str) -> bytes:
        """The whole body of ``resp``, within ``REQUEST_DEADLINE`` seconds
        and ``MAX_BODY`` bytes; a connection lost mid-body, a body that
        never ends or one dripped byte by byte is an ApiError (status 0)."""
        import urllib3

        if isinstance(resp, _ErrorResponse):
            return resp.data
        expired = threading.Event()

        def cut():
            expired.set()
            for stop in (getattr(resp, "shutdown", None), getattr(resp, "close", None)):
                if stop is not None:
                    try:
                        stop()
                        return
                    except Exception:  # noqa: BLE001 - best effort from another thread
                        continue

        timer = threading.Timer(REQUEST_DEADLINE, cut)
        timer.daemon = True
        timer.start()
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                chunk = resp.read(1 << 20)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_BODY:
                    raise ApiError(0, "TooLarge", f"{what}: the answer is larger than "
                                   f"{MAX_BODY >> 20} MiB; not read")
                chunks.append(chunk)
        except ApiError:
            raise
        except (urllib3.exceptions.HTTPError, OSError, ValueError, AttributeError) as e:
            if expired.is_set():
                raise ApiError(0, "Timeout", f"{what}: no complete answer within "
                               f"{REQUEST_DEADLINE:g} s") from None
            raise ApiError(0, "ReadError", f"{what}: the answer was cut off "
                           f"({_reason(e)})") from None
        finally:
            timer.cancel()
            try:
                resp.release_conn()
            except Exception:  # noqa: BLE001 - a shut-down connection
                pass
        if expired.is_set():
            raise ApiError(0, "Timeout", f"{what}: no complete answer within "
                           f"{REQUEST_DEADLINE:g} s")
        return b"".join(chunks)

    def get_json(self, path: str, query: list | None = None) -> dict:
        resp = self.request("GET", path, query)
        data = self.read_body(resp, f"GET {path}")
        if not 200 <= resp.status <= 299:
            raise _status_error(resp, data)
        try:
            body = json.loads(data)
        except ValueError:
            raise ApiError(resp.status, "BadResponse",
                           f"GET {path}: the answer is not JSON") from None
        if not isinstance(body, dict):
            raise ApiError(resp.status, "BadResponse",
                           f"GET {path}: the answer is not a JSON object")
        return body

    def send_json(self, method: str, path: str, body: dict) -> dict:
        resp = self.request(method, path, body=body)
        data = self.read_body(resp, f"{method} {path}")
        if not 200 <= resp.status <= 299:
            raise _status_error(resp, data)
        try:
            return json.loads(data) if data else {}
        except ValueError:
            raise ApiError(resp.status, "BadResponse",
                           f"{method} {path}: the answer is not JSON") from None

    # -- discovery ---------------------------------------------------------
    def check_access(self) -> str:
        """GET /version: the first request, so that an unreachable cluster or
        refused credentials give one error before anything else."""
        try:
            info = self.get_json("/version")
        except ApiError as e:
            if not e.status:
                raise ClusterError(f"the cluster at {self.host}: {e.message}") from None
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
        lists = []
        self.discovery_errors = {}
        try:
            lists.append(("", "v1", self.get_json("/api/v1")))
        except ApiError as e:  # the core group's kinds are reported as not read
            self.discovery_errors[""] = _api_error_text(e)
        try:
            groups = self.get_json("/apis").get("groups") or []
        except ApiError as e:
            raise ClusterError(f"the cluster at {self.host} cannot list its API groups: "
                               f"{_api_error_text(e)}") from None
        for g in groups if isinstance(groups, list) else ():
            if not isinstance(g, dict) or not isinstance(g.get("name"), str):
                continue
            pv = g.get("preferredVersion")
            versions = g.get("versions")
            pref = (pv.get("version") if isinstance(pv, dict) else None) or \
                (versions[0].get("version") if isinstance(versions, list) and versions
                 and isinstance(versions[0], dict) else None)
            if not isinstance(pref, str) or not pref:
                continue
            try:
                lists.append((g["name"], pref, self.get_json(f"/apis/{g['name']}/{pref}")))
            except ApiError as e:  # an aggregated API that is down: its kinds are not read
                self.discovery_errors[g["name"]] = _api_error_text(e)
        for group, version, rl in lists:
            items = rl.get("resources")
            for r in items if isinstance(items, list) else ():
                if not isinstance(r, dict):
                    continue
                name, kind = r.get("name"), r.get("kind")
                if not isinstance(name, str) or "/" in name or not isinstance(kind, str) \
                        or not kind:
                    continue  # subresources
                verbs = r.get("verbs")
                key = (group, kind)
                if key not in out:
                    out[key] = Resource(group, version, kind, name, bool(r.get("namespaced")),
                                        frozenset(v for v in verbs if isinstance(v, str))
                                        if isinstance(verbs, list) else frozenset())
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
        pages = 0
        seen_tokens: set = set()
        while True:
            pages += 1
            if pages > MAX_PAGES:
                raise ApiError(0, "TooManyPages", f"GET {path}: more than {MAX_PAGES} pages; "
                               "the list was not read to its end")
            try:
                page = self.get_json(path, [("limit", page_size), ("continue", token)])
            except ApiError as e:
                if e.status == 410 and token and not restarted:
                    restarted, token = True, None
                    seen_tokens.clear()
                    continue
                raise
            items = page.get("items") or []
            if not isinstance(items, list):
                raise ApiError(0, "BadResponse", f"GET {path}: items is not a list")
            for it in items:
                if isinstance(it, dict):
                    it["apiVersion"] = res.api_version
                    it["kind"] = res.kind
            meta = page.get("metadata")
            meta = meta if isinstance(meta, dict) else {}
            yield [i for i in items if isinstance(i, dict)], str(meta.get("resourceVersion") or "")
            token = meta.get("continue")
            if not token:
                return
            if not isinstance(token, str) or token in seen_tokens:
                raise ApiError(0, "BadPagination", f"GET {path}: the server repeated a continue "
                               "token; the list was not read to its end")
            seen_tokens.add(token)

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


def _api_error_text(e: ApiError) -> str:
    if e.status:
        return f"{e.status} {e.reason}: {e.message}".rstrip(": ")
    return e.message


def _reason(err) -> str:
    text = str(err)
    for marker in ("Connection refused", "Name or service not known", "timed out",
                   "No route to host", "certificate verify failed", "Temporary failure in name "
                   "resolution", "nodename nor servname provided"):
        if marker in text:
            return marker.lower() if marker != "certificate verify failed" else \
                "TLS certificate verify failed"
    return " ".join(text.split())[:200]
