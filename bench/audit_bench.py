"""Benchmark: ``kubeward audit`` of a large cluster served by the fake API
server (tests/kwtest/fakeapi.py).

The cluster: N_DEPLOYMENTS Deployments (each with one ReplicaSet and
PODS_PER_DEPLOYMENT Pods owned by it, with status and managedFields as a
real server returns them), over N_NAMESPACES namespaces, plus RBAC for
N_SERVICE_ACCOUNTS ServiceAccounts (a Role and RoleBinding each, and a
ClusterRoleBinding for every tenth). ``kubeward audit -o json`` runs as a
child process (its own memory), paging with the default limit of 500.

Prints wall time and peak RSS of the audit; targets: < 20 s, < 1 GB.

    python bench/audit_bench.py [--deployments 1000] [--pods-per-deployment 10]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the test helpers package, kwtest

from kwtest.fakeapi import FakeKubeAPI, write_kubeconfig  # noqa: E402


def pod_spec(i: int) -> dict:
    return {
        "serviceAccountName": f"sa-{i % 500}",
        "securityContext": {"runAsNonRoot": True} if i % 3 else {},
        "containers": [{
            "name": "app", "image": f"registry.example.com/app-{i % 50}:1.{i % 7}",
            "ports": [{"containerPort": 8080, "protocol": "TCP"}],
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                          "limits": {"memory": "256Mi"}},
            "securityContext": ({"privileged": True} if i % 10 == 0 else
                                {"allowPrivilegeEscalation": False,
                                 "capabilities": {"drop": ["ALL"]}}),
            "env": [{"name": "MODE", "value": "prod"}],
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent",
        }],
        "restartPolicy": "Always", "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
    }


def managed_fields() -> list:
    return [{"manager": "kube-controller-manager", "operation": "Update",
             "apiVersion": "v1", "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
             "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                          "f:spec": {"f:containers": {'k:{"name":"app"}': {
                              ".": {}, "f:image": {}, "f:name": {}, "f:resources": {}}}}}}]


def build(api: FakeKubeAPI, deployments: int, per: int, namespaces: int, sas: int) -> int:
    n = 0
    for k in range(namespaces):
        api.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"team-{k}"}})
        n += 1
    for i in range(sas):
        ns = f"team-{i % namespaces}"
        api.add({"apiVersion": "v1", "kind": "ServiceAccount",
                 "metadata": {"name": f"sa-{i}", "namespace": ns}})
        api.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                 "metadata": {"name": f"role-{i}", "namespace": ns},
                 "rules": [{"apiGroups": [""], "resources": ["configmaps", "pods"],
                            "verbs": ["get", "list", "watch"]},
                           {"apiGroups": ["apps"], "resources": ["deployments"],
                            "verbs": ["get", "patch"] if i % 7 else ["*"]}]})
        api.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                 "metadata": {"name": f"rb-{i}", "namespace": ns},
                 "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                             "name": f"role-{i}"},
                 "subjects": [{"kind": "ServiceAccount", "name": f"sa-{i}", "namespace": ns}]})
        n += 3
        if i % 10 == 0:
            api.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                     "metadata": {"name": f"crb-{i}"},
                     "roleRef": {"apiGroup": "rbac.authorization.k8s.io",
                                 "kind": "ClusterRole", "name": "view" if i % 20 else "admin"},
                     "subjects": [{"kind": "ServiceAccount", "name": f"sa-{i}",
                                   "namespace": ns}]})
            n += 1
    for name in ("view", "admin"):
        api.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                 "metadata": {"name": name},
                 "rules": [{"apiGroups": ["*"], "resources": ["*"],
                            "verbs": ["get", "list", "watch"] if name == "view" else ["*"]}]})
        n += 1
    for i in range(deployments):
        ns = f"team-{i % namespaces}"
        labels = {"app": f"app-{i}"}
        template = {"metadata": {"labels": labels}, "spec": pod_spec(i)}
        dep = api.add({"apiVersion": "apps/v1", "kind": "Deployment",
                       "metadata": {"name": f"app-{i}", "namespace": ns, "labels": labels,
                                    "managedFields": managed_fields()},
                       "spec": {"replicas": per, "selector": {"matchLabels": labels},
                                "template": template},
                       "status": {"replicas": per, "readyReplicas": per}})
        rs = api.add({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                      "metadata": {"name": f"app-{i}-7d9f", "namespace": ns, "labels": labels,
                                   "ownerReferences": [{
                                       "apiVersion": "apps/v1", "kind": "Deployment",
                                       "name": f"app-{i}", "uid": dep["metadata"]["uid"],
                                       "controller": True, "blockOwnerDeletion": True}]},
                      "spec": {"replicas": per, "selector": {"matchLabels": labels},
                               "template": template}})
        for j in range(per):
            api.add({"apiVersion": "v1", "kind": "Pod",
                     "metadata": {"name": f"app-{i}-7d9f-{j:05d}", "namespace": ns,
                                  "labels": labels, "managedFields": managed_fields(),
                                  "ownerReferences": [{
                                      "apiVersion": "apps/v1", "kind": "ReplicaSet",
                                      "name": rs["metadata"]["name"],
                                      "uid": rs["metadata"]["uid"], "controller": True,
                                      "blockOwnerDeletion": True}]},
                     "spec": {**pod_spec(i), "nodeName": f"node-{j % 40}"},
                     "status": {"phase": "Running", "podIP": f"10.0.{i % 250}.{j}",
                                "conditions": [{"type": t, "status": "True"} for t in
                                               ("Initialized", "Ready", "ContainersReady",
                                                "PodScheduled")],
                                "containerStatuses": [{"name": "app", "ready": True,
                                                       "restartCount": 0,
                                                       "image": "app", "imageID": "sha256:ab"}]}})
        n += 2 + per
    return n


def watch_figures(api: FakeKubeAPI, kubeconfig: str) -> tuple:
    """In-process ``--watch``: the first evaluation, the re-evaluation after
    one Deployment change, and how many evaluations 100 status-only Pod
    updates cause."""
    from kubeward.cluster.audit import snapshot
    from kubeward.cluster.client import Client
    from kubeward.cluster.watch import Auditor
    from kubeward.engine import ScanOptions

    client = Client.connect(kubeconfig)
    options = ScanOptions()
    snap = snapshot(client, options)
    a = Auditor(client, snap, options, log=lambda m: None)
    a.start()
    first = a.stats.last_duration
    try:
        deadline = time.monotonic() + 60
        while api.open_watches < len(a.resources) and time.monotonic() < deadline:
            time.sleep(0.05)
        n = a.stats.evaluations
        dep = api.objects("deployments", "apps")[0]
        dep = {**dep, "spec": {**dep["spec"], "replicas": 3}}
        t = time.perf_counter()
        api.modify(dep)
        a.wait_evaluated(n, 60)
        after_change = time.perf_counter() - t
        changed = a.stats.last_duration
        n = a.stats.evaluations
        pods = api.objects("pods")[:100]
        for p in pods:
            api.modify({**p, "status": {**p.get("status", {}), "phase": "Succeeded"}})
        deadline = time.monotonic() + 30
        while a.stats.events["MODIFIED"] < 1 + len(pods) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)
        return first, changed, after_change, len(pods), a.stats.evaluations - n
    finally:
        a.stop()
        client.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--deployments", type=int, default=1000)
    ap.add_argument("--pods-per-deployment", type=int, default=10)
    ap.add_argument("--namespaces", type=int, default=50)
    ap.add_argument("--service-accounts", type=int, default=500)
    ap.add_argument("--no-watch", dest="watch", action="store_false",
                    help="skip the in-process --watch figures")
    args = ap.parse_args()

    t0 = time.perf_counter()
    api = FakeKubeAPI().start()
    total = build(api, args.deployments, args.pods_per_deployment, args.namespaces,
                  args.service_accounts)
    print(f"cluster: {total} objects ({args.deployments * args.pods_per_deployment} Pods, "
          f"{args.deployments} Deployments, {args.service_accounts} ServiceAccounts) "
          f"built in {time.perf_counter() - t0:.1f}s", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        kc = write_kubeconfig(Path(tmp) / "kubeconfig", api.url)
        out = Path(tmp) / "report.json"
        t1 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "kubeward", "audit", "--kubeconfig",
                               str(kc), "-o", f"json={out}", "--fail-on", "critical"],
                              capture_output=True, text=True, cwd=tmp,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        elapsed = time.perf_counter() - t1
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        if proc.returncode not in (0, 1):
            api.stop()
            sys.exit(f"audit failed ({proc.returncode}): {proc.stderr.strip()}")
        report = json.loads(out.read_text())
        pages = sum(1 for r in api.requests if r["query"].get("limit"))
        pod_pages = len(api.requests_for("/api/v1/pods", limit=None))
        watch = watch_figures(api, str(kc)) if args.watch else None
        api.stop()
    s = report["summary"]
    print(f"audit: {elapsed:.2f}s wall, peak RSS {peak_kib / 1024:.0f} MiB"
)
    print(f"objects audited: {s['objectsScanned']} (owned Pods and ReplicaSets collapsed), "
          f"findings: {s['findings']}, list requests: {pages} ({pod_pages} for Pods)")
    if watch:
        print("watch: first evaluation {:.2f}s; one Deployment changed -> re-evaluated in "
              "{:.2f}s ({:.2f}s after the change); {} status-only Pod updates -> {} "
              "evaluations".format(*watch))
    ok = elapsed < 20 and peak_kib < 1024 * 1024
    print("targets (< 20 s, < 1 GB):", "met" if ok else "MISSED")


if __name__ == "__main__":
    main()
