"""/validate over real HTTPS: operations, every workload kind, modes by
namespace label, exemptions, dry run, suppressions."""

from __future__ import annotations

import pytest

from .workloads import BASELINE_ONLY, HARDENED, KINDS, PRIVILEGED, review, workload

PRIV_MSG = 'container "app" is privileged (securityContext.privileged: true)'
PRIV_FIX = "Fix: Remove securityContext.privileged or set it to false."


def _deny_lines(resp) -> list[str]:
    assert resp["allowed"] is False
    assert resp["status"]["code"] == 403 and resp["status"]["reason"] == "Forbidden"
    return resp["status"]["message"].splitlines()


def test_create_privileged_pod_is_denied_with_id_path_and_fix(client):
    body = review(workload("Pod", PRIVILEGED), uid="4d6a1c2e-0000-4000-8000-000000000001")
    resp = client.review("/validate", body)
    assert resp["uid"] == "4d6a1c2e-0000-4000-8000-000000000001"
    assert _deny_lines(resp) == [
        "kubeward: Pod plain/web violates 'high' (enforce), 1 finding:",
        f"- PSS002 spec.containers[0].securityContext.privileged: {PRIV_MSG}. {PRIV_FIX}",
    ]
    # default warn (medium) and audit (low) come along
    assert resp["warnings"] == [
        f"kubeward PSS002 (critical) spec.containers[0].securityContext.privileged: {PRIV_MSG}",
        'kubeward PSS014 (medium) spec.containers[0].securityContext.allowPrivilegeEscalation: '
        'container "app" does not set securityContext.allowPrivilegeEscalation: false',
        'kubeward PSS015 (medium) spec.containers[0].securityContext.runAsNonRoot: neither the '
        'pod nor container "app" sets securityContext.runAsNonRoot: true',
        "kubeward PSS017 (medium) spec.securityContext.seccompProfile: pod sets no "
        'securityContext.seccompProfile and container "app" sets none either',
    ]
    assert sorted(resp["auditAnnotations"]) == ["PSS002", "PSS014", "PSS015", "PSS017", "PSS018",
                                                "level"]
    assert resp["auditAnnotations"]["level"] == "low"
    assert "patch" not in resp


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_workload_kind_is_checked(client, kind):
    prefix = KINDS[kind][1]
    resp = client.review("/validate", review(workload(kind, PRIVILEGED)))
    lines = _deny_lines(resp)
    assert lines[0] == f"kubeward: {kind} plain/web violates 'high' (enforce), 1 finding:"
    assert lines[1] == (f"- PSS002 {prefix}.containers[0].securityContext.privileged: "
                        f"{PRIV_MSG}. {PRIV_FIX}")
    ok = client.review("/validate", review(workload(kind, HARDENED)))
    assert ok == {"uid": ok["uid"], "allowed": True}


def test_update_judges_the_new_object_not_the_old_one(client):
    priv, hard = workload("Deployment", PRIVILEGED), workload("Deployment", HARDENED)
    fixed = client.review("/validate", review(hard, operation="UPDATE", old=priv))
    assert fixed["allowed"] is True and "warnings" not in fixed
    broken = client.review("/validate", review(priv, operation="UPDATE", old=hard))
    assert _deny_lines(broken)[1].startswith(
        "- PSS002 spec.template.spec.containers[0].securityContext.privileged:")


def test_metadata_only_update_is_not_judged(client, running):
    # a finalizer added to a Deployment admitted before the policy changed
    # (the garbage collector does this on foreground deletion)
    old = workload("Deployment", PRIVILEGED)
    new = workload("Deployment", PRIVILEGED)
    new["metadata"]["finalizers"] = ["foregroundDeletion"]
    new["metadata"]["labels"] = {"team": "a"}
    new["status"] = {"replicas": 1}
    body = review(new, operation="UPDATE", old=old, uid="meta-only")
    assert client.review("/validate", body) == {"uid": "meta-only", "allowed": True}
    assert client.review("/mutate", body) == {"uid": "meta-only", "allowed": True}
    rec = [r for r in running.log_lines() if r.get("uid") == "meta-only"]
    assert [r["result"] for r in rec] == ["skipped", "skipped"]
    assert rec[0]["skipped"] == "metadata-only update"
    # a spec change is judged
    new["spec"]["replicas"] = 3
    assert client.review("/validate", review(new, operation="UPDATE", old=old))["allowed"] is False


def test_delete_is_allowed_without_checks(client):
    body = review(None, operation="DELETE", old=workload("Pod", PRIVILEGED))
    resp = client.review("/validate", body)
    assert resp == {"uid": body["request"]["uid"], "allowed": True}


def test_connect_is_allowed(client):
    body = review(None, operation="CONNECT", old=None)
    body["request"]["kind"] = {"group": "", "version": "v1", "kind": "PodExecOptions"}
    resp = client.review("/validate", body)
    assert resp == {"uid": body["request"]["uid"], "allowed": True}


