"""RBAC checks over every object of the scan: workloads whose
ServiceAccount can escalate, ServiceAccounts bound to nothing, subjects with
many bindings. Semantics live in :mod:`kubeward.analysis.rbac` (shared with
``kubeward rbac``)."""

from __future__ import annotations

from kubeward.analysis import rbac
from kubeward.checks.base import CrossCheck, Severity


class WorkloadCanEscalate(CrossCheck):
    """
    ## What it does
    Reports workloads whose ServiceAccount (token mounted in the pod) can
    reach cluster-admin-equivalent power, directly or through a chain of
    known escalation primitives (create pods or workloads, read token
    Secrets, create ServiceAccount tokens, bind/escalate, impersonate,
    nodes/proxy, approve CSRs, change mutating webhooks, hostPath
    PersistentVolumes). The message names the shortest chain; `kubeward rbac
    escalation` prints it in full.

    ## Why is this bad?
    Whoever compromises one container of the workload gets its token and,
    through the chain, the whole cluster.

    ## Example
    ```yaml
    kind: ClusterRoleBinding
    roleRef: {kind: ClusterRole, name: cluster-admin}
    subjects: [{kind: ServiceAccount, name: web, namespace: shop}]
    ```

    ## Use instead
    ```yaml
    kind: RoleBinding
    metadata: {namespace: shop}
    roleRef: {kind: Role, name: web-reader}
    subjects: [{kind: ServiceAccount, name: web, namespace: shop}]
    ```

    ## Fix safety
    No automatic fix: the workload's real needs decide its permissions.
    """

    id = "XRBAC001"
    workloads_only = True
    name = "Workload ServiceAccount can escalate to cluster admin"
    severity = Severity.HIGH
    frameworks = {"cis": ("5.1.1", "5.1.6"), "nsa": ("authn/rbac",),
                  "mitre": ("MS-TA9016", "MS-TA9019")}
    remediation = ("Give the workload its own ServiceAccount with only the permissions it "
                   "needs, or do not mount its token (automountServiceAccountToken: false).")

    def check_all(self, objects, ctx):
        model, esc = rbac.of_context(ctx)
        for w in model.workloads:
            ns, sa, path = rbac.workload_service_account(w)
            if not rbac.token_mounted(w, model.service_accounts.get((ns, sa))):
                continue
            steps = esc.path(rbac.Subject("ServiceAccount", sa, ns))
            if not steps:
                continue
            if path == w.pod.path:  # the default ServiceAccount: the field that selects it
                path = path + ("serviceAccountName",)
            chain = " => ".join(s.text for s in steps)
            via = steps[0].via[0] if steps[0].via else ""
            yield self.finding(
                w, path,
                f"{w.kind} {ns}/{w.name} runs as ServiceAccount {ns}/{sa}, which {chain}"
                + (f" [via {via}]" if via else ""))


class ServiceAccountUnbound(CrossCheck):
    """
    ## What it does
    Reports ServiceAccount objects that no RoleBinding or ClusterRoleBinding
    of the input names. Off by default: it is an inventory aid (unused or
    leftover identities), and the bindings may live elsewhere.

    ## Why is this bad?
    Unused identities accumulate tokens and, later, forgotten permissions;
    an account nobody binds is often a leftover that should go.

    ## Example
    ```yaml
    apiVersion: v1
    kind: ServiceAccount
    metadata: {name: old-batch, namespace: shop}
    ```

    ## Use instead
    ```yaml
    # delete the ServiceAccount, or bind it to the Role it is meant to use
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "XRBAC002"
    kinds = frozenset({"ServiceAccount"})
    name = "ServiceAccount bound to nothing"
    severity = Severity.INFO
    default_enabled = False
    remediation = "Remove unused ServiceAccounts, or bind them to the Role they need."

    def check_all(self, objects, ctx):
        model, _ = rbac.of_context(ctx)
        named: set[tuple[str, str]] = set()
        for b in model.bindings:
            for _, s in b.subjects:
                if s.kind == "ServiceAccount":
                    named.add((s.namespace or b.namespace or "", s.name))
        for (ns, name), o in sorted(model.service_accounts.items()):
            if (ns, name) in named:
                continue
            yield self.finding(
                o, ("metadata", "name"),
                f"ServiceAccount {ns}/{name} is named by no RoleBinding or ClusterRoleBinding "
                + ("of the cluster" if ctx.complete else "in the input"))


class TooManyBindings(CrossCheck):
    """
    ## What it does
    Reports subjects (users, groups, ServiceAccounts) named by more than
    `max_bindings` RoleBindings and ClusterRoleBindings (default 5). The
    finding is on the ServiceAccount object when it is in the input,
    otherwise on the subject entry of the first binding naming it. Off by
    default.

    ## Why is this bad?
    Permissions spread over many bindings are hard to review and tend to add
    up to far more than anyone intended.

    ## Example
    ```yaml
    # six RoleBindings, each naming User alice
    ```

    ## Use instead
    ```yaml
    # one Role (or aggregated ClusterRole) with what alice needs, one binding
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "XRBAC003"
    kinds = frozenset({"RoleBinding", "ClusterRoleBinding", "ServiceAccount"})
    name = "Subject with too many bindings"
    severity = Severity.LOW
    default_enabled = False
    options = {"max_bindings": 5}
    remediation = "Consolidate the subject's permissions into fewer roles and bindings."

    def check_all(self, objects, ctx):
        model, _ = rbac.of_context(ctx)
        limit = int(ctx.option(self.id, "max_bindings", self.options["max_bindings"]))
        seen: dict[rbac.Subject, list[tuple[rbac.Binding, int]]] = {}
        for b in model.bindings:
            for i, s in b.subjects:
                ns = (s.namespace or b.namespace or "") if s.kind == "ServiceAccount" else None
                lst = seen.setdefault(rbac.Subject(s.kind, s.name, ns), [])
                # the same binding in several files is one object in the cluster
                if not any(x.ref == b.ref for x, _ in lst):
                    lst.append((b, i))
        for subj, lst in seen.items():
            if len(lst) <= limit:
                continue
            sa = model.service_accounts.get((subj.namespace, subj.name)) \
                if subj.kind == "ServiceAccount" else None
            target, path = (sa, ("metadata", "name")) if sa is not None else \
                (lst[0][0].obj, ("subjects", lst[0][1]))
            names = ", ".join(b.ref for b, _ in lst)
            yield self.finding(target, path,
                               f"{subj.key} is named by {len(lst)} bindings (more than "
                               f"{limit}): {names}")
