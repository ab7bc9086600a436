"""What deploys the webhook: ``kubeward admission manifests``.

Namespace (Pod Security ``restricted`` enforced), a ServiceAccount with no
token mounted by default (the token is projected explicitly, and only when
the webhook watches Namespaces; its ClusterRole can get/list/watch
namespaces and nothing else), a ConfigMap with the config, a Deployment of
at least two hardened replicas spread across nodes, a PodDisruptionBudget,
a Service, NetworkPolicies (default deny, then the webhook's own), and the
Validating- and MutatingWebhookConfiguration.

The webhooks never see the webhook's own namespace nor kube-system
(``namespaceSelector``), so the webhook cannot block its own rollout.
``failurePolicy: Fail`` for validation (a guardrail must not open when the
webhook is down: two replicas and a PDB keep it up), ``Ignore`` for
mutation (fixes are a convenience; validation still judges the object);
``timeoutSeconds: 5`` (answers take milliseconds; the API server's own
default of 10 s would hold requests too long when a replica is gone).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import yaml

APP = "kubeward-admission"
TLS_SECRET = "kubeward-admission-tls"
PORT = 8443

#: what the webhooks are sent: every kind that holds a pod spec, plus the
#: kinds other per-object checks look at
RULES = [
    {"apiGroups": [""], "apiVersions": ["v1"],
     "resources": ["pods", "pods/ephemeralcontainers", "podtemplates", "replicationcontrollers",
                   "services", "namespaces"]},
    {"apiGroups": ["apps"], "apiVersions": ["v1"],
     "resources": ["deployments", "replicasets", "statefulsets", "daemonsets"]},
    {"apiGroups": ["batch"], "apiVersions": ["v1"], "resources": ["jobs", "cronjobs"]},
    {"apiGroups": ["rbac.authorization.k8s.io"], "apiVersions": ["v1"],
     "resources": ["roles", "clusterroles", "rolebindings", "clusterrolebindings"]},
    {"apiGroups": ["networking.k8s.io"], "apiVersions": ["v1"], "resources": ["ingresses"]},
]

DEFAULT_CONFIG = """\
# kubeward config for the admission webhook (see docs/admission.md)
version: 1
admission:
  enforce: critical        # deny: findings of critical severity
  warn: medium             # warn: findings of medium severity and above
  audit: low               # audit annotations: low and above
  exemptNamespaces: [kube-system]
  mutate: [safe]           # fixes applied by /mutate: every check whose fix is safe
