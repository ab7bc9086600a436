"""Pod Security Standards, exactly as Kubernetes' Pod Security Admission
(PSA, ``k8s.io/pod-security-admission/policy``) evaluates them, per policy
version.

One check class per PSA control; the control id (``frameworks`` value) is
the PSA check id. Every check reads ``ctx.k8s_version`` and applies the
variant PSA has in force for that policy version: versions above the newest
known one (:data:`NEWEST`) use the newest, versions below 1.0 use 1.0, like
PSA's registry clamps ``latest`` and future versions to its ``maxVersion``.
Variants are resolved once per (check, version) and cached.

Version history implemented here (PSA ``MinimumVersion`` of each variant):

====================================  =======================================
control                               variants
====================================  =======================================
seLinuxOptions                        1.0; 1.31 adds type container_engine_t
procMount                             1.0; 1.35 skips ``hostUsers: false`` pods
seccompProfile_baseline               1.0 annotations; 1.19 fields
sysctls                               1.0; 1.27; 1.29; 1.32; 1.37 (safe list grows)
hostProbesAndHostLifecycle            1.34
allowPrivilegeEscalation              1.8; 1.25 exempts ``spec.os.name: windows``
runAsNonRoot                          1.0; 1.35 skips ``hostUsers: false`` pods
runAsUser                             1.23; 1.35 skips ``hostUsers: false`` pods
seccompProfile_restricted             1.19; 1.25 exempts Windows pods
capabilities_restricted               1.22; 1.25 exempts Windows pods
procMount_restricted                  1.35
====================================  =======================================

``appArmorProfile`` (annotation and, since PSA 1.30 binaries, the field) and
``restrictedVolumes`` (``image`` allowed since 1.33 binaries) were amended in
place in their single 1.0 variant, so they apply at every policy version.

Restricted overrides. In PSA a Restricted check may *replace* a Baseline
one (``OverrideCheckIDs``): restrictedVolumes replaces hostPathVolumes,
capabilities_restricted replaces capabilities_baseline,
seccompProfile_restricted replaces seccompProfile_baseline and
procMount_restricted replaces procMount. kubeward runs every Baseline check
in the pss-restricted framework too, so each overriding check here reports
only what its Baseline counterpart does not already report (for example
capabilities_restricted does not repeat an ``add: [SYS_ADMIN]`` that
capabilities_baseline reports). The union is PSA's Restricted verdict, with
one finding per offending field. The one divergence: for Windows pods at
1.25+ PSA's Restricted profile skips the (replaced) Baseline capability and
seccomp checks; such pods are rejected by API validation anyway.

Severity rubric used here: a control whose violation gives the container
the host (privileged, host namespaces, hostPath, HostProcess, added
capabilities) is CRITICAL or HIGH; a control that switches off one kernel
isolation layer (AppArmor, SELinux, seccomp, /proc masks, unsafe sysctls,
host ports, probe hosts, privilege escalation, root) is MEDIUM; a
Restricted-only hardening that is merely *missing* (no seccomp profile, not
dropping ALL capabilities, non-core volume types) is LOW.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from kubeward.checks import mounts
from kubeward.checks.base import (Check, Context, Edit, FixSafety, Severity,
                                  describe_value)
from kubeward.paths import format_path

#: The newest PSA policy version known here; newer versions use it.
NEWEST = (1, 37)
OLDEST = (1, 0)


def policy_version(ctx: Context) -> tuple[int, int]:
    """The PSA policy version for ``ctx``, clamped to [1.0, NEWEST]."""
    v = tuple(ctx.k8s_version or NEWEST)
    if v > NEWEST:
        return NEWEST
    if v < OLDEST:
        return OLDEST
    return v  # type: ignore[return-value]


# ---------------------------------------------------------------------------
# value sets (module level, frozen)

BASELINE_CAPABILITIES = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
})
RESTRICTED_ADD_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})
#: Capabilities with known container-escape techniques (kernel modules,
#: mounts, ptrace of host processes, raw devices, BPF, ...): named in the
#: message of PSS003 (which reports every capability beyond Baseline).
ESCAPE_CAPABILITIES = frozenset({
    "ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO", "SYS_BOOT",
    "DAC_READ_SEARCH", "NET_ADMIN", "BPF", "PERFMON", "MAC_ADMIN", "MAC_OVERRIDE",
})

SELINUX_TYPES_1_0 = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
SELINUX_TYPES_1_31 = SELINUX_TYPES_1_0 | {"container_engine_t"}

SYSCTLS_1_0 = frozenset({
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start",
})
SYSCTLS_1_27 = SYSCTLS_1_0 | {"net.ipv4.ip_local_reserved_ports"}
SYSCTLS_1_29 = SYSCTLS_1_27 | {
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
}
SYSCTLS_1_32 = SYSCTLS_1_29 | {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}
SYSCTLS_1_37 = SYSCTLS_1_32 | {"net.ipv4.tcp_slow_start_after_idle",
                               "net.ipv4.tcp_notsent_lowat"}
#: (minimum version, allowed sysctls), newest first
SYSCTL_VARIANTS = (((1, 37), SYSCTLS_1_37), ((1, 32), SYSCTLS_1_32), ((1, 29), SYSCTLS_1_29),
                   ((1, 27), SYSCTLS_1_27), ((1, 0), SYSCTLS_1_0))

#: host path classes (kubeward.checks.mounts) that make a hostPath critical
CRITICAL_HOST_PATHS = frozenset({mounts.ROOT, mounts.RUNTIME})

SECCOMP_TYPES = frozenset({"RuntimeDefault", "Localhost"})
APPARMOR_TYPES = frozenset({"RuntimeDefault", "Localhost"})
APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER_ANNOTATION_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"

#: Volume sources the Restricted profile allows (``image`` since 1.33 binaries).
RESTRICTED_ALLOWED_VOLUMES = frozenset({
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
    "persistentVolumeClaim", "projected", "secret",
})
#: Every other volume source of the core API, in API order. hostPath is
#: reported by hostPathVolumes (PSS004), which both profiles include.
RESTRICTED_DENIED_VOLUMES = (
    "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi", "glusterfs",
    "rbd", "flexVolume", "cinder", "cephfs", "flocker", "fc", "azureFile", "vsphereVolume",
    "quobyte", "azureDisk", "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos",
)

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
LIFECYCLE_HANDLERS = ("postStart", "preStop")
HOST_HANDLERS = ("httpGet", "tcpSocket")
HOST_NAMESPACES = ("hostNetwork", "hostPID", "hostIPC")
#: the CIS control of each host namespace field (a control fails only
#: through findings of its own field)
HOST_NAMESPACE_CIS = {"hostPID": "5.2.3", "hostIPC": "5.2.4", "hostNetwork": "5.2.5"}

# NSA/CISA Kubernetes Hardening Guide recommendations (kubeward/data/frameworks/nsa.yaml)
NSA = ("pod-security/enforcement",)
NSA_NONROOT = ("pod-security/enforcement", "pod-security/non-root")
NSA_HARDENING = ("pod-security/enforcement", "pod-security/hardening")


# ---------------------------------------------------------------------------
# helpers

def _d(x: Any) -> dict:
    return x if isinstance(x, dict) else {}


def _l(x: Any) -> list:
    return x if isinstance(x, list) else []


def _is_zero(v: Any) -> bool:
    return type(v) is int and v == 0


def _cap(name: Any) -> str:
    text = str(name).strip().upper()
    return text[4:] if text.startswith("CAP_") else text


def _is_windows(pod) -> bool:
    return pod.os_name == "windows"


def _user_namespace(pod) -> bool:
    """PSA's relaxPolicyForUserNamespacePod: ``spec.hostUsers: false``."""
    return pod.spec.get("hostUsers") is False


