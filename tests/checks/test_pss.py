"""Unit tests of kubeward.checks.pss beyond the fixtures: version
resolution, registration metadata and robustness against malformed specs."""

from __future__ import annotations

import textwrap

import pytest

from kubeward.checks import pss
from kubeward.checks.base import DOC_SECTIONS, Context, registry
from kubeward.engine import ScanOptions, scan


@pytest.mark.parametrize("given,expected", [
    ((0, 9), (1, 0)), ((1, 0), (1, 0)), ((1, 24), (1, 24)), ((1, 37), (1, 37)),
    ((1, 38), (1, 37)), ((2, 1), (1, 37)),
])
def test_policy_version_clamps(given, expected):
    assert pss.policy_version(Context(k8s_version=given)) == expected


def test_variants_are_resolved_once_per_version():
    assert pss.Sysctls.variant((1, 31)) is pss.SYSCTLS_1_29
    assert pss.Sysctls.variant((1, 32)) is pss.SYSCTLS_1_32
    assert pss.Sysctls.variant((1, 37)) is pss.SYSCTLS_1_37
    assert pss.Sysctls.variant((1, 5)) is pss.SYSCTLS_1_0
    assert pss.SELinuxOptions.variant((1, 30)) is pss.SELINUX_TYPES_1_0
    assert pss.SELinuxOptions.variant((1, 31)) is pss.SELINUX_TYPES_1_31
    before = pss.Sysctls.variant.cache_info().hits
    pss.Sysctls.variant((1, 31))
    assert pss.Sysctls.variant.cache_info().hits == before + 1


def test_registration_and_metadata():
    reg = registry()
    ids = [c.id for c in pss.PSS_CHECKS]
    assert ids == [f"PSS{i:03d}" for i in range(1, 20)]
    controls = set()
    for cls in pss.PSS_CHECKS:
        assert reg[cls.id] is cls
        assert cls.workloads_only
        fw = cls.frameworks
        assert fw["pss-restricted"] == (cls.control,)
        if cls.restricted_only or "pss-baseline" not in fw:
            assert "pss-baseline" not in fw
        else:
            assert fw["pss-baseline"] == (cls.control,)
        controls.add(cls.control)
        assert list(cls.doc_sections()) == list(DOC_SECTIONS), cls.id
    baseline = {c.control for c in pss.PSS_CHECKS if "pss-baseline" in c.frameworks}
    assert baseline == {
        "hostNamespaces", "privileged", "capabilities_baseline", "hostPathVolumes",
        "hostPorts", "appArmorProfile", "seLinuxOptions", "procMount",
        "seccompProfile_baseline", "sysctls", "windowsHostProcess",
        "hostProbesAndHostLifecycle"}
    assert controls - baseline == {
        "restrictedVolumes", "allowPrivilegeEscalation", "runAsNonRoot", "runAsUser",
        "seccompProfile_restricted", "capabilities_restricted", "procMount_restricted"}
    ns = reg["PSA001"]
    assert ns.kinds == frozenset({"Namespace"}) and ns.default_enabled
    assert "pss" in ns.frameworks and "pss-baseline" not in ns.frameworks
    assert list(ns.doc_sections()) == list(DOC_SECTIONS)


MALFORMED = textwrap.dedent("""
    apiVersion: v1
    kind: Pod
    metadata:
      name: odd
      annotations:
        container.apparmor.security.beta.kubernetes.io/a: 5
        seccomp.security.alpha.kubernetes.io/pod: null
        container.seccomp.security.alpha.kubernetes.io/a: [1]
    spec:
      hostUsers: "false"
      os: windows
      securityContext:
        sysctls: {name: kernel.msgmax}
        seLinuxOptions: [spc_t]
        seccompProfile: RuntimeDefault
        appArmorProfile: Unconfined
        windowsOptions: true
        runAsUser: "0"
        runAsNonRoot: "yes"
      volumes: [hostPath, {name: x, nfs: null}, {name: y, gitRepo: "repo"}]
      initContainers: {name: bad}
      containers:
      - name: a
        image: x
        ports: {hostPort: 1}
        livenessProbe: yes
        readinessProbe: {httpGet: "host"}
        lifecycle: [postStart]
        securityContext:
          capabilities: {add: SYS_ADMIN, drop: ALL}
          seLinuxOptions: {type: 5, user: null}
          windowsOptions: [hostProcess]
          procMount: 7
          allowPrivilegeEscalation: "false"
          privileged: "true"
      - "not a container"
      - name: b
        image: x
        securityContext: [privileged]
        ports: [8080, {hostPort: null}]
    ---
    apiVersion: v1
    kind: Namespace
    metadata:
      name: odd
      labels: [x]
""")


@pytest.mark.parametrize("version", [(1, 0), (1, 18), (1, 25), (1, 35), (1, 37)])
def test_malformed_specs_never_crash(version):
    """The loader rejects such objects (model/validate.py); the checks must
    still survive them when called directly (other loaders, the webhook)."""
    from kubeward.loading.yamldoc import parse_documents
    from kubeward.model import K8sObject, Source

    objects = [K8sObject(doc.data, Source("odd.yaml", doc.index, doc.line, doc.positions))
               for doc in parse_documents(MALFORMED)]
    assert [o.kind for o in objects] == ["Pod", "Namespace"] and objects[0].pod is not None
    ctx = Context(k8s_version=version)
    seen = set()
    for cls in (*pss.PSS_CHECKS, registry()["PSA001"]):
        check = cls()
        for obj in objects:
            if cls.applies_to(obj):
                for f in check.check(obj, ctx):
                    assert f.line >= 1 and f.column >= 1
                    seen.add(f.check_id)
    assert {"PSS013", "PSS015"} <= seen  # gitRepo volume; runAsNonRoot "yes" is not true


def test_restricted_overrides_do_not_duplicate_baseline_findings(tmp_path):
    """One finding per offending field under pss-restricted."""
    path = tmp_path / "pod.yaml"
    path.write_text(textwrap.dedent("""
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          securityContext:
            runAsNonRoot: true
            seccompProfile: {type: Unconfined}
          volumes:
          - name: h
            hostPath: {path: /}
          containers:
          - name: c
            image: x
            securityContext:
              allowPrivilegeEscalation: false
              capabilities:
                drop: [ALL]
                add: [SYS_ADMIN]
    """))
    report = scan([str(path)], ScanOptions(frameworks=("pss-restricted",), k8s_version=(1, 37)))
    got = sorted((f.check_id, f.field_path) for f in report.findings)
    assert got == [
        ("PSS003", "spec.containers[0].securityContext.capabilities.add[0]"),
        ("PSS004", "spec.volumes[0].hostPath"),
        ("PSS009", "spec.securityContext.seccompProfile.type"),
    ]
