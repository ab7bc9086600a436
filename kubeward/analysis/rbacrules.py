"""How one RBAC PolicyRule matches a request: the only copy of the rule
matcher, used by the RBAC checks (``checks/rbac.py``: which entry of a rule
grants a capability) and by the authorizer (``analysis/rbac.py``: whether a
subject may do something).

As the Kubernetes RBAC authorizer (``rbac/v1/evaluation_helpers.go``):

* a verb matches ``*`` or itself;
* an API group matches ``*`` or itself;
* a resource (``resource`` or ``resource/subresource``) matches ``*``,
  itself, or ``*/subresource``;
* a non-resource URL matches ``*``, itself, or an entry ending in ``*`` by
  prefix.

The functions return the index of the first matching entry (the field path
a finding points at), or None.
"""

from __future__ import annotations

from typing import Sequence

#: the label every default ClusterRole and ClusterRoleBinding of Kubernetes carries
BOOTSTRAP_LABEL = "kubernetes.io/bootstrapping"
BOOTSTRAP_VALUE = "rbac-defaults"
#: the user-facing default ClusterRoles
DEFAULT_CLUSTER_ROLES = frozenset({"cluster-admin", "admin", "edit", "view"})
#: the verbs an API resource serves (what "every verb" means listed out)
ALL_RESOURCE_VERBS = frozenset({"get", "list", "watch", "create", "update", "patch", "delete",
                                "deletecollection"})


def verb_index(verbs: Sequence[str], verb: str) -> int | None:
    for i, v in enumerate(verbs):
        if v == "*" or v == verb:
            return i
    return None


def group_index(groups: Sequence[str], group: str) -> int | None:
    for i, g in enumerate(groups):
        if g == "*" or g == group:
            return i
    return None


def resource_index(resources: Sequence[str], resource: str) -> int | None:
    """``resource`` is ``name`` or ``name/subresource``."""
    sub = resource.partition("/")[2]
    for i, r in enumerate(resources):
        if r == "*" or r == resource or (sub and r == "*/" + sub):
            return i
    return None


def url_index(urls: Sequence[str], path: str) -> int | None:
    for i, u in enumerate(urls):
        if u == "*" or u == path or (u.endswith("*") and path.startswith(u.rstrip("*"))):
            return i
    return None


def allows_resource(verbs: Sequence[str], groups: Sequence[str], resources: Sequence[str],
                    names: Sequence[str], verb: str, group: str, resource: str,
                    subresource: str = "", name: str = "") -> bool:
    """Whether a rule allows the resource request."""
    if verb_index(verbs, verb) is None or group_index(groups, group) is None:
        return False
    combined = f"{resource}/{subresource}" if subresource else resource
    if resource_index(resources, combined) is None:
        return False
    return not names or name in names


def grants_everything(verbs: Sequence[str], groups: Sequence[str],
                      resources: Sequence[str], names: Sequence[str] = ()) -> bool:
    """Every verb on every resource of every group: ``*`` everywhere, or the
    verbs listed out."""
    if names or "*" not in groups or "*" not in resources:
        return False
    return "*" in verbs or ALL_RESOURCE_VERBS <= set(verbs)


def is_default_cluster_role(obj) -> bool:
    """One of Kubernetes' own ClusterRoles (``cluster-admin``, ``admin``,
    ``edit``, ``view``, ``system:*``), as a cluster export holds them: with
    the ``kubernetes.io/bootstrapping: rbac-defaults`` label."""
    if obj.kind != "ClusterRole" or obj.labels.get(BOOTSTRAP_LABEL) != BOOTSTRAP_VALUE:
        return False
    return obj.name in DEFAULT_CLUSTER_ROLES or obj.name.startswith("system:")


__all__ = ["verb_index", "group_index", "resource_index", "url_index", "allows_resource",
           "grants_everything", "is_default_cluster_role", "DEFAULT_CLUSTER_ROLES",
           "ALL_RESOURCE_VERBS", "BOOTSTRAP_LABEL", "BOOTSTRAP_VALUE"]
