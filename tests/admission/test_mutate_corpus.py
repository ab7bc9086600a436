"""/mutate over every object of ../shared/corpus/realworld-a and
realworld-c and over the check fixtures: each patch applies, and the patched
object is schema-valid for the target version (when the original was) and
breaks none of the encoded API rules."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from kubeward.admission.policy import AdmissionPolicy
from kubeward.config import Config
from kubeward.engine import ScanOptions
from kubeward.fix.validity import violations
from kubeward.loading.files import load_paths
from tests.conftest import CORPUS, require
from tests.schema_check import schema_errors

from .workloads import review

jsonpatch = pytest.importorskip("jsonpatch")
CHECKS = Path(__file__).resolve().parents[1] / "checks"


@pytest.fixture(scope="module")
def policy():
    cfg = Config(admission={"mutate": ["safe", "PSS002"]})  # with an unsafe fix too
    return AdmissionPolicy(ScanOptions(config=cfg), own_namespace="kubeward")


@pytest.mark.parametrize("source", ["realworld-a", "realworld-c", "fixtures"])
def test_every_patched_object_is_valid(policy, source):
    root = CHECKS if source == "fixtures" else require(CORPUS / source)
    loaded = load_paths([str(root)])
    patched = 0
    for obj in loaded.objects:
        if obj.pod is None or not obj.name:
            continue
        d = policy.mutate(review(obj.raw, namespace="default"))
        if "patch" not in d.response:
            continue
        patched += 1
        new = jsonpatch.apply_patch(obj.raw, json.loads(base64.b64decode(d.response["patch"])))
        base = set(violations(obj.raw))
        assert [v for v in violations(new) if v not in base] == [], (obj.source.file, obj.name)
        if schema_errors(obj.raw) == []:
            assert schema_errors(new) == [], (obj.source.file, obj.name, schema_errors(new))
    assert patched > 20
