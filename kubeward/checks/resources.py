"""Resource requests, limits and namespace resource policies (RES001..).

Severity rubric (the same in every kubeward check module):
  critical: direct host or cluster takeover; high: container escape or
  credential exposure likely; medium: weakens defence in depth; low:
  hardening / best practice; info: hygiene.

A container's request or limit counts as set when Kubernetes would set it at
admission:
- the container sets it (``resources.requests`` / ``resources.limits``);
- a request is also set by the container's limit for the same resource
  (the API server defaults requests to limits);
- a LimitRange of the input in the same namespace (a missing namespace
  matches a missing namespace) with an item of ``type: Container`` gives a
  default: limits from ``default`` (or ``max``), requests from
  ``defaultRequest`` (or ``default``, ``max``, ``min``), as the API server's
  LimitRange defaulting does;
- the pod sets it for the whole pod (pod-level ``spec.resources``).
Regular and init containers are checked (ephemeral containers cannot set
resources). The checks consult other objects, so they are cross checks and
see the whole input even in parallel scans. Their fixes are display-only
suggestions: only the owner knows the numbers.
"""

from __future__ import annotations

from typing import Iterator

from kubeward.checks.base import CrossCheck, FixSafety, Severity

_LISTS = ("initContainers", "containers")
_SUGGEST = {"cpu": ("100m", "500m"), "memory": ("128Mi", "256Mi"),
            "ephemeral-storage": ("64Mi", "1Gi")}


def _keys(d) -> set:
    return set(d) if isinstance(d, dict) else set()


def limitrange_defaults(ctx) -> dict:
    """namespace -> {"limits": {resource...}, "requests": {resource...}}, once per scan."""
    return ctx.memo("resources.limitrange_defaults", lambda: _limitrange_defaults(ctx))


def _limitrange_defaults(ctx) -> dict:
    out: dict = {}
    for lr in ctx.by_kind("LimitRange"):
        spec = lr.raw.get("spec")
        items = spec.get("limits") if isinstance(spec, dict) else None
        if not isinstance(items, list):
            continue
        entry = out.setdefault(lr.namespace, {"limits": set(), "requests": set()})
        for item in items:
            if not isinstance(item, dict) or item.get("type") != "Container":
                continue
            limits = _keys(item.get("default")) | _keys(item.get("max"))
            entry["limits"] |= limits
            entry["requests"] |= _keys(item.get("defaultRequest")) | limits | _keys(item.get("min"))
    return out


class ResourceCheck(CrossCheck):
    """Template: every regular/init container must end up with ``bound`` of ``resource``."""

    resource: str = ""
    bound: str = ""  # "requests" or "limits"
    fix_safety = FixSafety.DISPLAY
    workloads_only = True

    def check_all(self, objects, ctx) -> Iterator:
        defaults = limitrange_defaults(ctx)
        r, bound = self.resource, self.bound
        singular = "request" if bound == "requests" else "limit"
        for obj in objects:
            pod = obj.pod
            if pod is None:
                continue
            d = defaults.get(obj.namespace)
            if d is not None and r in d[bound]:
                continue
            pres = pod.spec.get("resources")
            if isinstance(pres, dict) and (r in _keys(pres.get(bound))
                                           or (bound == "requests" and r in _keys(pres.get("limits")))):
                continue
            for c in pod.containers:
                if c.list_name not in _LISTS:
                    continue
                res = c.spec.get("resources")
                res = res if isinstance(res, dict) else None
                if res is not None:
                    if r in _keys(res.get(bound)):
                        continue
                    if bound == "requests" and r in _keys(res.get("limits")):
                        continue
                yield self.finding(obj, c.path + ("resources", bound, r),
                                   f"container {c.name!r} has no {r} {singular} "
                                   f"(missing resources.{bound}.{r}"
                                   f"{'' if d is None else '; no LimitRange default'})")


_RR = "Set resources.requests.{r} to the usual consumption (for example {ex})."
_RL = "Set resources.limits.{r} above peak consumption (for example {ex})."


