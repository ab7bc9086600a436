"""A realistic multi-team repository of Kubernetes manifests, deterministic
from a seed and sized by document count.

Shape (docs/benchmarks.md states the measured proportions): one folder per
namespace (about 250 documents each, so several hundred namespaces at
100,000 documents), each holding a Namespace (half of them with a Pod
Security label), a default-deny NetworkPolicy, a team Role and RoleBindings
(one of them binding the built-in ``edit`` ClusterRole to the team's group),
and apps. An app is one file: a Deployment or StatefulSet with its own
ServiceAccount, a Service, a ConfigMap, and often an Ingress, a
PodDisruptionBudget, a HorizontalPodAutoscaler, a pod NetworkPolicy (narrow
``matchLabels`` or wide ``matchExpressions`` selectors, peers by namespace
selector), a Role and its RoleBinding. A ``cluster/`` folder holds
ClusterRoles (some aggregated), ClusterRoleBindings to teams and to the
groups ``system:serviceaccounts`` and ``system:authenticated``, and a few
over-powerful operators. A few apps can escalate (create pods, read
Secrets) so XRBAC001 has work to do.

    python bench/realistic.py OUT_DIR --docs 10000 --seed 1
"""

from __future__ import annotations

import argparse
import os
import random

RBAC = "rbac.authorization.k8s.io"
PER_NAMESPACE = 250  # documents per namespace, roughly


def _ns_doc(ns: str, rng: random.Random) -> str:
    lvl = rng.choice(["restricted", "baseline", None, None])
    labels = f"    team: {ns}\n    kubernetes.io/metadata.name: {ns}\n"
    if lvl:
        labels += f"    pod-security.kubernetes.io/enforce: {lvl}\n"
    return f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels:\n{labels}"


def _default_deny(ns: str) -> str:
    return (f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
            f"  name: default-deny\n  namespace: {ns}\nspec:\n  podSelector: {{}}\n"
            f"  policyTypes: [Ingress, Egress]\n")


def _dns_egress(ns: str) -> str:
    return (f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
            f"  name: allow-dns\n  namespace: {ns}\nspec:\n  podSelector: {{}}\n"
            f"  policyTypes: [Egress]\n  egress:\n    - to:\n        - namespaceSelector:\n"
            f"            matchLabels:\n              kubernetes.io/metadata.name: kube-system\n"
            f"      ports:\n        - protocol: UDP\n          port: 53\n")


def _team_rbac(ns: str, rng: random.Random) -> list[str]:
    out = [
        f"apiVersion: {RBAC}/v1\nkind: Role\nmetadata:\n  name: team-deployer\n  namespace: {ns}\n"
        f"rules:\n  - apiGroups: [apps]\n    resources: [deployments, statefulsets]\n"
        f"    verbs: [get, list, watch, update, patch]\n"
        f"  - apiGroups: [\"\"]\n    resources: [configmaps, services]\n"
        f"    verbs: [get, list, watch, create, update, patch, delete]\n",
        f"apiVersion: {RBAC}/v1\nkind: RoleBinding\nmetadata:\n  name: team-deployer\n"
        f"  namespace: {ns}\nroleRef:\n  apiGroup: {RBAC}\n  kind: Role\n  name: team-deployer\n"
        f"subjects:\n  - kind: Group\n    name: team:{ns}\n    apiGroup: {RBAC}\n"
        f"  - kind: ServiceAccount\n    name: ci-deployer\n    namespace: ci\n",
        f"apiVersion: {RBAC}/v1\nkind: RoleBinding\nmetadata:\n  name: team-edit\n"
        f"  namespace: {ns}\nroleRef:\n  apiGroup: {RBAC}\n  kind: ClusterRole\n  name: edit\n"
        f"subjects:\n  - kind: Group\n    name: team:{ns}:leads\n    apiGroup: {RBAC}\n",
    ]
    if rng.random() < 0.5:
        out.append(
            f"apiVersion: {RBAC}/v1\nkind: RoleBinding\nmetadata:\n  name: view-all\n"
            f"  namespace: {ns}\nroleRef:\n  apiGroup: {RBAC}\n  kind: ClusterRole\n"
            f"  name: namespace-viewer\nsubjects:\n  - kind: Group\n"
            f"    name: system:serviceaccounts:{ns}\n    apiGroup: {RBAC}\n")
    return out


