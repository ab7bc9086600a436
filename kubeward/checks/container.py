"""Container hardening beyond the Pod Security Standards (CTR001..).

A problem the Pod Security Standards describe is reported by the PSS check
alone (capabilities not dropped, root, privilege escalation, seccomp, added
capabilities); the retired CTR ids of those twins are aliases of the PSS
checks (``kubeward.checks.aliases``). Severities follow the rubric in
``kubeward/data/severity.yaml`` (docs/severity.md).

Effective values follow Kubernetes: pod-level ``securityContext`` fields
(runAsUser, runAsGroup, runAsNonRoot, seccompProfile, appArmorProfile) are
inherited by containers that do not set them. Checks of Linux-only fields
skip pods with ``spec.os.name: windows``. Findings for a value set at pod
level are reported once, at the pod-level field, naming every container
that inherits it.
"""

from __future__ import annotations

from typing import Any, Iterator

from kubeward.checks.base import Check, Edit, Finding, FixSafety, Severity
from kubeward.model.objects import ContainerView, K8sObject

_PROFILE_OK = frozenset({"RuntimeDefault", "Localhost"})
_APPARMOR_ANN = "container.apparmor.security.beta.kubernetes.io/"


def _cap(name: Any) -> str:
    text = str(name).strip().upper()
    return text[4:] if text.startswith("CAP_") else text


def _yaml(v: Any) -> str:
    """A value as YAML writes it (true/false, not True/False)."""
    return str(v).lower() if isinstance(v, bool) else repr(v)


def _is_int(v: Any) -> bool:
    return type(v) is int


def _names(names: list[str]) -> str:
    return ("container " if len(names) == 1 else "containers ") + ", ".join(
        repr(n) for n in names)


class ContainerCheck(Check):
    """Template of a per-container check. Like every check, it yields
    findings (``check``); subclasses implement ``check_container`` (one
    container: findings about the container's own fields) and ``check_pod``
    (the pod spec: for example a pod-level field that containers inherit,
    reported once, naming the containers that inherit it; see
    ``inherited``)."""

    workloads_only = True
    linux_only: bool = True
    #: container lists looked at
    lists: tuple[str, ...] = ("initContainers", "containers", "ephemeralContainers")

    def check(self, obj: K8sObject, ctx) -> Iterator[Finding]:
        pod = obj.pod
        if self.linux_only and pod.os_name == "windows":
            return
        for c in pod.containers:
            if c.list_name in self.lists:
                yield from self.check_container(obj, c, ctx)
        yield from self.check_pod(obj, ctx)

    def containers(self, obj: K8sObject) -> list[ContainerView]:
        return [c for c in obj.pod.containers if c.list_name in self.lists]

    def inherited(self, obj: K8sObject, field: str) -> tuple[Any, tuple, list[str]]:
        """(value, path, names): the pod-level ``securityContext.<field>``
        and the containers that inherit it (set none themselves); names is
        empty when the pod does not set the field or no container inherits
        it."""
        psc = obj.pod.security_context
        value = psc.get(field)
        if value is None:
            return None, (), []
        names = [c.name for c in self.containers(obj)
                 if c.security_context.get(field) is None]
        return value, obj.pod.sc_path + (field,), names

    def check_container(self, obj: K8sObject, c: ContainerView, ctx) -> Iterator[Finding]:
        return iter(())

    def check_pod(self, obj: K8sObject, ctx) -> Iterator[Finding]:
        return iter(())


