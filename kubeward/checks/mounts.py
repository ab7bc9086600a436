"""Dangerous volume mounts (MNT005..), and the classification of host paths.

A hostPath volume is one problem with one finding: PSS004's, whose severity
and message come from the class of the path (:func:`classify`). The former
per-class checks MNT001 (container runtime socket), MNT002 (host root),
MNT003 (sensitive host directory) and MNT004 (host credentials) are aliases
of PSS004 (``kubeward.checks.aliases``). Severities follow the rubric in
``kubeward/data/severity.yaml``.

hostPath paths are normalised before matching: ``..`` and ``.`` segments,
repeated and trailing slashes are resolved (``/var/run/../run/`` is
``/run``), and ``/var/run`` is treated as ``/run`` (a symlink on every
current distribution). A path gets the most severe matching class, in
this order: host root, container runtime socket, credentials, sensitive
host directory. A path matches a class when it is one of the class's
paths, an ancestor of one (mounting ``/var/lib`` exposes
``/var/lib/kubelet``), or, where noted, below one.
"""

from __future__ import annotations

import posixpath
import re
from kubeward.checks.base import Check, Edit, FixSafety, Severity
from kubeward.model.objects import K8sObject

ROOT, RUNTIME, CREDENTIALS, SENSITIVE = "root", "runtime", "credentials", "sensitive"

# Container runtime API sockets and the directories holding them.
RUNTIME_PATHS = (
    "/run/docker.sock", "/run/docker", "/run/containerd/containerd.sock", "/run/containerd",
    "/run/crio/crio.sock", "/run/crio", "/run/cri-dockerd.sock", "/run/dockershim.sock",
    "/run/k3s/containerd/containerd.sock", "/run/k3s/containerd", "/run/podman/podman.sock",
    "/run/podman",
)
RUNTIME_SOCKET_NAMES = frozenset({
    "docker.sock", "containerd.sock", "crio.sock", "cri-dockerd.sock", "dockershim.sock",
    "podman.sock",
})
# Cluster and cloud credentials (matched at the path or below it).
CREDENTIAL_PATHS = (
    "/etc/kubernetes", "/var/lib/kubelet/pki", "/var/lib/kubelet/kubeconfig",
    "/var/lib/etcd", "/etc/rancher", "/var/lib/rancher/k3s/server", "/var/lib/cloud",
    "/var/lib/waagent", "/etc/ssh", "/etc/shadow", "/etc/gshadow", "/root/.aws",
    "/root/.kube", "/root/.docker", "/root/.ssh", "/root/.azure", "/root/.config/gcloud",
)
_HOME_CREDENTIALS = re.compile(r"/home/[^/]+/\.(?:aws|kube|docker|ssh|azure|config/gcloud)(?:/|\Z)")
# Host directories that give control of the node (matched at the path or an ancestor).
SENSITIVE_DIRS = (
    "/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/home", "/usr", "/bin", "/sbin",
    "/lib", "/var/lib/kubelet", "/var/lib/docker", "/var/lib/containerd",
    "/var/lib/containers",
)
# ... and those that stay sensitive below them too.
SENSITIVE_TREES = (
    "/proc", "/root", "/home", "/boot", "/var/lib/kubelet", "/var/lib/containerd",
    "/var/lib/containers", "/sys/kernel", "/sys/firmware", "/dev/mem", "/dev/kmem", "/dev/port",
)

LABELS = {
    ROOT: "the host root filesystem",
    RUNTIME: "a container runtime socket",
    CREDENTIALS: "host credentials",
    SENSITIVE: "a sensitive host directory",
}


def normalise(path: object) -> str | None:
    """Normalised absolute host path, or None for non-absolute/odd values."""
    if not isinstance(path, str) or not path.startswith("/"):
        return None
    p = posixpath.normpath(path)
    if p.startswith("//"):
        p = "/" + p.lstrip("/")
    if p == "/var/run" or p.startswith("/var/run/"):
        p = "/run" + p[len("/var/run"):]
    return p


def _under(p: str, base: str) -> bool:
    return p == base or p.startswith(base + "/")


def _ancestor_or_equal(p: str, target: str) -> bool:
    return p == "/" or target == p or target.startswith(p + "/")


_class_cache: dict[str, str | None] = {}


def classify(path: str) -> str | None:
    """The most severe class of a normalised host path (cached)."""
    if path in _class_cache:
        return _class_cache[path]
    if path == "/":
        got = ROOT
    elif (any(_ancestor_or_equal(path, s) or _under(path, s) for s in RUNTIME_PATHS)
          or posixpath.basename(path) in RUNTIME_SOCKET_NAMES):
        got = RUNTIME
    elif any(_under(path, c) for c in CREDENTIAL_PATHS) or _HOME_CREDENTIALS.match(path):
        got = CREDENTIALS
    elif (any(_ancestor_or_equal(path, s) for s in SENSITIVE_DIRS)
          or any(_under(path, s) for s in SENSITIVE_TREES)):
        got = SENSITIVE
    else:
        got = None
    if len(_class_cache) < 10000:
        _class_cache[path] = got
    return got


def mounts_of(obj: K8sObject) -> dict[str, list]:
    """volume name -> [(container, mount index, mount)] over every container."""
    out: dict[str, list] = {}
    for c in obj.pod.containers:
        mounts = c.spec.get("volumeMounts")
        if not isinstance(mounts, list):
            continue
        for i, m in enumerate(mounts):
            if isinstance(m, dict) and isinstance(m.get("name"), str):
                out.setdefault(m["name"], []).append((c, i, m))
    return out


