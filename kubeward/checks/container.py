"""Container hardening beyond the Pod Security Standards (CTR001..).

Severity rubric (the same in every kubeward check module):
  critical: direct host or cluster takeover; high: container escape or
  credential exposure likely; medium: weakens defence in depth; low:
  hardening / best practice; info: hygiene.

Effective values follow Kubernetes: pod-level ``securityContext`` fields
(runAsUser, runAsGroup, runAsNonRoot, seccompProfile, appArmorProfile) are
inherited by containers that do not set them. Checks of Linux-only fields
skip pods with ``spec.os.name: windows``. Findings for a value set at pod
level are reported once, at the pod-level field, naming every container
that inherits it.
"""

from __future__ import annotations

from typing import Any, Iterator

from kubeward.checks.base import Check, Edit, FixSafety, Severity
from kubeward.model.objects import ContainerView, K8sObject

# Capabilities that hand a container a direct route out of its sandbox
# (kernel modules, mounts, ptrace of host processes, raw devices, BPF, ...).
DANGEROUS_CAPS = frozenset({
    "ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO", "SYS_BOOT",
    "DAC_READ_SEARCH", "NET_ADMIN", "BPF", "PERFMON", "MAC_ADMIN", "MAC_OVERRIDE",
})

_SECCOMP_OK = frozenset({"RuntimeDefault", "Localhost"})
_LEGACY_SECCOMP_POD = "seccomp.security.alpha.kubernetes.io/pod"
_LEGACY_SECCOMP_CTR = "container.seccomp.security.alpha.kubernetes.io/"
_APPARMOR_ANN = "container.apparmor.security.beta.kubernetes.io/"


def _cap(name: Any) -> str:
    text = str(name).strip().upper()
    return text[4:] if text.startswith("CAP_") else text


def _yaml(v: Any) -> str:
    """A value as YAML writes it (true/false, not True/False)."""
    return str(v).lower() if isinstance(v, bool) else repr(v)


def _is_int(v: Any) -> bool:
    return type(v) is int


def sc_parent(c: ContainerView) -> tuple:
    """The container's securityContext path when it exists, else the container."""
    return c.sc_path if isinstance(c.spec.get("securityContext"), dict) else c.path


def field_or_parent(c: ContainerView, name: str) -> tuple:
    """Path of a container-level securityContext field, or its nearest existing parent."""
    if name in c.security_context:
        return c.sc_path + (name,)
    return sc_parent(c)


def _legacy_seccomp_ok(value: Any) -> bool:
    return isinstance(value, str) and (value in ("runtime/default", "docker/default")
                                       or value.startswith("localhost/"))


class ContainerCheck(Check):
    """Template: a per-container test. Subclasses implement ``check_container``
    and yield (path, container name, message, value, edits) tuples; tuples that
    share a path (a pod-level field inherited by several containers) are merged
    into one finding naming every container."""

    workloads_only = True
    linux_only: bool = True
    #: container lists looked at
    lists: tuple[str, ...] = ("initContainers", "containers", "ephemeralContainers")

    def check(self, obj: K8sObject, ctx) -> Iterator:
        pod = obj.pod
        if self.linux_only and pod.os_name == "windows":
            return
        merged: dict[tuple, list] = {}
        order: list[tuple] = []
        for c in pod.containers:
            if c.list_name not in self.lists:
                continue
            for path, message, value, edits in self.check_container(obj, c, ctx):
                path = tuple(path)
                if path not in merged:
                    merged[path] = [message, value, list(edits), [c.name]]
                    order.append(path)
                else:
                    merged[path][3].append(c.name)
                    merged[path][2].extend(e for e in edits if e not in merged[path][2])
        for path in order:
            message, value, edits, names = merged[path]
            if len(names) > 1:
                message = message.replace(f"container {names[0]!r}:",
                                          "containers " + ", ".join(repr(n) for n in names) + ":")
            yield self.finding(obj, path, message, value=value, edits=edits)
        yield from self.check_pod(obj, ctx)

    def check_container(self, obj: K8sObject, c: ContainerView, ctx) -> Iterator:
        return iter(())

    def check_pod(self, obj: K8sObject, ctx) -> Iterator:
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
    severity = Severity.MEDIUM
    frameworks = {"nsa": ("pod-security/immutable-fs",)}
    fix_safety = FixSafety.UNSAFE
    remediation = ("Set securityContext.readOnlyRootFilesystem: true and mount emptyDir "
                   "volumes where the application writes.")

    def check_container(self, obj, c, ctx):
        v = c.security_context.get("readOnlyRootFilesystem")
        if v is not True:
            what = "is not set" if v is None else f"is {_yaml(v)}"
            yield (field_or_parent(c, "readOnlyRootFilesystem"),
                   f"container {c.name!r}: securityContext.readOnlyRootFilesystem {what}",
                   v, [Edit("set", c.sc_path + ("readOnlyRootFilesystem",), True)])


