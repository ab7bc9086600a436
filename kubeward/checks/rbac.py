"""RBAC, one object at a time: dangerous rules of Roles and ClusterRoles,
and dangerous bindings. (What a subject can do across all bindings of the
input is the cross-resource analysis, not this module.)

Severity rubric (the same in every kubeward check module):

- critical: direct host or cluster takeover;
- high: container escape, privilege escalation or credential exposure likely;
- medium: weakens defence in depth;
- low: hardening / best practice;
- info: hygiene.

Rule matching follows the Kubernetes RBAC authorizer: a rule grants
(apiGroup, resource, verb) when its ``apiGroups`` holds the group or ``*``,
its ``resources`` holds the resource, ``resource/subresource``, ``*`` or
``*/subresource``, and its ``verbs`` holds the verb or ``*``. A rule holding
a wildcard is one finding (RBAC001) listing every dangerous capability it
grants; the capability checks report the rules that name the permission,
once per rule, at the entry that grants it.

``resourceNames``: a rule restricted to named objects only applies to
requests that carry a name. It never authorizes ``create`` of a top-level
resource (the name is not known at authorization time), so such grants are
dropped; other grants are still reported, one severity level lower, with
the names in the message.

Aggregated ClusterRoles (with ``aggregationRule``) are skipped: their rules
are filled in by the controller from other ClusterRoles, which are checked
themselves. Roles (namespaced) cannot grant cluster-scoped resources, so
capabilities on nodes, PersistentVolumes, CSRs, webhook configurations or
impersonating users and groups are only checked on ClusterRoles.
"""

from __future__ import annotations

from kubeward.analysis import rbacrules
from kubeward.checks.base import Check, Severity

RBAC_GROUP = "rbac.authorization.k8s.io"
ROLE_KINDS = frozenset({"Role", "ClusterRole"})
BINDING_KINDS = frozenset({"RoleBinding", "ClusterRoleBinding"})

NSA = ("authn/rbac",)

#: cluster-scoped resources (a namespaced Role cannot grant them)
CLUSTER_SCOPED = frozenset({
    "nodes", "nodes/proxy", "persistentvolumes", "certificatesigningrequests",
    "certificatesigningrequests/approval", "signers", "validatingwebhookconfigurations",
    "mutatingwebhookconfigurations", "validatingadmissionpolicies",
    "validatingadmissionpolicybindings", "mutatingadmissionpolicies",
    "mutatingadmissionpolicybindings", "users", "groups", "uids", "userextras",
    "clusterrolebindings", "namespaces",
})

#: bindings of the Kubernetes defaults to system groups, never reported
DEFAULT_SYSTEM_ROLES = frozenset({
    "system:public-info-viewer", "system:discovery", "system:basic-user",
    "system:service-account-issuer-discovery",
})


def _lower(sev: Severity) -> Severity:
    return Severity(max(Severity.INFO, sev - 1))


def _strs(x) -> list:
    return [v if isinstance(v, str) else str(v) for v in x] if isinstance(x, list) else []


class Rule:
    """One PolicyRule, parsed once per check run."""

    __slots__ = ("index", "groups", "resources", "verbs", "names", "raw")

    def __init__(self, index: int, raw: dict):
        self.index = index
        self.raw = raw
        self.groups = _strs(raw.get("apiGroups"))
        self.resources = _strs(raw.get("resources"))
        self.verbs = _strs(raw.get("verbs"))
        self.names = _strs(raw.get("resourceNames"))

    @property
    def path(self) -> tuple:
        return ("rules", self.index)

    # the matching is the authorizer's, shared with kubeward.analysis.rbac
    def group_index(self, group: str) -> int | None:
        return rbacrules.group_index(self.groups, group)

    def resource_index(self, resource: str) -> int | None:
        return rbacrules.resource_index(self.resources, resource)

    def verb_index(self, verb: str) -> int | None:
        return rbacrules.verb_index(self.verbs, verb)


def rules_of(obj) -> list[Rule]:
    """The rules a check looks at: none for an aggregated ClusterRole (its
    sources are checked) or for one of Kubernetes' default ClusterRoles in a
    cluster export (bindings to them are what matters)."""
    if obj.raw.get("aggregationRule") or rbacrules.is_default_cluster_role(obj):
        return []
    rules = obj.raw.get("rules")
    if not isinstance(rules, list):
        return []
    return [Rule(i, r) for i, r in enumerate(rules) if isinstance(r, dict)]


# ---------------------------------------------------------------------------
# wildcards


def has_wildcard(rule: Rule) -> bool:
    """A ``*`` in the rule's apiGroups, resources (``*`` or ``*/sub``) or verbs."""
    return ("*" in rule.verbs or "*" in rule.groups
            or any(r == "*" or r.startswith("*/") for r in rule.resources))


