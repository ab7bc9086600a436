"""Availability and operability of workloads (REL001..).

Severity rubric (the same in every kubeward check module):
  critical: direct host or cluster takeover; high: container escape or
  credential exposure likely; medium: weakens defence in depth; low:
  hardening / best practice; info: hygiene.

Replica counts are effective counts: ``spec.replicas`` (default 1), or, when a
HorizontalPodAutoscaler of the input targets the workload, the HPA's
``minReplicas`` (default 1). PodDisruptionBudgets and HPAs are matched only
within the scanned input, in the same namespace (a missing namespace matches
a missing namespace). Checks that consult other objects are cross checks, so
they see the whole input even in parallel scans.
"""

from __future__ import annotations

from typing import Iterator

from kubeward.checks.base import Check, CrossCheck, Severity
from kubeward.model.objects import K8sObject

REPLICATED_KINDS = frozenset({"Deployment", "StatefulSet"})


def _is_int(v) -> bool:
    return type(v) is int


def is_batch(obj: K8sObject) -> bool:
    """Run-to-completion workloads: Jobs, CronJobs (and CRDs named *Job), and
    pods that do not restart."""
    if obj.kind.endswith("Job"):
        return True
    return obj.pod.spec.get("restartPolicy") in ("Never", "OnFailure")


def selector_matches(selector, labels: dict) -> bool:
    """Kubernetes label selector semantics; an empty selector matches all."""
    if not isinstance(selector, dict):
        return False
    ml = selector.get("matchLabels")
    if isinstance(ml, dict):
        for k, v in ml.items():
            if k not in labels or str(labels[k]) != str(v):
                return False
    exprs = selector.get("matchExpressions")
    if isinstance(exprs, list):
        for e in exprs:
            if not isinstance(e, dict):
                return False
            key, op = e.get("key"), e.get("operator")
            values = [str(v) for v in e.get("values") or []]
            has = key in labels
            if op == "In":
                ok = has and str(labels[key]) in values
            elif op == "NotIn":
                ok = not has or str(labels[key]) not in values
            elif op == "Exists":
                ok = has
            elif op == "DoesNotExist":
                ok = not has
            else:
                return False
            if not ok:
                return False
    return True


def _hpa_index(ctx) -> dict:
    """(namespace, kind, name) -> HPA object, built once per scan."""
    return ctx.memo("reliability.hpa_index", lambda: _build_hpa_index(ctx))


def _build_hpa_index(ctx) -> dict:
    idx: dict = {}
    for h in ctx.by_kind("HorizontalPodAutoscaler"):
        spec = h.raw.get("spec")
        ref = spec.get("scaleTargetRef") if isinstance(spec, dict) else None
        if isinstance(ref, dict):
            idx[(h.namespace, ref.get("kind"), ref.get("name"))] = h
    return idx


def effective_replicas(obj: K8sObject, ctx) -> tuple[int, str]:
    """(replica count, where it comes from) for Deployments/StatefulSets."""
    hpa = _hpa_index(ctx).get((obj.namespace, obj.kind, obj.name))
    if hpa is not None:
        spec = hpa.raw.get("spec") or {}
        mn = spec.get("minReplicas", 1)
        return (mn if _is_int(mn) else 1), f"HorizontalPodAutoscaler {hpa.name!r} minReplicas"
    spec = obj.raw.get("spec")
    r = spec.get("replicas", 1) if isinstance(spec, dict) else 1
    return (r if _is_int(r) else 1), "spec.replicas"


def _replicas_path(obj: K8sObject) -> tuple:
    spec = obj.raw.get("spec")
    return ("spec", "replicas") if isinstance(spec, dict) and "replicas" in spec else ("spec",)


class ProbeCheck(Check):
    """Template: regular containers of long-running workloads must define ``probe``."""

    workloads_only = True
    probe: str = ""

    def check(self, obj, ctx):
        if is_batch(obj):
            return
        for c in obj.pod.containers:
            if c.list_name != "containers":
                continue
            if not isinstance(c.spec.get(self.probe), dict):
                yield self.finding(obj, c.path, f"container {c.name!r} has no {self.probe}")