class CpuRequest(ResourceCheck):
    """
    ## What it does
    Reports containers without a CPU request (none set, none defaulted from
    the limit or from a LimitRange of the input). Off by default: a
    scheduling best practice rather than a security control; RES004 (memory
    limit) is the resource check on by default.

    ## Why is this bad?
    Without a request the scheduler places the pod as if it needed no CPU and
    the pod runs in the lowest CPU share class: neighbours starve it, and a
    node can be overcommitted until everything on it slows down.

    ## Example
    ```yaml
    containers:
      - name: web
        image: registry.example.com/web:1.4.2
    ```

    ## Use instead
    ```yaml
    containers:
      - name: web
        image: registry.example.com/web:1.4.2
        resources:
          requests:
            cpu: 100m
    ```

    ## Fix safety
    Display only: a suggested request is printed; only the owner knows the
    right number.
    """

    id = "RES001"
    name = "CPU request missing"
    severity = Severity.LOW
    default_enabled = False
    resource, bound = "cpu", "requests"
    frameworks = {"nsa": ("network/resource-policies",), "mitre": ("MS-TA9040",)}
    remediation = _RR.format(r="cpu", ex="100m")


class CpuLimit(ResourceCheck):
    """
    ## What it does
    Reports containers without a CPU limit (none set, none defaulted from a
    LimitRange of the input). Off by default: CPU limits throttle bursts and
    many operators deliberately run with requests only.

    ## Why is this bad?
    An unlimited container can use every idle CPU of the node; a runaway or
    hijacked process (crypto mining) then degrades every other pod there
    down to its request.

    ## Example
    ```yaml
    resources:
      requests:
        cpu: 100m
    ```

    ## Use instead
    ```yaml
    resources:
      requests:
        cpu: 100m
      limits:
        cpu: "1"
    ```

    ## Fix safety
    Display only: a suggested limit is printed; only the owner knows the
    right number.
    """

    id = "RES002"
    name = "CPU limit missing"
    severity = Severity.LOW
    default_enabled = False
    resource, bound = "cpu", "limits"
    frameworks = {"nsa": ("network/resource-policies",), "mitre": ("MS-TA9039",)}
    remediation = _RL.format(r="cpu", ex="500m")


class MemoryRequest(ResourceCheck):
    """
    ## What it does
    Reports containers without a memory request (none set, none defaulted
    from the limit or from a LimitRange of the input). Off by default, like
    RES001.

    ## Why is this bad?
    Pods without memory requests are scheduled onto nodes that cannot hold
    them and are the first to be evicted or OOM-killed under memory pressure.

    ## Example
    ```yaml
    containers:
      - name: web
        image: registry.example.com/web:1.4.2
    ```

    ## Use instead
    ```yaml
    containers:
      - name: web
        image: registry.example.com/web:1.4.2
        resources:
          requests:
            memory: 128Mi
    ```

    ## Fix safety
    Display only: a suggested request is printed; only the owner knows the
    right number.
    """

    id = "RES003"
    name = "Memory request missing"
    severity = Severity.LOW
    default_enabled = False
    resource, bound = "memory", "requests"
    frameworks = {"nsa": ("network/resource-policies",), "mitre": ("MS-TA9040",)}
    remediation = _RR.format(r="memory", ex="128Mi")


class MemoryLimit(ResourceCheck):
    """
    ## What it does
    Reports containers without a memory limit (none set, none defaulted from
    a LimitRange of the input).

    ## Why is this bad?
    A container without a memory limit can consume all of the node's memory:
    the kernel OOM killer then kills other pods, or system daemons, which is
    a denial of service that one compromised or leaking pod can cause.

    ## Example
    ```yaml
    resources:
      requests:
        memory: 128Mi
    ```

    ## Use instead
    ```yaml
    resources:
      requests:
        memory: 128Mi
      limits:
        memory: 256Mi
    ```

    ## Fix safety
    Display only: a suggested limit is printed; only the owner knows the
    right number.
    """

    id = "RES004"
    name = "Memory limit missing"
    severity = Severity.LOW
    resource, bound = "memory", "limits"
    frameworks = {"nsa": ("network/resource-policies",), "mitre": ("MS-TA9040", "MS-TA9039")}
    remediation = _RL.format(r="memory", ex="256Mi")


class EphemeralStorageRequest(ResourceCheck):
    """
    ## What it does
    Reports containers without an `ephemeral-storage` request (none set, none
    defaulted from the limit or a LimitRange of the input). Off by default:
    rarely set, and only meaningful where node disk is scarce.

    ## Why is this bad?
    The scheduler ignores the pod's disk needs (logs, writable layer,
    `emptyDir`), so nodes fill up and evict pods under disk pressure.

    ## Example
    ```yaml
    resources:
      requests:
        memory: 128Mi
    ```

    ## Use instead
    ```yaml
    resources:
      requests:
        memory: 128Mi
        ephemeral-storage: 64Mi
    ```

    ## Fix safety
    Display only: a suggested request is printed.
    """

    id = "RES005"
    name = "Ephemeral storage request missing"
    severity = Severity.LOW
    default_enabled = False
    resource, bound = "ephemeral-storage", "requests"
    frameworks = {"nsa": ("network/resource-policies",), "mitre": ("MS-TA9040",)}
    remediation = _RR.format(r="ephemeral-storage", ex="64Mi")


