"""``kubeward audit`` evaluates the cluster's ValidatingAdmissionPolicies
against what runs, reads their params, and says which running objects a
policy not yet in the cluster would reject."""

import json
import textwrap

import pytest
from click.testing import CliRunner

from kubeward.cli.main import cli

pytest.importorskip("cel_expr_python", reason="policies need the cel extra")

POLICY = textwrap.dedent("""\
    apiVersion: admissionregistration.k8s.io/v1
    kind: ValidatingAdmissionPolicy
    metadata: {name: max-replicas}
    spec:
      paramKind: {apiVersion: v1, kind: ConfigMap}
      matchConstraints:
        resourceRules:
          - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}
      validations:
        - expression: "object.spec.replicas <= int(params.data.max)"
          messageExpression: "'at most ' + params.data.max + ' replicas'"
    ---
    apiVersion: admissionregistration.k8s.io/v1
    kind: ValidatingAdmissionPolicyBinding
    metadata: {name: max-replicas}
    spec:
      policyName: max-replicas
      validationActions: [Deny]
      paramRef: {name: limits, namespace: kube-system, parameterNotFoundAction: Deny}
    """)
NEW = textwrap.dedent("""\
    apiVersion: admissionregistration.k8s.io/v1
    kind: ValidatingAdmissionPolicy
    metadata: {name: owner-label}
    spec:
      matchConstraints:
        resourceRules:
          - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
      validations:
        - expression: "'owner' in object.metadata.?labels.orValue({})"
          message: needs an owner label
    ---
    apiVersion: admissionregistration.k8s.io/v1
    kind: ValidatingAdmissionPolicyBinding
    metadata: {name: owner-label}
    spec: {policyName: owner-label, validationActions: [Warn]}
    """)


def _deployment(name, replicas, labels=None):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "shop", "uid": f"uid-{name}",
                         **({"labels": labels} if labels else {})},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "a", "image": "x:1"}]}}}}


def _load(fake_api, tmp_path):
    import yaml
    (tmp_path / "policy.yaml").write_text(POLICY)
    fake_api.load_yaml(tmp_path / "policy.yaml")
    fake_api.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    fake_api.add({"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": "limits", "namespace": "kube-system"},
                  "data": {"max": "3"}})
    fake_api.add(_deployment("big", 5))
    fake_api.add(_deployment("small", 2, {"owner": "a"}))
    return yaml


def _run(args):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def test_audit_evaluates_the_cluster_policies_with_their_params(fake_api, kubeconfig, tmp_path):
    _load(fake_api, tmp_path)
    r = _run(["audit", "--kubeconfig", kubeconfig, "-o", "json", "--check", "VAP001",
              "--check", "VAP004"])
    assert r.exit_code == 1, r.output
    got = [(f["checkId"], f["file"], f["fieldPath"], f["message"])
           for f in json.loads(r.stdout)["findings"]]
    assert got == [("VAP001", "cluster://shop/Deployment/big", "spec.replicas",
                    "ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas' "
                    "denied request: at most 3 replicas")]


def test_audit_says_what_a_new_policy_would_reject(fake_api, kubeconfig, tmp_path):
    _load(fake_api, tmp_path)
    (tmp_path / "new.yaml").write_text(NEW)
    r = _run(["audit", "--kubeconfig", kubeconfig, "-o", "json", "--check", "VAP002",
              "--admission-policies", str(tmp_path / "new.yaml")])
    assert r.exit_code == 1, r.output
    got = [(f["checkId"], f["file"], f["message"]) for f in json.loads(r.stdout)["findings"]]
    assert got == [("VAP002", "cluster://shop/Deployment/big",
                    "Validation failed for ValidatingAdmissionPolicy 'owner-label' with binding "
                    "'owner-label': needs an owner label")]
