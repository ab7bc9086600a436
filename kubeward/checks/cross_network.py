"""Network checks over every object of the scan: pod isolation by
NetworkPolicies, default-deny per namespace, policies that select nothing or
restrict one direction, and toxic combinations of exposure and privilege.

Semantics live in :mod:`kubeward.analysis.network` (shared with
``kubeward network``)."""

from __future__ import annotations

from kubeward.analysis import network as net
from kubeward.analysis import rbac
from kubeward.analysis.selectors import is_empty_selector, selector_matches
from kubeward.checks.base import CrossCheck, FixSafety, Severity


#: per direction: what an unisolated pod allows, and the controls it fails
_OPEN = {net.INGRESS: "accept traffic from any pod and any address",
         net.EGRESS: "may connect to any pod and any address"}
_CONTROLS = {net.INGRESS: {"cis": ("5.3.2",), "nsa": ("network/network-policies",),
                           "mitre": ("MS-TA9034",)},
             net.EGRESS: {"cis": ("5.3.2",), "nsa": ("network/network-policies",),
                          "mitre": ("MS-TA9033",)}}


class _NotIsolated(CrossCheck):
    directions: tuple[str, ...] = ()

    def check_all(self, objects, ctx):
        a = net.of_context(ctx)
        for w in a.workloads:
            missing = [d for d in self.directions if not a.view(w, d).isolated]
            if not missing:
                continue
            frameworks: dict[str, tuple] = {}
            for d in missing:
                for name, controls in _CONTROLS[d].items():
                    frameworks[name] = tuple(dict.fromkeys(frameworks.get(name, ()) + controls))
            effect = " and ".join(_OPEN[d] for d in missing)
            if w.host_network:
                ignored = list(dict.fromkeys(p for d in missing for p in a.view(w, d).ignored))
                sel = (f"; {', '.join(ignored)} "
                       f"{'select' if len(ignored) > 1 else 'selects'} it without effect"
                       if ignored else "")
                yield self.finding(
                    w.obj, w.obj.pod.metadata_path + ("labels",),
                    f"{w.key}: its pods use hostNetwork, which NetworkPolicies do not govern"
                    f"{sel}, so they " + " and ".join(
                        _OPEN[d] + (" on the ports they listen on" if d == net.INGRESS else "")
                        for d in missing),
                    frameworks=frameworks,
                    remediation="Drop hostNetwork so NetworkPolicies apply, or restrict "
                                "access to the node's ports with host firewall rules.")
                continue
            yield self.finding(
                w.obj, w.obj.pod.metadata_path + ("labels",),
                f"{w.key}: no NetworkPolicy in the input selects its pods for "
                f"{' or '.join(d.lower() for d in missing)}, so they {effect}",
                frameworks=frameworks,
                remediation=f"{self.remediation} {generate_hint(w.obj.namespace)}")


def generate_hint(namespace: str | None) -> str:
    """The display-only fix: the command that writes the missing policies."""
    return (f"`kubeward generate netpol --namespace {namespace or 'default'}` writes a "
            "default deny for ingress and egress plus DNS egress, ready to apply.")


class NotIsolated(_NotIsolated):
    """
    ## What it does
    Reports workloads whose pods no NetworkPolicy isolates, for ingress,
    egress or both (one finding naming the directions): no policy of their
    namespace selects their pod labels with that direction in its
    `policyTypes` (explicit, or by default: `Ingress` always, `Egress` when
    the policy has egress rules). The finding names the pod template's
    labels, which a policy must select. A pod with `hostNetwork: true` is
    never isolated (NetworkPolicies do not govern the node's network
    namespace): it is reported as open on the ports it listens on, naming
    the policies that select it without effect. The former XNET002 (egress)
    is an alias of this check.

    ## Why is this bad?
    A pod that is not isolated for ingress accepts connections from every
    pod of every namespace and from any address that can route to it: one
    compromised pod anywhere in the cluster can reach it. Unrestricted
    egress lets a compromised pod reach the cloud metadata service, internal
    databases, the kubelet, and the internet to exfiltrate data or fetch
    tooling (severity medium: a missing layer of defence in depth).

    ## Example
    ```yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: api, namespace: shop}
    spec:
      template:
        metadata:
          labels: {app: api}
    # no NetworkPolicy selects app=api
    ```

    ## Use instead
    ```yaml
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: default-deny, namespace: shop}
    spec:
      podSelector: {}
      policyTypes: ["Ingress", "Egress"]
    ```

    ## Fix safety
    Display-only: `kubeward fix` prints the `kubeward generate netpol
    --namespace NS` command that writes a default-deny policy (plus DNS
    egress) for the namespace; the allow rules are yours to write.
    """

    id = "XNET001"
    workloads_only = True
    name = "Workload not isolated by NetworkPolicies"
    severity = Severity.MEDIUM
    directions = (net.INGRESS, net.EGRESS)
    fix_safety = FixSafety.DISPLAY
    frameworks = {"cis": ("5.3.2",), "nsa": ("network/network-policies",),
                  "mitre": ("MS-TA9034", "MS-TA9033")}
    remediation = ("Add NetworkPolicies that select these pods for Ingress and Egress "
                   "(a namespace-wide default deny plus allow rules, and DNS egress).")