class WildcardRule(Check):
    """
    ## What it does
    Reports each Role and ClusterRole rule holding a wildcard (`*` in
    `verbs`, `resources` or `apiGroups`, or `*/subresource`) once, listing
    the dangerous permissions of the checks RBAC004-RBAC020 that the rule
    grants (read Secrets, create Pods, exec, impersonate, ...). A rule with a
    wildcard is reported by this check alone; those checks report the rules
    that name the permission explicitly. The former RBAC002 (wildcard
    resource) and RBAC003 (wildcard API group) are aliases of this check.

    Severity: critical when the rule grants every verb on every resource
    (`verbs: ["*"]` and `resources: ["*"]`: cluster-admin in its scope);
    otherwise the most severe permission it grants, at least medium (a
    wildcard also grants whatever a later CRD or API version adds). One
    level lower for a rule restricted by `resourceNames`.

    ## Why is this bad?
    `*` grants every verb, resource or API group, today's and future ones,
    including `escalate`, `bind`, `impersonate`, Secrets, `pods/exec` and any
    custom resource. It is almost never what the subject needs.

    ## Example
    ```yaml
    rules:
      - apiGroups: ["*"]
        resources: ["*"]
        verbs: ["*"]
    ```

    ## Use instead
    ```yaml
    rules:
      - apiGroups: ["apps"]
        resources: ["deployments"]
        verbs: ["get", "list", "watch", "patch"]
    ```

    ## Fix safety
    No automatic fix: only the owner knows which permissions are needed.
    """

    id = "RBAC001"
    name = "Wildcard in an RBAC rule"
    severity = Severity.CRITICAL
    kinds = ROLE_KINDS
    frameworks = {"cis": ("5.1.3",), "nsa": NSA, "mitre": ("MS-TA9019",)}
    remediation = "List the exact apiGroups, resources and verbs the subject needs."

    _capabilities: list | None = None

    @classmethod
    def capabilities(cls) -> list:
        """One instance of every permission check (RBAC004-RBAC020), in id order."""
        if cls._capabilities is None:
            found, todo = [], list(CapabilityTemplate.__subclasses__())
            while todo:
                sub = todo.pop()
                todo.extend(sub.__subclasses__())
                if sub.__dict__.get("id"):
                    found.append(sub)
            cls._capabilities = [c() for c in sorted(found, key=lambda c: c.id)]
        return cls._capabilities

    def check(self, obj, ctx):
        cluster = obj.kind == "ClusterRole"
        for rule in rules_of(obj):
            if not rule.resources or not rule.verbs or not has_wildcard(rule):
                continue  # grants nothing on resources (or only nonResourceURLs)
            yield self.report(obj, rule, cluster, ctx)

    def report(self, obj, rule: Rule, cluster: bool, ctx):
        wild = [(f, next(i for i, v in enumerate(getattr(rule, attr))
                         if v == "*" or (f == "resources" and v.startswith("*/"))))
                for f, attr in (("verbs", "verbs"), ("resources", "resources"),
                                ("apiGroups", "groups"))
                if any(v == "*" or (f == "resources" and v.startswith("*/"))
                       for v in getattr(rule, attr))]
        field, index = wild[0]
        granted, frameworks = [], {k: list(v) for k, v in self.frameworks.items()}
        sev = Severity.MEDIUM
        for cap in self.capabilities():
            if cap.matches(rule, cluster, ctx)[0]:
                granted.append(f"{cap.what} ({cap.id})")
                sev = max(sev, cap.severity)
                for name, controls in cap.frameworks.items():
                    have = frameworks.setdefault(name, [])
                    have.extend(c for c in controls if c not in have)
        everything = "*" in rule.verbs and "*" in rule.resources
        if everything:
            sev = Severity.CRITICAL
        extra = ""
        if rule.names:
            sev = _lower(sev)
            extra = f"; limited to resourceNames {', '.join(rule.names)}"
        where = ", ".join(f'{f}: ["{getattr(rule, a)[i]}"]' for (f, i), a in
                          ((w, {"verbs": "verbs", "resources": "resources",
                                "apiGroups": "groups"}[w[0]]) for w in wild))
        what = ("every verb on every resource" + (" of every API group" if "*" in rule.groups
                                                  else "") + " (cluster-admin in its scope)"
                if everything else "")
        grants = (f"it grants {what}{'; including ' if what and granted else ''}"
                  if what else "it grants ")
        if granted:
            grants += ", ".join(granted)
        elif not what:
            grants += ("none of the permissions kubeward lists as dangerous today, but "
                       "whatever a later resource or verb adds")
        return self.finding(obj, rule.path + (field, index),
                            f"rules[{rule.index}] uses a wildcard ({where}): {grants}{extra}",
                            value=[g.rsplit(" (", 1)[0] for g in granted], severity=sev,
                            frameworks={k: tuple(v) for k, v in frameworks.items()})


# ---------------------------------------------------------------------------
# dangerous capabilities


