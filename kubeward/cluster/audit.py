"""What to read from a cluster, and reading it.

:data:`BASE_KINDS` is the fixed part of what ``kubeward audit`` reads, in an
owner-first order (CronJob before Job, Deployment before ReplicaSet before
Pod) so that owned objects can be collapsed onto their owner as they are
read. Kinds named by the selected checks (``Check.kinds``) are added.
Secrets are never read: no check needs their values and the least-privilege
role of ``kubeward audit manifests`` does not grant them.

No silent gap: a resource that could not be read (forbidden, failed, its
API group's discovery failed, its list cut off) and list items that are not
objects are errors in the report (exit 2), and a note says the
cross-resource checks saw an incomplete view.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kubeward.cluster.client import ApiError, Client, Resource
from kubeward.cluster.convert import clean, controller_uid, to_object
from kubeward.findings import LoadError
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
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
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


def unresolved(client: Client, kinds) -> list[tuple[str, str, str]]:
    """(group, kind, why) for kinds that cannot be known to be absent: their
    group's discovery failed (call after :func:`resolve`)."""
    failed = getattr(client, "discovery_errors", {}) or {}
    served = client.resources()
    out = []
    for group, kind in kinds:
        if group is not None and group in failed and (group, kind) not in served:
            out.append((group, kind, failed[group]))
    return out


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
    #: resource -> number of list items that were not objects (skipped)
    malformed: dict = field(default_factory=dict)

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
    #: (what, why) of everything that was not read: resources and kinds
    unread: list = field(default_factory=list)
    source: str = "cluster"

    def errors(self) -> list[LoadError]:
        """One error per resource or kind not read, and per resource with
        malformed list items: the report must not look complete."""
        out = [LoadError(f"cluster:{self.source}", f"{what} not read: {why}", kind="cluster")
               for what, why in self.unread]
        for res, n in self.state.malformed.items():
            out.append(LoadError(f"cluster:{self.source}", f"{res.display()}: {n} list "
                                 f"item{'s' if n != 1 else ''} not an object with a name; "
                                 "skipped", kind="cluster"))
        return out

    def incomplete_note(self) -> str | None:
        if not self.unread and not self.state.malformed:
            return None
        what = [w for w, _ in self.unread] + [r.display() for r in self.state.malformed]
        return ("the audit's view is incomplete (not read: " + ", ".join(what) + "); "
                "cross-resource checks (network reachability, RBAC, references) judged "
                "without them")


def list_into(client: Client, res: Resource, namespace: str | None, state: State,
              page_size: int | None = None) -> tuple[str, set]:
    """List ``res`` into ``state``; return (resourceVersion, keys read)."""
    rv, seen = "", set()
    kw = {"page_size": page_size} if page_size else {}
    for items, page_rv in client.list_pages(res, namespace if res.namespaced else None, **kw):
        rv = page_rv or rv
        for raw in items:
            meta = raw.get("metadata")
            if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
                state.malformed[res] = state.malformed.get(res, 0) + 1
                continue
            try:
                seen.add(state.upsert(res, raw)[0])
            except (AttributeError, TypeError, ValueError, KeyError):
                state.malformed[res] = state.malformed.get(res, 0) + 1
    return rv, seen


def collect(client: Client, resources: list[Resource], namespace: str | None = None,
            page_size: int | None = None) -> Snapshot:
    """Read every resource (403 and other per-resource failures become
    warnings; losing the cluster raises ClusterError)."""
    state = State()
    versions: dict[Resource, str] = {}
    warnings: list[str] = []
    skipped: list[Resource] = []
    unread: list = []
    for res in resources:
        try:
            versions[res], _ = list_into(client, res, namespace, state, page_size)
        except ApiError as e:
            skipped.append(res)
            why = f"{e.status} {e.reason}: {e.message}" if e.status else e.message
            unread.append((res.display(), why))
            if e.status == 403:
                warnings.append(f"cannot list {res.display()} (403 Forbidden); the audit goes "
                                f"on without them: {e.message}")
            elif e.status:
                warnings.append(f"cannot list {res.display()} ({e.status} {e.reason}); the audit "
                                f"goes on without them: {e.message}")
            else:
                warnings.append(f"cannot list {res.display()}; the audit goes on without "
                                f"them: {e.message}")
    return Snapshot(state, resources, versions, warnings, skipped, unread,
                    getattr(client, "host", "cluster"))


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
    kinds = needed_kinds([type(c) for c in checks] or None)
    resources = resolve(client, kinds)
    snap = collect(client, resources, namespace, page_size)
    _read_policy_params(client, snap, namespace, page_size)
    for group, kind, why in unresolved(client, kinds):
        what = f"{kind} ({group or 'core'} API group)"
        snap.unread.append((what, f"discovery failed: {why}"))
        snap.warnings.append(f"cannot discover {what}; the audit goes on without them: {why}")
    # references can be judged missing only when everything was read
    options.complete = namespace is None and not snap.skipped and not snap.unread \
        and not snap.state.malformed
    return snap


def _read_policy_params(client: Client, snap: Snapshot, namespace: str | None,
                        page_size: int | None) -> None:
    """Also read the param kinds (``spec.paramKind``) of the cluster's
    ValidatingAdmissionPolicies, so that their bindings find their params."""
    wanted = set()
    for e in snap.state.entries.values():
        if e.obj is not None and e.obj.kind == "ValidatingAdmissionPolicy":
            pk = (e.obj.raw.get("spec") or {}).get("paramKind")
            if isinstance(pk, dict) and isinstance(pk.get("kind"), str):
                group = str(pk.get("apiVersion") or "").rpartition("/")[0]
                if pk["kind"] not in NEVER_READ:
                    wanted.add((group, pk["kind"]))
    for res in resolve(client, sorted(wanted)):
        if res in snap.resources:
            continue
        snap.resources.append(res)
        try:
            snap.versions[res], _ = list_into(client, res, namespace, snap.state, page_size)
        except ApiError as e:
            snap.skipped.append(res)
            snap.warnings.append(f"cannot list {res.display()} ({e.status} {e.reason}), the "
                                 f"params of a ValidatingAdmissionPolicy: {e.message}")


def audit_once(client: Client, options, namespace: str | None = None,
               page_size: int | None = None, extra_objects=()):
    """One-off audit: (Report, Snapshot). ``extra_objects`` (for example
    ValidatingAdmissionPolicies not yet in the cluster) are evaluated with
    the cluster's objects; findings on them are reported too."""
    from kubeward.engine import Report, scan_objects

    snap = snapshot(client, options, namespace, page_size)
    objects = snap.state.visible() + list(extra_objects)
    report = scan_objects(objects, options, Report(errors=snap.errors()))
    note = snap.incomplete_note()
    if note:
        report.notes.append(note)
    keep = in_scope(namespace)
    if namespace is not None:
        report.findings = [f for f in report.findings if keep(f.object)]
        report.suppressed = [f for f in report.suppressed if keep(f.object)]
    return report, snap