def _is_default_deny(p: net.Policy, direction: str) -> bool:
    return (direction in p.types and is_empty_selector(p.pod_selector)
            and not p.rules(direction))


class NamespaceWithoutDefaultDeny(CrossCheck):
    """
    ## What it does
    Reports namespaces that hold workloads but no default-deny NetworkPolicy
    (empty `podSelector`, the direction in `policyTypes`, no rules for it),
    for ingress, egress or both. The finding is on the Namespace object when
    it is in the input, otherwise on the first workload of the namespace.
    Off by default: XNET001 reports the same gap per workload.

    ## Why is this bad?
    Without a namespace-wide default deny every new workload starts out
    reachable and unrestricted until someone remembers to write its policy.

    ## Example
    ```yaml
    apiVersion: v1
    kind: Namespace
    metadata: {name: shop}
    # and no NetworkPolicy with podSelector: {} in shop
    ```

    ## Use instead
    ```yaml
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: default-deny, namespace: shop}
    spec:
      podSelector: {}
      policyTypes: ["Ingress", "Egress"]
    ```

    ## Fix safety
    Display-only: `kubeward fix` prints the `kubeward generate netpol
    --namespace NS` command that writes the default-deny policies.
    """

    id = "XNET003"
    name = "Namespace without default-deny NetworkPolicy"
    severity = Severity.LOW
    default_enabled = False
    fix_safety = FixSafety.DISPLAY
    frameworks = {"cis": ("5.3.2",), "nsa": ("network/network-policies",)}
    remediation = "Add a default-deny NetworkPolicy (podSelector: {}) for ingress and egress."

    def check_all(self, objects, ctx):
        a = net.of_context(ctx)
        for ns, workloads in sorted(a.by_namespace.items()):
            pols = a.policies_by_namespace.get(ns, [])
            missing = [d.lower() for d in (net.INGRESS, net.EGRESS)
                       if not any(_is_default_deny(p, d) for p in pols)]
            if not missing:
                continue
            nso = a.namespace_objects.get(ns)
            target, path = (nso, ("metadata", "name")) if nso is not None else \
                (workloads[0].obj, ("metadata", "namespace")
                 if workloads[0].obj.namespace else ("metadata",))
            yield self.finding(
                target, path,
                f"namespace {ns} has {len(workloads)} workload(s) and no default-deny "
                f"NetworkPolicy for {' and '.join(missing)} in the input",
                remediation=f"{self.remediation} {generate_hint(ns)}")


class PolicySelectsNothing(CrossCheck):
    """
    ## What it does
    Reports NetworkPolicies whose `podSelector` selects no workload of the
    input, in namespaces where the input does hold workloads (with
    `--complete` or on a live cluster, in every namespace). Custom resources
    whose labels (or `spec.podMetadata.labels`) match count as workloads:
    operators create pods for them.

    ## Why is this bad?
    A policy that selects nothing protects nothing: usually its labels drifted
    from the pod template's, and the pods it was written for are open.

    ## Example
    ```yaml
    kind: NetworkPolicy
    spec:
      podSelector:
        matchLabels: {app: web-v1}   # pods are labelled app: web
    ```

    ## Use instead
    ```yaml
    kind: NetworkPolicy
    spec:
      podSelector:
        matchLabels: {app: web}
    ```

    ## Fix safety
    No automatic fix: which labels were meant is a judgement call.
    """

    id = "XNET004"
    kinds = frozenset({"NetworkPolicy"})
    name = "NetworkPolicy selects no workload"
    severity = Severity.LOW
    remediation = "Make spec.podSelector match the labels of the pods the policy is for."

    def check_all(self, objects, ctx):
        a = net.of_context(ctx)
        for p in a.policies:
            if a.selected_by(p) or a.custom_owner_matches(
                    p.namespace, lambda labels, sel=p.pod_selector: selector_matches(sel, labels)):
                continue
            if not ctx.complete and not a.by_namespace.get(p.namespace):
                continue  # the namespace's workloads are simply not in the input
            yield self.finding(
                p.obj, ("spec", "podSelector"),
                f"NetworkPolicy {p.ref} selects no workload of the input in namespace "
                f"{p.namespace}" + ("" if ctx.complete else
                                    " (pods from outside the input may still match)"))