class EphemeralStorageLimit(ResourceCheck):
    """
    ## What it does
    Reports containers without an `ephemeral-storage` limit (none set, none
    defaulted from a LimitRange of the input). Off by default, like RES005.

    ## Why is this bad?
    A container that writes without bound to its writable layer, logs or
    `emptyDir` volumes fills the node's disk and makes the kubelet evict
    other pods: a denial of service from a single workload.

    ## Example
    ```yaml
    resources:
      limits:
        memory: 256Mi
    ```

    ## Use instead
    ```yaml
    resources:
      limits:
        memory: 256Mi
        ephemeral-storage: 1Gi
    ```

    ## Fix safety
    Display only: a suggested limit is printed.
    """

    id = "RES006"
    name = "Ephemeral storage limit missing"
    severity = Severity.LOW
    default_enabled = False
    resource, bound = "ephemeral-storage", "limits"
    frameworks = {"nsa": ("network/resource-policies",), "mitre": ("MS-TA9040",)}
    remediation = _RL.format(r="ephemeral-storage", ex="1Gi")


class NamespacePolicyCheck(CrossCheck):
    """Template: each Namespace of the input needs an object of ``policy_kind`` in it."""

    policy_kind: str = ""
    kinds = frozenset({"Namespace"})

    def check_all(self, objects, ctx) -> Iterator:
        covered = {o.namespace for o in ctx.by_kind(self.policy_kind)}
        for ns in ctx.by_kind("Namespace"):
            if ns.name and ns.name not in covered:
                yield self.finding(ns, ("metadata", "name"),
                                   f"Namespace {ns.name!r} has no {self.policy_kind} in the input")


class NamespaceWithoutResourceQuota(NamespacePolicyCheck):
    """
    ## What it does
    Reports Namespaces of the input without a ResourceQuota in them. Off by
    default: quotas are often managed separately from application manifests;
    the check is meaningful on a whole-cluster or platform repository.

    ## Why is this bad?
    Without a quota one team (or one compromised CI credential) can create
    unbounded pods, Services or storage in the namespace and exhaust the
    cluster for everyone.

    ## Example
    ```yaml
    apiVersion: v1
    kind: Namespace
    metadata:
      name: shop
    ```

    ## Use instead
    ```yaml
    apiVersion: v1
    kind: ResourceQuota
    metadata:
      name: shop
      namespace: shop
    spec:
      hard:
        requests.cpu: "20"
        requests.memory: 40Gi
        pods: "100"
    ```

    ## Fix safety
    No automatic fix: quotas are a capacity decision.
    """

    id = "RES007"
    name = "Namespace without ResourceQuota"
    severity = Severity.LOW
    default_enabled = False
    policy_kind = "ResourceQuota"
    frameworks = {"nsa": ("network/resource-policies",), "mitre": ("MS-TA9040",)}
    remediation = "Add a ResourceQuota to the namespace."


class NamespaceWithoutLimitRange(NamespacePolicyCheck):
    """
    ## What it does
    Reports Namespaces of the input without a LimitRange in them. Off by
    default, like RES007.

    ## Why is this bad?
    A LimitRange gives every container default requests and limits, so a
    workload that forgets them cannot consume a whole node; without one each
    manifest must get it right.

    ## Example
    ```yaml
    apiVersion: v1
    kind: Namespace
    metadata:
      name: shop
    ```

    ## Use instead
    ```yaml
    apiVersion: v1
    kind: LimitRange
    metadata:
      name: defaults
      namespace: shop
    spec:
      limits:
        - type: Container
          defaultRequest:
            cpu: 100m
            memory: 128Mi
          default:
            memory: 512Mi
    ```

    ## Fix safety
    No automatic fix: defaults are a capacity decision.
    """

    id = "RES008"
    name = "Namespace without LimitRange"
    severity = Severity.LOW
    default_enabled = False
    policy_kind = "LimitRange"
    frameworks = {"nsa": ("network/resource-policies",), "mitre": ("MS-TA9040",)}
    remediation = "Add a LimitRange with Container defaults to the namespace."