def _app(ns: str, i: int, rng: random.Random) -> list[str]:
    name = f"svc-{i}"
    tier = rng.choice(["web", "api", "worker", "db"])
    hardened = rng.random() < 0.6
    kind = "StatefulSet" if tier == "db" else "Deployment"
    sc = ("          securityContext:\n            allowPrivilegeEscalation: false\n"
          "            readOnlyRootFilesystem: true\n            runAsNonRoot: true\n"
          "            capabilities:\n              drop: [ALL]\n" if hardened else
          "          securityContext:\n            privileged: %s\n" % rng.choice(["true", "false"]))
    pod_sc = ("      securityContext:\n        runAsUser: 10001\n        seccompProfile:\n"
              "          type: RuntimeDefault\n" if hardened else "")
    env = "".join(f"            - name: VAR_{k}\n              value: \"v{k}\"\n"
                  for k in range(rng.randint(1, 4)))
    automount = "" if rng.random() < 0.7 else "      automountServiceAccountToken: false\n"
    docs = [f"""\
apiVersion: apps/v1
kind: {kind}
metadata:
  name: {name}
  namespace: {ns}
  labels: {{app: {name}, tier: {tier}}}
spec:
  replicas: {rng.randint(1, 4)}
{"  serviceName: " + name + chr(10) if kind == "StatefulSet" else ""}\
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}, tier: {tier}}}
    spec:
      serviceAccountName: {name}
{automount}{pod_sc}      containers:
        - name: main
          image: registry.example.com/{ns}/{name}:1.{rng.randint(0, 30)}.0
          ports:
            - containerPort: 8080
              name: http
          env:
{env}          envFrom:
            - configMapRef: {{name: {name}-config}}
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{cpu: 500m, memory: 256Mi}}
          livenessProbe:
            httpGet: {{path: /healthz, port: 8080}}
          readinessProbe:
            httpGet: {{path: /ready, port: 8080}}
{sc}""",
            f"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {name}\n  namespace: {ns}\n",
            f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n"
            f"  selector: {{app: {name}}}\n  ports:\n    - port: 80\n      targetPort: http\n",
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-config\n  namespace: {ns}\n"
            f"data:\n  LOG_LEVEL: info\n  FEATURE_{i}: \"{rng.random():.4f}\"\n"]
    if tier in ("web", "api") and rng.random() < 0.6:
        docs.append(
            f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n"
            f"  namespace: {ns}\nspec:\n  ingressClassName: nginx\n  tls:\n    - hosts: [{name}.{ns}.example.com]\n"
            f"      secretName: {name}-tls\n  rules:\n    - host: {name}.{ns}.example.com\n      http:\n"
            f"        paths:\n          - path: /\n            pathType: Prefix\n            backend:\n"
            f"              service:\n                name: {name}\n                port:\n"
            f"                  number: 80\n")
    if rng.random() < 0.35:
        docs.append(
            f"apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: {name}\n"
            f"  namespace: {ns}\nspec:\n  minAvailable: 1\n  selector:\n"
            f"    matchLabels: {{app: {name}}}\n")
    if kind == "Deployment" and rng.random() < 0.3:
        docs.append(
            f"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: {name}\n"
            f"  namespace: {ns}\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n"
            f"    name: {name}\n  minReplicas: 2\n  maxReplicas: 10\n")
    r = rng.random()
    if r < 0.45:  # narrow: this app, from its own namespace's web tier
        docs.append(
            f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\n"
            f"  namespace: {ns}\nspec:\n  podSelector:\n    matchLabels: {{app: {name}}}\n"
            f"  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - podSelector:\n"
            f"            matchLabels: {{tier: web}}\n      ports:\n        - port: 8080\n")
    elif r < 0.65:  # wide: a whole tier, from the ingress controller's namespace
        docs.append(
            f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}-tier\n"
            f"  namespace: {ns}\nspec:\n  podSelector:\n    matchExpressions:\n"
            f"      - {{key: tier, operator: In, values: [web, api]}}\n"
            f"  policyTypes: [Ingress, Egress]\n  ingress:\n    - from:\n        - namespaceSelector:\n"
            f"            matchLabels: {{kubernetes.io/metadata.name: ingress-nginx}}\n"
            f"  egress:\n    - to:\n        - podSelector: {{}}\n")
    if rng.random() < 0.7:
        res = rng.choice(["configmaps", "secrets", "pods", "leases"])
        grp = "coordination.k8s.io" if res == "leases" else ""
        verbs = rng.choice(["[get, list, watch]", "[get]", "[get, list, watch, create]",
                            "[\"*\"]"])
        docs.append(
            f"apiVersion: {RBAC}/v1\nkind: Role\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
            f"rules:\n  - apiGroups: [\"{grp}\"]\n    resources: [{res}]\n    verbs: {verbs}\n")
        docs.append(
            f"apiVersion: {RBAC}/v1\nkind: RoleBinding\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
            f"roleRef:\n  apiGroup: {RBAC}\n  kind: Role\n  name: {name}\n"
            f"subjects:\n  - kind: ServiceAccount\n    name: {name}\n    namespace: {ns}\n")
    return docs


