"""Object wrappers.

``K8sObject`` wraps one Kubernetes object (a document, or an item of a
``*List``). It knows its file, document index and path inside the document,
and answers "which line is this field path on?" from the loader's position
table. ``obj.pod`` is the pod spec of any workload (built-in kinds by their
known path, custom resources by shape), found once when the object is made.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from kubeward.paths import Path

# Where the pod spec lives, for kinds whose layout is known.
_POD_PATHS: dict[str, Path] = {
    "Pod": ("spec",),
    "PodTemplate": ("template", "spec"),
    "Deployment": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
WORKLOAD_KINDS = frozenset(_POD_PATHS)

# Kinds that never hold a pod spec of their own even if a nested field is
# called "containers" (their schemas describe pods, they do not run them).
_NO_POD = frozenset({
    "CustomResourceDefinition", "ConfigMap", "Secret", "Service", "List",
    "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy", "ClusterPolicy", "Policy", "ConstraintTemplate",
})

# Shapes that hold a pod template in custom resources (Argo Rollout, Knative
# Service, OpenShift DeploymentConfig, KEDA ScaledJob, Argo CronWorkflow-like
# job templates). Tried in order; the first mapping with a containers list wins.
_SHAPE_PATHS: tuple[Path, ...] = (
    ("spec", "template", "spec"),
    ("spec", "jobTemplate", "spec", "template", "spec"),
    ("spec", "jobTargetRef", "template", "spec"),
    ("spec", "jobTemplate", "template", "spec"),
    ("spec", "podTemplate", "spec"),
    ("spec", "template", "template", "spec"),
    ("template", "spec"),
)

CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")

# Container security fields a container-level value overrides, as
# Kubernetes' DetermineEffectiveSecurityContext does.
INHERITED_FIELDS = frozenset({
    "runAsUser", "runAsGroup", "runAsNonRoot", "seLinuxOptions", "seccompProfile",
    "appArmorProfile",
})


@dataclass(slots=True)
class Source:
    file: str
    doc_index: int
    doc_line: int
    positions: dict
    doc_path: Path = ()  # path of the object inside its document (List items)
    line: int = 0  # where the object starts (0: the document's first line)
    column: int = 1


class ContainerView:
    """One container (regular, init or ephemeral) of a pod spec."""

    __slots__ = ("pod", "list_name", "index", "path", "spec", "name", "security_context")

    def __init__(self, pod: "PodView", list_name: str, index: int, spec: dict):
        self.pod = pod
        self.list_name = list_name
        self.index = index
        self.path: Path = pod.path + (list_name, index)
        self.spec = spec
        self.name = spec.get("name") or f"{list_name}[{index}]"
        sc = spec.get("securityContext")
        self.security_context: dict = sc if isinstance(sc, dict) else {}

    @property
    def sc_path(self) -> Path:
        return self.path + ("securityContext",)

    def effective(self, field: str) -> tuple[Any, Path | None]:
        """(value, path where it is set) after pod-level inheritance; for
        fields Kubernetes does not inherit, only the container's own."""
        sc = self.security_context
        if field in sc and sc[field] is not None:
            return sc[field], self.sc_path + (field,)
        if field in INHERITED_FIELDS:
            psc = self.pod.security_context
            if field in psc and psc[field] is not None:
                return psc[field], self.pod.sc_path + (field,)
        if field == "windowsOptions":
            psc = self.pod.security_context
            if psc.get("windowsOptions") is not None:
                return psc["windowsOptions"], self.pod.sc_path + ("windowsOptions",)
        return None, None

    def effective_windows_option(self, key: str) -> tuple[Any, Path | None]:
        """windowsOptions are merged field by field between pod and container."""
        wo = self.security_context.get("windowsOptions")
        if isinstance(wo, dict) and wo.get(key) is not None:
            return wo[key], self.sc_path + ("windowsOptions", key)
        pwo = self.pod.security_context.get("windowsOptions")
        if isinstance(pwo, dict) and pwo.get(key) is not None:
            return pwo[key], self.pod.sc_path + ("windowsOptions", key)
        return None, None


class PodView:
    """The pod spec inside any workload, with its metadata (for annotations)."""

    __slots__ = ("path", "spec", "metadata_path", "metadata", "security_context", "_containers")

    def __init__(self, path: Path, spec: dict, metadata_path: Path, metadata: dict):
        self.path = path
        self.spec = spec
        self.metadata_path = metadata_path
        self.metadata = metadata if isinstance(metadata, dict) else {}
        sc = spec.get("securityContext")
        self.security_context: dict = sc if isinstance(sc, dict) else {}
        self._containers: list[ContainerView] | None = None

    @property
    def sc_path(self) -> Path:
        return self.path + ("securityContext",)

    @property
    def annotations(self) -> dict:
        a = self.metadata.get("annotations")
        return a if isinstance(a, dict) else {}

    @property
    def annotations_path(self) -> Path:
        return self.metadata_path + ("annotations",)

    @property
    def containers(self) -> list[ContainerView]:
        """All containers: init, regular and ephemeral, in that order."""
        if self._containers is None:
            out = []
            for list_name in CONTAINER_LISTS:
                items = self.spec.get(list_name)
                if isinstance(items, list):
                    out.extend(ContainerView(self, list_name, i, c)
                               for i, c in enumerate(items) if isinstance(c, dict))
            self._containers = out
        return self._containers

    @property
    def volumes(self) -> list[tuple[Path, dict]]:
        vols = self.spec.get("volumes")
        if not isinstance(vols, list):
            return []
        base = self.path + ("volumes",)
        return [(base + (i,), v) for i, v in enumerate(vols) if isinstance(v, dict)]

    @property
    def os_name(self) -> str | None:
        os_ = self.spec.get("os")
        return os_.get("name") if isinstance(os_, dict) else None