"""


@dataclass
class ManifestOptions:
    namespace: str = "kubeward"
    image: str | None = None
    replicas: int = 2
    failure_policy: str = "Fail"
    timeout_seconds: int = 5
    ca_pem: bytes | None = None
    cert_manager: bool = False
    config_text: str | None = None
    watch_namespaces: bool = True
    cross_checks: bool = False  # also watch what cross-resource checks consult
    #: where the API server connects from (its node or load-balancer CIDRs):
    #: with them, the webhook port admits those addresses only
    api_server_cidrs: tuple = ()


def _labels() -> dict:
    return {"app.kubernetes.io/name": APP, "app.kubernetes.io/part-of": "kubeward"}


def _rules(o: ManifestOptions) -> list[dict]:
    """Read-only: namespaces, and with cross checks the context kinds (never
    Secrets or ConfigMaps)."""
    rules = [{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "watch"]}]
    if o.cross_checks:
        from kubeward.admission.namespaces import CONTEXT_RESOURCES

        groups: dict[str, list[str]] = {}
        for group, _kind, plural in CONTEXT_RESOURCES:
            groups.setdefault(group, []).append(plural)
        rules += [{"apiGroups": [g], "resources": sorted(p), "verbs": ["get", "list", "watch"]}
                  for g, p in sorted(groups.items())]
    return rules


def build(o: ManifestOptions) -> list[dict]:
    from kubeward import __version__

    ns = o.namespace
    image = o.image or f"ghcr.io/kubeward/kubeward:{__version__}"
    labels = _labels()
    meta = lambda name, **kw: {"name": name, "namespace": ns, "labels": labels, **kw}  # noqa
    docs: list[dict] = [
        {"apiVersion": "v1", "kind": "Namespace",
         "metadata": {"name": ns, "labels": {
             **labels,
             "pod-security.kubernetes.io/enforce": "restricted",
             "pod-security.kubernetes.io/enforce-version": "latest",
             "pod-security.kubernetes.io/warn": "restricted",
             "pod-security.kubernetes.io/audit": "restricted"}}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(APP),
         "automountServiceAccountToken": False},
    ]
    if o.watch_namespaces:
        docs += [
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
             "metadata": {"name": f"{APP}-namespaces", "labels": labels},
             "rules": _rules(o)},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
             "metadata": {"name": f"{APP}-namespaces", "labels": labels},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                         "name": f"{APP}-namespaces"},
             "subjects": [{"kind": "ServiceAccount", "name": APP, "namespace": ns}]},
        ]
    docs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(f"{APP}-config"),
                 "data": {"config.yaml": o.config_text or DEFAULT_CONFIG}})
    if o.cert_manager:
        docs += [
            {"apiVersion": "cert-manager.io/v1", "kind": "Issuer",
             "metadata": meta(f"{APP}-selfsigned"), "spec": {"selfSigned": {}}},
            {"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": meta(APP),
             "spec": {"secretName": TLS_SECRET,
                      "dnsNames": [f"{APP}.{ns}.svc", f"{APP}.{ns}.svc.cluster.local"],
                      "duration": "2160h", "renewBefore": "360h",
                      "privateKey": {"algorithm": "ECDSA", "size": 256,
                                     "rotationPolicy": "Always"},
                      "issuerRef": {"name": f"{APP}-selfsigned", "kind": "Issuer"}}},
        ]
    docs.append(_deployment(o, image, labels, meta))
    docs += [
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta(APP),
         "spec": {"minAvailable": 1,
                  "selector": {"matchLabels": {"app.kubernetes.io/name": APP}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": meta(APP),
         "spec": {"type": "ClusterIP",
                  "selector": {"app.kubernetes.io/name": APP},
                  "ports": [{"name": "https", "port": 443, "targetPort": "https",
                             "protocol": "TCP"}]}},
    ]
    docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "metadata": meta("default-deny"),
                 "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}})
    docs.append(_network_policy(o, meta))
    docs.append(_webhook(o, "Validating", "validate", o.failure_policy))
    docs.append(_webhook(o, "Mutating", "mutate", "Ignore"))
    return docs


def _deployment(o: ManifestOptions, image: str, labels: dict, meta) -> dict:
    args = ["admission", "serve", "--tls-cert=/tls/tls.crt", "--tls-key=/tls/tls.key",
            "--config=/etc/kubeward/config.yaml", "--port=8443"]
    if o.watch_namespaces:
        args.append("--cluster")
        if o.cross_checks:
            args.append("--cross-checks")
    mounts = [
        {"name": "tls", "mountPath": "/tls", "readOnly": True},
        {"name": "config", "mountPath": "/etc/kubeward", "readOnly": True},
        {"name": "tmp", "mountPath": "/tmp"},
    ]
    volumes = [
        {"name": "tls", "secret": {"secretName": TLS_SECRET, "defaultMode": 0o440}},
        {"name": "config", "configMap": {"name": f"{APP}-config", "defaultMode": 0o440}},
        {"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}},
    ]
    if o.watch_namespaces:
        # the token is mounted explicitly (automountServiceAccountToken is off):
        # short-lived, bound to the pod, readable only by the webhook's group
        mounts.append({"name": "kube-api-access",
                       "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                       "readOnly": True})
        volumes.append({"name": "kube-api-access", "projected": {"defaultMode": 0o440, "sources": [
            {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}},
            {"configMap": {"name": "kube-root-ca.crt",
                           "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
                "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
        ]}})
    probe = lambda path, **kw: {"httpGet": {"path": path, "port": "https",  # noqa: E731
                                            "scheme": "HTTPS"}, "timeoutSeconds": 2, **kw}
    container = {
        "name": "webhook",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": args,
        "env": [{"name": "POD_NAMESPACE",
                 "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}],
        "ports": [{"name": "https", "containerPort": PORT, "protocol": "TCP"}],
        "readinessProbe": probe("/readyz", periodSeconds=5, failureThreshold=2),
        "livenessProbe": probe("/healthz", periodSeconds=10, failureThreshold=3),
        "startupProbe": probe("/healthz", periodSeconds=2, failureThreshold=30),
        "resources": {"requests": {"cpu": "200m", "memory": "128Mi", "ephemeral-storage": "16Mi"},
                      "limits": {"cpu": "1", "memory": "256Mi", "ephemeral-storage": "32Mi"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "runAsGroup": 65532,
            "privileged": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": mounts,
    }
    selector = {"app.kubernetes.io/name": APP}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(APP),
        "spec": {
            "replicas": o.replicas,
            "revisionHistoryLimit": 3,
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": APP,
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                    "terminationGracePeriodSeconds": 30,
                    "securityContext": {"runAsNonRoot": True, "runAsUser": 65532,
                                        "runAsGroup": 65532, "fsGroup": 65532,
                                        "seccompProfile": {"type": "RuntimeDefault"}},
                    "affinity": {"podAntiAffinity": {
                        "preferredDuringSchedulingIgnoredDuringExecution": [{
                            "weight": 100,
                            "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname",
                                                "labelSelector": {"matchLabels": selector}}}]}},
                    "topologySpreadConstraints": [{
                        "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                        "whenUnsatisfiable": "ScheduleAnyway",
                        "labelSelector": {"matchLabels": selector}}],
                    "containers": [container],
                    "volumes": volumes,
                },
            },
        },
    }


def _network_policy(o: ManifestOptions, meta) -> dict:
    """Ingress: the webhook port, from the API server only as far as a
    NetworkPolicy can say it. The API server is not a pod, so no pod or
    namespace selector can name it: with ``api_server_cidrs`` only those
    addresses are admitted; without them, ``ipBlock`` peers for every address
    (``0.0.0.0/0``, ``::/0``) and no pod selector, which CNIs that keep
    ipBlock for traffic from outside the cluster (Cilium, and the Kubernetes
    documentation's intent) read as "no pod may connect"; on CNIs that also
    match pod IPs with ipBlock (Calico), pass ``--api-server-cidr``
    (docs/security.md). Egress: nothing, or, when it watches Namespaces, the
    API server and DNS."""
    cidrs = list(o.api_server_cidrs) or ["0.0.0.0/0", "::/0"]
    ingress = [{"from": [{"ipBlock": {"cidr": c}} for c in cidrs],
                "ports": [{"protocol": "TCP", "port": PORT}]}]
    egress: list = []
    if o.watch_namespaces:
        egress = [{"ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 6443}]},
                  {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta(APP),
            "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": APP}},
                     "policyTypes": ["Ingress", "Egress"],
                     "ingress": ingress,
                     "egress": egress}}


def _webhook(o: ManifestOptions, kind: str, path: str, failure_policy: str) -> dict:
    ns = o.namespace
    hook = {
        "name": f"{path}.kubeward.io",
        "clientConfig": {"service": {"name": APP, "namespace": ns, "path": f"/{path}",
                                     "port": 443}},
        "rules": [dict(r, operations=["CREATE", "UPDATE"], scope="*") for r in RULES],
        "failurePolicy": failure_policy,
        "matchPolicy": "Equivalent",
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
        "timeoutSeconds": o.timeout_seconds,
        "namespaceSelector": {"matchExpressions": [{
            "key": "kubernetes.io/metadata.name", "operator": "NotIn",
            "values": sorted({ns, "kube-system"})}]},
    }
    if kind == "Mutating":
        hook["reinvocationPolicy"] = "Never"
    if o.ca_pem is not None:
        hook["clientConfig"]["caBundle"] = base64.b64encode(o.ca_pem).decode()
    meta: dict = {"name": APP, "labels": _labels()}
    if o.cert_manager:
        meta["annotations"] = {"cert-manager.io/inject-ca-from": f"{ns}/{APP}"}
    return {"apiVersion": "admissionregistration.k8s.io/v1",
            "kind": f"{kind}WebhookConfiguration", "metadata": meta, "webhooks": [hook]}


HEADER = """\
# kubeward admission webhook (generated by `kubeward admission manifests`).
# - The validating webhook uses failurePolicy: {fp} and timeoutSeconds: {t}: {fp_why}
# - The mutating webhook uses failurePolicy: Ignore (fixes are a convenience;
#   the validating webhook still judges the object).
# - namespaceSelector skips {ns} and kube-system, so the webhook never blocks
#   its own rollout.
{tls}"""


def render(o: ManifestOptions) -> str:
    fp_why = ("an unreachable webhook blocks\n#   changes (2 replicas and a PodDisruptionBudget "
              "keep it reachable)." if o.failure_policy == "Fail" else
              "an unreachable webhook lets\n#   changes through unchecked.")
    tls = ("# - TLS: cert-manager issues the Secret kubeward-admission-tls and injects the "
           "caBundle.\n" if o.cert_manager else
           f"# - TLS: create the Secret (its certificate must name {APP}.{o.namespace}.svc);\n"
           "#   the pods start once it exists:\n"
           f"#     kubectl -n {o.namespace} create secret tls {TLS_SECRET} "
           "--cert=tls.crt --key=tls.key\n")
    head = HEADER.format(fp=o.failure_policy, t=o.timeout_seconds, fp_why=fp_why,
                         ns=o.namespace, tls=tls)
    body = "---\n".join(yaml.safe_dump(d, sort_keys=False, default_flow_style=False, width=100)
                        for d in build(o))
    return head + "---\n" + body