class CapabilitiesNotDropped(ContainerCheck):
    """
    ## What it does
    Reports containers that do not drop every Linux capability with
    `securityContext.capabilities.drop: ["ALL"]`.

    ## Why is this bad?
    Container runtimes grant a default set of capabilities (such as `NET_RAW`,
    `CHOWN`, `SETUID`, `DAC_OVERRIDE`) that few applications need and that
    widen the kernel attack surface reachable from a compromised process.
    Dropping `ALL` and adding back only what is needed is the least-privilege
    baseline. (PSS restricted requires the same; this general hardening check
    also covers pods that do not target the restricted level.)

    ## Example
    ```yaml
    securityContext:
      capabilities:
        drop: ["NET_RAW"]
    ```

    ## Use instead
    ```yaml
    securityContext:
      capabilities:
        drop: ["ALL"]
        add: ["NET_BIND_SERVICE"]
    ```

    ## Fix safety
    Safe: appends `ALL` to `capabilities.drop` and keeps explicitly added
    capabilities, which the runtime grants after dropping.
    """

    id = "CTR002"
    name = "Capabilities not dropped"
    severity = Severity.MEDIUM
    frameworks = {"cis": ("5.2.10",), "nsa": ("pod-security/enforcement",)}
    fix_safety = FixSafety.SAFE
    remediation = 'Add securityContext.capabilities.drop: ["ALL"] and add back only what is needed.'

    def check_container(self, obj, c, ctx):
        caps = c.security_context.get("capabilities")
        drop = caps.get("drop") if isinstance(caps, dict) else None
        if isinstance(drop, list) and any(_cap(d) == "ALL" for d in drop):
            return
        if isinstance(caps, dict) and "drop" in caps:
            path = c.sc_path + ("capabilities", "drop")
        elif isinstance(caps, dict):
            path = c.sc_path + ("capabilities",)
        else:
            path = field_or_parent(c, "capabilities")
        edits = ([Edit("append", c.sc_path + ("capabilities", "drop"), "ALL")]
                 if drop is None or isinstance(drop, list) else [])
        yield (path, f'container {c.name!r}: capabilities not all dropped '
                     f'(securityContext.capabilities.drop lacks "ALL")', drop, edits)


class RunAsUserRoot(ContainerCheck):
    """
    ## What it does
    Reports containers whose effective `runAsUser` (container value, or the
    pod's when the container sets none) is `0`.

    ## Why is this bad?
    UID 0 in the container is UID 0 on the host kernel unless user namespaces
    are in use. Any container escape, writable host mount or kernel bug is then
    exploited as root.

    ## Example
    ```yaml
    securityContext:
      runAsUser: 0
    ```

    ## Use instead
    ```yaml
    securityContext:
      runAsUser: 10001
      runAsNonRoot: true
    ```

    ## Fix safety
    Unsafe: sets the UID to 10001; files owned by root in the image may no
    longer be readable or writable.
    """

    id = "CTR003"
    name = "Runs as UID 0"
    severity = Severity.MEDIUM
    frameworks = {"cis": ("5.2.7",), "nsa": ("pod-security/non-root",)}
    fix_safety = FixSafety.UNSAFE
    remediation = "Run as a non-root UID (runAsUser >= 10000) and set runAsNonRoot: true."

    def check_container(self, obj, c, ctx):
        uid, path = c.effective("runAsUser")
        if _is_int(uid) and uid == 0:
            yield (path, f"container {c.name!r}: runAsUser is 0 (root)", 0,
                   [Edit("set", path, 10001)])