def test_enforce_framework_label(client):
    # team-restricted: kubeward.io/enforce=pss-restricted
    resp = client.review("/validate", review(workload("Pod", BASELINE_ONLY),
                                             namespace="team-restricted"))
    lines = _deny_lines(resp)
    assert lines[0] == ("kubeward: Pod team-restricted/web violates 'pss-restricted' (enforce), "
                        "4 findings:")
    assert [ln.split()[1:3] for ln in lines[1:]] == [
        ["PSS014", "spec.containers[0].securityContext.allowPrivilegeEscalation:"],
        ["PSS015", "spec.containers[0].securityContext.runAsNonRoot:"],
        ["PSS017", "spec.securityContext.seccompProfile:"],
        ["PSS018", "spec.containers[0].securityContext.capabilities.drop:"],
    ]
    assert all(" Fix: " in ln for ln in lines[1:])
    # the same pod passes the config default (enforce: high) elsewhere
    assert client.review("/validate", review(workload("Pod", BASELINE_ONLY)))["allowed"] is True


def test_warn_label_allows_with_warnings(client):
    # team-warn: enforce none, warn baseline (= pss-baseline), audit none
    resp = client.review("/validate", review(workload("Pod", PRIVILEGED), namespace="team-warn"))
    assert resp["allowed"] is True and "status" not in resp
    assert resp["warnings"] == [
        f"kubeward PSS002 (critical) spec.containers[0].securityContext.privileged: {PRIV_MSG}"]
    assert "auditAnnotations" not in resp


def test_audit_label_allows_with_audit_annotations(client):
    # team-audit: only audit, threshold critical
    resp = client.review("/validate", review(workload("Pod", PRIVILEGED), namespace="team-audit"))
    assert resp["allowed"] is True and "warnings" not in resp
    assert resp["auditAnnotations"] == {
        "level": "critical",
        "PSS002": f"spec.containers[0].securityContext.privileged: {PRIV_MSG}",
    }


def test_unknown_label_value_falls_back_to_the_default_with_a_warning(client):
    resp = client.review("/validate", review(workload("Pod", PRIVILEGED), namespace="team-bogus"))
    assert _deny_lines(resp)[0] == \
        "kubeward: Pod team-bogus/web violates 'high' (enforce), 1 finding:"
    assert resp["warnings"][0] == (
        'kubeward: namespace team-bogus label kubeward.io/enforce="sometimes" names no framework '
        "or severity; using the default 'high'")


def test_unknown_namespace_uses_config_defaults(client):
    resp = client.review("/validate", review(workload("Pod", PRIVILEGED), namespace="nowhere"))
    assert _deny_lines(resp)[0] == "kubeward: Pod nowhere/web violates 'high' (enforce), 1 finding:"


def test_namespace_object_is_judged_by_its_own_labels(client):
    ns = {"apiVersion": "v1", "kind": "Namespace",
          "metadata": {"name": "fresh", "labels": {"kubeward.io/enforce": "none"}}}
    resp = client.review("/validate", review(ns, namespace=""))
    assert resp["allowed"] is True


@pytest.mark.parametrize("namespace,user,groups,why", [
    ("kube-system", "alice", ["system:authenticated"], "namespace"),
    ("legacy-billing", "alice", ["system:authenticated"], "namespace"),  # glob legacy-*
    ("kubeward", "alice", ["system:authenticated"], "namespace"),  # the webhook's own
    ("plain", "system:serviceaccount:ci:deployer", ["system:serviceaccounts"], "user"),
    ("plain", "bob", ["system:authenticated", "break-glass"], "group"),
])
def test_exemptions(client, namespace, user, groups, why):
    body = review(workload("Pod", PRIVILEGED), namespace=namespace, user=user, groups=groups)
    resp = client.review("/validate", body)
    assert resp == {"uid": body["request"]["uid"], "allowed": True,
                    "auditAnnotations": {"exempt": why}}
    mutated = client.review("/mutate", body)
    assert mutated == {"uid": body["request"]["uid"], "allowed": True}


def test_not_exempt_lookalikes(client):
    for ns, user, groups in [("kube-system-2", "alice", []), ("plain", "system:serviceaccount:ci:x", []),
                             ("plain", "alice", ["break-glass-2"])]:
        resp = client.review("/validate", review(workload("Pod", PRIVILEGED), namespace=ns,
                                                 user=user, groups=groups))
        assert resp["allowed"] is False, (ns, user, groups)


def test_dry_run_gets_the_same_answer(client, running):
    wet = client.review("/validate", review(workload("Pod", PRIVILEGED), uid="wet"))
    dry = client.review("/validate", review(workload("Pod", PRIVILEGED), uid="dry", dry_run=True))
    assert {**wet, "uid": "x"} == {**dry, "uid": "x"}
    rec = [r for r in running.log_lines() if r.get("uid") == "dry"]
    assert rec and rec[-1]["dryRun"] is True and rec[-1]["result"] == "denied"


def test_suppression_annotation_is_honoured(client):
    pod = workload("Pod", PRIVILEGED, annotations={
        "kubeward.io/ignore": "PSS002: node agent needs privileged mode (SEC-1)"})
    resp = client.review("/validate", review(pod))
    assert resp["allowed"] is True
    assert not any("PSS002" in w for w in resp.get("warnings", []))


def test_generate_name_and_missing_namespace(client):
    pod = workload("Pod", PRIVILEGED)
    pod["metadata"] = {"generateName": "web-"}
    resp = client.review("/validate", review(pod, namespace="team-warn"))
    assert resp["allowed"] is True and len(resp["warnings"]) == 1


def test_object_kinds_without_checks_are_allowed(client):
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
          "data": {"password": "hunter2"}}
    resp = client.review("/validate", review(cm))
    assert resp == {"uid": resp["uid"], "allowed": True}
