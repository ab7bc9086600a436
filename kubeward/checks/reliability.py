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

from kubeward.analysis.selectors import as_dict, as_list, selector_matches
from kubeward.checks.base import Check, CrossCheck, Severity
from kubeward.model.objects import K8sObject

#: workloads whose replicas a PodDisruptionBudget and spreading protect
#: (OpenShift's DeploymentConfig runs replicas like a Deployment)
REPLICATED_KINDS = frozenset({"Deployment", "StatefulSet", "DeploymentConfig"})


def _is_int(v) -> bool:
    return type(v) is int


def is_batch(obj: K8sObject) -> bool:
    """Run-to-completion workloads: Jobs, CronJobs (and CRDs named *Job), and
    pods that do not restart."""
    if obj.kind.endswith("Job"):
        return True
    return obj.pod.spec.get("restartPolicy") in ("Never", "OnFailure")


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
    return ("spec", "replicas")


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
                yield self.finding(obj, c.path + (self.probe,),
                                   f"container {c.name!r} has no {self.probe}")


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
    severity = Severity.INFO
    default_enabled = False
    probe = "livenessProbe"
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
    severity = Severity.INFO
    default_enabled = False
    probe = "readinessProbe"
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
    severity = Severity.INFO
    default_enabled = False
    kinds = REPLICATED_KINDS
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
    Reports Deployments, StatefulSets and OpenShift DeploymentConfigs with
    two or more replicas that no PodDisruptionBudget of the input (same namespace, selector matching the
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
    severity = Severity.INFO
    kinds = REPLICATED_KINDS
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
    Reports Deployments, StatefulSets and OpenShift DeploymentConfigs with
    two or more replicas that nothing spreads: no `topologySpreadConstraints`
    entry and no `affinity.podAntiAffinity` term (required, or preferred
    with a positive weight) whose `labelSelector` matches the workload's own
    pod labels, in the workload's own namespace (a term's `namespaces` and
    `namespaceSelector` must include it). A term that selects other pods
    keeps this workload away from those, not its replicas from each other.

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
    severity = Severity.INFO
    kinds = REPLICATED_KINDS
    remediation = "Add topologySpreadConstraints or a podAntiAffinity for the workload's pods."

    def check_all(self, objects, ctx) -> Iterator:
        ns_labels = {n.name: as_dict(n.labels) for n in ctx.by_kind("Namespace")}
        for obj in objects:
            if obj.kind not in REPLICATED_KINDS or obj.pod is None:
                continue
            n, source = effective_replicas(obj, ctx)
            if n < 2:
                continue
            if spreads_own_pods(obj, ns_labels):
                continue
            yield self.finding(obj, obj.pod.path + ("topologySpreadConstraints",),
                               f"{obj.kind} {obj.name!r} has {n} replicas but no podAntiAffinity "
                               "term or topologySpreadConstraint that selects its own pods")


def _selects_own_pods(term: dict, labels: dict) -> bool:
    """A term's ``labelSelector`` (with ``matchLabelKeys``, which add the
    pod's own values of those keys) matches the workload's pod labels. A
    missing selector matches no pod, as the scheduler reads it."""
    sel = term.get("labelSelector")
    if not isinstance(sel, dict):
        return False
    return selector_matches(sel, labels)


def _term_covers_namespace(term: dict, namespace, ns_labels: dict) -> bool:
    """Whether a pod (anti-)affinity term counts pods of the workload's own
    namespace: with neither ``namespaces`` nor ``namespaceSelector`` the
    term means the pod's namespace; otherwise the union of the listed names
    and the namespaces the selector matches (``{}`` matches all). A
    selector over labels of a Namespace not in the input cannot be decided
    and is taken to cover it (no finding on a guess)."""
    names = as_list(term.get("namespaces"))
    nsel = term.get("namespaceSelector")
    if not names and nsel is None:
        return True
    if namespace in names or (namespace is None and "default" in names):
        return True
    if isinstance(nsel, dict):
        labels = ns_labels.get(namespace or "default")
        return labels is None or selector_matches(nsel, labels)
    return False


def spreads_own_pods(obj: K8sObject, ns_labels: dict) -> bool:
    """A topologySpreadConstraint, or a podAntiAffinity term (required, or
    preferred with a positive weight), that selects the workload's own pods
    in its own namespace: only such a term keeps its replicas apart."""
    spec = obj.pod.spec
    labels = as_dict(obj.pod.metadata.get("labels"))
    for c in as_list(spec.get("topologySpreadConstraints")):
        if isinstance(c, dict) and c.get("topologyKey") and _selects_own_pods(c, labels):
            return True
    anti = as_dict(as_dict(spec.get("affinity")).get("podAntiAffinity"))
    terms = [t for t in as_list(anti.get("requiredDuringSchedulingIgnoredDuringExecution"))
             if isinstance(t, dict)]
    for pref in as_list(anti.get("preferredDuringSchedulingIgnoredDuringExecution")):
        if isinstance(pref, dict) and isinstance(pref.get("podAffinityTerm"), dict):
            w = pref.get("weight")
            if type(w) is int and w > 0:
                terms.append(pref["podAffinityTerm"])
    return any(t.get("topologyKey") and _selects_own_pods(t, labels)
               and _term_covers_namespace(t, obj.namespace, ns_labels) for t in terms)


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
    remediation = "Set spec.priorityClassName."

    def check(self, obj, ctx):
        if not obj.pod.spec.get("priorityClassName"):
            yield self.finding(obj, obj.pod.path + ("priorityClassName",),
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
    severity = Severity.INFO
    kinds = frozenset({"Pod"})
    remediation = "Create the Pod through a Deployment, StatefulSet, DaemonSet or Job."

    def check(self, obj, ctx):
        if not obj.metadata.get("ownerReferences"):
            yield self.finding(obj, ("metadata",) if obj.raw.get("metadata") is not None else (),
                               f"Pod {obj.name!r} has no controller (no metadata.ownerReferences)")