class CapabilityTemplate(Check):
    """Template: a rule grants one of ``grants`` = ((apiGroup, resource,
    (verbs...)), ...). ``focus`` says which entry the finding points at:
    ``resources`` (what is reached is the danger) or ``verbs`` (the verb is
    the danger: bind, escalate, impersonate, approve)."""

    kinds = ROLE_KINDS
    grants: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    focus: str = "resources"
    what: str = ""  # "read Secrets"
    remediation = "Remove the permission, or restrict it to the namespaces and names needed."

    def grants_for(self, ctx) -> tuple:
        return self.grants

    def matches(self, rule: Rule, cluster: bool, ctx) -> tuple[list, int | None, int | None]:
        """(matched (group, resource, verb) list, first resource idx, first verb idx)."""
        found = []
        res_i = verb_i = None
        for group, resource, verbs in self.grants_for(ctx):
            if not cluster and resource in CLUSTER_SCOPED:
                continue
            if rule.group_index(group) is None:
                continue
            ri = rule.resource_index(resource)
            if ri is None:
                continue
            for verb in verbs:
                if rule.names and verb == "create" and "/" not in resource:
                    continue  # create is never authorized by a resourceNames rule
                vi = rule.verb_index(verb)
                if vi is None:
                    continue
                found.append((group, resource, verb))
                # point at the first entry of the rule that grants a capability
                res_i = ri if res_i is None else min(res_i, ri)
                verb_i = vi if verb_i is None else min(verb_i, vi)
        return found, res_i, verb_i

    def check(self, obj, ctx):
        cluster = obj.kind == "ClusterRole"
        for rule in rules_of(obj):
            if has_wildcard(rule):
                continue  # one finding for the whole rule: RBAC001's
            found, ri, vi = self.matches(rule, cluster, ctx)
            if not found:
                continue
            yield self.report(obj, rule, found, ri, vi)

    def report(self, obj, rule: Rule, found: list, ri: int, vi: int):
        if self.focus == "verbs":
            path = rule.path + ("verbs", vi)
            via = rule.verbs[vi]
        else:
            path = rule.path + ("resources", ri)
            via = rule.resources[ri]
        resources = sorted({r for _, r, _ in found})
        verbs = sorted({v for _, _, v in found})
        sev = self.severity
        extra = ""
        if rule.names:
            sev = _lower(sev)
            extra = f", limited to resourceNames {', '.join(rule.names)}"
        wild = " (wildcard)" if via == "*" or via.startswith("*/") else ""
        return self.finding(
            obj, path,
            f"rules[{rule.index}] lets the subject {self.what}: {'/'.join(verbs)} on "
            f"{', '.join(resources)} via {self.focus} entry {via!r}{wild}{extra}",
            value=via, severity=sev)


_WORKLOADS = (("apps", "deployments"), ("apps", "daemonsets"), ("apps", "statefulsets"),
              ("apps", "replicasets"), ("batch", "jobs"), ("batch", "cronjobs"),
              ("", "replicationcontrollers"))
_WRITE = ("create", "update", "patch")
_CHANGE = ("create", "update", "patch", "delete", "deletecollection")


class ReadSecrets(CapabilityTemplate):
    """
    ## What it does
    Reports rules that allow `get`, `list` or `watch` on `secrets` (also
    through `*` resources, verbs or apiGroups).

    ## Why is this bad?
    Reading Secrets exposes every credential of the namespace (or, in a
    ClusterRole bound cluster-wide, of the cluster), including service
    account tokens of more privileged workloads. `list` and `watch` return
    the values too, not only names.

    ## Example
    ```yaml
    rules:
      - apiGroups: [""]
        resources: ["secrets"]
        verbs: ["get", "list", "watch"]
    ```

    ## Use instead
    ```yaml
    # mount the Secret the workload needs as a volume; no API access to Secrets
    rules:
      - apiGroups: [""]
        resources: ["configmaps"]
        verbs: ["get", "list", "watch"]
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "RBAC004"
    name = "Role can read Secrets"
    severity = Severity.HIGH
    grants = (("", "secrets", ("get", "list", "watch")),)
    what = "read Secrets"
    frameworks = {"cis": ("5.1.2",), "nsa": NSA, "mitre": ("MS-TA9025",)}


class CreatePods(CapabilityTemplate):
    """
    ## What it does
    Reports rules that allow `create` on `pods`.

    ## Why is this bad?
    Whoever can create pods can run any image with any ServiceAccount of the
    namespace (and so its token), mount any Secret or ConfigMap of the
    namespace and, unless Pod Security admission stops it, a privileged
    container or the node's filesystem.

    ## Example
    ```yaml
    rules:
      - apiGroups: [""]
        resources: ["pods"]
        verbs: ["create", "delete"]
    ```

    ## Use instead
    ```yaml
    rules:
      - apiGroups: [""]
        resources: ["pods"]
        verbs: ["get", "list", "delete"]
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "RBAC005"
    name = "Role can create Pods"
    severity = Severity.HIGH
    grants = (("", "pods", ("create",)),)
    what = "create Pods"
    frameworks = {"cis": ("5.1.4",), "nsa": NSA, "mitre": ("MS-TA9008",)}


class ManageWorkloads(CapabilityTemplate):
    """
    ## What it does
    Reports rules that allow `create`, `update` or `patch` on workload
    controllers: Deployments, DaemonSets, StatefulSets, ReplicaSets, Jobs,
    CronJobs and ReplicationControllers.

    ## Why is this bad?
    A workload controller creates pods on the subject's behalf: writing a
    Deployment or a DaemonSet is as powerful as creating pods (any image,
    any ServiceAccount of the namespace, any Secret), and a DaemonSet lands
    on every node.

    ## Example
    ```yaml
    rules:
      - apiGroups: ["apps"]
        resources: ["deployments", "daemonsets"]
        verbs: ["create", "update", "patch"]
    ```

    ## Use instead
    ```yaml
    rules:
      - apiGroups: ["apps"]
        resources: ["deployments/scale"]
        verbs: ["patch"]
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "RBAC006"
    name = "Role can create or change workloads"
    severity = Severity.HIGH
    grants = tuple((g, r, _WRITE) for g, r in _WORKLOADS)
    what = "create or change workloads"
    frameworks = {"cis": ("5.1.4",), "nsa": NSA, "mitre": ("MS-TA9012", "MS-TA9008")}


