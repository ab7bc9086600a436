"""Deprecated and removed API versions for the target Kubernetes version
(``--k8s-version``, default: the newest kubeward knows).

Severity rubric (the same in every kubeward check module):

- critical: direct host or cluster takeover;
- high: container escape, privilege escalation or credential exposure likely;
- medium: weakens defence in depth;
- low: hardening / best practice;
- info: hygiene.

A removed apiVersion is high: the manifest no longer applies, so security
fixes to it cannot ship (and a PodSecurityPolicy silently stops
protecting anything). A deprecated one is low: it works until the listed
release. The data follows the Kubernetes Deprecated API Migration Guide;
"deprecated" is the release from which the replacement was served and the
old version was announced deprecated.
"""

from __future__ import annotations

import re

from kubeward.checks.base import Check, Edit, FixSafety, Severity

NSA = ("upgrade/practices",)

# (apiVersion, kinds, deprecated in, removed in, replacement apiVersion or advice)
_TABLE: tuple[tuple[str, tuple[str, ...], tuple[int, int], tuple[int, int], str], ...] = (
    # removed in 1.16
    ("extensions/v1beta1", ("Deployment", "DaemonSet", "ReplicaSet"), (1, 9), (1, 16), "apps/v1"),
    ("apps/v1beta1", ("Deployment", "StatefulSet", "ControllerRevision"), (1, 9), (1, 16),
     "apps/v1"),
    ("apps/v1beta2", ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
                      "ControllerRevision"), (1, 9), (1, 16), "apps/v1"),
    ("extensions/v1beta1", ("NetworkPolicy",), (1, 9), (1, 16), "networking.k8s.io/v1"),
    ("extensions/v1beta1", ("PodSecurityPolicy",), (1, 10), (1, 16),
     "Pod Security Admission (PodSecurityPolicy itself was removed in 1.25)"),
    # removed in 1.22
    ("extensions/v1beta1", ("Ingress",), (1, 14), (1, 22), "networking.k8s.io/v1"),
    ("networking.k8s.io/v1beta1", ("Ingress", "IngressClass"), (1, 19), (1, 22),
     "networking.k8s.io/v1"),
    ("admissionregistration.k8s.io/v1beta1",
     ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"), (1, 16), (1, 22),
     "admissionregistration.k8s.io/v1"),
    ("apiextensions.k8s.io/v1beta1", ("CustomResourceDefinition",), (1, 16), (1, 22),
     "apiextensions.k8s.io/v1"),
    ("apiregistration.k8s.io/v1beta1", ("APIService",), (1, 19), (1, 22),
     "apiregistration.k8s.io/v1"),
    ("authentication.k8s.io/v1beta1", ("TokenReview",), (1, 19), (1, 22),
     "authentication.k8s.io/v1"),
    ("authorization.k8s.io/v1beta1", ("SubjectAccessReview", "LocalSubjectAccessReview",
                                      "SelfSubjectAccessReview", "SelfSubjectRulesReview"),
     (1, 19), (1, 22), "authorization.k8s.io/v1"),
    ("certificates.k8s.io/v1beta1", ("CertificateSigningRequest",), (1, 19), (1, 22),
     "certificates.k8s.io/v1"),
    ("coordination.k8s.io/v1beta1", ("Lease",), (1, 14), (1, 22), "coordination.k8s.io/v1"),
    ("rbac.authorization.k8s.io/v1beta1", ("ClusterRole", "ClusterRoleBinding", "Role",
                                           "RoleBinding"), (1, 17), (1, 22),
     "rbac.authorization.k8s.io/v1"),
    ("rbac.authorization.k8s.io/v1alpha1", ("ClusterRole", "ClusterRoleBinding", "Role",
                                            "RoleBinding"), (1, 17), (1, 22),
     "rbac.authorization.k8s.io/v1"),
    ("scheduling.k8s.io/v1beta1", ("PriorityClass",), (1, 14), (1, 22), "scheduling.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", ("StorageClass",), (1, 6), (1, 22), "storage.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", ("VolumeAttachment",), (1, 13), (1, 22), "storage.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", ("CSINode",), (1, 17), (1, 22), "storage.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", ("CSIDriver",), (1, 19), (1, 22), "storage.k8s.io/v1"),
    # removed in 1.25
    ("batch/v1beta1", ("CronJob",), (1, 21), (1, 25), "batch/v1"),
    ("discovery.k8s.io/v1beta1", ("EndpointSlice",), (1, 21), (1, 25), "discovery.k8s.io/v1"),
    ("events.k8s.io/v1beta1", ("Event",), (1, 19), (1, 25), "events.k8s.io/v1"),
    ("autoscaling/v2beta1", ("HorizontalPodAutoscaler",), (1, 23), (1, 25), "autoscaling/v2"),
    ("policy/v1beta1", ("PodDisruptionBudget",), (1, 21), (1, 25), "policy/v1"),
    ("policy/v1beta1", ("PodSecurityPolicy",), (1, 21), (1, 25),
     "Pod Security Admission (namespace labels) or a policy engine; there is no API "
     "replacement"),
    ("node.k8s.io/v1beta1", ("RuntimeClass",), (1, 20), (1, 25), "node.k8s.io/v1"),
    # removed in 1.26
    ("flowcontrol.apiserver.k8s.io/v1beta1", ("FlowSchema", "PriorityLevelConfiguration"),
     (1, 23), (1, 26), "flowcontrol.apiserver.k8s.io/v1"),
    ("autoscaling/v2beta2", ("HorizontalPodAutoscaler",), (1, 23), (1, 26), "autoscaling/v2"),
    # removed in 1.27
    ("storage.k8s.io/v1beta1", ("CSIStorageCapacity",), (1, 24), (1, 27), "storage.k8s.io/v1"),
    # removed in 1.29
    ("flowcontrol.apiserver.k8s.io/v1beta2", ("FlowSchema", "PriorityLevelConfiguration"),
     (1, 26), (1, 29), "flowcontrol.apiserver.k8s.io/v1"),
    # removed in 1.32
    ("flowcontrol.apiserver.k8s.io/v1beta3", ("FlowSchema", "PriorityLevelConfiguration"),
     (1, 29), (1, 32), "flowcontrol.apiserver.k8s.io/v1"),
)


