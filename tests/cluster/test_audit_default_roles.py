"""``kubeward audit``: Kubernetes' own default ClusterRoles are not findings
by themselves; bindings to them are."""

import yaml

from kubeward.cluster.audit import audit_once
from kubeward.engine import ScanOptions

DEFAULTS = """\
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata:
    name: cluster-admin
    labels: {kubernetes.io/bootstrapping: rbac-defaults}
  rules:
    - {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
    - {nonResourceURLs: ["*"], verbs: ["*"]}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata:
    name: admin
    labels: {kubernetes.io/bootstrapping: rbac-defaults}
  rules:
    - apiGroups: [""]
      resources: [pods, pods/exec, secrets, serviceaccounts/token]
      verbs: [create, delete, get, list, patch, update, watch]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata:
    name: system:controller:clusterrole-aggregation-controller
    labels: {kubernetes.io/bootstrapping: rbac-defaults}
  rules:
    - {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata:
    name: cluster-admin
    labels: {kubernetes.io/bootstrapping: rbac-defaults}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
  subjects:
    - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:masters"}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {name: ci-admin}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
  subjects:
    - {kind: ServiceAccount, name: deployer, namespace: ci}
"""


def test_audit_reports_bindings_not_default_roles(fake_api, client):
    fake_api.load_objects(yaml.safe_load(DEFAULTS))
    report, _ = audit_once(client, ScanOptions(frameworks=("all",)))
    assert not report.errors
    assert [(f.check_id, f.object.name) for f in report.findings
            if f.object.kind == "ClusterRole"] == []
    assert [(f.check_id, f.object.name) for f in report.findings
            if f.object.kind == "ClusterRoleBinding" and f.check_id.startswith("RBAC")] == [
        ("RBAC021", "ci-admin")]