class _PodSubresource(CapabilityTemplate):
    """Template for pods/exec, pods/attach, pods/portforward: ``create``,
    and before Kubernetes 1.30 also ``get`` (WebSocket upgrades were
    authorized as ``get`` until AuthorizePodWebsocketUpgradeCreatePermission
    became the default)."""

    subresource = ""

    def grants_for(self, ctx):
        verbs = ("create",) if ctx.k8s_version >= (1, 30) else ("create", "get")
        return (("", f"pods/{self.subresource}", verbs),)


class PodsExec(_PodSubresource):
    """
    ## What it does
    Reports rules that allow `pods/exec` (`create`; before Kubernetes 1.30
    also `get`, which WebSocket clients used).

    ## Why is this bad?
    `kubectl exec` runs any command in any container the rule reaches: the
    subject gets the container's files, environment (Secrets), mounted
    service account token and network position.

    ## Example
    ```yaml
    rules:
      - apiGroups: [""]
        resources: ["pods/exec"]
        verbs: ["create"]
    ```

    ## Use instead
    ```yaml
    rules:
      - apiGroups: [""]
        resources: ["pods", "pods/log"]
        verbs: ["get", "list"]
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "RBAC007"
    name = "Role can exec into Pods"
    severity = Severity.HIGH
    subresource = "exec"
    focus = "resources"
    what = "exec into containers"
    frameworks = {"nsa": NSA, "mitre": ("MS-TA9006",)}


class PodsAttach(_PodSubresource):
    """
    ## What it does
    Reports rules that allow `pods/attach` (`create`; before Kubernetes
    1.30 also `get`).

    ## Why is this bad?
    Attaching to a container's console gives its stdin/stdout: for shells
    and interactive images that is the same as exec.

    ## Example
    ```yaml
    rules:
      - apiGroups: [""]
        resources: ["pods/attach"]
        verbs: ["create"]
    ```

    ## Use instead
    ```yaml
    rules:
      - apiGroups: [""]
        resources: ["pods/log"]
        verbs: ["get"]
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "RBAC008"
    name = "Role can attach to Pods"
    severity = Severity.HIGH
    subresource = "attach"
    what = "attach to containers"
    frameworks = {"nsa": NSA, "mitre": ("MS-TA9006",)}


class PodsPortForward(_PodSubresource):
    """
    ## What it does
    Reports rules that allow `pods/portforward` (`create`; before
    Kubernetes 1.30 also `get`).

    ## Why is this bad?
    Port-forwarding opens a tunnel from the subject's machine to any port of
    the pod, past NetworkPolicies, Services and ingress authentication:
    admin ports, debug endpoints and databases become reachable.

    ## Example
    ```yaml
    rules:
      - apiGroups: [""]
        resources: ["pods/portforward"]
        verbs: ["create"]
    ```

    ## Use instead
    ```yaml
    # no port-forward in production roles; expose what is needed through a Service
    rules:
      - apiGroups: [""]
        resources: ["services"]
        verbs: ["get", "list"]
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "RBAC009"
    name = "Role can port-forward to Pods"
    severity = Severity.MEDIUM
    subresource = "portforward"
    what = "port-forward to pods"
    frameworks = {"nsa": NSA, "mitre": ("MS-TA9034",)}


