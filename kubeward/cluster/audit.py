"""What to read from a cluster, and reading it.

:data:`BASE_KINDS` is the fixed part of what ``kubeward audit`` reads, in an
owner-first order (CronJob before Job, Deployment before ReplicaSet before
Pod) so that owned objects can be collapsed onto their owner as they are
read. Kinds named by the selected checks (``Check.kinds``) are added.
Secrets are never read: no check needs their values and the least-privilege
role of ``kubeward audit manifests`` does not grant them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kubeward.cluster.client import ApiError, Client, Resource
from kubeward.cluster.convert import clean, controller_uid, to_object
from kubeward.model import K8sObject

# (group, kind) in the order they are read.
CONTEXT_KINDS: tuple[tuple[str, str], ...] = (
    ("", "Namespace"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("", "ServiceAccount"),
    ("", "Service"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("networking.k8s.io", "Ingress"),
    ("", "LimitRange"),
    ("", "ResourceQuota"),
    ("policy", "PodDisruptionBudget"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
)
# Workloads, owners before what they own. The first three are custom
# resources of widespread controllers (Argo Rollouts, OpenShift, KEDA): read
# when the cluster serves them, their pod templates found by shape.
WORKLOAD_KINDS: tuple[tuple[str, str], ...] = (
    ("argoproj.io", "Rollout"),
    ("apps.openshift.io", "DeploymentConfig"),
    ("keda.sh", "ScaledJob"),
    ("batch", "CronJob"),
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("", "ReplicationController"),
    ("apps", "ReplicaSet"),
    ("batch", "Job"),
    ("", "Pod"),
)
BASE_KINDS = CONTEXT_KINDS + WORKLOAD_KINDS

# Groups of other built-in kinds a check may name.
KNOWN_GROUPS: dict[str, str] = {
    "ConfigMap": "", "Endpoints": "", "PersistentVolume": "", "PersistentVolumeClaim": "",
    "Node": "", "PodTemplate": "", "Event": "",
    "HorizontalPodAutoscaler": "autoscaling", "IngressClass": "networking.k8s.io",
    "StorageClass": "storage.k8s.io", "CustomResourceDefinition": "apiextensions.k8s.io",
    "PriorityClass": "scheduling.k8s.io", "RuntimeClass": "node.k8s.io",
    "ValidatingAdmissionPolicy": "admissionregistration.k8s.io",
    "ValidatingAdmissionPolicyBinding": "admissionregistration.k8s.io",
    **{k: g for g, k in BASE_KINDS},
}
NEVER_READ = frozenset({"Secret"})
# Kinds that can own workloads (their uids are remembered for collapsing).
OWNER_KINDS = frozenset(k for _, k in WORKLOAD_KINDS) - {"Pod"}


def needed_kinds(checks=None) -> list[tuple[str, str]]:
    """(group, kind) to read: the base list plus kinds named by ``checks``
    (check classes or instances; default: every registered check), context
    kinds first, workloads last in owner order. Kinds whose group is not
    known statically come back with group ``None`` (resolved by discovery)."""
    if checks is None:
        from kubeward.checks.base import registry
        checks = list(registry().values())
    named: set[str] = set()
    for c in checks:
        if c.kinds:
            named.update(c.kinds)
    extra = sorted(k for k in named - NEVER_READ if k not in {kk for _, kk in BASE_KINDS})
    return [*CONTEXT_KINDS, *((KNOWN_GROUPS.get(k), k) for k in extra), *WORKLOAD_KINDS]


def resolve(client: Client, kinds) -> list[Resource]:
    """The served resources for ``kinds``, in the same order; kinds the
    cluster does not serve, or that cannot be listed, are left out."""
    served = client.resources()
    by_kind: dict[str, list[Resource]] = {}
    for (_g, k), r in served.items():
        by_kind.setdefault(k, []).append(r)
    out: list[Resource] = []
    for group, kind in kinds:
        if group is not None:
            r = served.get((group, kind))
        else:
            cands = sorted(by_kind.get(kind, []), key=lambda r: (r.group != "", r.group))
            r = cands[0] if cands else None
        if r is not None and (not r.verbs or "list" in r.verbs) and r not in out:
            out.append(r)
    return out


@dataclass
class Entry:
    uid: str
    owner: str | None
    obj: K8sObject | None  # None: collapsed onto its owner when read


@dataclass
class State:
    """Every object read, by (resource, namespace, name). Objects whose
    controlling owner was read are kept as uids only."""

    entries: dict[tuple, Entry] = field(default_factory=dict)
    uids: dict[str, tuple] = field(default_factory=dict)
    owner_uids: set = field(default_factory=set)

    @staticmethod
    def key(res: Resource, raw: dict) -> tuple:
        meta = raw.get("metadata") or {}
        return (res.group, res.kind, meta.get("namespace"), meta.get("name"))

    def upsert(self, res: Resource, raw: dict) -> tuple[tuple, bool]:
        """Add or replace an object; returns (key, changed). ``changed`` is
        False when nothing the checks see moved (a status update, an owned
        Pod that stays collapsed): the entry, and so its cached findings,
        are kept."""
        key = self.key(res, raw)
        meta = raw.get("metadata") or {}
        uid = str(meta.get("uid") or "")
        owner = controller_uid(raw)
        old = self.entries.get(key)
        if old is not None and old.uid and old.uid != uid:
            self.uids.pop(old.uid, None)
        if owner is not None and owner in self.owner_uids:
            obj = None
        else:
            raw["apiVersion"], raw["kind"] = res.api_version, res.kind
            raw = clean(raw)
            if (old is not None and old.obj is not None and old.uid == uid
                    and old.owner == owner and old.obj.raw == raw):
                return key, False
            obj = to_object(raw)
        if (obj is None and old is not None and old.obj is None and old.uid == uid
                and old.owner == owner):
            return key, False
        self.entries[key] = Entry(uid, owner, obj)
        if uid:
            self.uids[uid] = key
            if res.kind in OWNER_KINDS:
                self.owner_uids.add(uid)
        return key, True

    def remove(self, res: Resource, raw: dict) -> tuple | None:
        key = self.key(res, raw)
        e = self.entries.pop(key, None)
        if e is not None and e.uid:
            self.uids.pop(e.uid, None)
            self.owner_uids.discard(e.uid)
        return key if e is not None else None

    def keys_of(self, res: Resource) -> set:
        return {k for k in self.entries if k[0] == res.group and k[1] == res.kind}

    def fork(self, res: Resource) -> "State":
        """A State holding this one's objects of ``res`` and a copy of its uid
        tables: list ``res`` into it without holding a lock, then hand it to
        :meth:`replace_resource`. Unchanged objects keep their entry (and so
        their cached findings)."""
        fresh = State()
        fresh.owner_uids = set(self.owner_uids)
        fresh.uids = dict(self.uids)
        fresh.entries = {k: self.entries[k] for k in self.keys_of(res)}
        return fresh

    def replace_resource(self, res: Resource, fresh: "State", seen: set) -> None:
        """Every object of ``res`` becomes what a fresh list read: the
        entries of ``fresh`` (see :meth:`fork`) under the keys ``seen``;
        objects of ``res`` not in ``seen`` are gone, with their uids."""
        for key in self.keys_of(res) - seen:
            e = self.entries.pop(key)
            if e.uid:
                self.uids.pop(e.uid, None)
                self.owner_uids.discard(e.uid)
        for key in seen:
            e = fresh.entries[key]
            self.entries[key] = e
            if e.uid:
                self.uids[e.uid] = key
                if e.uid in fresh.owner_uids:
                    self.owner_uids.add(e.uid)

    def visible(self) -> list[K8sObject]:
        """Objects to check: read in full, and not owned by another object
        that is present."""
        return [e.obj for e in self.entries.values()
                if e.obj is not None and (e.owner is None or e.owner not in self.uids)]

    def uid_lookup(self):
        """A function (kind, namespace, name) -> uid over the current state."""
        index = {(k, ns, n): e.uid for (_g, k, ns, n), e in self.entries.items() if e.uid}
        return lambda kind, namespace, name: index.get((kind, namespace, name))


@dataclass
class Snapshot:
    state: State
    resources: list[Resource]
    versions: dict[Resource, str]  # list resourceVersion per resource (to start watches)
    warnings: list[str]
    skipped: list[Resource]  # forbidden or failed


def list_into(client: Client, res: Resource, namespace: str | None, state: State,
              page_size: int | None = None) -> tuple[str, set]:
    """List ``res`` into ``state``; return (resourceVersion, keys read)."""
    rv, seen = "", set()
    kw = {"page_size": page_size} if page_size else {}
    for items, page_rv in client.list_pages(res, namespace if res.namespaced else None, **kw):
        rv = page_rv or rv
        for raw in items:
            seen.add(state.upsert(res, raw)[0])
    return rv, seen


def collect(client: Client, resources: list[Resource], namespace: str | None = None,
            page_size: int | None = None) -> Snapshot:
    """Read every resource (403 and other per-resource failures become
    warnings; losing the cluster raises ClusterError)."""
    state = State()
    versions: dict[Resource, str] = {}
    warnings: list[str] = []
    skipped: list[Resource] = []
    for res in resources:
        try:
            versions[res], _ = list_into(client, res, namespace, state, page_size)
        except ApiError as e:
            skipped.append(res)
            if e.status == 403:
                warnings.append(f"cannot list {res.display()} (403 Forbidden); the audit goes "
                                f"on without them: {e.message}")
            else:
                warnings.append(f"cannot list {res.display()} ({e.status} {e.reason}); the audit "
                                f"goes on without them: {e.message}")
    return Snapshot(state, resources, versions, warnings, skipped)


def in_scope(namespace: str | None):
    """Filter for findings of a namespaced audit: objects of the namespace
    and the Namespace object itself."""
    if namespace is None:
        return lambda ref: True
    return lambda ref: ref.namespace == namespace or (ref.kind == "Namespace"
                                                      and ref.name == namespace)


def snapshot(client: Client, options, namespace: str | None = None,
             page_size: int | None = None) -> Snapshot:
    """Read what the selected checks need (sets ``options.complete``)."""
    from kubeward.engine import select_checks

    checks = select_checks(options)
    resources = resolve(client, needed_kinds([type(c) for c in checks] or None))
    snap = collect(client, resources, namespace, page_size)
    # references can be judged missing only when everything was read
    options.complete = namespace is None and not snap.skipped
    return snap


def audit_once(client: Client, options, namespace: str | None = None,
               page_size: int | None = None):
    """One-off audit: (Report, Snapshot)."""
    from kubeward.engine import Report, scan_objects

    snap = snapshot(client, options, namespace, page_size)
    objects = snap.state.visible()
    report = scan_objects(objects, options, Report())
    keep = in_scope(namespace)
    if namespace is not None:
        report.findings = [f for f in report.findings if keep(f.object)]
        report.suppressed = [f for f in report.suppressed if keep(f.object)]
    return report, snap
