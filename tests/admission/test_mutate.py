"""/mutate: JSON Patches of the fixes the config allows, applied with the
``jsonpatch`` package, give objects that pass the mutated checks."""

from __future__ import annotations

import base64
import json

import pytest

from .workloads import BASELINE_ONLY, HARDENED, KINDS, PRIVILEGED, review, workload

jsonpatch = pytest.importorskip("jsonpatch")


def _patch(resp) -> list[dict]:
    assert resp["allowed"] is True
    assert resp["patchType"] == "JSONPatch"
    return json.loads(base64.b64decode(resp["patch"]))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_mutation_fixes_every_workload_kind(client, running, kind):
    obj = workload(kind, BASELINE_ONLY)
    resp = client.review("/mutate", review(obj))
    ops = _patch(resp)
    spec = "/" + KINDS[kind][1].replace(".", "/")
    assert ops == [
        {"op": "add", "path": f"{spec}/containers/0/securityContext", "value": {}},
        {"op": "add", "path": f"{spec}/containers/0/securityContext/allowPrivilegeEscalation",
         "value": False},
        {"op": "add", "path": f"{spec}/securityContext", "value": {}},
        {"op": "add", "path": f"{spec}/securityContext/seccompProfile",
         "value": {"type": "RuntimeDefault"}},
        {"op": "add", "path": f"{spec}/containers/0/securityContext/capabilities", "value": {}},
        {"op": "add", "path": f"{spec}/containers/0/securityContext/capabilities/drop",
         "value": ["ALL"]},
    ]
    assert resp["auditAnnotations"] == {"mutated": "PSS014,PSS017,PSS018"}
    fixed = jsonpatch.apply_patch(obj, ops)
    # the patched object passes every mutated check...
    after = client.review("/validate", review(fixed, namespace="team-restricted"))
    lines = after["status"]["message"].splitlines()
    assert [ln.split()[1] for ln in lines[1:]] == ["PSS015"]  # runAsNonRoot needs a person
    # ...and mutating it again changes nothing
    again = client.review("/mutate", review(fixed))
    assert again == {"uid": again["uid"], "allowed": True}


def test_hardened_object_gets_no_patch(client):
    resp = client.review("/mutate", review(workload("Deployment", HARDENED)))
    assert resp == {"uid": resp["uid"], "allowed": True}


def test_mutate_keeps_existing_fields_and_appends(client):
    obj = workload("Deployment", PRIVILEGED)
    obj["spec"]["template"]["spec"]["containers"][0]["securityContext"]["capabilities"] = {
        "drop": ["NET_RAW"]}
    ops = _patch(client.review("/mutate", review(obj)))
    c0 = "/spec/template/spec/containers/0/securityContext"
    assert {"op": "add", "path": f"{c0}/capabilities/drop/-", "value": "ALL"} in ops
    fixed = jsonpatch.apply_patch(obj, ops)
    sc = fixed["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    # privileged is not a safe fix, and the API server refuses
    # allowPrivilegeEscalation: false beside privileged: true, so PSS014 leaves it
    assert sc == {"privileged": True, "capabilities": {"drop": ["NET_RAW", "ALL"]}}


def test_mutate_update_and_delete(client):
    obj = workload("StatefulSet", BASELINE_ONLY)
    old = workload("StatefulSet", BASELINE_ONLY)
    old["spec"]["replicas"] = 1
    upd = client.review("/mutate", review(obj, operation="UPDATE", old=old))
    assert _patch(upd)
    # nothing changed but metadata: no patch
    same = client.review("/mutate", review(obj, operation="UPDATE", old=obj))
    assert same == {"uid": same["uid"], "allowed": True}
    # a Pod's spec is immutable: never patched on update
    pod = workload("Pod", BASELINE_ONLY)
    pod_old = workload("Pod", BASELINE_ONLY)
    pod_old["spec"]["containers"][0]["image"] = "registry.example/app:0.9"
    podu = client.review("/mutate", review(pod, operation="UPDATE", old=pod_old))
    assert podu == {"uid": podu["uid"], "allowed": True}
    dele = client.review("/mutate", review(None, operation="DELETE", old=obj))
    assert dele == {"uid": dele["uid"], "allowed": True}


def test_suppressed_findings_are_not_mutated(client):
    obj = workload("Pod", BASELINE_ONLY, annotations={
        "kubeward.io/ignore": "PSS017,PSS018: profile managed by the node (SEC-2)"})
    ops = _patch(client.review("/mutate", review(obj)))
    assert [o["path"] for o in ops] == ["/spec/containers/0/securityContext",
                                        "/spec/containers/0/securityContext/allowPrivilegeEscalation"]


def test_mutate_safe_selects_every_default_check_with_a_safe_fix():
    from kubeward.admission.policy import AdmissionPolicy
    from kubeward.checks.base import registry
    from kubeward.config import Config
    from kubeward.engine import ScanOptions
    from kubeward.fix.jsonpatch import apply_edits  # noqa: F401  (the fix module is present)

    policy = AdmissionPolicy(ScanOptions(config=Config(admission={"mutate": ["safe"]})))
    safe = {cid for cid, cls in registry().items() if cls.fix_safety == "safe"
            and cls.default_enabled}
    assert policy.mutate_ids == frozenset(safe)
    # IMG004 and CTR015 are off by default in scan, so "safe" leaves them out
    assert not {"IMG004", "CTR015"} & policy.mutate_ids
    # named explicitly, they mutate
    explicit = AdmissionPolicy(ScanOptions(config=Config(admission={"mutate": ["safe", "IMG004"]})))
    assert "IMG004" in explicit.mutate_ids and explicit.mutate_explicit == {"IMG004"}
    obj = workload("Deployment", BASELINE_ONLY)
    d = policy.mutate(review(obj))
    fixed = jsonpatch.apply_patch(obj, json.loads(base64.b64decode(d.response["patch"])))
    # the mutated object has no finding left from any check that mutated
    after = policy.mutate(review(fixed))
    assert "patch" not in after.response
    check = AdmissionPolicy(ScanOptions(config=Config(admission={
        "enforce": "info", "warn": "none", "audit": "none", "mutate": []})))
    left = {f.check_id for f in check.validate(review(fixed)).by_mode["enforce"]}
    assert not (left & set(d.patched)), left & set(d.patched)