class OneDirectionOnly(CrossCheck):
    """
    ## What it does
    Reports NetworkPolicies that restrict only one direction (only `Ingress`
    or only `Egress` in `policyTypes`) for pods that no other policy isolates
    in the other direction. Off by default (XNET001 covers the
    workloads).

    ## Why is this bad?
    An ingress-only policy leaves the same pods free to connect anywhere,
    which is often not what the author believed.

    ## Example
    ```yaml
    kind: NetworkPolicy
    spec:
      podSelector: {matchLabels: {app: web}}
      policyTypes: ["Ingress"]
    ```

    ## Use instead
    ```yaml
    kind: NetworkPolicy
    spec:
      podSelector: {matchLabels: {app: web}}
      policyTypes: ["Ingress", "Egress"]
      egress:
        - to:
            - namespaceSelector: {}
              podSelector: {matchLabels: {k8s-app: kube-dns}}
          ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "XNET005"
    kinds = frozenset({"NetworkPolicy"})
    name = "NetworkPolicy restricts only one direction"
    severity = Severity.LOW
    default_enabled = False
    remediation = "Restrict the other direction too, in this policy or another one."

    def check_all(self, objects, ctx):
        a = net.of_context(ctx)
        for p in a.policies:
            if len(p.types & {net.INGRESS, net.EGRESS}) != 1:
                continue
            other = net.EGRESS if net.INGRESS in p.types else net.INGRESS
            open_ = [w for w in a.selected_by(p) if not a.view(w, other).isolated]
            if not open_:
                continue
            path = ("spec", "policyTypes") if not p.types_defaulted else ("spec",)
            names = ", ".join(w.key for w in open_[:3]) + (" ..." if len(open_) > 3 else "")
            yield self.finding(
                p.obj, path,
                f"NetworkPolicy {p.ref} restricts only {next(iter(p.types)).lower()}; "
                f"nothing restricts {other.lower()} of {names}")


def _host_risks(obj) -> list[tuple[tuple, str]]:
    out = []
    for c in obj.pod.containers:
        if c.security_context.get("privileged") is True:
            out.append((c.sc_path + ("privileged",), f"container {c.name} is privileged"))
    for path, v in obj.pod.volumes:
        if isinstance(v.get("hostPath"), dict):
            out.append((path + ("hostPath",),
                        f"mounts host path {v['hostPath'].get('path')}"))
    return out


class ExposedAndPowerful(CrossCheck):
    """
    ## What it does
    Reports workloads reachable from outside the cluster (a NodePort or
    LoadBalancer Service selects them, or an Ingress routes to such a
    Service) that are also privileged, mount host paths, or run with a
    ServiceAccount (token mounted) that can escalate to cluster admin.

    ## Why is this bad?
    Each half is a risk; together they are a direct path from the internet to
    the node or the whole cluster: one remote code execution bug in the
    exposed process is enough.

    ## Example
    ```yaml
    kind: Service
    spec: {type: LoadBalancer, selector: {app: agent}}
    ---
    kind: DaemonSet
    spec:
      template:
        metadata: {labels: {app: agent}}
        spec:
          containers:
            - name: agent
              securityContext: {privileged: true}
    ```

    ## Use instead
    ```yaml
    kind: Service
    spec: {type: ClusterIP, selector: {app: agent}}
    ```

    ## Fix safety
    No automatic fix: either the exposure or the privilege has to go.
    """

    id = "XNET006"
    workloads_only = True
    name = "Exposed outside the cluster and privileged"
    severity = Severity.CRITICAL
    frameworks = {"nsa": ("network/exposure",), "mitre": ("MS-TA9005", "MS-TA9018")}
    remediation = ("Do not expose privileged workloads: drop the privilege (privileged, "
                   "hostPath, powerful ServiceAccount) or serve through an unprivileged proxy.")

    def check_all(self, objects, ctx):
        a = net.of_context(ctx)
        model = esc = None
        for w in a.workloads:
            exp = a.exposed_outside(w)
            if not exp:
                continue
            risks = _host_risks(w.obj)
            if model is None:
                model, esc = rbac.of_context(ctx)
            ns, sa, sa_path = rbac.workload_service_account(w.obj)
            if rbac.token_mounted(w.obj, model.service_accounts.get((ns, sa))):
                steps = esc.path(rbac.Subject("ServiceAccount", sa, ns))
                if steps:
                    risks.append((sa_path, f"runs as ServiceAccount {ns}/{sa}, which "
                                  f"{steps[0].text}" + (f" (+{len(steps) - 1} more step(s))"
                                                        if len(steps) > 1 else "")))
            if not risks:
                continue
            vias = "; ".join(e.via for e in exp[:3])
            # the pod labels: what joins the exposure (a Service, an Ingress) to the
            # risk (privileges, a powerful identity), each also a finding of its own field
            yield self.finding(
                w.obj, w.obj.pod.metadata_path + ("labels",),
                f"{w.key} is reachable from outside the cluster ({vias}) and "
                + "; ".join(r for _, r in risks))
