"""``wgpolicyk8s.io/v1alpha2`` PolicyReport and ClusterPolicyReport objects.

One PolicyReport named ``kubeward`` per namespace that has findings (or
had them: an emptied report is updated to zero results rather than left
stale), and one ClusterPolicyReport ``kubeward-cluster`` for cluster-scoped
objects, in the format Kyverno and Policy Reporter read. Each finding is
one ``result``: ``policy`` = check id, ``rule`` = check name, ``result:
fail`` (``skip`` for a suppressed finding, with its reason), ``severity``,
``message``, the object in ``resources`` (with its uid), and
``properties`` with the field path and framework controls.
At most ``MAX_RESULTS`` results per report (most severe first; the
``kubeward.io/truncated`` annotation counts the rest). Reports are created
(POST) or updated (GET + PUT with resourceVersion), and only when their
results changed.
"""

from __future__ import annotations

import time

from kubeward.cluster.client import ApiError, Client

REPORT_NAME = "kubeward"
CLUSTER_REPORT_NAME = "kubeward-cluster"
GROUP = "wgpolicyk8s.io"
LABELS = {"app.kubernetes.io/managed-by": "kubeward"}


MAX_RESULTS = 1000  # per report: keeps an object well under etcd's 1.5 MB limit


def _result(f, uid_of, now: int) -> dict:
    ref = {"apiVersion": f.object.api_version, "kind": f.object.kind, "name": f.object.name}
    if f.object.namespace:
        ref["namespace"] = f.object.namespace
    uid = uid_of(f.object.kind, f.object.namespace, f.object.name) if uid_of else None
    if uid:
        ref["uid"] = uid
    props = {"fieldPath": f.field_path}
    for fw, controls in sorted((f.frameworks or {}).items()):
        props[f"framework.{fw}"] = ",".join(controls)
    if f.suppressed is not None:
        props["suppressedBy"] = f.suppressed_by or ""
        props["reason"] = f.suppressed
    return {"source": "kubeward", "policy": f.check_id, "rule": f.check_name,
            "result": "skip" if f.suppressed is not None else "fail", "scored": True,
            "severity": f.severity.label,
            "message": f.message, "resources": [ref], "properties": props,
            "timestamp": {"seconds": now, "nanos": 0}}


def build(report, uid_of=None, namespaces=()) -> dict[tuple[str, str | None], dict]:
    """(kind, namespace) -> report object. ``namespaces``: namespaces that
    get a report even without findings (to clear an old one)."""
    now = int(time.time())
    by_ns: dict[str | None, list] = {ns: [] for ns in namespaces}
    for f in [*report.findings, *report.suppressed]:
        by_ns.setdefault(f.object.namespace, []).append(f)
    out = {}
    for ns, found in by_ns.items():
        kind = "PolicyReport" if ns else "ClusterPolicyReport"
        meta = {"name": REPORT_NAME if ns else CLUSTER_REPORT_NAME, "labels": dict(LABELS)}
        if ns:
            meta["namespace"] = ns
        # the most severe first when the report has to be cut
        found.sort(key=lambda f: (f.suppressed is not None, -f.severity, f.check_id,
                                  f.object.kind, f.object.name, f.field_path))
        results = [_result(f, uid_of, now) for f in found[:MAX_RESULTS]]
        fails = sum(1 for r in results if r["result"] == "fail")
        out[(kind, ns)] = {
            "apiVersion": f"{GROUP}/v1alpha2", "kind": kind, "metadata": meta,
            "summary": {"pass": 0, "fail": fails, "warn": 0, "error": 0,
                        "skip": len(results) - fails},
            "results": results,
        }
        if len(found) > MAX_RESULTS:
            meta["annotations"] = {"kubeward.io/truncated":
                                   f"{len(found) - MAX_RESULTS} more results not listed"}
    return out


def _content(obj: dict) -> list:
    return [{k: v for k, v in r.items() if k != "timestamp"} for r in obj["results"]]


class ReportWriter:
    """Writes reports through the API; remembers what it wrote."""

    def __init__(self, client: Client, log):
        self.client = client
        self.log = log
        self.written: dict[tuple, list] = {}
        self._res = None
        self._warned = False

    def _resources(self):
        if self._res is None:
            served = self.client.resources()
            self._res = {"PolicyReport": served.get((GROUP, "PolicyReport")),
                         "ClusterPolicyReport": served.get((GROUP, "ClusterPolicyReport"))}
        return self._res

    def write(self, report, uid_of=None) -> int:
        """Create or update every report whose results changed; returns the
        number of objects written."""
        res = self._resources()
        if not res["PolicyReport"] or not res["ClusterPolicyReport"]:
            if not self._warned:
                self._warned = True
                self.log("the PolicyReport CRDs (wgpolicyk8s.io/v1alpha2) are not installed; "
                         "not writing policy reports")
            return 0
        objs = build(report, uid_of, namespaces=[ns for (_k, ns) in self.written])
        n = 0
        for (kind, ns), obj in objs.items():
            content = _content(obj)
            if self.written.get((kind, ns)) == content:
                continue
            r = res[kind]
            try:
                self._upsert(r, ns, obj)
            except ApiError as e:
                self.log(f"cannot write {kind} {(ns + '/') if ns else ''}"
                         f"{obj['metadata']['name']}: {e.status} {e.reason}: {e.message}")
                continue
            self.written[(kind, ns)] = content
            n += 1
        return n

    def _upsert(self, r, ns, obj) -> None:
        name = obj["metadata"]["name"]
        try:
            self.client.send_json("POST", r.path(ns), obj)
            return
        except ApiError as e:
            if e.status != 409:
                raise
        for _ in range(3):  # update on conflict with a fresh resourceVersion
            cur = self.client.get_json(r.path(ns, name))
            obj["metadata"]["resourceVersion"] = (cur.get("metadata") or {}).get("resourceVersion")
            try:
                self.client.send_json("PUT", r.path(ns, name), obj)
                return
            except ApiError as e:
                if e.status != 409:
                    raise
        raise ApiError(409, "Conflict", "the report kept changing under us")