class ReadOnlyRootFilesystem(ContainerCheck):
    """
    ## What it does
    Reports containers whose `securityContext.readOnlyRootFilesystem` is not `true`.

    ## Why is this bad?
    A writable root filesystem lets an attacker who gets code execution drop
    tools, modify binaries or configuration and persist inside the container.
    An immutable filesystem, with `emptyDir` volumes for the few paths that need
    writes (such as `/tmp`), removes that foothold.

    ## Example
    ```yaml
    containers:
      - name: app
        image: registry.example.com/app:1.2.3
    ```

    ## Use instead
    ```yaml
    containers:
      - name: app
        image: registry.example.com/app:1.2.3
        securityContext:
          readOnlyRootFilesystem: true
        volumeMounts:
          - name: tmp
            mountPath: /tmp
    ```

    ## Fix safety
    Unsafe: sets `readOnlyRootFilesystem: true`; an application that writes
    outside its mounted volumes fails until writable paths are given volumes.
    """

    id = "CTR001"
    name = "Root filesystem is writable"
    severity = Severity.LOW
    frameworks = {"nsa": ("pod-security/immutable-fs",)}
    fix_safety = FixSafety.UNSAFE
    remediation = ("Set securityContext.readOnlyRootFilesystem: true and mount emptyDir "
                   "volumes where the application writes.")

    def check_container(self, obj, c, ctx):
        v = c.security_context.get("readOnlyRootFilesystem")
        if v is not True:
            what = "is not set" if v is None else f"is {_yaml(v)}"
            path = c.sc_path + ("readOnlyRootFilesystem",)
            yield self.finding(obj, path, f"container {c.name!r}: securityContext."
                               f"readOnlyRootFilesystem {what}", value=v,
                               edits=[Edit("set", path, True)])


class RootGroup(ContainerCheck):
    """
    ## What it does
    Reports an effective `runAsGroup: 0`, and a pod `fsGroup: 0` or
    `supplementalGroups` containing `0`.

    ## Why is this bad?
    GID 0 gives the process the root group's access to host files reachable
    through mounts and to group-writable files in the image, which is enough
    for several escape paths even when the UID is not 0.

    ## Example
    ```yaml
    securityContext:
      runAsUser: 10001
      runAsGroup: 0
    ```

    ## Use instead
    ```yaml
    securityContext:
      runAsUser: 10001
      runAsGroup: 10001
    ```

    ## Fix safety
    No automatic fix: the right group depends on file ownership in the image.
    """

    id = "CTR005"
    name = "Runs with root group"
    severity = Severity.MEDIUM
    frameworks = {"nsa": ("pod-security/non-root",)}
    remediation = "Use a non-zero runAsGroup, fsGroup and supplementalGroups."

    def check_container(self, obj, c, ctx):
        gid = c.security_context.get("runAsGroup")
        if _is_int(gid) and gid == 0:
            yield self.finding(obj, c.sc_path + ("runAsGroup",),
                               f"container {c.name!r}: runAsGroup is 0 (root group)", value=0)

    def check_pod(self, obj, ctx):
        gid, path, names = self.inherited(obj, "runAsGroup")
        if names and _is_int(gid) and gid == 0:
            yield self.finding(obj, path, f"{_names(names)}: runAsGroup is 0 (root group, "
                               "set for the pod)", value=0)
        psc = obj.pod.security_context
        if _is_int(psc.get("fsGroup")) and psc["fsGroup"] == 0:
            yield self.finding(obj, obj.pod.sc_path + ("fsGroup",),
                               "pod volumes are owned by the root group (fsGroup: 0)", value=0)
        groups = psc.get("supplementalGroups")
        if isinstance(groups, list):
            for i, g in enumerate(groups):
                if _is_int(g) and g == 0:
                    yield self.finding(obj, obj.pod.sc_path + ("supplementalGroups", i),
                                       "pod processes get the root group (supplementalGroups "
                                       "contains 0)", value=0)


class RunAsGroupUnset(ContainerCheck):
    """
    ## What it does
    Reports containers with no effective `runAsGroup`. Off by default: most
    images set a sensible primary group, so this is noisy.

    ## Why is this bad?
    Without `runAsGroup` the primary GID comes from the image and is often 0,
    which gives the process root-group access to files on mounted volumes.

    ## Example
    ```yaml
    securityContext:
      runAsUser: 10001
    ```

    ## Use instead
    ```yaml
    securityContext:
      runAsUser: 10001
      runAsGroup: 10001
    ```

    ## Fix safety
    No automatic fix: the right group depends on file ownership in the image.
    """

    id = "CTR006"
    name = "runAsGroup not set"
    severity = Severity.LOW
    default_enabled = False
    frameworks = {"nsa": ("pod-security/non-root",)}
    remediation = "Set securityContext.runAsGroup to a non-zero GID (at pod or container level)."

    def check_container(self, obj, c, ctx):
        gid, _ = c.effective("runAsGroup")
        if gid is None:
            yield self.finding(obj, c.sc_path + ("runAsGroup",),
                               f"container {c.name!r}: no runAsGroup (missing "
                               "securityContext.runAsGroup)")


