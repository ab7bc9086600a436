"""The built-in API resources of Kubernetes, per version: group, plural
resource name, kind, whether the resource is namespaced, its subresources,
and the releases that added or removed it.

Used where kubeward must answer what the API server would: which kinds are
cluster-scoped (``--namespace`` places only namespaced objects, as
``kubectl apply -n`` does), and which ``(apiGroup, resource)`` pairs an RBAC
rule can name at all (RBAC030). Custom resources are not in the table; a
``CustomResourceDefinition`` of the input says their scope.

The data follows ``kubectl api-resources`` of each release (GA and
on-by-default beta APIs). ``since``/``removed`` are the first release that
served the resource by default and the first that no longer served it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

V = tuple[int, int]

#: every verb the API server (and RBAC's special cases) knows
KNOWN_VERBS = frozenset({
    "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection",
    "proxy", "use", "bind", "escalate", "impersonate", "approve", "sign", "attest",
})
STANDARD_VERBS = ("get", "list", "watch", "create", "update", "patch", "delete",
                  "deletecollection")


@dataclass(frozen=True)
class APIResource:
    group: str
    resource: str  # plural, lower case
    kind: str
    namespaced: bool
    subresources: tuple[str, ...] = ()
    since: V = (1, 0)
    removed: V | None = None

    def served_in(self, version: V) -> bool:
        return self.since <= version and (self.removed is None or version < self.removed)

    @property
    def kind_plural(self) -> str:
        k = self.kind
        if k.endswith("ss"):
            return k + "es"
        if k.endswith("s"):
            return k
        if k.endswith("y") and k[-2:-1] not in "aeiou":
            return k[:-1] + "ies"
        return k + "s"


_N, _C = True, False
_RBAC = "rbac.authorization.k8s.io"
_ADM = "admissionregistration.k8s.io"

_TABLE: tuple[APIResource, ...] = (
    # core
    APIResource("", "pods", "Pod", _N, ("attach", "binding", "eviction", "exec", "log",
                                        "portforward", "proxy", "status",
                                        "ephemeralcontainers", "resize")),
    APIResource("", "services", "Service", _N, ("proxy", "status")),
    APIResource("", "endpoints", "Endpoints", _N, ("restricted",)),
    APIResource("", "configmaps", "ConfigMap", _N),
    APIResource("", "secrets", "Secret", _N),
    APIResource("", "serviceaccounts", "ServiceAccount", _N, ("token",)),
    APIResource("", "persistentvolumeclaims", "PersistentVolumeClaim", _N, ("status",)),
    APIResource("", "events", "Event", _N),
    APIResource("", "limitranges", "LimitRange", _N),
    APIResource("", "resourcequotas", "ResourceQuota", _N, ("status",)),
    APIResource("", "podtemplates", "PodTemplate", _N),
    APIResource("", "replicationcontrollers", "ReplicationController", _N, ("scale", "status")),
    APIResource("", "bindings", "Binding", _N),
    # the kubelet authorizes its API as these subresources of nodes
    APIResource("", "nodes", "Node", _C, ("proxy", "status", "metrics", "stats", "log", "spec",
                                          "configz", "healthz", "pods", "checkpoint")),
    APIResource("", "namespaces", "Namespace", _C, ("finalize", "status")),
    APIResource("", "persistentvolumes", "PersistentVolume", _C, ("status",)),
    APIResource("", "componentstatuses", "ComponentStatus", _C),
    # impersonation targets (RBAC only, no objects)
    APIResource("", "users", "User", _C),
    APIResource("", "groups", "Group", _C),
    APIResource("", "uids", "UID", _C),
    APIResource("authentication.k8s.io", "userextras", "UserExtra", _C),
    APIResource("authentication.k8s.io", "tokenreviews", "TokenReview", _C),
    APIResource("authentication.k8s.io", "selfsubjectreviews", "SelfSubjectReview", _C,
                since=(1, 28)),
    APIResource("authorization.k8s.io", "subjectaccessreviews", "SubjectAccessReview", _C),
    APIResource("authorization.k8s.io", "selfsubjectaccessreviews", "SelfSubjectAccessReview",
                _C),
    APIResource("authorization.k8s.io", "selfsubjectrulesreviews", "SelfSubjectRulesReview",
                _C),
    APIResource("authorization.k8s.io", "localsubjectaccessreviews",
                "LocalSubjectAccessReview", _N),
    # workloads
    APIResource("apps", "deployments", "Deployment", _N, ("scale", "status")),
    APIResource("apps", "statefulsets", "StatefulSet", _N, ("scale", "status")),
    APIResource("apps", "daemonsets", "DaemonSet", _N, ("status",)),
    APIResource("apps", "replicasets", "ReplicaSet", _N, ("scale", "status")),
    APIResource("apps", "controllerrevisions", "ControllerRevision", _N),
    APIResource("batch", "jobs", "Job", _N, ("status",)),
    APIResource("batch", "cronjobs", "CronJob", _N, ("status",)),
    APIResource("autoscaling", "horizontalpodautoscalers", "HorizontalPodAutoscaler", _N,
                ("status",)),
    APIResource("policy", "poddisruptionbudgets", "PodDisruptionBudget", _N, ("status",)),
    APIResource("policy", "podsecuritypolicies", "PodSecurityPolicy", _C, removed=(1, 25)),
    APIResource("extensions", "podsecuritypolicies", "PodSecurityPolicy", _C,
                removed=(1, 16)),
    # networking
    APIResource("networking.k8s.io", "networkpolicies", "NetworkPolicy", _N),
    APIResource("networking.k8s.io", "ingresses", "Ingress", _N, ("status",)),
    APIResource("networking.k8s.io", "ingressclasses", "IngressClass", _C, since=(1, 18)),
    APIResource("networking.k8s.io", "ipaddresses", "IPAddress", _C, since=(1, 33)),
    APIResource("networking.k8s.io", "servicecidrs", "ServiceCIDR", _C, ("status",),
                since=(1, 33)),
    APIResource("discovery.k8s.io", "endpointslices", "EndpointSlice", _N, ("restricted",),
                since=(1, 21)),
    APIResource("extensions", "ingresses", "Ingress", _N, ("status",), removed=(1, 22)),
    APIResource("extensions", "networkpolicies", "NetworkPolicy", _N, removed=(1, 16)),
    APIResource("extensions", "deployments", "Deployment", _N, ("scale", "status"),
                removed=(1, 16)),
    APIResource("extensions", "daemonsets", "DaemonSet", _N, ("status",), removed=(1, 16)),
    APIResource("extensions", "replicasets", "ReplicaSet", _N, ("scale", "status"),
                removed=(1, 16)),
    # RBAC
    APIResource(_RBAC, "roles", "Role", _N),
    APIResource(_RBAC, "rolebindings", "RoleBinding", _N),
    APIResource(_RBAC, "clusterroles", "ClusterRole", _C),
    APIResource(_RBAC, "clusterrolebindings", "ClusterRoleBinding", _C),
    # storage
    APIResource("storage.k8s.io", "storageclasses", "StorageClass", _C),
    APIResource("storage.k8s.io", "csidrivers", "CSIDriver", _C),
    APIResource("storage.k8s.io", "csinodes", "CSINode", _C),
    APIResource("storage.k8s.io", "volumeattachments", "VolumeAttachment", _C, ("status",)),
    APIResource("storage.k8s.io", "csistoragecapacities", "CSIStorageCapacity", _N,
                since=(1, 24)),
    APIResource("storage.k8s.io", "volumeattributesclasses", "VolumeAttributesClass", _C,
                since=(1, 34)),
    # extension and admission
    APIResource("apiextensions.k8s.io", "customresourcedefinitions",
                "CustomResourceDefinition", _C, ("status",)),
    APIResource("apiregistration.k8s.io", "apiservices", "APIService", _C, ("status",)),
    APIResource(_ADM, "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", _C),
    APIResource(_ADM, "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", _C),
    APIResource(_ADM, "validatingadmissionpolicies", "ValidatingAdmissionPolicy", _C,
                ("status",), since=(1, 30)),
    APIResource(_ADM, "validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding",
                _C, since=(1, 30)),
    APIResource(_ADM, "mutatingadmissionpolicies", "MutatingAdmissionPolicy", _C,
                since=(1, 34)),
    APIResource(_ADM, "mutatingadmissionpolicybindings", "MutatingAdmissionPolicyBinding", _C,
                since=(1, 34)),
    # certificates
    APIResource("certificates.k8s.io", "certificatesigningrequests", "CertificateSigningRequest",
                _C, ("approval", "status")),
    APIResource("certificates.k8s.io", "signers", "Signer", _C),
    APIResource("certificates.k8s.io", "clustertrustbundles", "ClusterTrustBundle", _C,
                since=(1, 33)),
    # the rest
    APIResource("coordination.k8s.io", "leases", "Lease", _N),
    APIResource("events.k8s.io", "events", "Event", _N),
    APIResource("node.k8s.io", "runtimeclasses", "RuntimeClass", _C),
    APIResource("scheduling.k8s.io", "priorityclasses", "PriorityClass", _C),
    APIResource("flowcontrol.apiserver.k8s.io", "flowschemas", "FlowSchema", _C, ("status",)),
    APIResource("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations",
                "PriorityLevelConfiguration", _C, ("status",)),
    APIResource("resource.k8s.io", "resourceclaims", "ResourceClaim", _N, ("status",),
                since=(1, 34)),
    APIResource("resource.k8s.io", "resourceclaimtemplates", "ResourceClaimTemplate", _N,
                since=(1, 34)),
    APIResource("resource.k8s.io", "deviceclasses", "DeviceClass", _C, since=(1, 34)),
    APIResource("resource.k8s.io", "resourceslices", "ResourceSlice", _C, since=(1, 34)),
)

#: subresources every resource has for authorization: OwnerReferencesPermissionEnforcement
#: checks ``update`` on ``<resource>/finalizers`` before blockOwnerDeletion is set
UNIVERSAL_SUBRESOURCES = frozenset({"finalizers"})

#: every group the table knows (a group outside it belongs to an extension)
BUILTIN_GROUPS = frozenset(r.group for r in _TABLE)

#: kinds kubectl never places in a namespace, whatever their apiVersion
CLUSTER_SCOPED_KINDS = frozenset(r.kind for r in _TABLE if not r.namespaced
                                 and r.resource not in ("users", "groups", "uids", "userextras",
                                                        "signers"))


@lru_cache(maxsize=None)
def resources(version: V) -> dict[tuple[str, str], APIResource]:
    """(group, resource) -> APIResource served by ``version``."""
    return {(r.group, r.resource): r for r in _TABLE if r.served_in(version)}


def lookup(group: str, resource: str, version: V) -> APIResource | None:
    return resources(version).get((group, resource))


def any_version(group: str, resource: str) -> APIResource | None:
    """The resource in whichever release served it (for "added in" messages)."""
    return next((r for r in _TABLE if r.group == group and r.resource == resource), None)


def groups_of(resource: str, version: V) -> list[str]:
    """Built-in groups that serve ``resource`` in ``version``."""
    return sorted(g for (g, r) in resources(version) if r == resource)


def names_in(group: str, version: V) -> list[str]:
    return sorted(r for (g, r) in resources(version) if g == group)


def is_namespaced_kind(kind: str, group: str, crd_scopes: dict | None = None) -> bool:
    """Whether objects of ``kind`` (of API ``group``) live in a namespace:
    built-in kinds by the table, custom kinds by a CustomResourceDefinition
    of the input (``crd_scopes``: (group, kind) -> "Namespaced"/"Cluster"),
    otherwise assumed namespaced."""
    if crd_scopes:
        scope = crd_scopes.get((group, kind))
        if scope is not None:
            return scope != "Cluster"
    if group in BUILTIN_GROUPS or group == "":
        return kind not in CLUSTER_SCOPED_KINDS
    return True


__all__ = ["APIResource", "KNOWN_VERBS", "STANDARD_VERBS", "BUILTIN_GROUPS",
           "CLUSTER_SCOPED_KINDS", "UNIVERSAL_SUBRESOURCES", "resources", "lookup", "any_version", "groups_of",
           "names_in", "is_namespaced_kind"]