class LivenessProbe(ProbeCheck):
    """
    ## What it does
    Reports regular containers of long-running workloads without a
    `livenessProbe`. Jobs, CronJobs, pods with `restartPolicy` `Never` or
    `OnFailure`, init and ephemeral containers are skipped. Off by default:
    a liveness probe is only useful when the process can hang without
    exiting, and a badly chosen one causes restart storms.

    ## Why is this bad?
    A deadlocked process keeps its container "running" forever; without a
    liveness probe Kubernetes never restarts it.

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
        livenessProbe:
          httpGet:
            path: /healthz
            port: 8080
    ```

    ## Fix safety
    No automatic fix: the health endpoint is application-specific.
    """

    id = "REL001"
    name = "Liveness probe missing"
    severity = Severity.LOW
    default_enabled = False
    probe = "livenessProbe"
    crosswalk = {"kube-linter": ("no-liveness-probe",), "checkov": ("CKV_K8S_8",),
                 "polaris": ("livenessProbeMissing",), "kubescape": ("C-0056",),
                 "kube-score": ("pod-probes",)}
    remediation = "Add a livenessProbe that fails only when the process must be restarted."


class ReadinessProbe(ProbeCheck):
    """
    ## What it does
    Reports regular containers of long-running workloads without a
    `readinessProbe`. Jobs, CronJobs, pods with `restartPolicy` `Never` or
    `OnFailure`, init and ephemeral containers are skipped. Off by default:
    a reliability best practice that most manifests do not follow (it fires
    on about 80% of the workloads of a real-world corpus), and workloads
    without a Service gain nothing from it.

    ## Why is this bad?
    Without a readiness probe a pod receives traffic as soon as its process
    starts, before it can serve, and keeps receiving it while overloaded or
    disconnected from its dependencies; rollouts proceed even when the new
    version never becomes able to serve.

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
        readinessProbe:
          httpGet:
            path: /ready
            port: 8080
    ```

    ## Fix safety
    No automatic fix: the readiness endpoint is application-specific.
    """

    id = "REL002"
    name = "Readiness probe missing"
    severity = Severity.LOW
    default_enabled = False
    probe = "readinessProbe"
    crosswalk = {"kube-linter": ("no-readiness-probe",), "checkov": ("CKV_K8S_9",),
                 "polaris": ("readinessProbeMissing",), "kubescape": ("C-0018",),
                 "kube-score": ("pod-probes",)}
    remediation = "Add a readinessProbe."


class SingleReplica(CrossCheck):
    """
    ## What it does
    Reports Deployments and StatefulSets with one replica (`spec.replicas: 1`
    or unset), or whose HorizontalPodAutoscaler in the input allows scaling
    down to one (`minReplicas` 1 or unset). Off by default: many workloads
    (controllers with leader election, singletons, development setups)
    legitimately run one replica.

    ## Why is this bad?
    A single replica is unavailable during every rollout, node drain and
    node failure.

    ## Example
    ```yaml
    kind: Deployment
    spec:
      replicas: 1
    ```

    ## Use instead
    ```yaml
    kind: Deployment
    spec:
      replicas: 3
    ```

    ## Fix safety
    No automatic fix: more replicas need capacity and an application that
    tolerates them.
    """

    id = "REL003"
    name = "Single replica"
    severity = Severity.LOW
    default_enabled = False
    kinds = REPLICATED_KINDS
    crosswalk = {"polaris": ("deploymentMissingReplicas",)}
    remediation = "Run at least two replicas (three for quorum-based systems)."

    def check_all(self, objects, ctx) -> Iterator:
        for obj in objects:
            if obj.kind not in REPLICATED_KINDS or obj.pod is None:
                continue
            n, source = effective_replicas(obj, ctx)
            if n < 2:
                yield self.finding(obj, _replicas_path(obj),
                                   f"{obj.kind} {obj.name!r} runs a single replica ({source} "
                                   f"is {n})", value=n)


