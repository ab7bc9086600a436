"""Cluster-admin by another name: bindings to a role of the input that
grants every verb on every resource. RBAC021 matches ``cluster-admin`` by
name, one binding at a time (so the admission webhook applies it without
context); finding the role a binding points at needs every object."""

from __future__ import annotations

from kubeward.checks.base import CrossCheck, Severity
from kubeward.checks.rbac import BINDING_KINDS, NSA, _role_ref, _subjects


class BindingToAdminEquivalent(CrossCheck):
    """
    ## What it does
    Reports ClusterRoleBindings and RoleBindings to a Role or ClusterRole of
    the input, other than `cluster-admin` itself (RBAC021), that grants every
    verb on every resource of every API group: `*` everywhere, the eight
    verbs listed out (`get`, `list`, `watch`, `create`, `update`, `patch`,
    `delete`, `deletecollection`), or such rules aggregated from other
    ClusterRoles. Severity as RBAC021: critical for a ClusterRoleBinding,
    high for a RoleBinding.

    ## Why is this bad?
    A role that grants everything is cluster-admin whatever its name:
    cluster-wide, whoever holds the subject's credentials owns the cluster;
    in a namespace, its Secrets, workloads and RBAC. Renaming the role hides
    that from reviews and from checks that match the name.

    ## Example
    ```yaml
    kind: ClusterRole
    metadata: {name: superuser}
    rules:
      - apiGroups: ["*"]
        resources: ["*"]
        verbs: [get, list, watch, create, update, patch, delete, deletecollection]
    ---
    kind: ClusterRoleBinding
    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: superuser}
    subjects:
      - {kind: Group, name: ops}
    ```

    ## Use instead
    ```yaml
    kind: ClusterRoleBinding
    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
    subjects:
      - {kind: Group, name: ops}
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "XRBAC004"
    name = "Binding to a role equivalent to cluster-admin"
    severity = Severity.CRITICAL
    kinds = BINDING_KINDS
    frameworks = {"cis": ("5.1.1",), "nsa": NSA, "mitre": ("MS-TA9019",)}
    remediation = "Bind a role with only the permissions the subject needs."

    def check_all(self, objects, ctx):
        from kubeward.analysis.rbac import analyse

        model = analyse(objects)[0]
        for b in model.bindings:
            if b.role_kind == "ClusterRole" and b.role_name == "cluster-admin":
                continue  # RBAC021
            role = model.role_for(b)
            if role is None:
                continue
            full = next(((ri, origin) for ri, rule, origin in role.rules
                         if rule.grants_everything()), None)
            if full is None:
                continue
            obj = b.obj
            subs = _subjects(obj)
            if subs and all(s.get("kind") == "Group" and s.get("name") == "system:masters"
                            for _, s in subs):
                continue
            who = ", ".join(f"{s.get('kind')} {s.get('name')}" for _, s in subs) \
                or "no subjects"
            scope = "the whole cluster" if obj.kind == "ClusterRoleBinding" else \
                f"namespace {b.namespace}"
            origin = f" ({full[1]})" if full[1] else ""
            sev = self.severity if obj.kind == "ClusterRoleBinding" else Severity.HIGH
            yield self.finding(
                obj, ("roleRef", "name"),
                f"{obj.kind} grants {role.ref}, whose rules[{full[0]}]{origin} allows every "
                f"verb on every resource as cluster-admin does, over {scope} to {who}",
                value=_role_ref(obj).get("name"), severity=sev)