class MayRunAsRoot(ContainerCheck):
    """
    ## What it does
    Reports containers that neither set `runAsNonRoot: true` nor a `runAsUser`
    (at container or pod level), so the user comes from the image, which is
    root for most images.

    ## Why is this bad?
    Without `runAsNonRoot: true` the kubelet starts the container as whatever
    user the image declares; a rebuilt or replaced image can silently start
    running as root.

    ## Example
    ```yaml
    containers:
      - name: app
        image: registry.example.com/app:1.2.3
    ```

    ## Use instead
    ```yaml
    securityContext:
      runAsNonRoot: true
      runAsUser: 10001
    ```

    ## Fix safety
    Unsafe: sets `runAsNonRoot: true` and `runAsUser: 10001`; an image that
    needs root or owns its files as another UID may fail to start.
    """

    id = "CTR004"
    name = "Container may run as root"
    severity = Severity.MEDIUM
    frameworks = {"cis": ("5.2.7",), "nsa": ("pod-security/non-root",)}
    fix_safety = FixSafety.UNSAFE
    remediation = "Set securityContext.runAsNonRoot: true and a non-root runAsUser."

    def check_container(self, obj, c, ctx):
        nonroot, npath = c.effective("runAsNonRoot")
        uid, _ = c.effective("runAsUser")
        if nonroot is True or uid is not None:
            return
        path = npath if npath is not None else sc_parent(c)
        why = "runAsNonRoot is false" if nonroot is False else "runAsNonRoot is not set"
        # fix where runAsNonRoot is set (pod or container), else on the container
        base = npath[:-1] if npath is not None else c.sc_path
        yield (path, f"container {c.name!r}: may run as root ({why} and no runAsUser is set)",
               nonroot, [Edit("set", base + ("runAsNonRoot",), True),
                         Edit("set", base + ("runAsUser",), 10001)])


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
        gid, path = c.effective("runAsGroup")
        if _is_int(gid) and gid == 0:
            yield (path, f"container {c.name!r}: runAsGroup is 0 (root group)", 0, [])

    def check_pod(self, obj, ctx):
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
            yield (sc_parent(c), f"container {c.name!r}: no runAsGroup (missing "
                                 "securityContext.runAsGroup)", None, [])


class _LowIdCheck(ContainerCheck):
    """Template: an effective UID/GID in (0, minimum)."""

    field: str = ""
    label: str = ""
    options = {"minimum": 10000}

    def check_container(self, obj, c, ctx):
        minimum = ctx.option(self.id, "minimum", self.options["minimum"])
        v, path = c.effective(self.field)
        if _is_int(v) and 0 < v < minimum:
            yield (path, f"container {c.name!r}: low {self.label} "
                         f"({self.field}: {v} < {minimum})", v, [])


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
    pod that has none either. Off by default: the specific checks (CTR002,
    CTR004, CTR010, CTR013) already report each missing setting; enable it
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
    No automatic fix; the specific checks (CTR002, CTR004, CTR010, CTR013)
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
        yield (field_or_parent(c, "securityContext"),
               f"container {c.name!r}: no securityContext on the container or its pod", None, [])