def _cluster(n_ns: int, rng: random.Random) -> list[str]:
    out = [
        # aggregated roles: the aggregation controller fills namespace-viewer
        f"apiVersion: {RBAC}/v1\nkind: ClusterRole\nmetadata:\n  name: namespace-viewer\n"
        f"aggregationRule:\n  clusterRoleSelectors:\n    - matchLabels:\n"
        f"        example.com/aggregate-to-viewer: \"true\"\nrules: []\n",
        f"apiVersion: {RBAC}/v1\nkind: ClusterRole\nmetadata:\n  name: viewer-core\n  labels:\n"
        f"    example.com/aggregate-to-viewer: \"true\"\nrules:\n  - apiGroups: [\"\"]\n"
        f"    resources: [pods, services, configmaps, endpoints]\n    verbs: [get, list, watch]\n",
        f"apiVersion: {RBAC}/v1\nkind: ClusterRole\nmetadata:\n  name: viewer-apps\n  labels:\n"
        f"    example.com/aggregate-to-viewer: \"true\"\nrules:\n  - apiGroups: [apps]\n"
        f"    resources: [deployments, statefulsets, replicasets]\n    verbs: [get, list, watch]\n",
        # cluster-wide grants to groups
        f"apiVersion: {RBAC}/v1\nkind: ClusterRole\nmetadata:\n  name: discovery-extra\nrules:\n"
        f"  - nonResourceURLs: [/metrics, /healthz]\n    verbs: [get]\n"
        f"  - apiGroups: [\"\"]\n    resources: [namespaces, nodes]\n    verbs: [get, list]\n",
        f"apiVersion: {RBAC}/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: authenticated-discovery\n"
        f"roleRef:\n  apiGroup: {RBAC}\n  kind: ClusterRole\n  name: discovery-extra\nsubjects:\n"
        f"  - kind: Group\n    name: system:authenticated\n    apiGroup: {RBAC}\n",
        f"apiVersion: {RBAC}/v1\nkind: ClusterRole\nmetadata:\n  name: sa-config-reader\nrules:\n"
        f"  - apiGroups: [\"\"]\n    resources: [configmaps, serviceaccounts]\n    verbs: [get, list, watch]\n",
        f"apiVersion: {RBAC}/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: all-sa-config-reader\n"
        f"roleRef:\n  apiGroup: {RBAC}\n  kind: ClusterRole\n  name: sa-config-reader\nsubjects:\n"
        f"  - kind: Group\n    name: system:serviceaccounts\n    apiGroup: {RBAC}\n",
        # operators: over-powerful ones escalate
        f"apiVersion: {RBAC}/v1\nkind: ClusterRole\nmetadata:\n  name: ops-operator\nrules:\n"
        f"  - apiGroups: [\"\"]\n    resources: [secrets]\n    verbs: [get, list]\n"
        f"  - apiGroups: [apps]\n    resources: [deployments]\n    verbs: [get, list, watch, patch]\n",
        f"apiVersion: {RBAC}/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: ops-operator\n"
        f"roleRef:\n  apiGroup: {RBAC}\n  kind: ClusterRole\n  name: ops-operator\nsubjects:\n"
        f"  - kind: ServiceAccount\n    name: operator\n    namespace: ops\n",
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: operator\n  namespace: ops\n",
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ci-deployer\n  namespace: ci\n",
    ]
    for k in range(max(1, n_ns // 20)):  # team admin roles bound cluster-wide to groups
        out.append(
            f"apiVersion: {RBAC}/v1\nkind: ClusterRole\nmetadata:\n  name: platform-{k}\n  labels:\n"
            f"    example.com/aggregate-to-viewer: \"{'true' if k % 3 == 0 else 'false'}\"\nrules:\n"
            f"  - apiGroups: [monitoring.example.com]\n    resources: [dashboards{k}]\n"
            f"    verbs: [get, list, watch]\n")
        out.append(
            f"apiVersion: {RBAC}/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: platform-{k}\n"
            f"roleRef:\n  apiGroup: {RBAC}\n  kind: ClusterRole\n  name: platform-{k}\nsubjects:\n"
            f"  - kind: Group\n    name: platform-{k}\n    apiGroup: {RBAC}\n"
            f"  - kind: User\n    name: oncall-{k}@example.com\n    apiGroup: {RBAC}\n")
    return out


def generate(folder: str, docs: int, seed: int) -> int:
    """Write about ``docs`` documents (exactly ``docs``, the last file cut
    short) under ``folder``; returns the number written."""
    rng = random.Random(seed)
    os.makedirs(folder, exist_ok=True)
    n_ns = max(2, docs // PER_NAMESPACE)
    files: list[tuple[str, list[str]]] = [("cluster/rbac.yaml", _cluster(n_ns, rng))]
    ns_files: list[list[tuple[str, list[str]]]] = []
    for k in range(n_ns):
        ns = f"team-{k:03d}"
        ns_files.append([(f"{ns}/namespace.yaml",
                          [_ns_doc(ns, rng), _default_deny(ns)]
                          + ([_dns_egress(ns)] if rng.random() < 0.5 else [])
                          + _team_rbac(ns, rng))])
    total = sum(len(d) for _, d in files) + sum(len(d) for f in ns_files for _, d in f)
    i = 0
    while total < docs:  # apps, round robin over the namespaces
        k = i % n_ns
        ns = f"team-{k:03d}"
        app = _app(ns, i, rng)
        ns_files[k].append((f"{ns}/{ns}-svc-{i}.yaml", app))
        total += len(app)
        i += 1
    for f in ns_files:
        files.extend(f)
    written = 0
    for rel, parts in files:
        if written >= docs:
            break
        parts = parts[:docs - written]
        path = os.path.join(folder, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write("---\n".join(parts))
        written += len(parts)
    return written


def cached(docs: int, seed: int) -> str:
    """The corpus of ``docs`` documents and ``seed`` in the temporary folder
    (``kubeward-realistic-DOCS-SEED``), generated on first use (into a
    scratch folder renamed at the end, so an interrupted run leaves no half
    corpus behind); returns its path."""
    import shutil
    import tempfile

    folder = os.path.join(tempfile.gettempdir(), f"kubeward-realistic-{docs}-{seed}")
    if not os.path.isdir(folder):
        scratch = tempfile.mkdtemp(prefix=f"kubeward-realistic-{docs}-{seed}.",
                                   dir=tempfile.gettempdir())
        try:
            generate(scratch, docs, seed)
            os.rename(scratch, folder)
        except OSError:
            if not os.path.isdir(folder):  # not a concurrent run that got there first
                raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--docs", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    print(generate(args.folder, args.docs, args.seed))


if __name__ == "__main__":
    main()
