"""Loaders for the RBAC and network analysis fixtures in tests/analysis/fixtures."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "analysis" / "fixtures"


def load(name: str):
    from kubeward.loading.files import load_paths

    res = load_paths([str(FIXTURES / name)])
    assert not res.errors, [e.one_line() for e in res.errors]
    return res.objects


def load_text(text: str, name: str = "t.yaml"):
    from kubeward.loading.files import LoadResult
    from kubeward.loading.files import load_text as _load

    res = LoadResult()
    _load(text, name, res)
    assert not res.errors, [e.one_line() for e in res.errors]
    return res.objects


#: the privilege-escalation verdicts for fixtures/escalation (test_rbac_authorizer,
#: test_analysis_cli)
ESCALATION = {
    "Group ops": ["can create and approve client CertificateSigningRequests, so can issue a "
                  "certificate for the group system:masters"],
    "ServiceAccount a/creator": [
        "can create pods in namespace a, which does not enforce a Pod Security level: a "
        "privileged or hostPath pod gives root on a node => cluster"],
    "ServiceAccount b/creator": [
        "can create pods in namespace b, so can run a pod as ServiceAccount b/powerful",
        "can create ClusterRoleBindings and bind ClusterRoles, so can bind cluster-admin to "
        "itself"],
    "ServiceAccount b/powerful": [
        "can create ClusterRoleBindings and bind ClusterRoles, so can bind cluster-admin to "
        "itself"],
    "ServiceAccount c/deployer": ["can impersonate the group system:masters, which bypasses RBAC"],
    "ServiceAccount d/robot": [
        "can use nodes/proxy, i.e. the kubelet API of every node: exec into any pod, including "
        "control-plane pods"],
    "ServiceAccount g/runner": ["has every verb on every resource cluster-wide (cluster-admin)"],
    "User eve": [
        "can read Secret c/deployer-token, the legacy token of ServiceAccount c/deployer",
        "can impersonate the group system:masters, which bypasses RBAC"],
    "User frank": [
        "can create tokens for ServiceAccount d/robot (serviceaccounts/token)",
        "can use nodes/proxy, i.e. the kubelet API of every node: exec into any pod, including "
        "control-plane pods"],
    "User gina": ["can change mutating admission webhooks, so can rewrite any pod or object the "
                  "API server admits"],
    "User hank": ["can create PersistentVolumes and pods with claims in namespace e: a hostPath "
                  "PersistentVolume gives a node's filesystem => cluster"],
    "User ivan": ["can escalate and update ClusterRoles, so can add any permission to a "
                  "ClusterRole bound to it"],
    "User judy": [
        "can create RoleBindings and bind ClusterRoles in namespace f, so can bind cluster-admin "
        "there",
        "can create pods in namespace f, which does not enforce a Pod Security level: a "
        "privileged or hostPath pod gives root on a node => cluster"],
    "User kim": [
        "can impersonate ServiceAccount a/creator",
        "can create pods in namespace a, which does not enforce a Pod Security level: a "
        "privileged or hostPath pod gives root on a node => cluster"],
    "User lee": [
        "can exec into pods in namespace g, e.g. of Deployment app, which runs as "
        "ServiceAccount g/runner",
        "has every verb on every resource cluster-wide (cluster-admin)"],
    "User mallory": [
        "can create and read Secrets in namespace b, so can mint a token Secret for "
        "ServiceAccount b/powerful",
        "can create ClusterRoleBindings and bind ClusterRoles, so can bind cluster-admin to "
        "itself"],
}