class MissingPodDisruptionBudget(CrossCheck):
    """
    ## What it does
    Reports Deployments and StatefulSets with two or more replicas that no
    PodDisruptionBudget of the input (same namespace, selector matching the
    pod template labels) covers.

    ## Why is this bad?
    Without a PDB a node drain or cluster upgrade may evict all replicas at
    once, turning routine maintenance (including security patching) into an
    outage, which in turn pushes teams to delay it.

    ## Example
    ```yaml
    kind: Deployment
    spec:
      replicas: 3
      template:
        metadata:
          labels:
            app: web
    ```

    ## Use instead
    ```yaml
    apiVersion: policy/v1
    kind: PodDisruptionBudget
    metadata:
      name: web
    spec:
      maxUnavailable: 1
      selector:
        matchLabels:
          app: web
    ```

    ## Fix safety
    No automatic fix: the budget depends on the service's capacity needs.
    """

    id = "REL004"
    name = "PodDisruptionBudget missing"
    severity = Severity.LOW
    kinds = REPLICATED_KINDS
    crosswalk = {"polaris": ("missingPodDisruptionBudget",),
                 "kube-score": ("deployment-has-poddisruptionbudget",
                                "statefulset-has-poddisruptionbudget")}
    remediation = "Add a PodDisruptionBudget selecting the workload's pods."

    def check_all(self, objects, ctx) -> Iterator:
        pdbs: dict = {}
        for p in ctx.by_kind("PodDisruptionBudget"):
            spec = p.raw.get("spec")
            if isinstance(spec, dict):
                pdbs.setdefault(p.namespace, []).append(spec.get("selector"))
        for obj in objects:
            if obj.kind not in REPLICATED_KINDS or obj.pod is None:
                continue
            n, source = effective_replicas(obj, ctx)
            if n < 2:
                continue
            labels = obj.pod.metadata.get("labels")
            labels = labels if isinstance(labels, dict) else {}
            if any(selector_matches(sel, labels) for sel in pdbs.get(obj.namespace, ())):
                continue
            yield self.finding(obj, _replicas_path(obj),
                               f"{obj.kind} {obj.name!r} has {n} replicas ({source}) but no "
                               "PodDisruptionBudget in the input selects its pods")


class NoSpreading(CrossCheck):
    """
    ## What it does
    Reports Deployments and StatefulSets with two or more replicas whose pod
    template has neither `affinity.podAntiAffinity` nor
    `topologySpreadConstraints`.

    ## Why is this bad?
    The scheduler may put every replica on the same node or zone; one node
    or zone failure then takes the whole service down, replicas notwithstanding.

    ## Example
    ```yaml
    spec:
      replicas: 3
      template:
        spec:
          containers:
            - name: web
              image: registry.example.com/web:1.4.2
    ```

    ## Use instead
    ```yaml
    spec:
      replicas: 3
      template:
        spec:
          topologySpreadConstraints:
            - maxSkew: 1
              topologyKey: kubernetes.io/hostname
              whenUnsatisfiable: ScheduleAnyway
              labelSelector:
                matchLabels:
                  app: web
    ```

    ## Fix safety
    No automatic fix: the topology keys depend on the cluster.
    """

    id = "REL005"
    name = "Replicas not spread"
    severity = Severity.LOW
    kinds = REPLICATED_KINDS
    crosswalk = {"kube-linter": ("no-anti-affinity",), "polaris": ("topologySpreadConstraint",),
                 "kube-score": ("deployment-has-host-podantiaffinity",
                                "statefulset-has-host-podantiaffinity")}
    remediation = "Add topologySpreadConstraints or a podAntiAffinity for the workload's pods."

    def check_all(self, objects, ctx) -> Iterator:
        for obj in objects:
            if obj.kind not in REPLICATED_KINDS or obj.pod is None:
                continue
            spec = obj.pod.spec
            if spec.get("topologySpreadConstraints"):
                continue
            aff = spec.get("affinity")
            anti = aff.get("podAntiAffinity") if isinstance(aff, dict) else None
            if isinstance(anti, dict) and any(anti.get(k) for k in (
                    "requiredDuringSchedulingIgnoredDuringExecution",
                    "preferredDuringSchedulingIgnoredDuringExecution")):
                continue
            n, source = effective_replicas(obj, ctx)
            if n < 2:
                continue
            yield self.finding(obj, obj.pod.path,
                               f"{obj.kind} {obj.name!r} has {n} replicas but no podAntiAffinity "
                               "or topologySpreadConstraints")


