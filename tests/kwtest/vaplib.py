"""Helpers: build manifests with policies and read kubeward's verdicts."""

from __future__ import annotations

import yaml

from kubeward.engine import ScanOptions, scan

VAP_IDS = ("VAP001", "VAP002", "VAP003", "VAP004")


def policy(name="p", validations=None, rules=None, **spec) -> dict:
    spec.setdefault("matchConstraints", {"resourceRules": rules or [
        {"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
         "resources": ["deployments"]}]})
    spec["validations"] = validations if validations is not None else [
        {"expression": "object.spec.replicas <= 5"}]
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
            "metadata": {"name": name}, "spec": spec}


def binding(name="b", policy_name="p", actions=("Deny",), **spec) -> dict:
    spec.update(policyName=policy_name, validationActions=list(actions))
    return {"apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicyBinding", "metadata": {"name": name}, "spec": spec}


def deployment(name="web", replicas=10, namespace=None, labels=None, image="nginx",
               api_version="apps/v1") -> dict:
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    return {"apiVersion": api_version, "kind": "Deployment", "metadata": meta,
            "spec": {"replicas": replicas, "template": {"spec": {
                "containers": [{"name": "app", "image": image}]}}}}


def namespace(name, labels=None) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, **({"labels": labels} if labels else {})}}


def verdicts(tmp_path, *docs, checks=VAP_IDS, fname="in.yaml"):
    """[(check id, object name, field path, line, message)] sorted by line."""
    f = tmp_path / fname
    f.write_text(yaml.safe_dump_all(list(docs), sort_keys=False))
    report = scan([str(f)], ScanOptions(checks=tuple(checks)))
    assert not report.errors, [e.one_line() for e in report.errors]
    return [(x.check_id, x.object.name, tuple(x.path), x.line, x.message) for x in report.findings]


def messages(tmp_path, *docs, checks=VAP_IDS):
    return [(v[0], v[1], v[4]) for v in verdicts(tmp_path, *docs, checks=checks)]