class PodsEphemeralContainers(CapabilityTemplate):
    """
    ## What it does
    Reports rules that allow `update` or `patch` on
    `pods/ephemeralcontainers`.

    ## Why is this bad?
    Ephemeral (debug) containers are added to running pods: the subject can
    run any image inside the pod's namespaces, with its volumes and its
    service account token - exec without the exec permission.

    ## Example
    ```yaml
    rules:
      - apiGroups: [""]
        resources: ["pods/ephemeralcontainers"]
        verbs: ["patch"]
    ```

    ## Use instead
    ```yaml
    rules:
      - apiGroups: [""]
        resources: ["pods"]
        verbs: ["get", "list"]
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "RBAC010"
    name = "Role can add debug containers to Pods"
    severity = Severity.HIGH
    grants = (("", "pods/ephemeralcontainers", ("update", "patch")),)
    what = "inject ephemeral containers into pods"
    frameworks = {"nsa": NSA, "mitre": ("MS-TA9006", "MS-TA9011")}


class Impersonate(CapabilityTemplate):
    """
    ## What it does
    Reports rules that allow the `impersonate` verb on `users`, `groups`,
    `serviceaccounts` (core group) or `uids` / `userextras` (group
    `authentication.k8s.io`).

    ## Why is this bad?
    Impersonation lets the subject send requests as another identity: as a
    member of `system:masters` or as any ServiceAccount. Impersonating users
    or groups is a direct path to cluster-admin.

    ## Example
    ```yaml
    rules:
      - apiGroups: [""]
        resources: ["users", "groups"]
        verbs: ["impersonate"]
    ```

    ## Use instead
    ```yaml
    # grant the subject the permissions it needs directly
    rules:
      - apiGroups: [""]
        resources: ["pods"]
        verbs: ["get", "list"]
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "RBAC011"
    name = "Role can impersonate identities"
    severity = Severity.CRITICAL
    grants = (("", "users", ("impersonate",)), ("", "groups", ("impersonate",)),
              ("", "serviceaccounts", ("impersonate",)),
              ("authentication.k8s.io", "uids", ("impersonate",)),
              ("authentication.k8s.io", "userextras/scopes", ("impersonate",)))
    focus = "verbs"
    what = "impersonate other identities"
    frameworks = {"cis": ("5.1.8",), "nsa": NSA, "mitre": ("MS-TA9019",)}


class Bind(CapabilityTemplate):
    """
    ## What it does
    Reports rules that allow the `bind` verb on `roles` or `clusterroles`.

    ## Why is this bad?
    Kubernetes only lets a subject create a RoleBinding for permissions it
    already has, unless it has `bind` on the role: then it can bind any
    role it names, including `cluster-admin` (a Role granting `bind` on
    `clusterroles` is enough inside its namespace).

    ## Example
    ```yaml
    rules:
      - apiGroups: ["rbac.authorization.k8s.io"]
        resources: ["clusterroles"]
        verbs: ["bind"]
    ```

    ## Use instead
    ```yaml
    # without bind, RBAC only lets the subject bind what it already holds
    rules:
      - apiGroups: ["rbac.authorization.k8s.io"]
        resources: ["rolebindings"]
        verbs: ["create", "delete"]
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "RBAC012"
    name = "Role can bind roles"
    severity = Severity.HIGH
    grants = ((RBAC_GROUP, "roles", ("bind",)), (RBAC_GROUP, "clusterroles", ("bind",)))
    focus = "verbs"
    what = "bind roles it does not hold"
    frameworks = {"cis": ("5.1.8",), "nsa": NSA, "mitre": ("MS-TA9019",)}