class _LowIdCheck(ContainerCheck):
    """Template: an effective UID/GID in (0, minimum)."""

    field: str = ""
    label: str = ""
    options = {"minimum": 10000}

    def _low(self, v: Any, ctx) -> int | None:
        minimum = ctx.option(self.id, "minimum", self.options["minimum"])
        return minimum if _is_int(v) and 0 < v < minimum else None

    def check_container(self, obj, c, ctx):
        v = c.security_context.get(self.field)
        if (minimum := self._low(v, ctx)) is not None:
            yield self.finding(obj, c.sc_path + (self.field,), f"container {c.name!r}: low "
                               f"{self.label} ({self.field}: {v} < {minimum})", value=v)

    def check_pod(self, obj, ctx):
        v, path, names = self.inherited(obj, self.field)
        if names and (minimum := self._low(v, ctx)) is not None:
            yield self.finding(obj, path, f"{_names(names)}: low {self.label} ({self.field}: "
                               f"{v} < {minimum}, set for the pod)", value=v)


class LowUid(_LowIdCheck):
    """
    ## What it does
    Reports an effective `runAsUser` between 1 and 9999 (option `minimum`,
    default 10000). Off by default: many images use UIDs such as 1000 or 65534.

    ## Why is this bad?
    Low UIDs are in the range of host system and user accounts. After an
    escape, or through a shared host mount, the process acts with the rights
    of that host account.

    ## Example
    ```yaml
    securityContext:
      runAsUser: 1000
    ```

    ## Use instead
    ```yaml
    securityContext:
      runAsUser: 10001
    ```

    ## Fix safety
    No automatic fix: file ownership in the image must match the UID.
    """

    id = "CTR007"
    name = "Low UID"
    severity = Severity.LOW
    default_enabled = False
    field = "runAsUser"
    label = "UID"
    frameworks = {"nsa": ("pod-security/non-root",)}
    remediation = "Use a runAsUser of 10000 or more."


class LowGid(_LowIdCheck):
    """
    ## What it does
    Reports an effective `runAsGroup` between 1 and 9999 (option `minimum`,
    default 10000). Off by default, like CTR007.

    ## Why is this bad?
    Low GIDs collide with host system groups (such as `disk`, `docker` or
    `adm`); a shared host mount or an escape then grants that group's access.

    ## Example
    ```yaml
    securityContext:
      runAsGroup: 999
    ```

    ## Use instead
    ```yaml
    securityContext:
      runAsGroup: 10001
    ```

    ## Fix safety
    No automatic fix: file ownership in the image must match the GID.
    """

    id = "CTR008"
    name = "Low GID"
    severity = Severity.LOW
    default_enabled = False
    field = "runAsGroup"
    label = "GID"
    frameworks = {"nsa": ("pod-security/non-root",)}
    remediation = "Use a runAsGroup of 10000 or more."


class NoSecurityContext(ContainerCheck):
    """
    ## What it does
    Reports containers that have no `securityContext` (or an empty one) in a
    pod that has none either. Off by default: the specific checks (PSS014,
    PSS015, PSS017, PSS018) already report each missing setting; enable it
    (or use `--framework cis`) to track CIS 5.7.3 on its own.

    ## Why is this bad?
    With no security context at all every setting is the runtime default:
    the image's user (usually root), privilege escalation allowed, the default
    capability set and no seccomp filter. It usually means nobody reviewed the
    workload's privileges.

    ## Example
    ```yaml
    spec:
      containers:
        - name: app
          image: registry.example.com/app:1.2.3
    ```

    ## Use instead
    ```yaml
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: app
          image: registry.example.com/app:1.2.3
          securityContext:
            allowPrivilegeEscalation: false
            capabilities:
              drop: ["ALL"]
    ```

    ## Fix safety
    No automatic fix; the specific checks (PSS014, PSS015, PSS017, PSS018)
    carry their own fixes.
    """

    id = "CTR009"
    name = "No security context"
    severity = Severity.LOW
    default_enabled = False
    linux_only = False
    frameworks = {"cis": ("5.7.3",), "nsa": ("pod-security/enforcement",)}
    remediation = "Give the pod and its containers a securityContext."

    def check_container(self, obj, c, ctx):
        if obj.pod.security_context or c.security_context:
            return
        yield self.finding(obj, c.path + ("securityContext",),
                           f"container {c.name!r}: no securityContext on the container or "
                           "its pod")