class NoPriorityClass(Check):
    """
    ## What it does
    Reports pod specs without `priorityClassName`. Off by default: priority
    classes are a cluster-wide design decision.

    ## Why is this bad?
    Without a priority class, critical workloads have the same priority as
    batch jobs: under resource pressure the scheduler may evict or fail to
    place them first.

    ## Example
    ```yaml
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.4.2
    ```

    ## Use instead
    ```yaml
    spec:
      priorityClassName: web-critical
      containers:
        - name: web
          image: registry.example.com/web:1.4.2
    ```

    ## Fix safety
    No automatic fix: the class must exist in the cluster.
    """

    id = "REL006"
    name = "No priorityClassName"
    severity = Severity.INFO
    default_enabled = False
    workloads_only = True
    crosswalk = {"kube-linter": ("priority-class-name",), "polaris": ("priorityClassNotSet",)}
    remediation = "Set spec.priorityClassName."

    def check(self, obj, ctx):
        if not obj.pod.spec.get("priorityClassName"):
            yield self.finding(obj, obj.pod.path,
                               f"{obj.kind} {obj.name!r} sets no priorityClassName")


class NakedPod(Check):
    """
    ## What it does
    Reports Pods that no controller owns (no `metadata.ownerReferences`).

    ## Why is this bad?
    A bare Pod is not recreated when its node fails or is drained, cannot be
    rolled out or rolled back, and bypasses the policies teams attach to
    Deployments and Jobs.

    ## Example
    ```yaml
    apiVersion: v1
    kind: Pod
    metadata:
      name: web
    ```

    ## Use instead
    ```yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    ```

    ## Fix safety
    No automatic fix: wrapping the Pod in a controller changes its identity.
    """

    id = "REL007"
    name = "Naked Pod"
    severity = Severity.LOW
    kinds = frozenset({"Pod"})
    crosswalk = {"kubescape": ("C-0073",)}
    remediation = "Create the Pod through a Deployment, StatefulSet, DaemonSet or Job."

    def check(self, obj, ctx):
        if not obj.metadata.get("ownerReferences"):
            yield self.finding(obj, ("metadata",) if obj.raw.get("metadata") is not None else (),
                               f"Pod {obj.name!r} has no controller (no metadata.ownerReferences)")


class PdbBlocksEviction(Check):
    """
    ## What it does
    Reports PodDisruptionBudgets that allow no voluntary disruption at all:
    `maxUnavailable: 0` (or `0%`) or `minAvailable: 100%`.

    ## Why is this bad?
    Such a budget blocks every node drain: cluster upgrades and node
    security patching hang until someone deletes the budget or the pods by
    hand.

    ## Example
    ```yaml
    apiVersion: policy/v1
    kind: PodDisruptionBudget
    spec:
      maxUnavailable: 0
    ```

    ## Use instead
    ```yaml
    apiVersion: policy/v1
    kind: PodDisruptionBudget
    spec:
      maxUnavailable: 1
    ```

    ## Fix safety
    No automatic fix: the acceptable disruption depends on the service.
    """

    id = "REL008"
    name = "PodDisruptionBudget allows no disruption"
    severity = Severity.LOW
    kinds = frozenset({"PodDisruptionBudget"})
    remediation = "Allow at least one pod to be disrupted (maxUnavailable: 1)."

    def check(self, obj, ctx):
        spec = obj.raw.get("spec")
        if not isinstance(spec, dict):
            return
        mu, ma = spec.get("maxUnavailable"), spec.get("minAvailable")
        if (_is_int(mu) and mu == 0) or (isinstance(mu, str) and mu.strip() in ("0", "0%")):
            yield self.finding(obj, ("spec", "maxUnavailable"),
                               f"PodDisruptionBudget {obj.name!r} has maxUnavailable {mu!r}: no pod "
                               "can ever be evicted", value=mu)
        elif isinstance(ma, str) and ma.strip() == "100%":
            yield self.finding(obj, ("spec", "minAvailable"),
                               f"PodDisruptionBudget {obj.name!r} has minAvailable 100%: no pod "
                               "can ever be evicted", value=ma)