class SeccompNotSet(ContainerCheck):
    """
    ## What it does
    Reports containers whose effective seccomp profile (container, else pod) is
    not `RuntimeDefault` or `Localhost`. For target versions before 1.27 the
    legacy `seccomp.security.alpha.kubernetes.io/pod` and
    `container.seccomp.security.alpha.kubernetes.io/<name>` annotations count too.

    ## Why is this bad?
    Kubernetes runs containers `Unconfined` unless a profile is set (or the
    kubelet's `--seccomp-default` is on), exposing every system call, including
    those used by most kernel privilege-escalation exploits.

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
        seccompProfile:
          type: RuntimeDefault
    ```

    ## Fix safety
    Safe: sets `seccompProfile.type: RuntimeDefault`, which only blocks system
    calls that conventional workloads do not make.
    """

    id = "CTR010"
    name = "Seccomp profile not set"
    severity = Severity.MEDIUM
    frameworks = {"cis": ("5.7.2",), "nsa": ("pod-security/hardening",)}
    fix_safety = FixSafety.SAFE
    remediation = "Set securityContext.seccompProfile.type: RuntimeDefault (pod or container)."

    def check_container(self, obj, c, ctx):
        prof, path = c.effective("seccompProfile")
        ptype = prof.get("type") if isinstance(prof, dict) else None
        if ptype in _SECCOMP_OK:
            return
        if prof is None and ctx.k8s_version < (1, 27):
            ann = obj.pod.annotations
            if _legacy_seccomp_ok(ann.get(_LEGACY_SECCOMP_CTR + c.name)) or (
                    _LEGACY_SECCOMP_CTR + c.name not in ann
                    and _legacy_seccomp_ok(ann.get(_LEGACY_SECCOMP_POD))):
                return
        if path is not None:
            target = path + ("type",)
            where = target if isinstance(prof, dict) and "type" in prof else path
            yield (where, f"container {c.name!r}: seccomp profile is {ptype!r} (not "
                          "RuntimeDefault or Localhost)", ptype, [Edit("set", target, "RuntimeDefault")])
        else:
            yield (sc_parent(c), f"container {c.name!r}: no seccomp profile (missing "
                                 "securityContext.seccompProfile)", None,
                   [Edit("set", c.sc_path + ("seccompProfile", "type"), "RuntimeDefault")])


