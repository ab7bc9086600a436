"""/mutate changes only what it should: never in a namespace whose modes are
all ``none`` or that is exempt, only checks enabled for the namespace (the
same defaults as ``scan``), and never into an object the API server would
reject (the response's warnings say what was held back and why). Every
patched object is schema-valid for the target version."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import yaml

from kubeward.admission.namespaces import StaticNamespaces
from kubeward.admission.policy import AdmissionPolicy
from kubeward.config import Config
from kubeward.engine import ScanOptions
from kubeward.fix.validity import violations
from tests.schema_check import schema_errors

from .workloads import BASELINE_ONLY, HARDENED, KINDS, PRIVILEGED, review, workload

jsonpatch = pytest.importorskip("jsonpatch")

ROOT = Path(__file__).resolve().parents[2]
NAMESPACES = StaticNamespaces({
    "open": {"kubeward.io/enforce": "none", "kubeward.io/warn": "none",
             "kubeward.io/audit": "none"},
    "baseline-only": {"kubeward.io/enforce": "baseline", "kubeward.io/warn": "none",
                      "kubeward.io/audit": "none"},
    "restricted-only": {"kubeward.io/enforce": "restricted", "kubeward.io/warn": "none",
                        "kubeward.io/audit": "none"},
    "plain": {},
})


@pytest.fixture(scope="module")
def policy():
    return AdmissionPolicy(ScanOptions(config=Config()), namespaces=NAMESPACES,
                           own_namespace="kubeward")


def _ops(d) -> list[dict]:
    resp = d.response
    if "patch" not in resp:
        return []
    assert resp["patchType"] == "JSONPatch"
    return json.loads(base64.b64decode(resp["patch"]))


def test_all_modes_none_gets_no_patch(policy):
    ds = workload("DaemonSet", PRIVILEGED, name="csi-node")
    d = policy.mutate(review(ds, namespace="open"))
    assert d.response == {"uid": d.uid, "allowed": True}
    assert d.skipped == "all modes none" and d.patched == []
    # /validate allows it there too
    assert policy.validate(review(ds, namespace="open")).allowed


def test_exempt_namespace_gets_no_patch(policy):
    d = policy.mutate(review(workload("DaemonSet", BASELINE_ONLY), namespace="kube-system"))
    assert d.exempt == "namespace" and d.response == {"uid": d.uid, "allowed": True}


def test_only_checks_enabled_for_the_namespace(policy):
    obj = workload("Deployment", BASELINE_ONLY)
    # enforce=baseline only: no Baseline check has a safe fix for this object
    d = policy.mutate(review(obj, namespace="baseline-only"))
    assert _ops(d) == [] and d.patched == []
    # enforce=restricted only: the safe fixes of Restricted checks
    d = policy.mutate(review(obj, namespace="restricted-only"))
    assert d.patched == ["PSS014", "PSS017", "PSS018"]
    # the default modes (audit: every check on by default in scan, at low and above)
    d = policy.mutate(review(obj, namespace="plain"))
    assert d.patched == ["PSS014", "PSS017", "PSS018"]


def test_privileged_container_never_gets_allow_privilege_escalation_false_alone(policy):
    ds = workload("DaemonSet", PRIVILEGED, name="node-agent")
    d = policy.mutate(review(ds, namespace="plain"))
    ops = _ops(d)
    assert not [o for o in ops if o["path"].endswith("/allowPrivilegeEscalation")]
    sc = "spec.template.spec.containers[0].securityContext"
    # warnings are cut to the API server's length limit: compare the start
    assert any(w.startswith(f"kubeward: not mutated PSS014 {sc}.allowPrivilegeEscalation: held back: "
                            "the API server rejects allowPrivilegeEscalation: false together with "
                            "privileged: true") for w in d.response["warnings"])
    fixed = jsonpatch.apply_patch(ds, ops)
    assert violations(fixed) == [] and schema_errors(fixed) == []


def test_hardened_example_gets_no_patch(policy):
    docs = [d for d in yaml.safe_load_all((ROOT / "examples" / "hardened-app" /
                                           "deployment.yaml").read_text()) if d]
    assert docs
    for doc in docs:
        d = policy.mutate(review(doc, namespace="plain"))
        assert d.response == {"uid": d.uid, "allowed": True}, (doc["kind"], d.response)


def test_windows_pod_is_not_given_linux_fields(policy):
    pod = workload("Pod", {"os": {"name": "windows"},
                           "containers": [{"name": "app", "image": "mcr.example/app:1"}]})
    d = policy.mutate(review(pod, namespace="plain"))
    fixed = jsonpatch.apply_patch(pod, _ops(d))
    assert violations(fixed) == []


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("spec", [BASELINE_ONLY, PRIVILEGED, HARDENED],
                         ids=["baseline", "privileged", "hardened"])
def test_every_patched_object_is_schema_valid(policy, kind, spec):
    obj = workload(kind, spec)
    d = policy.mutate(review(obj, namespace="plain"))
    fixed = jsonpatch.apply_patch(obj, _ops(d))
    assert schema_errors(fixed) == []
    assert violations(fixed) == []