def _builtin_group(api_version: str) -> bool:
    group = api_version.rpartition("/")[0]
    return "." not in group or group.endswith(".k8s.io")


def _find_pod(raw: dict, kind: str, api_version: str) -> PodView | None:
    path = _POD_PATHS.get(kind) if _builtin_group(api_version) else None
    if path is None and kind in _NO_POD and _builtin_group(api_version):
        return None
    candidates = (path,) if path is not None else _SHAPE_PATHS
    for cand in candidates:
        cur: Any = raw
        for part in cand:
            cur = cur.get(part) if isinstance(cur, dict) else None
            if cur is None:
                break
        if not isinstance(cur, dict):
            continue
        if path is None and not isinstance(cur.get("containers"), list):
            continue  # custom resources: only by shape
        meta_path = ("metadata",) if kind == "Pod" else cand[:-1] + ("metadata",)
        meta: Any = raw
        for part in meta_path:
            meta = meta.get(part) if isinstance(meta, dict) else None
        return PodView(cand, cur, meta_path, meta if isinstance(meta, dict) else {})
    return None


def _containers(raw: Any) -> list:
    """Every mapping and list of ``raw``, each once, in a fixed walk order
    (breadth first)."""
    out = [raw]
    seen = {id(raw)}
    i = 0
    while i < len(out):
        v = out[i]
        i += 1
        for x in (v.values() if isinstance(v, dict) else v):
            c = x.__class__
            if (c is dict or c is list) and id(x) not in seen:
                seen.add(id(x))
                out.append(x)
    return out


class K8sObject:
    """One Kubernetes object with its source location."""

    __slots__ = ("raw", "api_version", "kind", "name", "namespace", "source", "pod",
                 "invalid", "_ref", "__weakref__")

    def __init__(self, raw: dict, source: Source):
        self.raw = raw
        self.api_version: str = str(raw.get("apiVersion") or "")
        self.kind: str = str(raw.get("kind") or "")
        meta = raw.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        name = meta.get("name") or meta.get("generateName") or ""
        self.name: str = str(name)
        ns = meta.get("namespace")
        self.namespace: str | None = str(ns) if ns else None
        self.source = source
        self.pod: PodView | None = _find_pod(raw, self.kind, self.api_version)
        #: paths of wrong-typed fields, reported as load errors and read as
        #: unset (see ``model.validate.blank_invalid``)
        self.invalid: tuple[Path, ...] = ()
        self._ref = None

    # -- pickling (``--jobs`` workers send their objects back) ---------------
    # The position tables are keyed by the id() of each mapping and list of
    # ``raw``, which unpickling does not keep: they travel in the order of a
    # walk of ``raw`` and are keyed again by the new ids.
    def __getstate__(self):
        state = {k: getattr(self, k) for k in self.__slots__[:-1]}
        positions = self.source.positions
        state["source"] = replace(self.source, positions={})
        state["tables"] = [positions.get(id(c)) for c in _containers(self.raw)]
        return state

    def __setstate__(self, state):
        tables = state.pop("tables")
        for k, v in state.items():
            object.__setattr__(self, k, v)
        self.source.positions = {id(c): t for c, t in zip(_containers(self.raw), tables)
                                 if t is not None}

    # -- metadata helpers -------------------------------------------------
    @property
    def metadata(self) -> dict:
        m = self.raw.get("metadata")
        return m if isinstance(m, dict) else {}

    @property
    def annotations(self) -> dict:
        a = self.metadata.get("annotations")
        return a if isinstance(a, dict) else {}

    @property
    def labels(self) -> dict:
        a = self.metadata.get("labels")
        return a if isinstance(a, dict) else {}

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0] if "/" in self.api_version else ""

    def ref(self):
        """The object's identity for findings (immutable, so shared by all
        of them; rebuilt if the identity fields were changed)."""
        r = self._ref
        if r is None or r.name != self.name or r.kind != self.kind \
                or r.namespace != self.namespace or r.api_version != self.api_version:
            from kubeward.findings import ObjectRef
            r = self._ref = ObjectRef(self.api_version, self.kind, self.name, self.namespace)
        return r

    # -- locations ---------------------------------------------------------
    def locate(self, path: Path) -> tuple[int, int, bool]:
        """(line, column, exact) of ``path``; where the field is missing, the
        nearest existing parent (exact=False)."""
        source = self.source
        positions = source.positions
        line = source.line or source.doc_line
        col = source.column
        cur: Any = self.raw
        for part in path:
            table = positions.get(id(cur))
            if table is None:
                return line, col, False
            if part.__class__ is str:
                if isinstance(cur, dict) and part in cur and part in table:
                    line, col = table[part]
                    cur = cur[part]
                    continue
            elif isinstance(part, int):
                if isinstance(cur, list) and 0 <= part < len(cur) and part < len(table):
                    line, col = table[part]
                    cur = cur[part]
                    continue
            elif isinstance(cur, dict) and part in cur and part in table:
                line, col = table[part]
                cur = cur[part]
                continue
            return line, col, False
        return line, col, True

    def __repr__(self) -> str:
        return f"<K8sObject {self.kind} {self.namespace or ''}/{self.name} {self.source.file}>"

