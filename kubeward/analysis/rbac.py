"""RBAC, evaluated as the Kubernetes RBAC authorizer does, plus escalation
paths.

Authorizer semantics (``plugin/pkg/auth/authorizer/rbac``):

* A request in namespace N is checked against every ClusterRoleBinding and
  every RoleBinding of N; a cluster-scoped or non-resource request only
  against ClusterRoleBindings.
* A binding applies to a User subject by name, to a Group subject by group
  membership, and to a ServiceAccount subject when the user name is
  ``system:serviceaccount:<ns>:<name>`` (a ServiceAccount subject without a
  namespace takes the RoleBinding's). Service accounts are also members of
  ``system:serviceaccounts``, ``system:serviceaccounts:<ns>`` and
  ``system:authenticated``; every authenticated user of
  ``system:authenticated``. Members of ``system:masters`` bypass RBAC.
* A rule allows a resource request when the verb (or ``*``), the API group
  (or ``*``), the resource (``*``, ``resource/subresource`` or
  ``*/subresource``) and, when the rule lists ``resourceNames``, the
  requested name all match. A non-resource request matches
  ``nonResourceURLs`` entries exactly, ``*``, or by prefix for entries ending
  in ``*``.
* A ClusterRole with an ``aggregationRule`` has the rules of every other
  ClusterRole whose labels match one of its ``clusterRoleSelectors``
  (transitively), as the aggregation controller sets them.

Escalation analysis builds a graph whose nodes are subjects (plus
"namespace admin" pseudo nodes) and whose edges are the known escalation
primitives, then finds the shortest chain to cluster-admin-equivalent power
by breadth-first search.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterable

from kubeward.analysis.rbacrules import (allows_resource, grants_everything, url_index,
                                         verb_index)
from kubeward.analysis.selectors import as_list, selector_matches
from kubeward.model import K8sObject

RBAC_GROUP = "rbac.authorization.k8s.io"
SA_PREFIX = "system:serviceaccount:"
MASTERS = "system:masters"
AUTHENTICATED = "system:authenticated"
BUILTIN_CLUSTER_ROLES = frozenset({"cluster-admin", "admin", "edit", "view"})
PSA_ENFORCE = "pod-security.kubernetes.io/enforce"

#: resource -> API group, for RESOURCE arguments given without a group
KNOWN_GROUPS = {
    **{r: "" for r in (
        "pods", "services", "secrets", "configmaps", "serviceaccounts", "nodes",
        "namespaces", "persistentvolumes", "persistentvolumeclaims", "endpoints", "events",
        "replicationcontrollers", "limitranges", "resourcequotas", "podtemplates",
        "users", "groups", "uids", "bindings", "componentstatuses")},
    **{r: "apps" for r in ("deployments", "daemonsets", "statefulsets", "replicasets",
                           "controllerrevisions")},
    **{r: "batch" for r in ("jobs", "cronjobs")},
    **{r: RBAC_GROUP for r in ("roles", "rolebindings", "clusterroles",
                               "clusterrolebindings")},
    **{r: "networking.k8s.io" for r in ("networkpolicies", "ingresses", "ingressclasses")},
    **{r: "policy" for r in ("poddisruptionbudgets",)},
    **{r: "autoscaling" for r in ("horizontalpodautoscalers",)},
    **{r: "certificates.k8s.io" for r in ("certificatesigningrequests", "signers")},
    **{r: "admissionregistration.k8s.io" for r in (
        "mutatingwebhookconfigurations", "validatingwebhookconfigurations",
        "validatingadmissionpolicies", "validatingadmissionpolicybindings")},
    **{r: "storage.k8s.io" for r in ("storageclasses", "csidrivers", "volumeattachments")},
    **{r: "apiextensions.k8s.io" for r in ("customresourcedefinitions",)},
    **{r: "coordination.k8s.io" for r in ("leases",)},
    **{r: "discovery.k8s.io" for r in ("endpointslices",)},
    **{r: "authentication.k8s.io" for r in ("tokenreviews",)},
    **{r: "authorization.k8s.io" for r in ("subjectaccessreviews",
                                           "selfsubjectaccessreviews",
                                           "localsubjectaccessreviews")},
}


# -- rules -------------------------------------------------------------------

def _strs(v: Any) -> tuple[str, ...]:
    return tuple(str(x) for x in v) if isinstance(v, list) else ()


@dataclass(frozen=True)
class Rule:
    verbs: tuple[str, ...]
    api_groups: tuple[str, ...]
    resources: tuple[str, ...]
    resource_names: tuple[str, ...]
    non_resource_urls: tuple[str, ...]

    @classmethod
    def parse(cls, raw: Any) -> "Rule":
        raw = raw if isinstance(raw, dict) else {}
        return cls(_strs(raw.get("verbs")), _strs(raw.get("apiGroups")),
                   _strs(raw.get("resources")), _strs(raw.get("resourceNames")),
                   _strs(raw.get("nonResourceURLs")))

    def verb_matches(self, verb: str) -> bool:
        return verb_index(self.verbs, verb) is not None

    def allows_resource(self, verb: str, group: str, resource: str, subresource: str,
                        name: str) -> bool:
        return allows_resource(self.verbs, self.api_groups, self.resources,
                               self.resource_names, verb, group, resource, subresource, name)

    def allows_url(self, verb: str, path: str) -> bool:
        return self.verb_matches(verb) and url_index(self.non_resource_urls, path) is not None

    def grants_everything(self) -> bool:
        """Every verb on every resource (cluster-admin's first rule, by any name)."""
        return grants_everything(self.verbs, self.api_groups, self.resources,
                                 self.resource_names)

    def describe(self) -> str:
        parts = [f"verbs={','.join(self.verbs)}"]
        if self.non_resource_urls:
            parts.append(f"nonResourceURLs={','.join(self.non_resource_urls)}")
        if self.resources or not self.non_resource_urls:
            groups = ",".join('""' if g == "" else g for g in self.api_groups)
            parts.append(f"apiGroups={groups}")
            parts.append(f"resources={','.join(self.resources)}")
        if self.resource_names:
            parts.append(f"resourceNames={','.join(self.resource_names)}")
        return " ".join(parts)


@dataclass
class Role:
    kind: str  # Role | ClusterRole
    name: str
    namespace: str | None
    obj: K8sObject | None
    rules: list[tuple[int, Rule, str]] = field(default_factory=list)  # (index, rule, origin)
    note: str = ""

    @property
    def ref(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace \
            else f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Subject:
    kind: str  # User | Group | ServiceAccount
    name: str
    namespace: str | None = None

    @property
    def key(self) -> str:
        if self.kind == "ServiceAccount":
            return f"ServiceAccount {self.namespace}/{self.name}"
        return f"{self.kind} {self.name}"

    @property
    def user(self) -> str | None:
        if self.kind == "User":
            return self.name
        if self.kind == "ServiceAccount":
            return f"{SA_PREFIX}{self.namespace}:{self.name}"
        return None

    @property
    def groups(self) -> frozenset[str]:
        if self.kind == "Group":
            return frozenset({self.name})
        if self.kind == "ServiceAccount":
            return frozenset({"system:serviceaccounts", f"system:serviceaccounts:{self.namespace}",
                              AUTHENTICATED})
        if self.name in ("system:anonymous",):
            return frozenset({"system:unauthenticated"})
        return frozenset({AUTHENTICATED})

    def to_dict(self) -> dict:
        return {"kind": self.kind, "name": self.name, "namespace": self.namespace}


def parse_subject(text: str) -> Subject:
    """``serviceaccount:NS:NAME`` (or ``sa:``, or ``system:serviceaccount:``),
    ``user:NAME``, ``group:NAME``. Raises ValueError."""
    kind, sep, rest = text.partition(":")
    k = kind.lower()
    if k == "system" and rest.startswith("serviceaccount:"):
        k, rest = "serviceaccount", rest[len("serviceaccount:"):]
    if not sep or not rest:
        raise ValueError(f"bad subject {text!r}: use serviceaccount:NS:NAME, user:NAME "
                         "or group:NAME")
    if k in ("serviceaccount", "sa"):
        ns, sep2, name = rest.partition(":")
        if not sep2 or not ns or not name:
            raise ValueError(f"bad subject {text!r}: use serviceaccount:NS:NAME")
        return Subject("ServiceAccount", name, ns)
    if k == "user":
        if rest.startswith(SA_PREFIX):
            ns, _, name = rest[len(SA_PREFIX):].partition(":")
            return Subject("ServiceAccount", name, ns)
        return Subject("User", rest)
    if k == "group":
        return Subject("Group", rest)
    raise ValueError(f"bad subject kind {kind!r}: use serviceaccount, user or group")


@dataclass(frozen=True)
class Request:
    verb: str
    resource: str = ""
    subresource: str = ""
    group: str = ""
    namespace: str = ""  # "" : cluster-wide
    name: str = ""
    path: str = ""  # non-resource URL

    @property
    def is_resource(self) -> bool:
        return not self.path

    def describe(self) -> str:
        if not self.is_resource:
            return f"{self.verb} {self.path}"
        res = self.resource + (f".{self.group}" if self.group else "")
        res += f"/{self.subresource}" if self.subresource else ""
        if self.name:
            res += f" {self.name!r}"
        where = f"in namespace {self.namespace}" if self.namespace else "cluster-wide"
        return f"{self.verb} {res} {where}"


def parse_resource(text: str) -> tuple[str, str, str, str]:
    """``RESOURCE[.GROUP][/SUBRESOURCE]`` or a non-resource URL ``/path``:
    (resource, subresource, group, path)."""
    if text.startswith("/"):
        return "", "", "", text
    res, _, sub = text.partition("/")
    if "." in res:
        res, _, group = res.partition(".")
    else:
        group = KNOWN_GROUPS.get(res, "")
    return res, sub, group, ""


@dataclass
class Binding:
    obj: K8sObject
    kind: str
    name: str
    namespace: str | None  # None for ClusterRoleBinding
    role_kind: str
    role_name: str
    subjects: list[tuple[int, Subject]]

    @property
    def ref(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace \
            else f"{self.kind} {self.name}"

    def applies(self, subj: Subject, user: str | None, groups: frozenset[str]) -> bool:
        if subj.kind == "User":
            return user is not None and subj.name == user
        if subj.kind == "Group":
            return subj.name in groups
        if subj.kind == "ServiceAccount":
            ns = subj.namespace or self.namespace or ""
            return user == f"{SA_PREFIX}{ns}:{subj.name}"
        return False


@dataclass(frozen=True)
class Grant:
    """Why a request is allowed: a binding, the role it references, a rule."""
    binding: str
    subject_index: int
    role: str
    rule_index: int
    rule: Rule
    origin: str = ""  # "aggregated from ClusterRole x", "built-in"

    def describe(self) -> str:
        o = f" ({self.origin})" if self.origin else ""
        return f"{self.binding} -> {self.role} rule {self.rule_index}{o}: {self.rule.describe()}"

    def to_dict(self) -> dict:
        d = {"binding": self.binding, "subjectIndex": self.subject_index, "role": self.role,
             "rule": self.rule_index, "ruleText": self.rule.describe()}
        if self.origin:
            d["origin"] = self.origin
        return d


_CLUSTER_ADMIN_RULES = [Rule(("*",), ("*",), ("*",), (), ()), Rule(("*",), (), (), (), ("*",))]


# -- the model ---------------------------------------------------------------

class RBACModel:
    def __init__(self, objects: list[K8sObject]):
        self.objects = objects
        self.notes: list[str] = []
        self.roles: dict[tuple[str, str | None, str], Role] = {}
        self.bindings: list[Binding] = []
        self.service_accounts: dict[tuple[str, str], K8sObject] = {}
        self.namespace_objects: dict[str, K8sObject] = {}
        self.token_secrets: dict[str, list[tuple[str, str]]] = {}  # ns -> [(secret, sa)]
        self.workloads: list[K8sObject] = []
        cluster_roles: list[K8sObject] = []
        for o in objects:
            k = o.kind
            if k == "ClusterRole":
                cluster_roles.append(o)
            elif k == "Role":
                ns = o.namespace or "default"
                self.roles[("Role", ns, o.name)] = Role("Role", o.name, ns, o, [
                    (i, Rule.parse(r), "") for i, r in enumerate(_rules_of(o))])
            elif k in ("RoleBinding", "ClusterRoleBinding"):
                self.bindings.append(_binding(o))
            elif k == "ServiceAccount":
                self.service_accounts[(o.namespace or "default", o.name)] = o
            elif k == "Namespace":
                self.namespace_objects[o.name] = o
            elif k == "Secret" and o.raw.get("type") == "kubernetes.io/service-account-token":
                sa = o.annotations.get("kubernetes.io/service-account.name")
                if sa:
                    self.token_secrets.setdefault(o.namespace or "default", []).append(
                        (o.name, str(sa)))
            if o.pod is not None and o.kind != "PodTemplate":
                self.workloads.append(o)
        self._build_cluster_roles(cluster_roles)
        self.crbs = [b for b in self.bindings if b.namespace is None]
        self.rbs_by_ns: dict[str, list[Binding]] = {}
        for b in self.bindings:
            if b.namespace is not None:
                self.rbs_by_ns.setdefault(b.namespace, []).append(b)
        self._perms: dict[Subject, list[tuple[str | None, Grant]]] = {}

    def _build_cluster_roles(self, objs: list[K8sObject]) -> None:
        own = {o.name: o for o in objs}
        resolved: dict[str, list[tuple[int, Rule, str]]] = {}

        def rules_of(name: str, stack: tuple) -> list[tuple[int, Rule, str]]:
            if name in resolved:
                return resolved[name]
            o = own[name]
            agg = o.raw.get("aggregationRule")
            sels = agg.get("clusterRoleSelectors") if isinstance(agg, dict) else None
            if not isinstance(sels, list):
                resolved[name] = [(i, Rule.parse(r), "") for i, r in enumerate(_rules_of(o))]
                return resolved[name]
            # as the aggregation controller: selector by selector, matching
            # ClusterRoles by name, each rule once
            sources = [n for sel in sels if isinstance(sel, dict) for n in sorted(own)
                       if n != name and n not in stack and selector_matches(sel, own[n].labels)]
            if not sources:
                self.notes.append(f"ClusterRole {name} aggregates ClusterRoles matching its "
                                  "clusterRoleSelectors, but none is in the input; using its "
                                  "own rules")
                resolved[name] = [(i, Rule.parse(r), "") for i, r in enumerate(_rules_of(o))]
                return resolved[name]
            out: list[tuple[int, Rule, str]] = []
            seen: set[Rule] = set()
            for n in sources:
                for i, r, origin in rules_of(n, stack + (name,)):
                    if r not in seen:
                        seen.add(r)
                        out.append((i, r, origin or f"aggregated from ClusterRole {n}"))
            resolved[name] = out
            return out

        for name in own:
            self.roles[("ClusterRole", None, name)] = Role(
                "ClusterRole", name, None, own[name], rules_of(name, ()))
        if ("ClusterRole", None, "cluster-admin") not in self.roles:
            self.roles[("ClusterRole", None, "cluster-admin")] = Role(
                "ClusterRole", "cluster-admin", None, None,
                [(i, r, "built-in default ClusterRole, not in the input")
                 for i, r in enumerate(_CLUSTER_ADMIN_RULES)],
                note="built-in")

    # -- lookups -------------------------------------------------------------
    def role_for(self, b: Binding) -> Role | None:
        if b.role_kind == "ClusterRole":
            return self.roles.get(("ClusterRole", None, b.role_name))
        if b.role_kind == "Role" and b.namespace is not None:
            return self.roles.get(("Role", b.namespace, b.role_name))
        return None

    def missing_roles(self) -> list[tuple[Binding, str]]:
        out = []
        for b in self.bindings:
            if self.role_for(b) is None:
                where = f"{b.role_kind} {b.namespace}/{b.role_name}" \
                    if b.role_kind == "Role" else f"{b.role_kind} {b.role_name}"
                out.append((b, where))
        return out

    def _bindings_for(self, namespace: str) -> Iterable[Binding]:
        yield from self.crbs
        if namespace:
            yield from self.rbs_by_ns.get(namespace, ())

    # -- the authorizer ----------------------------------------------------
    def authorize(self, subject: Subject, req: Request) -> tuple[bool, list[Grant], list[str]]:
        """(allowed, grants, notes). Every grant that allows, not just the
        first (the authorizer stops at the first)."""
        notes: list[str] = []
        user, groups = subject.user, subject.groups
        if MASTERS in groups:
            return True, [], [f"members of {MASTERS} bypass RBAC (the API server allows "
                              "every request)"]
        grants: list[Grant] = []
        for b in self._bindings_for(req.namespace):
            for si, s in b.subjects:
                if not b.applies(s, user, groups):
                    continue
                grants.extend(g for g in self._grants_of(b, si, req, notes) if g not in grants)
        return bool(grants), grants, list(dict.fromkeys(notes))

    def _grants_of(self, b: Binding, si: int, req: Request, notes: list[str]) -> list[Grant]:
        role = self.role_for(b)
        if role is None:
            what = f"Role {b.namespace}/{b.role_name}" if b.role_kind == "Role" \
                else f"{b.role_kind} {b.role_name}"
            notes.append(f"{b.ref} references {what}, which is not in the input: its rules "
                         "are unknown")
            return []
        out = []
        for ri, rule, origin in role.rules:
            ok = rule.allows_resource(req.verb, req.group, req.resource, req.subresource,
                                      req.name) if req.is_resource else \
                rule.allows_url(req.verb, req.path)
            if ok:
                out.append(Grant(b.ref, si, role.ref, ri, rule, origin))
        return out

    def who_can(self, req: Request) -> tuple[list[dict], list[str]]:
        """One entry per subject named in a binding that grants ``req``."""
        entries: dict[Subject, list[Grant]] = {}
        notes: list[str] = []
        for b in self._bindings_for(req.namespace):
            for si, s in b.subjects:
                subj = Subject(s.kind, s.name, (s.namespace or b.namespace or "")
                               if s.kind == "ServiceAccount" else None)
                gs = self._grants_of(b, si, req, notes)
                for g in gs:
                    lst = entries.setdefault(subj, [])
                    if g not in lst:
                        lst.append(g)
        out = [{**s.to_dict(), "bindings": list(dict.fromkeys(g.binding for g in gs)),
                "grants": [g.to_dict() for g in gs]}
               for s, gs in sorted(entries.items(), key=lambda kv: (kv[0].kind, kv[0].namespace
                                                                    or "", kv[0].name))]
        return out, list(dict.fromkeys(notes))

    # -- effective permissions -------------------------------------------------
    def permissions(self, subject: Subject) -> list[tuple[str | None, Grant]]:
        """Every (scope namespace or None for cluster-wide, grant) of ``subject``."""
        cached = self._perms.get(subject)
        if cached is not None:
            return cached
        user, groups = subject.user, subject.groups
        # Only the binding subjects that can apply (Binding.applies), found
        # through an index rather than by testing every binding subject.
        index = self._subject_index()
        hits: list[tuple[int, int]] = []
        if user is not None:
            hits.extend(index.get(("u", user), ()))
        for g in groups:
            hits.extend(index.get(("g", g), ()))
        hits = sorted(set(hits))
        out: list[tuple[str | None, Grant]] = []
        bindings = self.bindings
        for bi, j in hits:
            b = bindings[bi]
            si = b.subjects[j][0]
            role = self.role_for(b)
            if role is None:
                continue
            for ri, rule, origin in role.rules:
                out.append((b.namespace, Grant(b.ref, si, role.ref, ri, rule, origin)))
        self._perms[subject] = out
        return out

    def _subject_index(self) -> dict[tuple[str, str], list[tuple[int, int]]]:
        """("u", user name) or ("g", group) -> [(binding index, subject
        position)], in binding order: what ``Binding.applies`` matches."""
        idx = self.__dict__.get("_subj_idx")
        if idx is None:
            idx = {}
            for bi, b in enumerate(self.bindings):
                for j, (_, s) in enumerate(b.subjects):
                    if s.kind == "User":
                        key = ("u", s.name)
                    elif s.kind == "Group":
                        key = ("g", s.name)
                    elif s.kind == "ServiceAccount":
                        key = ("u", f"{SA_PREFIX}{s.namespace or b.namespace or ''}:{s.name}")
                    else:
                        continue
                    idx.setdefault(key, []).append((bi, j))
            self._subj_idx = idx
        return idx

    def subjects(self) -> list[Subject]:
        """Every subject the input names: binding subjects, ServiceAccount
        objects and the ServiceAccounts workloads run as."""
        seen: dict[Subject, None] = {}
        for b in self.bindings:
            for _, s in b.subjects:
                ns = (s.namespace or b.namespace or "") if s.kind == "ServiceAccount" else None
                seen[Subject(s.kind, s.name, ns)] = None
        for (ns, name) in self.service_accounts:
            seen[Subject("ServiceAccount", name, ns)] = None
        for w in self.workloads:
            ns, name, _ = workload_service_account(w)
            seen[Subject("ServiceAccount", name, ns)] = None
        return sorted(seen, key=lambda s: (s.kind, s.namespace or "", s.name))

    def bindings_of(self, subject: Subject) -> list[Binding]:
        """Bindings naming ``subject`` directly."""
        out = []
        for b in self.bindings:
            for _, s in b.subjects:
                ns = (s.namespace or b.namespace or "") if s.kind == "ServiceAccount" else None
                if Subject(s.kind, s.name, ns) == subject:
                    out.append(b)
                    break
        return out


def _rules_of(o: K8sObject) -> list:
    r = o.raw.get("rules")
    return r if isinstance(r, list) else []


def _binding(o: K8sObject) -> Binding:
    ref = o.raw.get("roleRef") if isinstance(o.raw.get("roleRef"), dict) else {}
    subs = []
    for i, s in enumerate(as_list(o.raw.get("subjects"))):
        if isinstance(s, dict) and s.get("kind") and s.get("name"):
            subs.append((i, Subject(str(s["kind"]), str(s["name"]),
                                    str(s["namespace"]) if s.get("namespace") else None)))
    ns = (o.namespace or "default") if o.kind == "RoleBinding" else None
    return Binding(o, o.kind, o.name, ns, str(ref.get("kind") or ""),
                   str(ref.get("name") or ""), subs)


def workload_service_account(obj: K8sObject) -> tuple[str, str, tuple]:
    """(namespace, ServiceAccount name, field path) a workload runs as."""
    spec = obj.pod.spec
    for key in ("serviceAccountName", "serviceAccount"):
        if spec.get(key):
            return obj.namespace or "default", str(spec[key]), obj.pod.path + (key,)
    return obj.namespace or "default", "default", obj.pod.path


def token_mounted(obj: K8sObject, sa: K8sObject | None) -> bool:
    """Whether the pod gets an API token: automountServiceAccountToken of the
    pod wins over the ServiceAccount's; a projected serviceAccountToken volume
    mounts one anyway."""
    for _, v in obj.pod.volumes:
        proj = v.get("projected")
        if isinstance(proj, dict) and any(isinstance(s, dict) and "serviceAccountToken" in s
                                          for s in as_list(proj.get("sources"))):
            return True
    pod = obj.pod.spec.get("automountServiceAccountToken")
    if pod is not None:
        return pod is not False
    if sa is not None and sa.raw.get("automountServiceAccountToken") is False:
        return False
    return True


# -- escalation ------------------------------------------------------------------

GOAL = ("goal",)

_WORKLOAD_RESOURCES = (("apps", "deployments"), ("apps", "daemonsets"),
                       ("apps", "statefulsets"), ("apps", "replicasets"),
                       ("batch", "jobs"), ("batch", "cronjobs"),
                       ("", "replicationcontrollers"))


@dataclass
class Step:
    text: str
    via: list[str]  # grants that give the permission
    to: str  # label of the node reached

    def to_dict(self) -> dict:
        return {"step": self.text, "via": self.via, "to": self.to}


class _Perms:
    """Scoped rules of a node with the authorizer's matching."""

    def __init__(self, scoped: list[tuple[str | None, Grant]]):
        self.scoped = scoped
        # the grants valid in a namespace (cluster-wide ones and those bound
        # there), in their original order: built once per namespace asked
        self._cluster = [g for scope, g in scoped if scope is None]
        self._in_ns: dict[str, list[Grant]] = {}
        self._bound = {s for s, _ in scoped if s is not None}

    def _grants(self, ns: str | None) -> list[Grant]:
        if ns is None or ns not in self._bound:
            return self._cluster
        got = self._in_ns.get(ns)
        if got is None:
            got = self._in_ns[ns] = [g for scope, g in self.scoped
                                     if scope is None or scope == ns]
        return got

    def allows(self, verb: str, group: str, resource: str, sub: str = "",
               ns: str | None = None, name: str = "") -> list[Grant]:
        """Grants allowing the request in namespace ``ns`` (None: cluster-wide,
        i.e. only ClusterRoleBinding grants, valid in every namespace)."""
        return [g for g in self._grants(ns)
                if g.rule.allows_resource(verb, group, resource, sub, name)]

    def any_verb(self, verbs, group, resource, sub="", ns=None, name="") -> list[Grant]:
        for v in verbs:
            g = self.allows(v, group, resource, sub, ns, name)
            if g:
                return g
        return []

    def namespaces(self) -> set[str]:
        return set(self._bound)

    def could(self, verbs, group: str, resource: str, sub: str = "",
              ns: str | None = None) -> bool:
        """Whether a grant valid in ``ns`` (None: a cluster-wide one) allows
        one of ``verbs`` on ``resource`` for some object name."""
        return any(g.rule.allows_resource(v, group, resource, sub, n)
                   for g in self._grants(ns) for v in verbs
                   for n in (g.rule.resource_names or ("",)))


#: every resource (``resource`` or ``resource/subresource``) that
#: ``EscalationAnalysis._namespace_edges`` asks about (a test keeps it in sync)
NAMESPACE_RESOURCES = frozenset({
    "pods", "pods/exec", "persistentvolumeclaims", "secrets", "serviceaccounts",
    "serviceaccounts/token", "rolebindings", "roles", "clusterroles",
    *(res for _, res in _WORKLOAD_RESOURCES)})


def _namespace_relevant(rule: Rule) -> bool:
    """Whether ``rule`` may allow any request ``_namespace_edges`` makes (an
    over-approximation: verbs, groups and names are not looked at)."""
    return any(r == "*" or r in NAMESPACE_RESOURCES or r.startswith("*/")
               for r in rule.resources)


def _cluster_gives_namespace_edges(p: _Perms) -> bool:
    """Whether the cluster-wide grants of ``p`` alone allow any request
    ``EscalationAnalysis._namespace_edges`` makes (names not looked at):
    otherwise a namespace where ``p`` holds no grant of its own gives no edge."""
    c = p.could
    write = ("create", "update", "patch")
    read = ("get", "list", "watch")
    return (c(("create",), "", "pods")
            or any(c(write, grp, res) for grp, res in _WORKLOAD_RESOURCES)
            or c(("create",), "", "pods", "exec")
            or c(read, "", "secrets")
            or c(("create",), "", "serviceaccounts", "token")
            or c(("impersonate",), "", "serviceaccounts")
            or (c(("create",), RBAC_GROUP, "rolebindings")
                and c(("bind",), RBAC_GROUP, "clusterroles"))
            or (c(("escalate",), RBAC_GROUP, "roles")
                and c(("update", "patch"), RBAC_GROUP, "roles")))


def _via(grants: list[Grant]) -> list[str]:
    return list(dict.fromkeys(g.describe() for g in grants))[:3]


class EscalationAnalysis:
    def __init__(self, model: RBACModel):
        self.m = model
        ns = set(model.namespace_objects) | set(model.rbs_by_ns)
        ns |= {k[0] for k in model.service_accounts} | set(model.token_secrets)
        for w in model.workloads:
            ns.add(w.namespace or "default")
        for s in model.subjects():
            if s.namespace:
                ns.add(s.namespace)
        self.namespaces = sorted(ns)
        self._namespace_set = frozenset(ns)
        self.sas_by_ns: dict[str, list[str]] = {}
        for s in model.subjects():
            if s.kind == "ServiceAccount":
                self.sas_by_ns.setdefault(s.namespace, []).append(s.name)
        self.running_sas: dict[str, dict[str, str]] = {}  # ns -> sa -> workload
        for w in model.workloads:
            ns_, name, _ = workload_service_account(w)
            self.running_sas.setdefault(ns_, {}).setdefault(name, f"{w.kind} {w.name}")
        self.users = sorted({s.name for s in model.subjects() if s.kind == "User"})
        self._edges: dict[tuple, list[tuple[Step, tuple]]] = {}
        self._paths: dict[tuple, list[Step] | None] = {}
        #: nodes whose edges are known, predecessors of each node, and the
        #: distance to the goal of those that reach it
        self._closure: set[tuple] = set()
        self._rev: dict[tuple, list[tuple]] = {}
        self._dist: dict[tuple, int] = {GOAL: 0}
        #: edges of the graph built so far (the algorithmic-shape test reads it)
        self.visited_edges = 0

    # nodes: ("subject", Subject) | ("nsadmin", ns) | GOAL
    @staticmethod
    def label(node: tuple) -> str:
        if node == GOAL:
            return "cluster-admin"
        if node[0] == "nsadmin":
            return f"admin of namespace {node[1]}"
        return node[1].key

    def _perms(self, node: tuple) -> _Perms:
        if node[0] == "nsadmin":
            g = Grant(f"RoleBinding {node[1]}/<bound in the previous step>", 0,
                      "ClusterRole cluster-admin", 0, _CLUSTER_ADMIN_RULES[0])
            return _Perms([(node[1], g)])
        return _Perms(self.m.permissions(node[1]))

    def _privileged_pods_allowed(self, ns: str) -> bool:
        o = self.m.namespace_objects.get(ns)
        level = str(o.labels.get(PSA_ENFORCE, "")) if o is not None else ""
        return level not in ("baseline", "restricted")

    def _sa(self, ns: str, name: str) -> tuple:
        return ("subject", Subject("ServiceAccount", name, ns))

    def edges(self, node: tuple) -> list[tuple[Step, tuple]]:
        if node in self._edges:
            return self._edges[node]
        p = self._perms(node)
        out: list[tuple[Step, tuple]] = []

        def goal(text, grants):
            out.append((Step(text, _via(grants), "cluster-admin"), GOAL))

        def to(text, grants, nxt):
            if nxt != node:
                out.append((Step(text, _via(grants), self.label(nxt)), nxt))

        # cluster-wide primitives --------------------------------------------
        if g := p.allows("*", "*", "*"):
            goal("has every verb on every resource cluster-wide (cluster-admin)", g)
        g1 = p.allows("create", RBAC_GROUP, "clusterrolebindings")
        g2 = p.allows("bind", RBAC_GROUP, "clusterroles", name="cluster-admin")
        if g1 and g2:
            goal("can create ClusterRoleBindings and bind ClusterRoles, so can bind "
                 "cluster-admin to itself", g1 + g2)
        g1 = p.allows("escalate", RBAC_GROUP, "clusterroles")
        g2 = p.any_verb(("update", "patch"), RBAC_GROUP, "clusterroles")
        if g1 and g2:
            goal("can escalate and update ClusterRoles, so can add any permission to a "
                 "ClusterRole bound to it", g1 + g2)
        if g := p.allows("impersonate", "", "groups", name=MASTERS):
            goal(f"can impersonate the group {MASTERS}, which bypasses RBAC", g)
        if g := p.any_verb(("get", "create"), "", "nodes", "proxy"):
            goal("can use nodes/proxy, i.e. the kubelet API of every node: exec into any "
                 "pod, including control-plane pods", g)
        g1 = p.allows("create", "certificates.k8s.io", "certificatesigningrequests")
        g2 = p.any_verb(("update", "patch"), "certificates.k8s.io",
                        "certificatesigningrequests", "approval")
        g3 = p.allows("approve", "certificates.k8s.io", "signers",
                      name="kubernetes.io/kube-apiserver-client") or \
            p.allows("approve", "certificates.k8s.io", "signers", name="kubernetes.io/*")
        if g1 and g2 and g3:
            goal(f"can create and approve client CertificateSigningRequests, so can issue "
                 f"a certificate for the group {MASTERS}", g1 + g2 + g3)
        if g := p.any_verb(("create", "update", "patch"), "admissionregistration.k8s.io",
                           "mutatingwebhookconfigurations"):
            goal("can change mutating admission webhooks, so can rewrite any pod or object "
                 "the API server admits", g)
        pv = p.allows("create", "", "persistentvolumes")
        if g := p.any_verb(("create",), "", "pods"):
            goal("can create pods in every namespace: a privileged or hostPath pod gives "
                 "root on a node, and kube-system's credentials", g)
        else:
            for grp, res in _WORKLOAD_RESOURCES:
                if g := p.any_verb(("create", "update", "patch"), grp, res):
                    goal(f"can create or change {res} in every namespace: a privileged or "
                         "hostPath pod gives root on a node, and kube-system's credentials",
                         g)
                    break
        if g := p.allows("impersonate", "", "users"):
            for u in self.users:
                if p.allows("impersonate", "", "users", name=u):
                    to(f"can impersonate users, so can act as User {u}", g,
                       ("subject", Subject("User", u)))
        # per-namespace primitives --------------------------------------------
        # a namespace where no grant the namespace primitives ask about
        # applies (none cluster-wide, none bound there) gives no edge: skip it
        # a namespace where the node holds no grant of its own gives an edge
        # only through cluster-wide grants: when none of those can (whatever
        # the names), only the namespaces it is bound in are visited
        if any(scope is None and _namespace_relevant(g.rule) for scope, g in p.scoped) \
                and _cluster_gives_namespace_edges(p):
            spaces = self.namespaces
        else:
            spaces = sorted(p.namespaces() & self._namespace_set)
        for ns in spaces:
            self._namespace_edges(p, ns, node, to, goal, pv)
        self._edges[node] = out
        return out

    def _namespace_edges(self, p: _Perms, ns: str, node, to, goal, pv) -> None:
        creator = p.allows("create", "", "pods", ns=ns)
        what = "pods"
        if not creator:
            for grp, res in _WORKLOAD_RESOURCES:
                creator = p.any_verb(("create", "update", "patch"), grp, res, ns=ns)
                if creator:
                    what = res
                    break
        sas = self.sas_by_ns.get(ns, [])
        if creator:
            if self._privileged_pods_allowed(ns):
                goal(f"can create {what} in namespace {ns}, which does not enforce a Pod "
                     "Security level: a privileged or hostPath pod gives root on a node "
                     "=> cluster", creator)
            if pv and p.allows("create", "", "persistentvolumeclaims", ns=ns):
                goal(f"can create PersistentVolumes and pods with claims in namespace {ns}: "
                     "a hostPath PersistentVolume gives a node's filesystem => cluster",
                     pv + creator)
            for sa in sas:
                to(f"can create {what} in namespace {ns}, so can run a pod as "
                   f"ServiceAccount {ns}/{sa}", creator, self._sa(ns, sa))
        if g := p.allows("create", "", "pods", "exec", ns=ns):
            for sa, w in sorted(self.running_sas.get(ns, {}).items()):
                to(f"can exec into pods in namespace {ns}, e.g. of {w}, which runs as "
                   f"ServiceAccount {ns}/{sa}", g, self._sa(ns, sa))
        for sname, sa in self.m.token_secrets.get(ns, ()):
            if g := p.any_verb(("get", "list", "watch"), "", "secrets", ns=ns, name=sname):
                to(f"can read Secret {ns}/{sname}, the legacy token of ServiceAccount "
                   f"{ns}/{sa}", g, self._sa(ns, sa))
        gc = p.allows("create", "", "secrets", ns=ns)
        gr = p.any_verb(("get", "list", "watch"), "", "secrets", ns=ns)
        if gc and gr:
            for sa in sas:
                to(f"can create and read Secrets in namespace {ns}, so can mint a token "
                   f"Secret for ServiceAccount {ns}/{sa}", gc + gr, self._sa(ns, sa))
        # asked per ServiceAccount only when some grant may allow it for a name
        if p.could(("create",), "", "serviceaccounts", "token", ns) or \
                p.could(("impersonate",), "", "serviceaccounts", "", ns):
            for sa in sas:
                if g := p.allows("create", "", "serviceaccounts", "token", ns=ns, name=sa):
                    to(f"can create tokens for ServiceAccount {ns}/{sa} "
                       "(serviceaccounts/token)", g, self._sa(ns, sa))
                if g := p.allows("impersonate", "", "serviceaccounts", ns=ns, name=sa):
                    to(f"can impersonate ServiceAccount {ns}/{sa}", g, self._sa(ns, sa))
        if node != ("nsadmin", ns):
            g1 = p.allows("create", RBAC_GROUP, "rolebindings", ns=ns)
            g2 = p.allows("bind", RBAC_GROUP, "clusterroles", ns=ns, name="cluster-admin")
            if g1 and g2:
                to(f"can create RoleBindings and bind ClusterRoles in namespace {ns}, so can "
                   f"bind cluster-admin there", g1 + g2, ("nsadmin", ns))
            else:
                g3 = p.allows("escalate", RBAC_GROUP, "roles", ns=ns)
                g4 = p.any_verb(("update", "patch"), RBAC_GROUP, "roles", ns=ns)
                if g3 and g4:
                    to(f"can escalate and update Roles in namespace {ns}, so can add any "
                       "permission to a Role bound to it", g3 + g4, ("nsadmin", ns))

    def path(self, subject: Subject) -> list[Step] | None:
        """The shortest chain of steps from ``subject`` to cluster admin: of
        the shortest chains, the one a breadth-first search from ``subject``
        that tries each node's edges in order finds first.

        Every node's distance to the goal is computed once (``_solve``), for
        the part of the graph reachable from the subjects asked about so
        far; a chain is then read off by taking, at each node, its first
        edge to a node one step closer. That is the chain the forward search
        finds (both are the shortest chain whose list of edge positions is
        smallest in lexicographic order), without a search per subject:
        subjects that share a part of the graph share its work."""
        start = ("subject", subject)
        if start in self._paths:
            return self._paths[start]
        if MASTERS in subject.groups:
            return [Step(f"is in the group {MASTERS}, which bypasses RBAC", [],
                         "cluster-admin")]
        if start not in self._closure:
            self._solve(start)
        dist = self._dist
        d = dist.get(start)
        steps: list[Step] | None = None
        if d is not None:
            steps = []
            node = start
            while node != GOAL:
                d -= 1
                for step, nxt in self.edges(node):
                    if dist.get(nxt) == d:
                        steps.append(step)
                        node = nxt
                        break
        self._paths[start] = steps
        return steps

    def _solve(self, start: tuple) -> None:
        """Add the nodes reachable from ``start`` that are not in the graph
        yet (their edges are computed once, ever) and their distances to the
        goal. Nodes already in the graph keep theirs: everything they reach
        was already there. The new nodes get theirs from a backward
        breadth-first search that starts at the known nodes they lead to, in
        order of distance."""
        closure, rev, dist = self._closure, self._rev, self._dist
        new = [start]
        closure.add(start)
        known: set[tuple] = set()  # nodes with a distance that new nodes lead to
        i = 0
        while i < len(new):
            node = new[i]
            i += 1
            for _step, nxt in self.edges(node):
                rev.setdefault(nxt, []).append(node)
                self.visited_edges += 1
                if nxt in closure:
                    continue
                if nxt == GOAL:
                    known.add(nxt)
                    continue
                closure.add(nxt)
                new.append(nxt)
        for node in new:  # edges into the graph that was there before
            for _step, nxt in self.edges(node):
                if nxt in dist and nxt not in known and nxt != GOAL:
                    known.add(nxt)
        fresh = set(new)
        seeds = sorted(known, key=lambda n: dist[n])
        queue: deque = deque()
        j = 0
        while queue or j < len(seeds):
            if j < len(seeds) and (not queue or dist[seeds[j]] <= dist[queue[0]]):
                node = seeds[j]
                j += 1
            else:
                node = queue.popleft()
            d = dist[node] + 1
            for prev in rev.get(node, ()):
                if prev in fresh and prev not in dist:
                    dist[prev] = d
                    queue.append(prev)

    def report(self) -> list[dict]:
        out = []
        for s in self.m.subjects():
            steps = self.path(s)
            if steps:
                out.append({**s.to_dict(), "subject": s.key,
                            "chain": [st.to_dict() for st in steps]})
        return out


def analyse(objects: list[K8sObject]) -> tuple[RBACModel, EscalationAnalysis]:
    """The RBAC model of ``objects`` and its escalation analysis."""
    m = RBACModel(objects)
    return m, EscalationAnalysis(m)


def with_workload(base: tuple[RBACModel, EscalationAnalysis], objects: list[K8sObject],
                  workload: K8sObject) -> tuple[RBACModel, EscalationAnalysis] | None:
    """The analysis of ``objects``, which are the objects ``base`` was built
    from plus ``workload``, sharing ``base``'s escalation graph (its edges
    and distances, so each ServiceAccount's chain is searched once, not once
    per admission review). None when that would not be exact: ``base`` holds
    workloads, or ``workload`` is not one, or its namespace is new to
    ``base``. Otherwise the workload only adds edges *into* its own
    ServiceAccount (pods to exec into, an account to run pods as), which no
    shortest chain *from* that account uses, so the chains asked about are
    those of a fresh analysis."""
    m, esc = base
    if m.workloads or workload.pod is None or workload.kind == "PodTemplate":
        return None
    ns, _, _ = workload_service_account(workload)
    if ns not in esc._namespace_set:
        return None
    import copy

    om = copy.copy(m)
    om.objects = objects
    om.workloads = [workload]
    om.notes = list(m.notes)
    return om, esc


def of_context(ctx) -> tuple[RBACModel, EscalationAnalysis]:
    """``analyse`` of a check context's objects, once per scan (checks share it)."""
    return ctx.memo("analysis.rbac", lambda: analyse(ctx.objects))