def _host_path_volumes(obj: K8sObject):
    for path, vol in obj.pod.volumes:
        hp = vol.get("hostPath")
        if isinstance(hp, dict):
            yield path, vol, hp


class WritableHostPath(Check):
    """
    ## What it does
    Reports volume mounts of hostPath volumes that are not `readOnly: true`.

    ## Why is this bad?
    A writable host directory lets a compromised container plant files the
    node (or other pods) will execute or trust: cron jobs, systemd units,
    binaries, kubelet static pod manifests, or symlinks abused by
    host-side tools. It is a persistence and escape path.

    ## Example
    ```yaml
    volumeMounts:
      - name: logs
        mountPath: /host/logs
    ```

    ## Use instead
    ```yaml
    volumeMounts:
      - name: logs
        mountPath: /host/logs
        readOnly: true
    ```

    ## Fix safety
    Unsafe: sets `readOnly: true`; agents that write to the host path (log
    position files, CSI drivers) fail.
    """

    id = "MNT005"
    name = "Writable hostPath mount"
    severity = Severity.MEDIUM
    workloads_only = True
    frameworks = {"cis": ("5.2.12",), "nsa": ("pod-security/enforcement",),
                  "mitre": ("MS-TA9013",)}
    fix_safety = FixSafety.UNSAFE
    remediation = "Set readOnly: true on the volume mount, or avoid the hostPath volume."

    def check(self, obj, ctx):
        host = {vol.get("name"): hp.get("path") for _, vol, hp in _host_path_volumes(obj)}
        if not host:
            return
        for c in obj.pod.containers:
            mounts = c.spec.get("volumeMounts")
            if not isinstance(mounts, list):
                continue
            for i, m in enumerate(mounts):
                if not isinstance(m, dict) or m.get("name") not in host or m.get("readOnly") is True:
                    continue
                mpath = c.path + ("volumeMounts", i)
                yield self.finding(obj, mpath + ("readOnly",),
                                   f"container {c.name!r} mounts hostPath {host[m['name']]!r} "
                                   f"(volume {m['name']!r}) writable (readOnly is not true)",
                                   value=m.get("readOnly"),
                                   edits=[Edit("set", mpath + ("readOnly",), True)])


class SubPathMount(Check):
    """
    ## What it does
    Reports volume mounts that use `subPath` or `subPathExpr`. Off by
    default: subPath is a common, legitimate feature; enable it for clusters
    whose kubelets may predate the fixes.

    ## Why is this bad?
    subPath resolution on the node has had repeated symlink-race escapes
    (CVE-2017-1002101, CVE-2021-25741) that let a container with write access
    to the volume reach arbitrary host files. Patched kubelets are safe, but
    the pattern keeps being a target.

    ## Example
    ```yaml
    volumeMounts:
      - name: data
        mountPath: /app/config
        subPath: config
    ```

    ## Use instead
    ```yaml
    volumeMounts:
      - name: config
        mountPath: /app/config
    ```

    ## Fix safety
    No automatic fix: the volume layout must change.
    """

    id = "MNT006"
    name = "subPath volume mount"
    severity = Severity.LOW
    default_enabled = False
    workloads_only = True
    remediation = "Mount a dedicated volume instead of a subPath of a shared one."

    def check(self, obj, ctx):
        for c in obj.pod.containers:
            mounts = c.spec.get("volumeMounts")
            if not isinstance(mounts, list):
                continue
            for i, m in enumerate(mounts):
                if not isinstance(m, dict):
                    continue
                for key in ("subPath", "subPathExpr"):
                    if m.get(key):
                        yield self.finding(obj, c.path + ("volumeMounts", i, key),
                                           f"container {c.name!r} mounts volume {m.get('name')!r} "
                                           f"with {key} {m[key]!r}", value=m[key])


class BidirectionalPropagation(Check):
    """
    ## What it does
    Reports volume mounts with `mountPropagation: Bidirectional`.

    ## Why is this bad?
    Mounts made inside the container propagate back to the host and to every
    other pod using the same host path, so the container can shadow host
    directories. Kubernetes allows it only in privileged containers; outside
    storage (CSI) node plugins it is a red flag.

    ## Example
    ```yaml
    volumeMounts:
      - name: pods
        mountPath: /var/lib/kubelet/pods
        mountPropagation: Bidirectional
    ```

    ## Use instead
    ```yaml
    volumeMounts:
      - name: pods
        mountPath: /var/lib/kubelet/pods
        mountPropagation: HostToContainer
    ```

    ## Fix safety
    No automatic fix: CSI drivers need Bidirectional to publish volumes.
    """

    id = "MNT007"
    name = "Bidirectional mount propagation"
    severity = Severity.HIGH
    workloads_only = True
    frameworks = {"nsa": ("pod-security/enforcement",), "mitre": ("MS-TA9013",)}
    remediation = "Use mountPropagation: HostToContainer or None."

    def check(self, obj, ctx):
        for c in obj.pod.containers:
            mounts = c.spec.get("volumeMounts")
            if not isinstance(mounts, list):
                continue
            for i, m in enumerate(mounts):
                if isinstance(m, dict) and m.get("mountPropagation") == "Bidirectional":
                    yield self.finding(obj, c.path + ("volumeMounts", i, "mountPropagation"),
                                       f"container {c.name!r} mounts volume {m.get('name')!r} "
                                       "with Bidirectional propagation", value="Bidirectional")