class AppArmorNotSet(ContainerCheck):
    """
    ## What it does
    Reports containers with no AppArmor profile at all: no
    `appArmorProfile` (container or pod) and no
    `container.apparmor.security.beta.kubernetes.io/<name>` annotation. A
    profile that disables AppArmor (`Unconfined`) is PSS006's finding. Off by default: AppArmor exists only
    on some node distributions, and runtimes apply their default profile there.

    ## Why is this bad?
    An explicit AppArmor profile limits file, mount and capability use inside
    the container; without one, nodes that do not default to a profile run the
    container unconfined.

    ## Example
    ```yaml
    containers:
      - name: app
        image: registry.example.com/app:1.2.3
    ```

    ## Use instead
    ```yaml
    containers:
      - name: app
        image: registry.example.com/app:1.2.3
        securityContext:
          appArmorProfile:
            type: RuntimeDefault
    ```

    ## Fix safety
    No automatic fix: nodes without AppArmor reject pods that demand a profile.
    """

    id = "CTR011"
    name = "AppArmor profile not set"
    severity = Severity.LOW
    default_enabled = False
    frameworks = {"nsa": ("pod-security/hardening",)}
    remediation = "Set securityContext.appArmorProfile.type: RuntimeDefault."

    def check_container(self, obj, c, ctx):
        if obj.pod.annotations.get(_APPARMOR_ANN + c.name) is not None:
            return  # a profile chosen by annotation; a bad one is PSS006's finding
        prof, _ = c.effective("appArmorProfile")
        if prof is None:
            yield self.finding(obj, c.sc_path + ("appArmorProfile",),
                               f"container {c.name!r}: no AppArmor profile (missing "
                               "securityContext.appArmorProfile)")


class PrivilegedPort(ContainerCheck):
    """
    ## What it does
    Reports `containerPort` values below 1024.

    ## Why is this bad?
    Binding a port below 1024 needs root or `NET_BIND_SERVICE` on runtimes that
    keep the kernel default `net.ipv4.ip_unprivileged_port_start`, so such
    ports usually mean the process runs as root or keeps a capability it would
    not need on a high port. The Service can still expose port 80 with
    `targetPort: 8080`. Reported whatever the user, because the image (not the
    manifest) decides what actually binds the port.

    ## Example
    ```yaml
    ports:
      - containerPort: 80
    ```

    ## Use instead
    ```yaml
    ports:
      - containerPort: 8080
    ```

    ## Fix safety
    No automatic fix: the application must listen on the new port.
    """

    id = "CTR012"
    name = "Privileged container port"
    severity = Severity.LOW
    linux_only = False
    frameworks = {"nsa": ("pod-security/non-root",)}
    remediation = "Listen on a port >= 1024 and map it in the Service (targetPort)."

    def check_container(self, obj, c, ctx):
        ports = c.spec.get("ports")
        if not isinstance(ports, list):
            return
        for i, p in enumerate(ports):
            if isinstance(p, dict) and _is_int(p.get("containerPort")) and 0 < p["containerPort"] < 1024:
                yield self.finding(obj, c.path + ("ports", i, "containerPort"),
                                   f"container {c.name!r}: privileged port "
                                   f"{p['containerPort']}", value=p["containerPort"])


