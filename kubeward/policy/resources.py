"""Kind -> (group, resource, namespaced) for matching admission rules,
which name resources (``deployments``), not kinds."""

from __future__ import annotations

# kind: (resource, namespaced)
_BUILTIN: dict[str, tuple[str, bool]] = {
    "Pod": ("pods", True), "Service": ("services", True), "ConfigMap": ("configmaps", True),
    "Secret": ("secrets", True), "ServiceAccount": ("serviceaccounts", True),
    "Namespace": ("namespaces", False), "Node": ("nodes", False),
    "PersistentVolume": ("persistentvolumes", False),
    "PersistentVolumeClaim": ("persistentvolumeclaims", True),
    "ReplicationController": ("replicationcontrollers", True),
    "Endpoints": ("endpoints", True), "Event": ("events", True),
    "LimitRange": ("limitranges", True), "ResourceQuota": ("resourcequotas", True),
    "PodTemplate": ("podtemplates", True),
    "Deployment": ("deployments", True), "StatefulSet": ("statefulsets", True),
    "DaemonSet": ("daemonsets", True), "ReplicaSet": ("replicasets", True),
    "ControllerRevision": ("controllerrevisions", True),
    "Job": ("jobs", True), "CronJob": ("cronjobs", True),
    "Ingress": ("ingresses", True), "IngressClass": ("ingressclasses", False),
    "NetworkPolicy": ("networkpolicies", True),
    "Role": ("roles", True), "RoleBinding": ("rolebindings", True),
    "ClusterRole": ("clusterroles", False), "ClusterRoleBinding": ("clusterrolebindings", False),
    "HorizontalPodAutoscaler": ("horizontalpodautoscalers", True),
    "PodDisruptionBudget": ("poddisruptionbudgets", True),
    "StorageClass": ("storageclasses", False), "CSIDriver": ("csidrivers", False),
    "VolumeAttachment": ("volumeattachments", False),
    "PriorityClass": ("priorityclasses", False), "RuntimeClass": ("runtimeclasses", False),
    "CustomResourceDefinition": ("customresourcedefinitions", False),
    "APIService": ("apiservices", False),
    "ValidatingWebhookConfiguration": ("validatingwebhookconfigurations", False),
    "MutatingWebhookConfiguration": ("mutatingwebhookconfigurations", False),
    "ValidatingAdmissionPolicy": ("validatingadmissionpolicies", False),
    "ValidatingAdmissionPolicyBinding": ("validatingadmissionpolicybindings", False),
    "CertificateSigningRequest": ("certificatesigningrequests", False),
    "EndpointSlice": ("endpointslices", True), "Lease": ("leases", True),
}

#: groups that serve the same resources under another name (matchPolicy: Equivalent)
_EQUIVALENT_GROUPS = {
    ("extensions", "deployments"): "apps", ("extensions", "daemonsets"): "apps",
    ("extensions", "replicasets"): "apps", ("extensions", "ingresses"): "networking.k8s.io",
    ("extensions", "networkpolicies"): "networking.k8s.io",
}


def _plural(kind: str) -> str:
    low = kind.lower()
    if low.endswith("y") and low[-2:-1] not in "aeiou":
        return low[:-1] + "ies"
    if low.endswith(("s", "x", "z", "ch", "sh")):
        return low + "es"
    return low + "s"


def resource_of(kind: str) -> tuple[str, bool]:
    """(plural resource, namespaced) of ``kind``; unknown kinds (custom
    resources) are pluralised as kubectl does and taken as namespaced."""
    return _BUILTIN.get(kind, (_plural(kind), True))


def equivalents(group: str, resource: str) -> set[tuple[str, str]]:
    """(group, resource) pairs the same object is served under."""
    out = {(group, resource)}
    alt = _EQUIVALENT_GROUPS.get((group, resource))
    if alt:
        out.add((alt, resource))
    for (g, r), a in _EQUIVALENT_GROUPS.items():
        if a == group and r == resource:
            out.add((g, r))
    return out