class Escalate(CapabilityTemplate):
    """
    ## What it does
    Reports rules that allow the `escalate` verb on `roles` or
    `clusterroles`.

    ## Why is this bad?
    `escalate` switches off RBAC's escalation check: the subject can write
    rules into a role it can edit that grant more than it holds, up to
    `*` on `*`.

    ## Example
    ```yaml
    rules:
      - apiGroups: ["rbac.authorization.k8s.io"]
        resources: ["roles"]
        verbs: ["update", "escalate"]
    ```

    ## Use instead
    ```yaml
    rules:
      - apiGroups: ["rbac.authorization.k8s.io"]
        resources: ["roles"]
        verbs: ["get", "list"]
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "RBAC013"
    name = "Role can escalate roles"
    severity = Severity.HIGH
    grants = ((RBAC_GROUP, "roles", ("escalate",)), (RBAC_GROUP, "clusterroles", ("escalate",)))
    focus = "verbs"
    what = "escalate roles"
    frameworks = {"cis": ("5.1.8",), "nsa": NSA, "mitre": ("MS-TA9019",)}


class NodesProxy(CapabilityTemplate):
    """
    ## What it does
    Reports ClusterRole rules that allow any verb on `nodes/proxy`.

    ## Why is this bad?
    `nodes/proxy` reaches the kubelet API through the API server: it can
    list pods, read logs and run commands in every container of the node
    (including static and system pods), outside the audit trail of
    `pods/exec`.

    ## Example
    ```yaml
    rules:
      - apiGroups: [""]
        resources: ["nodes/proxy"]
        verbs: ["get"]
    ```

    ## Use instead
    ```yaml
    rules:
      - apiGroups: [""]
        resources: ["nodes/metrics", "nodes/stats"]
        verbs: ["get"]
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "RBAC014"
    name = "Role can proxy to kubelets"
    severity = Severity.CRITICAL
    grants = (("", "nodes/proxy", ("get", "list", "watch", "create", "update", "patch",
                                   "delete")),)
    what = "reach the kubelet API"
    frameworks = {"cis": ("5.1.10",), "nsa": NSA, "mitre": ("MS-TA9030",)}


class ApproveCSR(CapabilityTemplate):
    """
    ## What it does
    Reports ClusterRoles that can approve CertificateSigningRequests: a rule
    allowing `update` or `patch` on `certificatesigningrequests/approval`
    together with (in the same ClusterRole) the `approve` verb on `signers`.
    The finding points at the approval rule.

    ## Why is this bad?
    Approving a CSR for the `kubernetes.io/kube-apiserver-client` signer
    mints a client certificate for any user and group, `system:masters`
    included, which cannot be revoked before it expires.

    ## Example
    ```yaml
    rules:
      - apiGroups: ["certificates.k8s.io"]
        resources: ["certificatesigningrequests/approval"]
        verbs: ["update"]
      - apiGroups: ["certificates.k8s.io"]
        resources: ["signers"]
        verbs: ["approve"]
    ```

    ## Use instead
    ```yaml
    rules:
      - apiGroups: ["certificates.k8s.io"]
        resources: ["certificatesigningrequests"]
        verbs: ["get", "list", "watch"]
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "RBAC015"
    name = "Role can approve certificate requests"
    severity = Severity.HIGH
    kinds = frozenset({"ClusterRole"})
    grants = (("certificates.k8s.io", "certificatesigningrequests/approval",
               ("update", "patch")),)
    signer_grant = (("certificates.k8s.io", "signers", ("approve",)),)
    what = "approve certificate signing requests"
    frameworks = {"cis": ("5.1.11",), "nsa": NSA}

    def check(self, obj, ctx):
        rules = rules_of(obj)
        approvers = []
        signer = False
        for rule in rules:
            found, ri, vi = self.matches(rule, True, ctx)
            if found and not has_wildcard(rule):  # a wildcard rule is RBAC001's finding
                approvers.append((rule, found, ri, vi))
            for group, resource, verbs in self.signer_grant:
                if rule.group_index(group) is not None and \
                        rule.resource_index(resource) is not None and \
                        rule.verb_index(verbs[0]) is not None:
                    signer = True
        if signer:
            for rule, found, ri, vi in approvers:
                yield self.report(obj, rule, found, ri, vi)


class ServiceAccountTokens(CapabilityTemplate):
    """
    ## What it does
    Reports rules that allow `create` on `serviceaccounts/token`.

    ## Why is this bad?
    The TokenRequest API mints a token for any ServiceAccount the rule
    reaches, with a lifetime the caller chooses (up to the API server's
    maximum): the subject gets every permission of those ServiceAccounts.

    ## Example
    ```yaml
    rules:
      - apiGroups: [""]
        resources: ["serviceaccounts/token"]
        verbs: ["create"]
    ```

    ## Use instead
    ```yaml
    # let the kubelet mount short-lived tokens (projected volumes) instead
    rules:
      - apiGroups: [""]
        resources: ["serviceaccounts"]
        verbs: ["get", "list"]
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "RBAC016"
    name = "Role can create ServiceAccount tokens"
    severity = Severity.HIGH
    grants = (("", "serviceaccounts/token", ("create",)),)
    what = "mint ServiceAccount tokens"
    frameworks = {"cis": ("5.1.13",), "nsa": NSA, "mitre": ("MS-TA9016",)}


class AdmissionWebhooks(CapabilityTemplate):
    """
    ## What it does
    Reports ClusterRole rules that allow creating, changing or deleting
    validating or mutating webhook configurations, or
    ValidatingAdmissionPolicies and their bindings.

    ## Why is this bad?
    A mutating webhook sees, and can rewrite, every object sent to the API
    server (Secrets included): a backdoor that injects containers into every
    new pod. Deleting validating webhooks or policies switches off
    guardrails such as this one.

    ## Example
    ```yaml
    rules:
      - apiGroups: ["admissionregistration.k8s.io"]
        resources: ["mutatingwebhookconfigurations"]
        verbs: ["create", "update", "patch"]
    ```

    ## Use instead
    ```yaml
    # install webhook configurations with the release; the operator only reads them
    rules:
      - apiGroups: ["admissionregistration.k8s.io"]
        resources: ["mutatingwebhookconfigurations"]
        verbs: ["get", "list", "watch"]
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "RBAC017"
    name = "Role can change admission webhooks"
    severity = Severity.HIGH
    grants = tuple(("admissionregistration.k8s.io", r, _CHANGE) for r in (
        "validatingwebhookconfigurations", "mutatingwebhookconfigurations",
        "validatingadmissionpolicies", "validatingadmissionpolicybindings",
        "mutatingadmissionpolicies", "mutatingadmissionpolicybindings"))
    what = "change admission control"
    frameworks = {"cis": ("5.1.12",), "nsa": NSA, "mitre": ("MS-TA9015",)}


class CreatePersistentVolumes(CapabilityTemplate):
    """
    ## What it does
    Reports ClusterRole rules that allow `create` on `persistentvolumes`.

    ## Why is this bad?
    A PersistentVolume can be a `hostPath`: whoever creates one and claims
    it mounts any directory of a node (`/`, `/etc`, the container runtime
    socket) into a pod, bypassing Pod Security admission, which only looks
    at pods.

    ## Example
    ```yaml
    rules:
      - apiGroups: [""]
        resources: ["persistentvolumes"]
        verbs: ["create"]
    ```

    ## Use instead
    ```yaml
    # let a StorageClass provisioner create volumes; users create claims
    rules:
      - apiGroups: [""]
        resources: ["persistentvolumeclaims"]
        verbs: ["create"]
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "RBAC018"
    name = "Role can create PersistentVolumes"
    severity = Severity.HIGH
    grants = (("", "persistentvolumes", ("create",)),)
    what = "create PersistentVolumes"
    frameworks = {"cis": ("5.1.9",), "nsa": NSA, "mitre": ("MS-TA9013",)}