class AppArmorNotSet(ContainerCheck):
    """
    ## What it does
    Reports containers with no effective AppArmor profile: neither
    `appArmorProfile.type` `RuntimeDefault`/`Localhost` (container or pod) nor
    a `container.apparmor.security.beta.kubernetes.io/<name>` annotation of
    `runtime/default` or `localhost/...`. Off by default: AppArmor exists only
    on some node distributions, and runtimes apply their default profile there.

    ## Why is this bad?
    An explicit AppArmor profile limits file, mount and capability use inside
    the container; without one, nodes that do not default to a profile run the
    container unconfined.

    ## Example
    ```yaml
    securityContext:
      appArmorProfile:
        type: Unconfined
    ```

    ## Use instead
    ```yaml
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
        key = _APPARMOR_ANN + c.name
        ann = obj.pod.annotations.get(key)
        prof, path = c.effective("appArmorProfile")
        ptype = prof.get("type") if isinstance(prof, dict) else None
        if ptype in _SECCOMP_OK:
            return
        if ann is not None and prof is None:
            if isinstance(ann, str) and (ann == "runtime/default" or ann.startswith("localhost/")):
                return
            yield (obj.pod.annotations_path + (key,),
                   f"container {c.name!r}: AppArmor annotation is {ann!r}", ann, [])
        elif path is not None:
            yield (path, f"container {c.name!r}: AppArmor profile is {ptype!r}", ptype, [])
        else:
            yield (sc_parent(c), f"container {c.name!r}: no AppArmor profile (missing "
                                 "securityContext.appArmorProfile)", None, [])


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
                yield (c.path + ("ports", i, "containerPort"),
                       f"container {c.name!r}: privileged port {p['containerPort']}",
                       p["containerPort"], [])


class AllowPrivilegeEscalation(ContainerCheck):
    """
    ## What it does
    Reports containers whose `securityContext.allowPrivilegeEscalation` is not
    `false` (it defaults to true).

    ## Why is this bad?
    Without `no_new_privs`, setuid/setgid binaries and file capabilities in the
    image let a process gain more privileges than it started with, including
    root.

    ## Example
    ```yaml
    securityContext:
      runAsNonRoot: true
    ```

    ## Use instead
    ```yaml
    securityContext:
      runAsNonRoot: true
      allowPrivilegeEscalation: false
    ```

    ## Fix safety
    Safe: sets `allowPrivilegeEscalation: false`; only setuid programs (such
    as `sudo`), which conventional workloads do not use, stop working.
    """

    id = "CTR013"
    name = "Privilege escalation allowed"
    severity = Severity.MEDIUM
    frameworks = {"cis": ("5.2.6",), "nsa": ("pod-security/enforcement",)}
    fix_safety = FixSafety.SAFE
    remediation = "Set securityContext.allowPrivilegeEscalation: false."

    def check_container(self, obj, c, ctx):
        v = c.security_context.get("allowPrivilegeEscalation")
        if v is False:
            return
        what = "is not set" if v is None else f"is {_yaml(v)}"
        yield (field_or_parent(c, "allowPrivilegeEscalation"),
               f"container {c.name!r}: securityContext.allowPrivilegeEscalation {what}", v,
               [Edit("set", c.sc_path + ("allowPrivilegeEscalation",), False)])


class DangerousCapability(ContainerCheck):
    """
    ## What it does
    Reports capabilities in `securityContext.capabilities.add` that allow
    breaking out of the container: `ALL`, `SYS_ADMIN`, `SYS_MODULE`,
    `SYS_PTRACE`, `SYS_RAWIO`, `SYS_BOOT`, `DAC_READ_SEARCH`, `NET_ADMIN`,
    `BPF`, `PERFMON`, `MAC_ADMIN`, `MAC_OVERRIDE`. (Capabilities that harm
    the node without an escape path, such as `SYS_TIME`, are left to the Pod
    Security Standards checks.)

    ## Why is this bad?
    These capabilities give access to mounts, kernel modules, other processes'
    memory, raw devices or the host's network and security configuration;
    each has known container-escape techniques.

    ## Example
    ```yaml
    securityContext:
      capabilities:
        add: ["SYS_ADMIN"]
    ```

    ## Use instead
    ```yaml
    securityContext:
      capabilities:
        drop: ["ALL"]
    ```

    ## Fix safety
    No automatic fix: removing a capability the workload uses breaks it.
    """

    id = "CTR014"
    name = "Dangerous capability added"
    severity = Severity.HIGH
    frameworks = {"cis": ("5.2.9",), "nsa": ("pod-security/enforcement",),
                  "mitre": ("MS-TA9018",)}
    remediation = "Remove the capability from capabilities.add."

    def check_container(self, obj, c, ctx):
        caps = c.security_context.get("capabilities")
        add = caps.get("add") if isinstance(caps, dict) else None
        if not isinstance(add, list):
            return
        for i, cap in enumerate(add):
            if _cap(cap) in DANGEROUS_CAPS:
                yield (c.sc_path + ("capabilities", "add", i),
                       f"container {c.name!r}: adds capability {_cap(cap)}", cap, [])


class NetRawNotDropped(ContainerCheck):
    """
    ## What it does
    Reports containers that drop neither `NET_RAW` nor `ALL`. Off by default:
    CTR002 (drop ALL) already covers it; enable it (or use `--framework cis`)
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
        if isinstance(caps, dict) and "drop" in caps:
            path = c.sc_path + ("capabilities", "drop")
        elif isinstance(caps, dict):
            path = c.sc_path + ("capabilities",)
        else:
            path = field_or_parent(c, "capabilities")
        edits = ([Edit("append", c.sc_path + ("capabilities", "drop"), "NET_RAW")]
                 if drop is None or isinstance(drop, list) else [])
        yield (path, f"container {c.name!r}: NET_RAW kept (capabilities.drop lacks "
                     '"NET_RAW" or "ALL")', drop, edits)


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
        where = path if "hostUsers" in spec else obj.pod.path
        what = "hostUsers is true" if "hostUsers" in spec else "hostUsers is not set"
        yield self.finding(obj, where, f"{obj.kind} {obj.name!r} runs in the host user "
                                       f"namespace ({what})", value=spec.get("hostUsers"),
                           edits=[Edit("set", path, False)])