class Deprecation:
    __slots__ = ("api_version", "kind", "deprecated", "removed", "replacement")

    def __init__(self, api_version, kind, deprecated, removed, replacement):
        self.api_version = api_version
        self.kind = kind
        self.deprecated = deprecated
        self.removed = removed
        self.replacement = replacement

    @property
    def advice(self) -> str:
        return f"use {self.replacement}"


#: (apiVersion, kind) -> Deprecation, built once at import
DEPRECATIONS: dict[tuple[str, str], Deprecation] = {
    (av, kind): Deprecation(av, kind, dep, rem, repl)
    for av, kinds, dep, rem, repl in _TABLE for kind in kinds
}


#: migrations that only change ``apiVersion``: the schema of the kind is the
#: same in the replacement (the fix rewrites apiVersion for these only)
SAME_SCHEMA: frozenset[tuple[str, str]] = frozenset(
    [("rbac.authorization.k8s.io/v1beta1", k)
     for k in ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")]
    + [("scheduling.k8s.io/v1beta1", "PriorityClass"), ("coordination.k8s.io/v1beta1", "Lease"),
       ("apiregistration.k8s.io/v1beta1", "APIService"), ("batch/v1beta1", "CronJob"),
       ("autoscaling/v2beta2", "HorizontalPodAutoscaler"), ("node.k8s.io/v1beta1", "RuntimeClass"),
       ("storage.k8s.io/v1beta1", "CSIStorageCapacity")]
    + [("storage.k8s.io/v1beta1", k)
       for k in ("StorageClass", "VolumeAttachment", "CSINode", "CSIDriver")])


def _fix(obj, dep: "Deprecation") -> list:
    if (dep.api_version, dep.kind) in SAME_SCHEMA:
        return [Edit("set", ("apiVersion",), dep.replacement)]
    return []


def _v(t: tuple[int, int]) -> str:
    return "%d.%d" % t


class RemovedApiVersion(Check):
    """
    ## What it does
    Reports objects whose `apiVersion` is no longer served by the target
    Kubernetes version (`--k8s-version`), naming the release that removed
    it and the replacement. Covers every removal of the Kubernetes
    deprecation guide: `extensions/v1beta1`, `apps/v1beta1` and
    `v1beta2`, `policy/v1beta1` (PodDisruptionBudget, PodSecurityPolicy),
    `batch/v1beta1` CronJob, `networking.k8s.io/v1beta1`, RBAC `v1beta1`
    and `v1alpha1`, admissionregistration, apiextensions, apiregistration,
    authentication and authorization `v1beta1`, storage `v1beta1`,
    `autoscaling/v2beta1` and `v2beta2`, `discovery.k8s.io/v1beta1`,
    `events.k8s.io/v1beta1`, flowcontrol `v1beta1`-`v1beta3`,
    `node.k8s.io/v1beta1`, `certificates.k8s.io/v1beta1`,
    `coordination.k8s.io/v1beta1` and `scheduling.k8s.io/v1beta1`.

    ## Why is this bad?
    The API server rejects the manifest: the deployment fails, or a
    pipeline that ignores the error leaves an old object in place. A
    removed PodSecurityPolicy protects nothing.

    ## Example
    ```yaml
    apiVersion: policy/v1beta1
    kind: PodDisruptionBudget
    ```

    ## Use instead
    ```yaml
    apiVersion: policy/v1
    kind: PodDisruptionBudget
    ```

    ## Fix safety
    Unsafe, and only where the replacement has the same schema (RBAC
    `v1beta1`, PriorityClass, Lease, APIService, CronJob,
    `autoscaling/v2beta2`, RuntimeClass, storage `v1beta1`): the fix
    rewrites `apiVersion`; tools that pin the old version must follow. No
    fix where the schema changed (Ingress, CustomResourceDefinition,
    CertificateSigningRequest, Deployment selectors) or the semantics (an
    empty PodDisruptionBudget selector).
    """

    id = "API001"
    name = "Removed API version"
    severity = Severity.HIGH
    frameworks = {"nsa": NSA}
    fix_safety = FixSafety.UNSAFE
    remediation = "Migrate the manifest to the replacement apiVersion."

    def check(self, obj, ctx):
        dep = DEPRECATIONS.get((obj.api_version, obj.kind))
        if dep is not None and ctx.k8s_version >= dep.removed:
            yield self.finding(
                obj, ("apiVersion",),
                f"{obj.api_version} {obj.kind} was removed in Kubernetes {_v(dep.removed)} "
                f"(target {_v(ctx.k8s_version)}): {dep.advice}", value=obj.api_version,
                edits=_fix(obj, dep))


class DeprecatedApiVersion(Check):
    """
    ## What it does
    Reports objects whose `apiVersion` is deprecated but still served by the
    target Kubernetes version (`--k8s-version`), naming the release that
    removes it and the replacement. Versions already removed are API001's.

    ## Why is this bad?
    The manifest breaks on the upgrade to the listed release; migrating
    early keeps upgrades (and their security fixes) unblocked.

    ## Example
    ```yaml
    # with --k8s-version 1.24
    apiVersion: batch/v1beta1
    kind: CronJob
    ```

    ## Use instead
    ```yaml
    apiVersion: batch/v1
    kind: CronJob
    ```

    ## Fix safety
    Unsafe, and only where the replacement has the same schema (see
    API001): the fix rewrites `apiVersion`, which the target cluster
    already serves.
    """

    id = "API002"
    name = "Deprecated API version"
    severity = Severity.LOW
    frameworks = {"nsa": NSA}
    fix_safety = FixSafety.UNSAFE
    remediation = "Migrate the manifest to the replacement apiVersion before upgrading."

    def check(self, obj, ctx):
        dep = DEPRECATIONS.get((obj.api_version, obj.kind))
        if dep is not None and dep.deprecated <= ctx.k8s_version < dep.removed:
            yield self.finding(
                obj, ("apiVersion",),
                f"{obj.api_version} {obj.kind} is deprecated since Kubernetes "
                f"{_v(dep.deprecated)} and removed in {_v(dep.removed)}: {dep.advice}",
                value=obj.api_version, edits=_fix(obj, dep))


_ALPHA_RE = re.compile(r"^(?:([a-z0-9.\-]+)/)?v\d+alpha\d+$")
#: API groups served by kube-apiserver itself (CRD-based groups under
#: k8s.io, such as gateway.networking.k8s.io, are not built in)
_BUILTIN_GROUPS = frozenset({
    "", "apps", "batch", "policy", "autoscaling", "extensions",
    "admissionregistration.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io",
    "apiserverinternal.k8s.io", "authentication.k8s.io", "authorization.k8s.io",
    "certificates.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io",
    "flowcontrol.apiserver.k8s.io", "internal.apiserver.k8s.io", "networking.k8s.io",
    "node.k8s.io", "rbac.authorization.k8s.io", "resource.k8s.io", "scheduling.k8s.io",
    "storage.k8s.io", "storagemigration.k8s.io",
})


class AlphaApiVersion(Check):
    """
    ## What it does
    Reports objects of the API groups kube-apiserver serves itself (the
    core group, `apps`, `batch`, `policy`, `autoscaling` and the built-in
    `*.k8s.io` groups such as `networking.k8s.io` or `resource.k8s.io`)
    that use an alpha version such as `v1alpha1`. Custom resources,
    including CRD-based `k8s.io` projects such as the Gateway API, are not
    reported.

    ## Why is this bad?
    Alpha APIs are disabled by default, may change incompatibly or
    disappear in any release without a deprecation period, and often lack
    the security review of stable APIs.

    ## Example
    ```yaml
    apiVersion: admissionregistration.k8s.io/v1alpha1
    kind: ValidatingAdmissionPolicy
    ```

    ## Use instead
    ```yaml
    apiVersion: admissionregistration.k8s.io/v1
    kind: ValidatingAdmissionPolicy
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "API003"
    name = "Alpha API version"
    severity = Severity.LOW
    frameworks = {"nsa": NSA}
    remediation = "Use a stable (or at least beta) version of the API."

    def check(self, obj, ctx):
        if (obj.api_version, obj.kind) in DEPRECATIONS:
            return  # API001/API002 say more
        m = _ALPHA_RE.match(obj.api_version)
        if not m:
            return
        group = m.group(1) or ""
        if group in _BUILTIN_GROUPS:
            yield self.finding(obj, ("apiVersion",),
                               f"{obj.api_version} is an alpha API: disabled by default and "
                               "subject to change without deprecation", value=obj.api_version)