class ChangeNetworkPolicies(CapabilityTemplate):
    """
    ## What it does
    Reports rules that allow creating, changing or deleting NetworkPolicies.

    ## Why is this bad?
    NetworkPolicies are a security boundary: a subject that can edit them
    can open its pods to the rest of the cluster (or the internet) and
    remove the isolation of others.

    ## Example
    ```yaml
    rules:
      - apiGroups: ["networking.k8s.io"]
        resources: ["networkpolicies"]
        verbs: ["*"]
    ```

    ## Use instead
    ```yaml
    rules:
      - apiGroups: ["networking.k8s.io"]
        resources: ["networkpolicies"]
        verbs: ["get", "list", "watch"]
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "RBAC019"
    name = "Role can change NetworkPolicies"
    severity = Severity.MEDIUM
    grants = (("networking.k8s.io", "networkpolicies", _CHANGE),)
    what = "change NetworkPolicies"
    frameworks = {"nsa": NSA + ("network/network-policies",),
                  "mitre": ("MS-TA9034",)}


class DeleteEvents(CapabilityTemplate):
    """
    ## What it does
    Reports rules that allow `delete` or `deletecollection` on `events`
    (core group or `events.k8s.io`).

    ## Why is this bad?
    Events record what happened in the cluster (pods created, images
    pulled, probes failing). Deleting them hides an attacker's tracks.

    ## Example
    ```yaml
    rules:
      - apiGroups: [""]
        resources: ["events"]
        verbs: ["delete", "deletecollection"]
    ```

    ## Use instead
    ```yaml
    rules:
      - apiGroups: [""]
        resources: ["events"]
        verbs: ["create", "patch"]
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "RBAC020"
    name = "Role can delete events"
    severity = Severity.MEDIUM
    grants = (("", "events", ("delete", "deletecollection")),
              ("events.k8s.io", "events", ("delete", "deletecollection")))
    what = "delete events"
    frameworks = {"nsa": NSA, "mitre": ("MS-TA9022",)}


# ---------------------------------------------------------------------------
# bindings


def _subjects(obj) -> list[tuple[int, dict]]:
    subs = obj.raw.get("subjects")
    return [(i, s) for i, s in enumerate(subs) if isinstance(s, dict)] \
        if isinstance(subs, list) else []


def _role_ref(obj) -> dict:
    r = obj.raw.get("roleRef")
    return r if isinstance(r, dict) else {}


class ClusterAdminBinding(Check):
    """
    ## What it does
    Reports ClusterRoleBindings and RoleBindings whose `roleRef` is the
    `cluster-admin` ClusterRole. The built-in binding of the
    `system:masters` group is not reported.

    ## Why is this bad?
    `cluster-admin` is `*` on everything. Bound cluster-wide, whoever holds
    the subject's credentials (for a ServiceAccount: anyone who compromises
    one of its pods) owns the cluster; bound in a RoleBinding, it owns the
    namespace, its Secrets and its RBAC.

    ## Example
    ```yaml
    kind: ClusterRoleBinding
    roleRef:
      apiGroup: rbac.authorization.k8s.io
      kind: ClusterRole
      name: cluster-admin
    subjects:
      - kind: ServiceAccount
        name: deployer
        namespace: ci
    ```

    ## Use instead
    ```yaml
    kind: RoleBinding
    metadata:
      namespace: shop
    roleRef:
      apiGroup: rbac.authorization.k8s.io
      kind: ClusterRole
      name: edit
    subjects:
      - kind: ServiceAccount
        name: deployer
        namespace: ci
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "RBAC021"
    name = "Binding to cluster-admin"
    severity = Severity.CRITICAL
    kinds = BINDING_KINDS
    frameworks = {"cis": ("5.1.1",), "nsa": NSA, "mitre": ("MS-TA9019",)}
    remediation = "Bind a role with only the permissions the subject needs."

    def check(self, obj, ctx):
        ref = _role_ref(obj)
        if ref.get("kind") != "ClusterRole" or ref.get("name") != "cluster-admin":
            return
        subs = _subjects(obj)
        if subs and all(s.get("kind") == "Group" and s.get("name") == "system:masters"
                        for _, s in subs):
            return
        who = ", ".join(f"{s.get('kind')} {s.get('name')}" for _, s in subs) or "no subjects"
        scope = "the whole cluster" if obj.kind == "ClusterRoleBinding" else \
            f"namespace {obj.namespace or '(unset)'}"
        sev = self.severity if obj.kind == "ClusterRoleBinding" else Severity.HIGH
        yield self.finding(obj, ("roleRef", "name"),
                           f"{obj.kind} grants cluster-admin over {scope} to {who}",
                           value="cluster-admin", severity=sev)


