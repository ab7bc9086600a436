"""AdmissionReview bodies and workloads of every kind for the admission tests."""

from __future__ import annotations

import copy
import itertools

KINDS = {  # kind -> (apiVersion, path of the pod spec in text form)
    "Pod": ("v1", "spec"),
    "PodTemplate": ("v1", "template.spec"),
    "ReplicationController": ("v1", "spec.template.spec"),
    "Deployment": ("apps/v1", "spec.template.spec"),
    "ReplicaSet": ("apps/v1", "spec.template.spec"),
    "StatefulSet": ("apps/v1", "spec.template.spec"),
    "DaemonSet": ("apps/v1", "spec.template.spec"),
    "Job": ("batch/v1", "spec.template.spec"),
    "CronJob": ("batch/v1", "spec.jobTemplate.spec.template.spec"),
}

PRIVILEGED = {"containers": [{"name": "app", "image": "registry.example/app:1.0",
                              "securityContext": {"privileged": True}}]}
HARDENED = {
    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
    "containers": [{"name": "app", "image": "registry.example/app:1.0",
                    "securityContext": {"allowPrivilegeEscalation": False,
                                        "capabilities": {"drop": ["ALL"]}}}],
}
# passes Baseline, fails Restricted
BASELINE_ONLY = {"containers": [{"name": "app", "image": "registry.example/app:1.0"}]}


def workload(kind: str, pod_spec: dict, name: str = "web", namespace: str | None = None,
             annotations: dict | None = None) -> dict:
    api, _ = KINDS[kind]
    spec = copy.deepcopy(pod_spec)
    labels = {"app": name}
    meta: dict = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if annotations:
        meta["annotations"] = dict(annotations)
    template = {"metadata": {"labels": labels}, "spec": spec}
    if kind == "Pod":
        body = {"spec": spec}
    elif kind == "PodTemplate":
        body = {"template": template}
    elif kind == "CronJob":
        body = {"spec": {"schedule": "*/5 * * * *",
                         "jobTemplate": {"spec": {"template": template}}}}
    elif kind in ("Job", "ReplicationController"):
        body = {"spec": {"template": template}}
    else:
        body = {"spec": {"selector": {"matchLabels": labels}, "template": template}}
    return {"apiVersion": api, "kind": kind, "metadata": meta, **body}


_uids = itertools.count(1)


def review(obj: dict | None, *, namespace: str = "plain", operation: str = "CREATE",
           old: dict | None = None, user: str = "alice", groups=("system:authenticated",),
           dry_run: bool = False, uid: str | None = None) -> dict:
    ref = obj or old or {}
    api = ref.get("apiVersion", "v1")
    group, _, version = api.rpartition("/")
    req = {
        "uid": uid or f"00000000-0000-0000-0000-{next(_uids):012d}",
        "kind": {"group": group, "version": version, "kind": ref.get("kind", "")},
        "resource": {"group": group, "version": version,
                     "resource": ref.get("kind", "").lower() + "s"},
        "name": (ref.get("metadata") or {}).get("name", ""),
        "namespace": namespace,
        "operation": operation,
        "userInfo": {"username": user, "groups": list(groups)},
        "object": obj,
        "oldObject": old,
        "dryRun": dry_run,
        "options": {"apiVersion": "meta.k8s.io/v1",
                    "kind": {"CREATE": "CreateOptions", "UPDATE": "UpdateOptions",
                             "DELETE": "DeleteOptions"}.get(operation, "CreateOptions")},
    }
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req}


def namespace(name, **labels):
    """A Namespace object with these labels."""
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}