def _cname(c) -> str:
    return f'container "{c.name}"' if c.list_name == "containers" else (
        f'init container "{c.name}"' if c.list_name == "initContainers"
        else f'ephemeral container "{c.name}"')


def _fmt(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    return describe_value(value)


def _rel(c, path: tuple) -> str:
    """``path`` relative to the container, for messages."""
    return format_path(path[len(c.path):]) if path[:len(c.path)] == c.path else format_path(path)


class PSSCheck(Check):
    """Template of every PSS check: workloads only; ``check`` reads the
    policy version and its variant (resolved once per version) with
    ``policy``."""

    workloads_only = True
    #: PSA check id (control id in the pss frameworks)
    control: str = ""
    #: True for Restricted-only controls
    restricted_only = False
    #: lowest policy version at which the control exists
    since: tuple[int, int] = (1, 0)

    def __init_subclass__(cls, **kw):
        if cls.__dict__.get("id") and cls.control and "frameworks" not in cls.__dict__:
            raise TypeError(f"{cls.__name__} must declare frameworks")
        super().__init_subclass__(**kw)

    @classmethod
    def pss_frameworks(cls, control: str, restricted_only: bool = False, **extra) -> dict:
        fw = {"pss-restricted": (control,)}
        if not restricted_only:
            fw = {"pss-baseline": (control,), **fw}
        fw.update(extra)
        return fw

    def policy(self, ctx: Context) -> tuple[tuple[int, int], Any] | None:
        """(policy version, variant) for ``ctx``, or None when the control
        does not exist at that version (then ``check`` reports nothing)."""
        version = policy_version(ctx)
        if version < self.since:
            return None
        return version, self.variant(version)

    @classmethod
    @lru_cache(maxsize=None)
    def variant(cls, version: tuple[int, int]) -> Any:
        """What differs by version (a value set, flags); cached per version."""
        return None


# ---------------------------------------------------------------------------
# Baseline


class HostNamespaces(PSSCheck):
    """
    ## What it does
    Reports a pod that shares a host namespace: `hostNetwork`, `hostPID` or
    `hostIPC` set to `true` (PSA control `hostNamespaces`, Baseline, all
    policy versions). One finding per field.

    ## Why is this bad?
    With the host's PID namespace a container sees and can signal (or
    ptrace) every process on the node; with its IPC namespace it can read
    shared memory of host processes; with its network namespace it can bind
    to node ports, reach services bound to localhost and sniff traffic. Each
    removes an isolation boundary between the workload and the node
    (severity high).

    ## Example
    ```yaml
    spec:
      hostPID: true
      containers:
      - name: app
        image: registry.example.com/app:1.0
    ```

    ## Use instead
    ```yaml
    spec:
      containers:
      - name: app
        image: registry.example.com/app:1.0
    ```

    ## Fix safety
    Unsafe: the fix sets the field to `false`; node agents (CNI, monitoring)
    that really need the host namespace stop working.
    """

    id = "PSS001"
    name = "Host namespaces shared"
    severity = Severity.HIGH
    control = "hostNamespaces"
    frameworks = PSSCheck.pss_frameworks(
        "hostNamespaces", cis=("5.2.3", "5.2.4", "5.2.5"), nsa=NSA)
    fix_safety = FixSafety.UNSAFE
    remediation = "Remove hostNetwork, hostPID and hostIPC or set them to false."

    def check(self, obj, ctx):
        if (policy := self.policy(ctx)) is None:
            return
        version, variant = policy
        pod = obj.pod
        for field in HOST_NAMESPACES:
            value = pod.spec.get(field)
            if value is True:
                path = pod.path + (field,)
                yield self.finding(obj, path, f"pod sets {field}: true (shares the node's "
                                   f"{field[4:].upper() if field != 'hostNetwork' else 'network'} "
                                   "namespace)", value=True, edits=[Edit("set", path, False)],
                                   frameworks={**self.frameworks,
                                               "cis": (HOST_NAMESPACE_CIS[field],)})


class Privileged(PSSCheck):
    """
    ## What it does
    Reports a container (regular, init or ephemeral) whose
    `securityContext.privileged` is `true` (PSA control `privileged`,
    Baseline, all policy versions).

    ## Why is this bad?
    A privileged container has every capability, no seccomp or AppArmor
    confinement and access to all host devices: it can mount the host's
    disks and load kernel modules, which is root on the node (severity
    critical).

    ## Example
    ```yaml
    containers:
    - name: app
      image: registry.example.com/app:1.0
      securityContext:
        privileged: true
    ```

    ## Use instead
    ```yaml
    containers:
    - name: app
      image: registry.example.com/app:1.0
      securityContext:
        privileged: false
    ```

    ## Fix safety
    Unsafe: the fix sets `privileged: false`; software that needs devices or
    kernel features (CNI, CSI, storage agents) stops working.
    """

    id = "PSS002"
    name = "Privileged container"
    severity = Severity.CRITICAL
    control = "privileged"
    frameworks = PSSCheck.pss_frameworks("privileged", cis=("5.2.2",), nsa=NSA,
                                         mitre=("MS-TA9018",))
    fix_safety = FixSafety.UNSAFE
    remediation = "Remove securityContext.privileged or set it to false."

    def check(self, obj, ctx):
        if (policy := self.policy(ctx)) is None:
            return
        version, variant = policy
        pod = obj.pod
        for c in pod.containers:
            if c.security_context.get("privileged") is True:
                path = c.sc_path + ("privileged",)
                yield self.finding(obj, path, f"{_cname(c)} is privileged "
                                   "(securityContext.privileged: true)", value=True,
                                   edits=[Edit("set", path, False)])


class CapabilitiesBaseline(PSSCheck):
    """
    ## What it does
    Reports every capability in a container's `securityContext.capabilities.add`
    that is not in the Baseline allow-list (`AUDIT_WRITE`, `CHOWN`,
    `DAC_OVERRIDE`, `FOWNER`, `FSETID`, `KILL`, `MKNOD`, `NET_BIND_SERVICE`,
    `SETFCAP`, `SETGID`, `SETPCAP`, `SETUID`, `SYS_CHROOT`; case-sensitive),
    PSA control `capabilities_baseline`, all policy versions. One finding
    per offending list item; the message says when the capability has known
    container-escape techniques (`SYS_ADMIN`, `SYS_PTRACE`, `NET_ADMIN`,
    ...). The former CTR014 is an alias of this check.

    ## Why is this bad?
    Capabilities such as `SYS_ADMIN`, `SYS_PTRACE`, `NET_ADMIN`, `NET_RAW`
    or `SYS_MODULE` give a container kernel powers that enable container
    escapes, network spoofing or host tampering (severity high).

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
        add: ["NET_BIND_SERVICE"]
    ```

    ## Fix safety
    No automatic fix: removing a capability can break the program; decide
    which one it really needs.
    """

    id = "PSS003"
    name = "Capability beyond the Baseline set"
    severity = Severity.HIGH
    control = "capabilities_baseline"
    frameworks = PSSCheck.pss_frameworks("capabilities_baseline", cis=("5.2.8", "5.2.9"),
                                         nsa=NSA, mitre=("MS-TA9018",))
    remediation = "Add only capabilities from the Baseline list; drop ALL and add back what is needed."

    def check(self, obj, ctx):
        if (policy := self.policy(ctx)) is None:
            return
        version, variant = policy
        pod = obj.pod
        for c in pod.containers:
            caps = _d(c.security_context.get("capabilities"))
            for j, cap in enumerate(_l(caps.get("add"))):
                if cap not in BASELINE_CAPABILITIES:
                    yield self.finding(obj, c.sc_path + ("capabilities", "add", j),
                                       f"{_cname(c)} adds capability {_fmt(cap)}, which the "
                                       "Baseline profile forbids"
                                       + ("; it allows breaking out of the container"
                                          if _cap(cap) in ESCAPE_CAPABILITIES else ""),
                                       value=cap, frameworks=self._controls(cap))

    def _controls(self, cap) -> dict:
        """CIS 5.2.8 is NET_RAW's control, 5.2.9 every added capability's;
        MITRE's privileged-container technique only for escape capabilities."""
        name = _cap(cap)
        fw = {**self.frameworks, "cis": ("5.2.8", "5.2.9") if name == "NET_RAW" else ("5.2.9",)}
        if name not in ESCAPE_CAPABILITIES:
            fw.pop("mitre")
        return fw


class HostPathVolumes(PSSCheck):
    """
    ## What it does
    Reports every `hostPath` volume (PSA control `hostPathVolumes`, Baseline,
    all policy versions; in Restricted PSA reports it through
    `restrictedVolumes`, here it stays this check), once, naming what the
    path exposes and the containers that mount it. The host path is
    normalised (`..`, repeated slashes, `/var/run` is `/run`) and
    classified: the host root filesystem or a container runtime socket
    (`docker.sock`, containerd, CRI-O, ...; severity critical), host
    credentials (`/etc/kubernetes`, kubelet PKI, cloud and SSH keys) or a
    sensitive host directory (`/etc`, `/proc`, `/sys`, `/var/lib/kubelet`,
    ...; high), any other path (high). The former checks MNT001-MNT004
    are aliases of this one.

    ## Why is this bad?
    A hostPath volume exposes the node's filesystem to the container:
    `/var/run/docker.sock`, `/etc`, kubelet credentials or `/` itself turn a
    compromised container into a compromised node (severity high; critical
    for the host root and runtime sockets, which are the node with no
    further step).

    ## Example
    ```yaml
    volumes:
    - name: host
      hostPath:
        path: /var/run/docker.sock
    ```

    ## Use instead
    ```yaml
    volumes:
    - name: data
      persistentVolumeClaim:
        claimName: data
    ```

    ## Fix safety
    No automatic fix: the replacement storage depends on what the workload
    reads or writes.
    """

    id = "PSS004"
    name = "hostPath volume"
    severity = Severity.HIGH
    control = "hostPathVolumes"
    frameworks = PSSCheck.pss_frameworks("hostPathVolumes", cis=("5.2.12",), nsa=NSA,
                                         mitre=("MS-TA9008", "MS-TA9013"))
    remediation = "Use a PersistentVolumeClaim, ConfigMap, Secret or emptyDir instead of hostPath."

    def check(self, obj, ctx):
        if (policy := self.policy(ctx)) is None:
            return
        version, variant = policy
        pod = obj.pod
        users = None
        for path, vol in pod.volumes:
            hp = vol.get("hostPath")
            if hp is None:
                continue
            if users is None:
                users = mounts.mounts_of(obj)
            where = _d(hp).get("path")
            norm = mounts.normalise(where)
            cls = mounts.classify(norm) if norm is not None else None
            names = list(dict.fromkeys(c.name for c, _, _ in users.get(vol.get("name"), [])))
            who = (("mounted by container" + ("s " if len(names) > 1 else " ")
                    + ", ".join(repr(n) for n in names)) if names
                   else "not mounted by any container")
            shown = _fmt(where) if norm in (None, where) else f"{_fmt(where)} ({norm})"
            exposes = f", which exposes {mounts.LABELS[cls]}" if cls else ""
            fw = self.frameworks
            if cls != mounts.RUNTIME:  # MS-TA9008: the runtime socket
                fw = {**fw, "mitre": ("MS-TA9013",)}
            yield self.finding(obj, path + ("hostPath",),
                               f"volume {_fmt(vol.get('name'))} mounts host path {shown}"
                               f"{exposes}; {who}", value=where, frameworks=fw,
                               severity=Severity.CRITICAL if cls in CRITICAL_HOST_PATHS
                               else None)


class HostPorts(PSSCheck):
    """
    ## What it does
    Reports every container port with a non-zero `hostPort` (PSA control
    `hostPorts`, Baseline, all policy versions). The former NET004 is an
    alias of this check.

    ## Why is this bad?
    A host port binds directly on the node's network interfaces, bypassing
    Services and NetworkPolicies, and pins the pod to nodes where the port
    is free (severity medium).

    ## Example
    ```yaml
    ports:
    - containerPort: 8080
      hostPort: 80
    ```

    ## Use instead
    ```yaml
    ports:
    - containerPort: 8080
    ```

    ## Fix safety
    No automatic fix: clients that reach the node port need a Service
    instead.
    """

    id = "PSS005"
    name = "Host port"
    severity = Severity.MEDIUM
    control = "hostPorts"
    frameworks = PSSCheck.pss_frameworks("hostPorts", cis=("5.2.13",),
                                         nsa=NSA + ("network/exposure",), mitre=("MS-TA9005",))
    remediation = "Remove hostPort; expose the port with a Service."

    def check(self, obj, ctx):
        if (policy := self.policy(ctx)) is None:
            return
        version, variant = policy
        pod = obj.pod
        for c in pod.containers:
            for j, port in enumerate(_l(c.spec.get("ports"))):
                hp = _d(port).get("hostPort")
                if hp is not None and hp != 0:
                    yield self.finding(obj, c.path + ("ports", j, "hostPort"),
                                       f"{_cname(c)} uses host port {_fmt(hp)}", value=hp)


class AppArmorProfile(PSSCheck):
    """
    ## What it does
    Reports AppArmor settings that override or disable the runtime's default
    profile (PSA control `appArmorProfile`, Baseline, all policy versions):
    a `securityContext.appArmorProfile.type` (pod or container) other than
    `RuntimeDefault` or `Localhost`, and a
    `container.apparmor.security.beta.kubernetes.io/*` annotation whose
    value is not empty, `runtime/default` or `localhost/*`.

    ## Why is this bad?
    `Unconfined` switches AppArmor off, removing a mandatory-access-control
    layer that blocks many container escapes (severity medium).

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
    No automatic fix: a workload run unconfined on purpose may need a
    Localhost profile rather than the default one.
    """

    id = "PSS006"
    name = "AppArmor disabled or overridden"
    severity = Severity.MEDIUM
    control = "appArmorProfile"
    frameworks = PSSCheck.pss_frameworks("appArmorProfile", nsa=NSA_HARDENING)
    remediation = "Use AppArmor type RuntimeDefault or Localhost (or no setting)."

    def check(self, obj, ctx):
        if (policy := self.policy(ctx)) is None:
            return
        version, variant = policy
        pod = obj.pod
        yield from self._field(obj, pod.security_context, pod.sc_path, "pod")
        for c in pod.containers:
            yield from self._field(obj, c.security_context, c.sc_path, _cname(c))
        prefix = APPARMOR_ANNOTATION_PREFIX
        for key, value in pod.annotations.items():
            if key.startswith(prefix):
                text = value if isinstance(value, str) else ("" if value is None else str(value))
                if text and text != "runtime/default" and not text.startswith("localhost/"):
                    yield self.finding(obj, pod.annotations_path + (key,),
                                       f"annotation {key} sets AppArmor profile {_fmt(text)}",
                                       value=text)

    def _field(self, obj, sc, sc_path, who):
        prof = sc.get("appArmorProfile")
        if prof is None:
            return
        t = _d(prof).get("type")
        if t not in APPARMOR_TYPES:
            path = sc_path + ("appArmorProfile", "type")
            yield self.finding(obj, path, f"{who} sets appArmorProfile.type to {_fmt(t)}"
                               if t is not None else f"{who} sets appArmorProfile without a type",
                               value=t)


class SELinuxOptions(PSSCheck):
    """
    ## What it does
    Reports `seLinuxOptions` (pod or container) with a custom `user` or
    `role`, or a `type` outside `container_t`, `container_init_t`,
    `container_kvm_t` (and, from policy 1.31, `container_engine_t`); PSA
    control `seLinuxOptions`, Baseline. One finding per offending field.

    ## Why is this bad?
    A custom SELinux user, role or type (for example `spc_t`) lifts the
    SELinux confinement that keeps a container away from host files and
    other containers (severity medium).

    ## Example
    ```yaml
    securityContext:
      seLinuxOptions:
        type: spc_t
    ```

    ## Use instead
    ```yaml
    securityContext:
      seLinuxOptions:
        level: "s0:c123,c456"
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "PSS007"
    name = "Custom SELinux options"
    severity = Severity.MEDIUM
    control = "seLinuxOptions"
    frameworks = PSSCheck.pss_frameworks("seLinuxOptions", nsa=NSA_HARDENING)
    remediation = "Remove seLinuxOptions user and role; use an allowed container type."

    @classmethod
    @lru_cache(maxsize=None)
    def variant(cls, version):
        return SELINUX_TYPES_1_31 if version >= (1, 31) else SELINUX_TYPES_1_0

    def check(self, obj, ctx):
        if (policy := self.policy(ctx)) is None:
            return
        version, allowed = policy
        pod = obj.pod
        yield from self._opts(obj, pod.security_context, pod.sc_path, "pod", allowed)
        for c in pod.containers:
            yield from self._opts(obj, c.security_context, c.sc_path, _cname(c), allowed)

    def _opts(self, obj, sc, sc_path, who, allowed):
        opts = sc.get("seLinuxOptions")
        if opts is None:
            return
        opts = _d(opts)
        base = sc_path + ("seLinuxOptions",)
        t = opts.get("type")
        if (t if t is not None else "") not in allowed:
            yield self.finding(obj, base + ("type",), f"{who} sets seLinuxOptions.type to "
                               f"{_fmt(t)}", value=t)
        for key in ("user", "role"):
            v = opts.get(key)
            if v:
                yield self.finding(obj, base + (key,), f"{who} sets seLinuxOptions.{key} to "
                                   f"{_fmt(v)}", value=v)


class ProcMount(PSSCheck):
    """
    ## What it does
    Reports a container whose `securityContext.procMount` is set to anything
    but `Default` (PSA control `procMount`, Baseline). From policy 1.35 pods
    in a user namespace (`spec.hostUsers: false`) are exempt.

    ## Why is this bad?
    `Unmasked` removes the masks over sensitive `/proc` paths (kcore,
    sysrq-trigger, ...) that stop a container from reading kernel memory or
    poking the host kernel (severity medium).

    ## Example
    ```yaml
    securityContext:
      procMount: Unmasked
    ```

    ## Use instead
    ```yaml
    securityContext:
      procMount: Default
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "PSS008"
    name = "Unmasked /proc"
    severity = Severity.MEDIUM
    control = "procMount"
    frameworks = PSSCheck.pss_frameworks("procMount", nsa=NSA)
    remediation = "Remove securityContext.procMount or set it to Default."

    @classmethod
    @lru_cache(maxsize=None)
    def variant(cls, version):
        return version >= (1, 35)  # user-namespace pods exempt

    def check(self, obj, ctx):
        if (policy := self.policy(ctx)) is None:
            return
        version, relax_userns = policy
        pod = obj.pod
        if relax_userns and _user_namespace(pod):
            return
        yield from _proc_mount_findings(self, obj, pod)


def _proc_mount_findings(check, obj, pod):
    for c in pod.containers:
        pm = c.security_context.get("procMount")
        if pm is not None and pm != "Default":
            yield check.finding(obj, c.sc_path + ("procMount",),
                                f"{_cname(c)} sets procMount to {_fmt(pm)}", value=pm)


class SeccompBaseline(PSSCheck):
    """
    ## What it does
    Reports a seccomp profile that disables seccomp (PSA control
    `seccompProfile_baseline`). Policy 1.0-1.18 reads the alpha annotations
    (`seccomp.security.alpha.kubernetes.io/pod` and
    `container.seccomp.security.alpha.kubernetes.io/<container>`: allowed
    `runtime/default`, `docker/default`, `localhost/*`); policy 1.19+ reads
    `securityContext.seccompProfile.type` (pod and containers: allowed
    `RuntimeDefault`, `Localhost`, or unset).

    ## Why is this bad?
    `Unconfined` lets the container call every system call, including the
    rarely used ones behind most kernel container escapes (severity
    medium).

    ## Example
    ```yaml
    securityContext:
      seccompProfile:
        type: Unconfined
    ```

    ## Use instead
    ```yaml
    securityContext:
      seccompProfile:
        type: RuntimeDefault
    ```

    ## Fix safety
    No automatic fix here (an explicit `Unconfined` was chosen on purpose);
    PSS018 adds `RuntimeDefault` where no profile is set.
    """

    id = "PSS009"
    name = "Seccomp disabled"
    severity = Severity.MEDIUM
    control = "seccompProfile_baseline"
    frameworks = PSSCheck.pss_frameworks("seccompProfile_baseline", cis=("5.7.2",), nsa=NSA_HARDENING)
    remediation = "Use seccompProfile type RuntimeDefault or Localhost."

    @classmethod
    @lru_cache(maxsize=None)
    def variant(cls, version):
        return version >= (1, 19)  # fields instead of annotations

    def check(self, obj, ctx):
        if (policy := self.policy(ctx)) is None:
            return
        version, fields = policy
        pod = obj.pod
        if fields:
            yield from _seccomp_explicit(self, obj, pod.security_context, pod.sc_path, "pod")
            for c in pod.containers:
                yield from _seccomp_explicit(self, obj, c.security_context, c.sc_path, _cname(c))
            return
        ann = pod.annotations
        keys = [SECCOMP_POD_ANNOTATION]
        keys += [SECCOMP_CONTAINER_ANNOTATION_PREFIX + str(c.spec.get("name") or "")
                 for c in pod.containers]
        for key in dict.fromkeys(keys):
            if key in ann:
                v = ann[key]
                text = v if isinstance(v, str) else ("" if v is None else str(v))
                if text not in ("runtime/default", "docker/default") and \
                        not text.startswith("localhost/"):
                    yield self.finding(obj, pod.annotations_path + (key,),
                                       f"annotation {key} sets seccomp profile {_fmt(text)}",
                                       value=text)


def _seccomp_explicit(check, obj, sc, sc_path, who):
    prof = sc.get("seccompProfile")
    if prof is None:
        return
    t = _d(prof).get("type")
    if t not in SECCOMP_TYPES:
        path = sc_path + ("seccompProfile", "type")
        yield check.finding(obj, path, f"{who} sets seccompProfile.type to {_fmt(t)}"
                            if t is not None else f"{who} sets seccompProfile without a type",
                            value=t)


class Sysctls(PSSCheck):
    """
    ## What it does
    Reports every `spec.securityContext.sysctls[*].name` outside the safe
    list of the policy version (PSA control `sysctls`, Baseline): 1.0
    `kernel.shm_rmid_forced`, `net.ipv4.ip_local_port_range`,
    `net.ipv4.tcp_syncookies`, `net.ipv4.ping_group_range`,
    `net.ipv4.ip_unprivileged_port_start`; 1.27 adds
    `net.ipv4.ip_local_reserved_ports`; 1.29 adds
    `net.ipv4.tcp_keepalive_time`, `net.ipv4.tcp_fin_timeout`,
    `net.ipv4.tcp_keepalive_intvl`, `net.ipv4.tcp_keepalive_probes`; 1.32
    adds `net.ipv4.tcp_rmem`, `net.ipv4.tcp_wmem`; 1.37 adds
    `net.ipv4.tcp_slow_start_after_idle`, `net.ipv4.tcp_notsent_lowat`.

    ## Why is this bad?
    Other sysctls are not isolated per pod: they change the whole node's
    kernel (memory, networking) or weaken its protections (severity medium).

    ## Example
    ```yaml
    securityContext:
      sysctls:
      - name: kernel.msgmax
        value: "65536"
    ```

    ## Use instead
    ```yaml
    securityContext:
      sysctls:
      - name: net.ipv4.ip_local_port_range
        value: "32768 60999"
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "PSS010"
    name = "Unsafe sysctl"
    severity = Severity.MEDIUM
    control = "sysctls"
    frameworks = PSSCheck.pss_frameworks("sysctls", nsa=NSA)
    remediation = "Set only sysctls from the Pod Security Standards safe list."

    @classmethod
    @lru_cache(maxsize=None)
    def variant(cls, version):
        return next(s for v, s in SYSCTL_VARIANTS if version >= v)

    def check(self, obj, ctx):
        if (policy := self.policy(ctx)) is None:
            return
        version, allowed = policy
        pod = obj.pod
        for i, item in enumerate(_l(pod.security_context.get("sysctls"))):
            name = _d(item).get("name")
            if (name if name is not None else "") not in allowed:
                path = pod.sc_path + ("sysctls", i, "name")
                yield self.finding(obj, path, f"pod sets sysctl {_fmt(name)}, which is not "
                                   f"safe at policy version {version[0]}.{version[1]}",
                                   value=name)


class WindowsHostProcess(PSSCheck):
    """
    ## What it does
    Reports `windowsOptions.hostProcess: true` at pod or container level
    (PSA control `windowsHostProcess`, Baseline, all policy versions).

    ## Why is this bad?
    A Windows HostProcess container runs directly on the node as a host
    process with the node's network and filesystem: full administrative
    access to the node (severity critical).

    ## Example
    ```yaml
    securityContext:
      windowsOptions:
        hostProcess: true
        runAsUserName: "NT AUTHORITY\\\\SYSTEM"
    ```

    ## Use instead
    ```yaml
    securityContext:
      windowsOptions:
        runAsUserName: ContainerUser
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "PSS011"
    name = "Windows HostProcess container"
    severity = Severity.CRITICAL
    control = "windowsHostProcess"
    frameworks = PSSCheck.pss_frameworks("windowsHostProcess", cis=("5.2.11",), nsa=NSA,
                                         mitre=("MS-TA9018",))
    remediation = "Remove windowsOptions.hostProcess or set it to false."

    def check(self, obj, ctx):
        if (policy := self.policy(ctx)) is None:
            return
        version, variant = policy
        pod = obj.pod
        if _d(pod.security_context.get("windowsOptions")).get("hostProcess") is True:
            yield self.finding(obj, pod.sc_path + ("windowsOptions", "hostProcess"),
                               "pod sets windowsOptions.hostProcess: true", value=True)
        for c in pod.containers:
            if _d(c.security_context.get("windowsOptions")).get("hostProcess") is True:
                yield self.finding(obj, c.sc_path + ("windowsOptions", "hostProcess"),
                                   f"{_cname(c)} sets windowsOptions.hostProcess: true",
                                   value=True)


class HostProbesAndLifecycle(PSSCheck):
    """
    ## What it does
    Reports a non-empty `host` in a container's `httpGet` or `tcpSocket`
    probe (`livenessProbe`, `readinessProbe`, `startupProbe`) or lifecycle
    hook (`postStart`, `preStop`); PSA control `hostProbesAndHostLifecycle`,
    Baseline, from policy 1.34.

    ## Why is this bad?
    The kubelet makes these requests from the node. A `host` lets a pod
    author point them at any address the node can reach (cloud metadata
    endpoints, node-local services): a server-side request forgery through
    the kubelet (severity medium).

    ## Example
    ```yaml
    livenessProbe:
      httpGet:
        host: 169.254.169.254
        path: /latest/meta-data/
        port: 80
    ```

    ## Use instead
    ```yaml
    livenessProbe:
      httpGet:
        path: /healthz
        port: 8080
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "PSS012"
    name = "Probe or lifecycle hook with a host"
    severity = Severity.MEDIUM
    control = "hostProbesAndHostLifecycle"
    since = (1, 34)
    frameworks = PSSCheck.pss_frameworks("hostProbesAndHostLifecycle", nsa=NSA)
    remediation = "Remove the host field; probes and hooks then target the pod's own IP."

    def check(self, obj, ctx):
        if (policy := self.policy(ctx)) is None:
            return
        version, variant = policy
        pod = obj.pod
        for c in pod.containers:
            spec = c.spec
            for probe in PROBES:
                yield from self._handler(obj, c, _d(spec.get(probe)), c.path + (probe,))
            lc = _d(spec.get("lifecycle"))
            for hook in LIFECYCLE_HANDLERS:
                yield from self._handler(obj, c, _d(lc.get(hook)),
                                         c.path + ("lifecycle", hook))

    def _handler(self, obj, c, handler, path):
        for kind in HOST_HANDLERS:
            host = _d(handler.get(kind)).get("host")
            if host:
                p = path + (kind, "host")
                yield self.finding(obj, p, f"{_cname(c)} sets {_rel(c, p)} to {_fmt(host)}",
                                   value=host)


# ---------------------------------------------------------------------------
# Restricted


class RestrictedVolumes(PSSCheck):
    """
    ## What it does
    Reports volumes of a type the Restricted profile does not allow (PSA
    control `restrictedVolumes`). Allowed: `configMap`, `csi`,
    `downwardAPI`, `emptyDir`, `ephemeral`, `image`, `persistentVolumeClaim`,
    `projected`, `secret` (and a volume with no source, which the API
    defaults to `emptyDir`). `hostPath` is reported by PSS004, which both
    profiles include, so it is not repeated here.

    ## Why is this bad?
    In-tree network and node storage (`nfs`, `iscsi`, `rbd`, `gitRepo`,
    `flexVolume`, ...) is mounted by the node with the pod's choice of
    server and options; the Restricted profile wants storage to come from
    PersistentVolumes an administrator set up (severity low).

    ## Example
    ```yaml
    volumes:
    - name: share
      nfs:
        server: nfs.example.com
        path: /exports
    ```

    ## Use instead
    ```yaml
    volumes:
    - name: share
      persistentVolumeClaim:
        claimName: share
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "PSS013"
    name = "Volume type not allowed by Restricted"
    severity = Severity.LOW
    control = "restrictedVolumes"
    frameworks = PSSCheck.pss_frameworks("restrictedVolumes", restricted_only=True, nsa=NSA)
    remediation = "Use a PersistentVolumeClaim (or configMap, secret, emptyDir, projected, csi, ephemeral)."

    def check(self, obj, ctx):
        if (policy := self.policy(ctx)) is None:
            return
        version, variant = policy
        pod = obj.pod
        for path, vol in pod.volumes:
            if any(vol.get(k) is not None for k in RESTRICTED_ALLOWED_VOLUMES):
                continue
            for kind in RESTRICTED_DENIED_VOLUMES:
                if vol.get(kind) is not None:
                    yield self.finding(obj, path + (kind,),
                                       f"volume {_fmt(vol.get('name'))} has type {kind}, which "
                                       "the Restricted profile does not allow", value=kind)


class AllowPrivilegeEscalation(PSSCheck):
    """
    ## What it does
    Reports a container that does not set
    `securityContext.allowPrivilegeEscalation: false` (PSA control
    `allowPrivilegeEscalation`, Restricted, from policy 1.8; from 1.25 pods
    with `spec.os.name: windows` are exempt). Where the field is missing the
    finding names it, located at its nearest existing parent. The former
    CTR013 is an alias of this check.

    ## Why is this bad?
    Without `no_new_privs` a process can gain privileges through setuid
    binaries or file capabilities, turning a foothold into root inside the
    container (severity medium).

    ## Example
    ```yaml
    containers:
    - name: app
      image: registry.example.com/app:1.0
    ```

    ## Use instead
    ```yaml
    containers:
    - name: app
      image: registry.example.com/app:1.0
      securityContext:
        allowPrivilegeEscalation: false
    ```

    ## Fix safety
    Safe: sets `allowPrivilegeEscalation: false`; only setuid programs stop
    gaining privileges. On a privileged container (or one adding
    `SYS_ADMIN`) the API would reject it alone: `kubeward fix` holds it back
    and applies it only together with PSS002's unsafe `privileged: false`.
    """

    id = "PSS014"
    name = "Privilege escalation allowed"
    severity = Severity.MEDIUM
    control = "allowPrivilegeEscalation"
    since = (1, 8)
    frameworks = PSSCheck.pss_frameworks("allowPrivilegeEscalation", restricted_only=True,
                                         cis=("5.2.6",), nsa=NSA)
    fix_safety = FixSafety.SAFE
    remediation = "Set securityContext.allowPrivilegeEscalation: false."

    @classmethod
    @lru_cache(maxsize=None)
    def variant(cls, version):
        return version >= (1, 25)  # windows pods exempt

    def check(self, obj, ctx):
        if (policy := self.policy(ctx)) is None:
            return
        version, windows_exempt = policy
        pod = obj.pod
        if windows_exempt and _is_windows(pod):
            return
        for c in pod.containers:
            sc = c.security_context
            v = sc.get("allowPrivilegeEscalation")
            if v is False:
                continue
            target = c.sc_path + ("allowPrivilegeEscalation",)
            # a privileged container (or one adding SYS_ADMIN) cannot take this
            # alone: kubeward.fix.validity holds the fix back and says why
            edits = [Edit("set", target, False)]
            if v is None:
                yield self.finding(obj, target,
                                   f"{_cname(c)} does not set "
                                   "securityContext.allowPrivilegeEscalation: false", edits=edits)
            else:
                yield self.finding(obj, target, f"{_cname(c)} sets allowPrivilegeEscalation "
                                   f"to {_fmt(v)}", value=v, edits=edits)


class RunAsNonRoot(PSSCheck):
    """
    ## What it does
    Requires `runAsNonRoot: true` (PSA control `runAsNonRoot`, Restricted):
    reports the pod or a container that sets it to `false`, and every
    container that leaves it unset when the pod level does not set it
    (the finding then names the container's
    `securityContext.runAsNonRoot`, located at its nearest existing
    parent). From policy 1.35 pods with `spec.hostUsers: false` (user
    namespaces) are exempt. The former CTR004 is an alias of this check.

    ## Why is this bad?
    A process running as UID 0 is root for every file and kernel interface
    that is not namespaced; a container escape then lands as root on the
    node (severity medium).

    ## Example
    ```yaml
    spec:
      containers:
      - name: app
        image: registry.example.com/app:1.0
    ```

    ## Use instead
    ```yaml
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
      containers:
      - name: app
        image: registry.example.com/app:1.0
    ```

    ## Fix safety
    Unsafe: sets `runAsNonRoot: true` (pod level where unset); an image
    whose user is root, or numeric-less, then fails to start.
    """

    id = "PSS015"
    name = "Container may run as root"
    severity = Severity.MEDIUM
    control = "runAsNonRoot"
    frameworks = PSSCheck.pss_frameworks("runAsNonRoot", restricted_only=True, cis=("5.2.7",),
                                         nsa=NSA_NONROOT)
    fix_safety = FixSafety.UNSAFE
    remediation = "Set securityContext.runAsNonRoot: true (pod level) and run as a non-zero UID."

    @classmethod
    @lru_cache(maxsize=None)
    def variant(cls, version):
        return version >= (1, 35)

    def check(self, obj, ctx):
        if (policy := self.policy(ctx)) is None:
            return
        version, relax_userns = policy
        pod = obj.pod
        if relax_userns and _user_namespace(pod):
            return
        pod_value = pod.security_context.get("runAsNonRoot")
        if pod_value is not None and pod_value is not True:
            path = pod.sc_path + ("runAsNonRoot",)
            yield self.finding(obj, path, f"pod sets runAsNonRoot to {_fmt(pod_value)}",
                               value=pod_value, edits=[Edit("set", path, True)])
        pod_fix = pod.sc_path + ("runAsNonRoot",)
        for c in pod.containers:
            v = c.security_context.get("runAsNonRoot")
            path = c.sc_path + ("runAsNonRoot",)
            if v is None:
                if pod_value is None:
                    yield self.finding(obj, path,
                                       f"neither the pod nor {_cname(c)} sets "
                                       "securityContext.runAsNonRoot: true",
                                       edits=[Edit("set", pod_fix, True)])
            elif v is not True:
                yield self.finding(obj, path, f"{_cname(c)} sets runAsNonRoot to {_fmt(v)}",
                                   value=v, edits=[Edit("set", path, True)])


class RunAsUser(PSSCheck):
    """
    ## What it does
    Reports `runAsUser: 0` at pod or container level (PSA control
    `runAsUser`, Restricted, from policy 1.23; from 1.35 pods with
    `spec.hostUsers: false` are exempt). An unset runAsUser is allowed. The
    former CTR003 is an alias of this check.

    ## Why is this bad?
    It asks explicitly for root (severity medium, see PSS015).

    ## Example
    ```yaml
    securityContext:
      runAsUser: 0
    ```

    ## Use instead
    ```yaml
    securityContext:
      runAsUser: 10001
    ```

    ## Fix safety
    Unsafe: sets the UID to 10001 (the fix of the former CTR003); files
    owned by root in the image may no longer be readable or writable.
    """

    id = "PSS016"
    name = "Runs as UID 0"
    severity = Severity.MEDIUM
    control = "runAsUser"
    since = (1, 23)
    frameworks = PSSCheck.pss_frameworks("runAsUser", restricted_only=True, cis=("5.2.7",),
                                         nsa=NSA_NONROOT)
    fix_safety = FixSafety.UNSAFE
    remediation = "Set runAsUser to a non-zero UID (or leave it to the image)."

    @classmethod
    @lru_cache(maxsize=None)
    def variant(cls, version):
        return version >= (1, 35)

    def check(self, obj, ctx):
        if (policy := self.policy(ctx)) is None:
            return
        version, relax_userns = policy
        pod = obj.pod
        if relax_userns and _user_namespace(pod):
            return
        if _is_zero(pod.security_context.get("runAsUser")):
            path = pod.sc_path + ("runAsUser",)
            yield self.finding(obj, path, "pod sets runAsUser: 0", value=0,
                               edits=[Edit("set", path, 10001)])
        for c in pod.containers:
            if _is_zero(c.security_context.get("runAsUser")):
                path = c.sc_path + ("runAsUser",)
                yield self.finding(obj, path, f"{_cname(c)} sets runAsUser: 0", value=0,
                                   edits=[Edit("set", path, 10001)])


class SeccompRestricted(PSSCheck):
    """
    ## What it does
    Requires a seccomp profile (PSA control `seccompProfile_restricted`,
    Restricted, from policy 1.19; from 1.25 Windows pods are exempt): every
    container must have `seccompProfile.type` `RuntimeDefault` or
    `Localhost`, its own or inherited from the pod. When the pod level sets
    no profile and some container sets none either, reports one finding,
    naming `spec.securityContext.seccompProfile` (where the fix sets it,
    once for every container) and those containers. A
    profile set to a forbidden value is reported by PSS009, which both
    profiles include.

    ## Why is this bad?
    Without a profile the runtime may run the container unconfined, with
    every system call available, including the rarely used ones behind most
    kernel container escapes (severity medium: it removes a layer of defence
    that normally stops an attack). The former CTR010 is an alias of this
    check.

    ## Example
    ```yaml
    spec:
      containers:
      - name: app
        image: registry.example.com/app:1.0
    ```

    ## Use instead
    ```yaml
    spec:
      securityContext:
        seccompProfile:
          type: RuntimeDefault
      containers:
      - name: app
        image: registry.example.com/app:1.0
    ```

    ## Fix safety
    Safe: sets `spec.securityContext.seccompProfile.type: RuntimeDefault`,
    the profile container runtimes use by default for most workloads.
    """

    id = "PSS017"
    name = "No seccomp profile"
    severity = Severity.MEDIUM
    control = "seccompProfile_restricted"
    since = (1, 19)
    frameworks = PSSCheck.pss_frameworks("seccompProfile_restricted", restricted_only=True,
                                         cis=("5.7.2",), nsa=NSA_HARDENING)
    fix_safety = FixSafety.SAFE
    remediation = "Set spec.securityContext.seccompProfile.type: RuntimeDefault."

    @classmethod
    @lru_cache(maxsize=None)
    def variant(cls, version):
        return version >= (1, 25)

    def check(self, obj, ctx):
        if (policy := self.policy(ctx)) is None:
            return
        version, windows_exempt = policy
        pod = obj.pod
        if windows_exempt and _is_windows(pod):
            return
        if pod.security_context.get("seccompProfile") is not None:
            return  # set: a bad value is PSS009's finding, a good one covers every container
        missing = [_cname(c) for c in pod.containers
                   if c.security_context.get("seccompProfile") is None]
        if missing:
            target = pod.sc_path + ("seccompProfile",)
            yield self.finding(obj, target,
                               "pod sets no securityContext.seccompProfile and "
                               f"{', '.join(missing)} {'sets' if len(missing) == 1 else 'set'} "
                               "none either", value=missing,
                               edits=[Edit("set", target, {"type": "RuntimeDefault"})])


class CapabilitiesRestricted(PSSCheck):
    """
    ## What it does
    Requires every container to drop `ALL` capabilities and add back at
    most `NET_BIND_SERVICE` (PSA control `capabilities_restricted`,
    Restricted, from policy 1.22; from 1.25 Windows pods are exempt).
    Reports a container whose `securityContext.capabilities.drop` lacks
    `ALL` (the finding names `drop`, located at its nearest existing parent when it is missing) and each
    added Baseline capability other than `NET_BIND_SERVICE` (capabilities
    outside the Baseline list are reported by PSS003). The former CTR002 is
    an alias of this check.

    ## Why is this bad?
    The runtime's default set still includes capabilities such as
    `NET_RAW`, `CHOWN`, `DAC_OVERRIDE` and `SETUID` that most programs never
    need and an attacker can use (severity low: a missing hardening).

    ## Example
    ```yaml
    securityContext:
      capabilities:
        add: ["CHOWN"]
    ```

    ## Use instead
    ```yaml
    securityContext:
      capabilities:
        drop: ["ALL"]
    ```

    ## Fix safety
    Safe: appends `ALL` to `capabilities.drop`, keeping every explicit
    `add`. An added capability is not removed automatically.
    """

    id = "PSS018"
    name = "Capabilities not dropped"
    severity = Severity.LOW
    control = "capabilities_restricted"
    since = (1, 22)
    frameworks = PSSCheck.pss_frameworks("capabilities_restricted", restricted_only=True,
                                         cis=("5.2.9", "5.2.10"), nsa=NSA)
    fix_safety = FixSafety.SAFE
    remediation = 'Set securityContext.capabilities.drop: ["ALL"] and add only NET_BIND_SERVICE.'

    @classmethod
    @lru_cache(maxsize=None)
    def variant(cls, version):
        return version >= (1, 25)

    def check(self, obj, ctx):
        if (policy := self.policy(ctx)) is None:
            return
        version, windows_exempt = policy
        pod = obj.pod
        if windows_exempt and _is_windows(pod):
            return
        for c in pod.containers:
            caps = _d(c.security_context.get("capabilities"))
            drop = c.sc_path + ("capabilities", "drop")
            if "ALL" not in _l(caps.get("drop")):
                yield self.finding(obj, drop,
                                   f"{_cname(c)} does not drop ALL capabilities "
                                   "(securityContext.capabilities.drop)",
                                   value=caps.get("drop"), edits=[Edit("append", drop, "ALL")],
                                   frameworks={**self.frameworks, "cis": ("5.2.10",)})
            for j, cap in enumerate(_l(caps.get("add"))):
                if cap in BASELINE_CAPABILITIES and cap not in RESTRICTED_ADD_CAPABILITIES:
                    yield self.finding(obj, c.sc_path + ("capabilities", "add", j),
                                       f"{_cname(c)} adds capability {_fmt(cap)}; the "
                                       "Restricted profile allows only NET_BIND_SERVICE",
                                       value=cap, frameworks={**self.frameworks,
                                                              "cis": ("5.2.9",)})


class ProcMountRestricted(PSSCheck):
    """
    ## What it does
    From policy 1.35 the Restricted profile forbids a `procMount` other than
    `Default` even in user-namespace pods (`spec.hostUsers: false`), which
    the Baseline control exempts (PSA control `procMount_restricted`). This
    check reports exactly those containers; every other case is PSS008's.

    ## Why is this bad?
    An unmasked `/proc` exposes kernel interfaces; a user namespace reduces
    but does not remove that risk (severity medium).

    ## Example
    ```yaml
    spec:
      hostUsers: false
      containers:
      - name: app
        image: registry.example.com/app:1.0
        securityContext:
          procMount: Unmasked
    ```

    ## Use instead
    ```yaml
    spec:
      hostUsers: false
      containers:
      - name: app
        image: registry.example.com/app:1.0
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "PSS019"
    name = "Unmasked /proc in a user namespace"
    severity = Severity.MEDIUM
    control = "procMount_restricted"
    since = (1, 35)
    frameworks = PSSCheck.pss_frameworks("procMount_restricted", restricted_only=True, nsa=NSA)
    remediation = "Remove securityContext.procMount or set it to Default."

    def check(self, obj, ctx):
        if (policy := self.policy(ctx)) is None:
            return
        version, variant = policy
        pod = obj.pod
        if _user_namespace(pod):  # otherwise PSS008 reports it
            yield from _proc_mount_findings(self, obj, pod)


# ---------------------------------------------------------------------------
# Namespace labels

PSA_LABEL = "pod-security.kubernetes.io/"
PSA_LEVELS = ("privileged", "baseline", "restricted")


class NamespaceEnforcement(Check):
    """
    ## What it does
    Reports a Namespace whose `pod-security.kubernetes.io/enforce` label is
    missing or `privileged`, so Pod Security Admission rejects nothing
    there. It says when the namespace only `warn`s or `audit`s, and reports
    an enforce value that is not a level. Namespaces listed in the option
    `exempt_namespaces` (default `kube-system`) are skipped.

    ## Why is this bad?
    Without an enforced level any pod, privileged or hostPath-mounting, can
    be created in the namespace; warn and audit modes only log (severity
    medium). A cluster-wide default in the AdmissionConfiguration may apply
    instead; kubeward cannot see it in manifests.

    ## Example
    ```yaml
    apiVersion: v1
    kind: Namespace
    metadata:
      name: shop
      labels:
        pod-security.kubernetes.io/warn: restricted
    ```

    ## Use instead
    ```yaml
    apiVersion: v1
    kind: Namespace
    metadata:
      name: shop
      labels:
        pod-security.kubernetes.io/enforce: restricted
    ```

    ## Fix safety
    Unsafe: `kubeward fix --unsafe-fixes` sets the enforce label to the level
    in the option `fix_level` (default `restricted`); enforcing a level
    rejects non-conforming pods, so it needs a rollout.
    """

    id = "PSA001"
    name = "Namespace does not enforce Pod Security"
    severity = Severity.MEDIUM
    kinds = frozenset({"Namespace"})
    frameworks = {"pss": ("namespace-enforce",), "cis": ("5.2.1",)}
    default_enabled = True
    fix_safety = FixSafety.UNSAFE
    options = {"exempt_namespaces": ["kube-system"], "fix_level": "restricted"}
    remediation = "Label the namespace pod-security.kubernetes.io/enforce=baseline or restricted."

    def check(self, obj, ctx):
        exempt = ctx.option(self.id, "exempt_namespaces", self.options["exempt_namespaces"])
        if obj.name in (exempt or ()):
            return
        labels = obj.labels
        enforce = labels.get(PSA_LABEL + "enforce")
        labels_path = ("metadata", "labels")
        level = ctx.option(self.id, "fix_level", self.options["fix_level"])
        edits = ([Edit("set", labels_path + (PSA_LABEL + "enforce",), level)]
                 if level in PSA_LEVELS and level != "privileged" else [])
        if enforce is None:
            others = [f"{m}={labels[PSA_LABEL + m]}" for m in ("warn", "audit")
                      if PSA_LABEL + m in labels]
            extra = (f"; it only sets {' and '.join(others)}, which never rejects a pod"
                     if others else "")
            yield self.finding(obj, labels_path + (PSA_LABEL + "enforce",),
                               f"namespace {obj.name!r} has no {PSA_LABEL}enforce label{extra}",
                               edits=edits)
        elif enforce == "privileged":
            yield self.finding(obj, labels_path + (PSA_LABEL + "enforce",),
                               f"namespace {obj.name!r} enforces the privileged level "
                               "(nothing is rejected)", value=enforce, edits=edits)
        elif enforce not in PSA_LEVELS:
            yield self.finding(obj, labels_path + (PSA_LABEL + "enforce",),
                               f"namespace {obj.name!r} sets {PSA_LABEL}enforce to "
                               f"{_fmt(enforce)}, which is not a level (privileged, baseline, "
                               "restricted)", value=enforce, severity=Severity.LOW, edits=edits)


#: every PSS check class, in id order (for docs and tests)
PSS_CHECKS = tuple(sorted((c for c in list(globals().values())
                           if isinstance(c, type) and issubclass(c, PSSCheck)
                           and c.__dict__.get("id")), key=lambda c: c.id))
