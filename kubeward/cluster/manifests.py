"""``kubeward audit manifests``: what runs kubeward in a cluster.

A Namespace (Pod Security ``restricted`` enforced), a ServiceAccount, a
read-only ClusterRole granting ``list`` and ``watch`` on exactly the
resources the audit reads (never Secrets) and its binding, a Deployment
running ``kubeward audit --watch`` under the restricted profile (no
automounted token: a projected, hourly-rotated one at the usual path), a Service
for ``/metrics`` and a NetworkPolicy letting only that port in and only
the API server ports and DNS out. With
``policy_reports``, a second ClusterRole allows writing the PolicyReports
(get/create/update on ``wgpolicyk8s.io`` reports, nothing else).
"""

from __future__ import annotations

from kubeward.cluster.audit import needed_kinds

NAME = "kubeward"
METRICS_PORT = 9422
_IRREGULAR = {"Endpoints": "endpoints"}


def plural(kind: str) -> str:
    if kind in _IRREGULAR:
        return _IRREGULAR[kind]
    low = kind.lower()
    if low.endswith("y"):
        return low[:-1] + "ies"
    if low.endswith(("s", "x", "ch", "sh")):
        return low + "es"
    return low + "s"


def read_rules(kinds=None) -> list[dict]:
    groups: dict[str, list[str]] = {}
    for group, kind in kinds if kinds is not None else needed_kinds():
        if group is None:
            continue  # a kind not known statically: not granted, the audit warns
        res = groups.setdefault(group, [])
        if plural(kind) not in res:
            res.append(plural(kind))
    return [{"apiGroups": [g], "resources": sorted(r), "verbs": ["list", "watch"]}
            for g, r in sorted(groups.items())]


def build(namespace: str = NAME, image: str | None = None, policy_reports: bool = False) -> list[dict]:
    from kubeward import __version__

    image = image or f"ghcr.io/kubeward/kubeward:{__version__}"
    labels = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/component": "audit"}
    args = ["audit", "--watch", "--metrics-address", "0.0.0.0", "--metrics-port",
            str(METRICS_PORT), "--all-namespaces", "--fail-on", "critical"]
    if policy_reports:
        args.append("--policy-reports")
    docs: list[dict] = [
        {"apiVersion": "v1", "kind": "Namespace",
         "metadata": {"name": namespace, "labels": {
             "pod-security.kubernetes.io/enforce": "restricted",
             "pod-security.kubernetes.io/enforce-version": "latest",
             "pod-security.kubernetes.io/warn": "restricted",
             "pod-security.kubernetes.io/audit": "restricted"}}},
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": {"name": NAME, "namespace": namespace, "labels": labels},
         "automountServiceAccountToken": False},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": {"name": f"{NAME}-read", "labels": labels},
         "rules": read_rules()},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": f"{NAME}-read", "labels": labels},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                     "name": f"{NAME}-read"},
         "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": namespace}]},
    ]
    if policy_reports:
        docs += [
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
             "metadata": {"name": f"{NAME}-policyreports", "labels": labels},
             "rules": [{"apiGroups": ["wgpolicyk8s.io"],
                        "resources": ["clusterpolicyreports", "policyreports"],
                        "verbs": ["create", "get", "update"]}]},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
             "metadata": {"name": f"{NAME}-policyreports", "labels": labels},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                         "name": f"{NAME}-policyreports"},
             "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": namespace}]},
        ]
    probe = {"httpGet": {"path": "/metrics", "port": "metrics"}, "periodSeconds": 20,
             "timeoutSeconds": 5}
    docs += [
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": NAME, "namespace": namespace, "labels": labels},
         "spec": {
             "replicas": 1,
             "selector": {"matchLabels": labels},
             "template": {
                 "metadata": {"labels": labels},
                 "spec": {
                     "serviceAccountName": NAME,
                     # no automatic token: an explicit, short-lived projected one
                     # at the path the in-cluster config reads (and re-reads)
                     "automountServiceAccountToken": False,
                     "volumes": [{"name": "api-token", "projected": {"sources": [
                         {"serviceAccountToken": {"path": "token",
                                                  "expirationSeconds": 3600}},
                         {"configMap": {"name": "kube-root-ca.crt",
                                        "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                         {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
                             "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
                     ]}}],
                     "securityContext": {"runAsNonRoot": True, "runAsUser": 65532,
                                         "runAsGroup": 65532, "fsGroup": 65532,
                                         "seccompProfile": {"type": "RuntimeDefault"}},
                     "containers": [{
                         "name": NAME,
                         "image": image,
                         "imagePullPolicy": "IfNotPresent",
                         "args": args,
                         "ports": [{"name": "metrics", "containerPort": METRICS_PORT,
                                    "protocol": "TCP"}],
                         "resources": {"requests": {"cpu": "100m", "memory": "256Mi"},
                                       "limits": {"cpu": "1", "memory": "1Gi"}},
                         "volumeMounts": [{"name": "api-token", "readOnly": True,
                                           "mountPath": "/var/run/secrets/kubernetes.io/"
                                                        "serviceaccount"}],
                         "livenessProbe": probe,
                         "readinessProbe": probe,
                         "securityContext": {"allowPrivilegeEscalation": False,
                                             "readOnlyRootFilesystem": True,
                                             "runAsNonRoot": True,
                                             "capabilities": {"drop": ["ALL"]},
                                             "seccompProfile": {"type": "RuntimeDefault"},
                                             "appArmorProfile": {"type": "RuntimeDefault"}},
                     }],
                 },
             },
         }},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": NAME, "namespace": namespace, "labels": labels},
         "spec": {"type": "ClusterIP", "selector": labels,
                  "ports": [{"name": "metrics", "port": METRICS_PORT,
                             "targetPort": "metrics", "protocol": "TCP"}]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": NAME, "namespace": namespace, "labels": labels},
         "spec": {"podSelector": {"matchLabels": labels},
                  "policyTypes": ["Ingress", "Egress"],
                  "ingress": [{"ports": [{"port": METRICS_PORT, "protocol": "TCP"}]}],
                  # the API server (443 or 6443, address unknown here) and DNS
                  "egress": [{"ports": [{"port": 443, "protocol": "TCP"},
                                        {"port": 6443, "protocol": "TCP"}]},
                             {"ports": [{"port": 53, "protocol": "UDP"},
                                        {"port": 53, "protocol": "TCP"}]}]}},
    ]
    return docs


def render(namespace: str = NAME, image: str | None = None, policy_reports: bool = False) -> str:
    import yaml

    return "---\n".join(yaml.safe_dump(d, sort_keys=False, default_flow_style=False)
                        for d in build(namespace, image, policy_reports))