_PUBLIC_GROUPS = {
    "system:anonymous": Severity.CRITICAL,
    "system:unauthenticated": Severity.CRITICAL,
    "system:authenticated": Severity.HIGH,
}


class PublicSubjectBinding(Check):
    """
    ## What it does
    Reports bindings whose subjects include `system:anonymous` (user or
    group), `system:unauthenticated` or `system:authenticated`. The
    Kubernetes default bindings of discovery roles
    (`system:public-info-viewer`, `system:discovery`, `system:basic-user`,
    `system:service-account-issuer-discovery`) are not reported. Anonymous
    and unauthenticated subjects are critical; `system:authenticated` is
    high (it includes every ServiceAccount and, on many managed clusters,
    every account of the cloud provider).

    ## Why is this bad?
    The role is granted to everyone who can reach the API server, or to
    everyone with any credential at all.

    ## Example
    ```yaml
    kind: ClusterRoleBinding
    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
    subjects:
      - kind: Group
        name: system:unauthenticated
        apiGroup: rbac.authorization.k8s.io
    ```

    ## Use instead
    ```yaml
    kind: ClusterRoleBinding
    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
    subjects:
      - kind: Group
        name: sre-team
        apiGroup: rbac.authorization.k8s.io
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "RBAC022"
    name = "Binding to anonymous or all authenticated users"
    severity = Severity.CRITICAL
    kinds = BINDING_KINDS
    frameworks = {"nsa": ("authn/authentication", "authn/rbac"), "mitre": ("MS-TA9005",)}
    remediation = "Bind the role to specific users, groups or ServiceAccounts."

    def check(self, obj, ctx):
        role = _role_ref(obj).get("name")
        if isinstance(role, str) and role in DEFAULT_SYSTEM_ROLES:
            return
        for i, s in _subjects(obj):
            name = s.get("name")
            if s.get("kind") in ("Group", "User") and isinstance(name, str) \
                    and name in _PUBLIC_GROUPS:
                yield self.finding(obj, ("subjects", i, "name"),
                                   f"{obj.kind} grants {_role_ref(obj).get('kind')} {role!r} to "
                                   f"{s.get('kind')} {name}", value=name,
                                   severity=_PUBLIC_GROUPS[name])


class DefaultServiceAccountBinding(Check):
    """
    ## What it does
    Reports bindings whose subjects include a namespace's `default`
    ServiceAccount, or the groups of all ServiceAccounts
    (`system:serviceaccounts`, `system:serviceaccounts:<namespace>`).

    ## Why is this bad?
    Every pod that does not name a ServiceAccount runs as `default`, so the
    role is granted to all of them - including pods added later by anyone
    who can create pods in the namespace. Bind roles to a dedicated
    ServiceAccount per workload.

    ## Example
    ```yaml
    kind: RoleBinding
    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: config-reader}
    subjects:
      - kind: ServiceAccount
        name: default
        namespace: shop
    ```

    ## Use instead
    ```yaml
    kind: RoleBinding
    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: config-reader}
    subjects:
      - kind: ServiceAccount
        name: web
        namespace: shop
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "RBAC023"
    name = "Role bound to the default ServiceAccount"
    severity = Severity.MEDIUM
    kinds = BINDING_KINDS
    frameworks = {"cis": ("5.1.5",), "nsa": NSA, "mitre": ("MS-TA9016",)}
    remediation = "Create a ServiceAccount for the workload and bind the role to it."

    def check(self, obj, ctx):
        role = _role_ref(obj).get("name")
        for i, s in _subjects(obj):
            kind, name = s.get("kind"), str(s.get("name") or "")
            if kind == "ServiceAccount" and name == "default":
                ns = s.get("namespace") or obj.namespace or "(unset)"
                yield self.finding(obj, ("subjects", i, "name"),
                                   f"{obj.kind} grants {role!r} to the default ServiceAccount "
                                   f"of namespace {ns}", value=name)
            elif kind == "Group" and (name == "system:serviceaccounts"
                                      or name.startswith("system:serviceaccounts:")):
                scope = "in the cluster" if name == "system:serviceaccounts" else \
                    f"of namespace {name.rpartition(':')[2]}"
                yield self.finding(obj, ("subjects", i, "name"),
                                   f"{obj.kind} grants {role!r} to every ServiceAccount {scope} "
                                   f"(group {name})", value=name)