class NetRawNotDropped(ContainerCheck):
    """
    ## What it does
    Reports containers that drop neither `NET_RAW` nor `ALL`. Off by default:
    PSS018 (drop ALL) already covers it; enable it (or use `--framework cis`)
    to track CIS 5.2.8 on its own.

    ## Why is this bad?
    `NET_RAW` is in the runtime's default set and allows crafting raw packets:
    ARP and DNS spoofing of neighbouring pods, and it was the prerequisite of
    several kernel exploits.

    ## Example
    ```yaml
    securityContext:
      capabilities:
        drop: ["MKNOD"]
    ```

    ## Use instead
    ```yaml
    securityContext:
      capabilities:
        drop: ["ALL"]
    ```

    ## Fix safety
    Safe: appends `NET_RAW` to `capabilities.drop`; only tools such as `ping`
    that craft raw packets need it.
    """

    id = "CTR015"
    name = "NET_RAW not dropped"
    severity = Severity.LOW
    default_enabled = False
    frameworks = {"cis": ("5.2.8",), "nsa": ("pod-security/enforcement",)}
    fix_safety = FixSafety.SAFE
    remediation = 'Add "NET_RAW" (or "ALL") to securityContext.capabilities.drop.'

    def check_container(self, obj, c, ctx):
        caps = c.security_context.get("capabilities")
        drop = caps.get("drop") if isinstance(caps, dict) else None
        if isinstance(drop, list) and any(_cap(d) in ("ALL", "NET_RAW") for d in drop):
            return
        path = c.sc_path + ("capabilities", "drop")
        edits = [Edit("append", path, "NET_RAW")] if drop is None or isinstance(drop, list) else []
        yield self.finding(obj, path, f"container {c.name!r}: NET_RAW kept (capabilities.drop "
                           'lacks "NET_RAW" or "ALL")', value=drop, edits=edits)


class SharedProcessNamespace(ContainerCheck):
    """
    ## What it does
    Reports pods with `shareProcessNamespace: true`.

    ## Why is this bad?
    Every container of the pod then sees, signals and (with the same UID or
    `SYS_PTRACE`) reads the memory and `/proc/<pid>/root` filesystem of the
    others, so a compromised sidecar reaches the secrets of the main
    container.

    ## Example
    ```yaml
    spec:
      shareProcessNamespace: true
    ```

    ## Use instead
    ```yaml
    spec:
      shareProcessNamespace: false
    ```

    ## Fix safety
    No automatic fix: debugging or sidecar designs may rely on it.
    """

    id = "CTR016"
    name = "Process namespace shared between containers"
    severity = Severity.LOW
    linux_only = False
    frameworks = {"nsa": ("pod-security/hardening",)}
    remediation = "Remove spec.shareProcessNamespace unless a container must see the others."

    def check_pod(self, obj, ctx):
        if obj.pod.spec.get("shareProcessNamespace") is True:
            yield self.finding(obj, obj.pod.path + ("shareProcessNamespace",),
                               "containers of the pod share one process namespace", value=True)


class HostUsers(ContainerCheck):
    """
    ## What it does
    Reports pods that do not set `hostUsers: false`, so their containers run
    in the host's user namespace. Only for target Kubernetes versions 1.33
    and later (where user namespaces are enabled by default), and not for
    pods that use host namespaces or hostPath volumes, which cannot use
    them. Off by default: it needs node support (Linux 6.3+, a recent
    runtime) and changes file ownership on volumes.

    ## Why is this bad?
    In the host user namespace UID 0 in the container is UID 0 on the node.
    With `hostUsers: false` container UIDs map to unprivileged host UIDs, so
    most container escapes land as a nobody user.

    ## Example
    ```yaml
    spec:
      containers:
        - name: app
          image: registry.example.com/app:1.2.3
    ```

    ## Use instead
    ```yaml
    spec:
      hostUsers: false
      containers:
        - name: app
          image: registry.example.com/app:1.2.3
    ```

    ## Fix safety
    Unsafe: sets `hostUsers: false`; nodes without user-namespace support
    refuse the pod, and files on volumes appear owned by other IDs.
    """

    id = "CTR017"
    name = "Pod not in a user namespace"
    severity = Severity.LOW
    default_enabled = False
    frameworks = {"nsa": ("pod-security/non-root",)}
    fix_safety = FixSafety.UNSAFE
    remediation = "Set spec.hostUsers: false (Kubernetes 1.33+ with node support)."

    def check_pod(self, obj, ctx):
        if ctx.k8s_version < (1, 33):
            return
        spec = obj.pod.spec
        if spec.get("hostUsers") is False:
            return
        if any(spec.get(k) is True for k in ("hostNetwork", "hostPID", "hostIPC")):
            return
        if any(isinstance(v.get("hostPath"), dict) for _, v in obj.pod.volumes):
            return
        path = obj.pod.path + ("hostUsers",)
        what = "hostUsers is true" if "hostUsers" in spec else "hostUsers is not set"
        yield self.finding(obj, path, f"{obj.kind} {obj.name!r} runs in the host user "
                                       f"namespace ({what})", value=spec.get("hostUsers"),
                           edits=[Edit("set", path, False)])
