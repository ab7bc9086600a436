"""The example policies of examples/policies: the manifests the Kubernetes
documentation says are rejected get a finding with the policy's message, the
allowed ones none; and a property test comparing kubeward's decision with
the documented admission decision on generated Deployments."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from kubeward.engine import ScanOptions, scan
from kubeward.loading.files import load_paths
from kubeward.model import K8sObject
from kubeward.model.objects import Source
from kubeward.policy.vap import Decision, review

ROOT = Path(__file__).resolve().parents[2]
EX = ROOT / "examples" / "policies"
POLICY_FILES = sorted(str(p) for p in EX.glob("*.yaml") if p.name != "org-rules.yaml")

DEMO = "ValidatingAdmissionPolicy 'demo-policy.example.com' with binding " \
       "'demo-binding-test.example.com' denied request: "
LIMIT = "ValidatingAdmissionPolicy 'replicalimit-policy.example.com' with binding " \
        "'replicalimit-binding-test.example.com' denied request: "
IMAGE = "ValidatingAdmissionPolicy 'image-matches-namespace-environment.policy.example.com' " \
        "with binding 'image-matches-namespace-environment.binding.example.com' denied request: "
LABELS = "ValidatingAdmissionPolicy 'required-labels.example.com' with binding " \
         "'required-labels-binding.example.com' denied request: "


def _findings(*paths, checks=("VAP001", "VAP002", "VAP003", "VAP004")):
    report = scan([*POLICY_FILES, *map(str, paths)], ScanOptions(checks=checks))
    assert not report.errors, [e.one_line() for e in report.errors]
    return sorted((Path(f.file).name, f.object.name, f.field_path, f.line, f.message)
                  for f in report.findings)


def test_rejected_and_allowed_manifests():
    got = _findings(EX / "manifests")
    assert got == [
        ("rejected-image.yaml", "wrong-registry", "spec.template.spec.containers", 13,
         IMAGE + "only test images are allowed in namespace test-ns"),
        ("rejected-labels.yaml", "no-owner", "metadata.labels", 6,
         LABELS + "missing required labels: owner"),
        ("rejected-replicalimit.yaml", "four", "spec.replicas", 8,
         LIMIT + "object.spec.replicas must be no greater than 3"),
        ("rejected-replicas.yaml", "too-many", "spec.replicas", 8,
         DEMO + "failed expression: object.spec.replicas <= 5"),
        ("rejected-replicas.yaml", "too-many", "spec.replicas", 8,
         LIMIT + "object.spec.replicas must be no greater than 3"),
    ]


def test_org_rules_example(tmp_path):
    from kubeward.checks.custom import register_rules
    from kubeward.policy.rules import load_rules
    rules, errors = load_rules([str(EX / "org-rules.yaml")])
    assert errors == []
    ids = register_rules(rules)
    assert ids == ["ACME001", "ACME002", "ACME003", "ACME004"]
    (tmp_path / "m.yaml").write_text(
        (ROOT / "examples" / "insecure-app" / "deployment.yaml").read_text())
    report = scan([str(tmp_path / "m.yaml")], ScanOptions(checks=tuple(ids)))
    got = sorted((f.check_id, f.object.name, f.field_path, f.message) for f in report.findings)
    assert got == [
        ("ACME001", "web", "spec.template.spec.containers",
         "images must come from registry.acme.io: nginx:latest"),
        ("ACME002", "web", "metadata.labels", "Deployment web has no owner label"),
        ("ACME003", "web", "spec.type",
         "LoadBalancer Services are only allowed in the ingress namespace"),
    ]


# -- property test ---------------------------------------------------------------

_POLICIES = load_paths(POLICY_FILES, {}).objects
_NAMESPACES = {"test-ns": {"environment": "test"}, "prod-ns": {"environment": "prod"},
               "plain": None}
_NS_OBJECTS = [K8sObject({"apiVersion": "v1", "kind": "Namespace",
                          "metadata": {"name": n, "labels": labels}}, Source("ns", i, 1, {}))
               for i, (n, labels) in enumerate(_NAMESPACES.items()) if labels is not None]

deployments = st.fixed_dictionaries({
    "replicas": st.integers(0, 9),
    "namespace": st.sampled_from(sorted(_NAMESPACES)),
    "labels": st.dictionaries(st.sampled_from(["app.kubernetes.io/name", "owner", "exempt"]),
                              st.sampled_from(["true", "false", "x"]), max_size=3),
    "images": st.lists(st.sampled_from(["nginx", "example.com/a", "test.example.com/a",
                                        "prod.example.com/a", "staging.example.com/a"]),
                       min_size=1, max_size=3),
})


def _expected(d) -> set[str]:
    """The documented admission decision of the four example policies."""
    ns_labels = _NAMESPACES[d["namespace"]] or {}
    labels = d["labels"]
    out = set()
    if ns_labels.get("environment") == "test":
        if d["replicas"] > 5:
            out.add(DEMO + "failed expression: object.spec.replicas <= 5")
        if d["replicas"] > 3:
            out.add(LIMIT + "object.spec.replicas must be no greater than 3")
    if "environment" not in ns_labels:  # kubeward's example bindings select these only
        return out
    env = ns_labels.get("environment", "prod")
    exempt = labels.get("exempt") == "true"
    checked = [i for i in d["images"] if "example.com/" in i]
    if not exempt and not all(i.startswith(env + ".") for i in checked):
        out.add(IMAGE + f"only {env} images are allowed in namespace {d['namespace']}")
    missing = [n for n in ("app.kubernetes.io/name", "owner") if n not in labels]
    if missing:
        out.add(LABELS + "missing required labels: " + ", ".join(missing))
    return out


@settings(max_examples=150, deadline=None)
@given(deployments)
def test_decisions_match_the_admission_decision(d):
    raw = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "gen", "namespace": d["namespace"], "labels": d["labels"]},
           "spec": {"replicas": d["replicas"], "template": {"spec": {"containers": [
               {"name": f"c{i}", "image": img} for i, img in enumerate(d["images"])]}}}}
    obj = K8sObject(raw, Source("gen.yaml", 0, 1, {}))
    got = {x.message for x in review(_POLICIES + _NS_OBJECTS + [obj])
           if isinstance(x, Decision) and x.target is obj}
    assert got == _expected(d)
