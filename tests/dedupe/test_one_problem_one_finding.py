"""Issue 13, "one problem, one finding": twins merged into one check (old ids
are aliases), a wildcard RBAC rule is one finding, missing fields are named,
and realworld-a has no two findings on the same object and field path."""

from __future__ import annotations

import collections
import json
import textwrap

import pytest
from click.testing import CliRunner

from tests.conftest import CORPUS, require
from kubeward.checks.aliases import ALIASES, aliases_of, canonical
from kubeward.checks.base import registry
from kubeward.checks.crosswalk import by_tool, mappings
from kubeward.cli.main import cli
from kubeward.config import load_config
from kubeward.engine import ScanOptions, UsageError, scan, select_checks

NGINX = textwrap.dedent("""\
    apiVersion: v1
    kind: Pod
    metadata:
      name: nginx
      namespace: web
    spec:
      containers:
        - name: nginx
          image: nginx:1.27
    """)

HOSTNET = textwrap.dedent("""\
    apiVersion: v1
    kind: Pod
    metadata:
      name: agent
      namespace: ops
    spec:
      hostNetwork: true
      containers:
        - name: agent
          image: registry.example.com/agent:1.0
          ports:
            - containerPort: 9100
              hostPort: 9100
    """)


def _scan(tmp_path, text, name="m.yaml", **kw):
    p = tmp_path / name
    p.write_text(text)
    return scan([str(p)], ScanOptions(**kw))


def _keys(report):
    return [(f.object, f.field_path) for f in report.findings]


def test_realworld_a_has_one_finding_per_object_and_field():
    corpus = require(CORPUS / "realworld-a")
    report = scan([str(corpus)], ScanOptions())
    shared = collections.Counter((f.file, f.doc_index, f.object, f.field_path)
                                 for f in report.findings)
    assert [k for k, n in shared.items() if n > 1] == []
    assert len(report.findings) > 1000  # the scan did find things


def test_bare_nginx_pod_has_no_duplicate(tmp_path):
    report = _scan(tmp_path, NGINX)
    keys = _keys(report)
    assert len(keys) == len(set(keys))
    got = sorted((f.check_id, f.field_path, f.present) for f in report.findings)
    c = "spec.containers[0]"
    # 16 findings before, 4 of them twins (CTR002/PSS018, CTR004/PSS015,
    # CTR010/PSS017, CTR013/PSS014) and XNET001/XNET002 on one path
    assert got == [
        ("CTR001", f"{c}.securityContext.readOnlyRootFilesystem", False),
        ("PSS014", f"{c}.securityContext.allowPrivilegeEscalation", False),
        ("PSS015", f"{c}.securityContext.runAsNonRoot", False),
        ("PSS017", "spec.securityContext.seccompProfile", False),
        ("PSS018", f"{c}.securityContext.capabilities.drop", False),
        ("REL007", "metadata", True),
        ("RES004", f"{c}.resources.limits.memory", False),
        ("SEC007", "spec.automountServiceAccountToken", False),
        ("SEC009", "spec.serviceAccountName", False),
        ("XNET001", "metadata.labels", False),
    ]


def test_hostnetwork_pod_findings_each_name_their_own_field(tmp_path):
    report = _scan(tmp_path, HOSTNET)
    keys = _keys(report)
    assert len(keys) == len(set(keys))
    on_container = [f.check_id for f in report.findings
                    if f.field_path == "spec.containers[0]"]
    assert on_container == []
    # the host port is one finding (PSS005; NET004 is its alias)
    ports = [(f.check_id, f.field_path) for f in report.findings if "hostPort" in f.field_path]
    assert ports == [("PSS005", "spec.containers[0].ports[0].hostPort")]


@pytest.mark.parametrize("old,new", sorted(ALIASES.items()))
def test_every_alias_names_a_check_that_carries_its_frameworks(old, new):
    reg = registry()
    assert old not in reg and new in reg
    assert canonical(old) == new and old in aliases_of(new)


def test_survivors_carry_the_union_of_both_frameworks():
    reg = registry()
    assert reg["PSS005"].frameworks["mitre"] == ("MS-TA9005",)  # was NET004's
    assert "network/exposure" in reg["PSS005"].frameworks["nsa"]
    assert "MS-TA9018" in reg["PSS003"].frameworks["mitre"]  # was CTR014's
    assert set(reg["PSS004"].frameworks["mitre"]) == {"MS-TA9008", "MS-TA9013"}  # MNT001's
    # the crosswalk (kubeward/data/crosswalk.yaml) maps the twins' peer rules to the survivor
    assert "CKV_K8S_39" in by_tool("PSS003")["checkov"]  # was CTR014's
    assert "linuxHardening" in by_tool("PSS017")["polaris"]  # was CTR010's
    assert "KSV046" in by_tool("RBAC001")["trivy"]  # was RBAC002's
    assert "CKV_K8S_27" in by_tool("PSS004")["checkov"]  # was MNT001's
    assert not {m.check for m in mappings()} & set(ALIASES)


def test_old_ids_select_skip_and_configure_the_surviving_check(tmp_path):
    ids = [c.id for c in select_checks(ScanOptions(checks=("CTR010", "MNT002", "NET004")))]
    assert ids == ["PSS004", "PSS005", "PSS017"]
    default = {c.id for c in select_checks(ScanOptions())}
    skipped = {c.id for c in select_checks(ScanOptions(skip_checks=("CTR013",)))}
    assert default - skipped == {"PSS014"}
    with pytest.raises(UsageError):
        select_checks(ScanOptions(checks=("CTR099",)))
    cfg = tmp_path / ".kubeward.yaml"
    cfg.write_text(textwrap.dedent("""\
        checks:
          disable: [CTR004]
          severity: {CTR010: high}
        exemptions:
          - checks: [MNT001]
            reason: node agents need the runtime socket
        """))
    config = load_config(str(cfg), known_ids=set(registry()) | set(ALIASES))
    assert config.disable == {"PSS015"} and config.severity == {"PSS017": 4 - 1}
    assert config.exemptions[0].checks == {"PSS004"}
    report = _scan(tmp_path, NGINX, config=config)
    got = {f.check_id: f.severity.label for f in report.findings}
    assert "PSS015" not in got and got["PSS017"] == "high"


def test_suppressing_any_id_of_a_problem_suppresses_its_one_finding(tmp_path):
    pod = textwrap.dedent("""\
        apiVersion: v1
        kind: Pod
        metadata:
          name: node-exporter
          namespace: web
          annotations:
            kubeward.io/ignore: "PSS001,PSS004,CTR010: node-exporter reads host metrics (SEC-142)"
        spec:
          hostPID: true
          volumes:
            - name: root
              hostPath: {path: /}
          containers:
            - name: node-exporter
              image: quay.io/prometheus/node-exporter:v1.8.2
              volumeMounts:
                - {name: root, mountPath: /host, readOnly: true}
        """)
    report = _scan(tmp_path, pod)
    assert not report.errors, [e.one_line() for e in report.errors]
    active = {f.check_id for f in report.findings}
    suppressed = {(f.check_id, f.severity.label) for f in report.suppressed}
    # the README's example: the hostPath volume of / is one finding, suppressed
    assert ("PSS004", "critical") in suppressed and ("PSS001", "high") in suppressed
    assert ("PSS017", "medium") in suppressed  # suppressed through its old id CTR010
    assert not {"PSS001", "PSS004", "PSS017", "MNT002"} & active


@pytest.mark.parametrize("path,severity,what", [
    ("/", "critical", "the host root filesystem"),
    ("/var/run/docker.sock", "critical", "a container runtime socket"),
    ("/etc/kubernetes/pki", "high", "host credentials"),
    ("/proc", "high", "a sensitive host directory"),
    ("/var/log/app", "high", None),
])
def test_hostpath_is_one_finding_classified_by_path(tmp_path, path, severity, what):
    pod = NGINX.replace("  containers:", f"  volumes:\n    - name: h\n      hostPath: {{path: {path}}}\n  containers:")
    report = _scan(tmp_path, pod, checks=("PSS004", "MNT001", "MNT002", "MNT003", "MNT004"))
    [f] = report.findings
    assert (f.check_id, f.field_path, f.severity.label) == ("PSS004", "spec.volumes[0].hostPath",
                                                            severity)
    assert f.message.startswith(f'volume "h" mounts host path "{path}"')
    assert (f", which exposes {what};" in f.message) if what else ("exposes" not in f.message)
    assert ("MS-TA9008" in f.frameworks["mitre"]) == (what == "a container runtime socket")


def test_missing_field_is_named_and_located_at_its_parent(tmp_path):
    report = _scan(tmp_path, NGINX, checks=("PSS015",), k8s_version=(1, 35))
    [f] = report.findings
    assert f.field_path == "spec.containers[0].securityContext.runAsNonRoot"
    assert (f.line, f.column, f.present) == (8, 7, False)  # "name: nginx", the container
    d = f.to_dict()
    assert d["fieldPath"] == f.field_path and d["fieldPresent"] is False
    result = CliRunner().invoke(cli, ["scan", "-o", "json", "--check", "PSS015",
                                      str(tmp_path / "m.yaml")], catch_exceptions=False)
    data = json.loads(result.stdout)
    assert data["schemaVersion"] == "2.0"
    assert data["findings"][0]["fieldPresent"] is False


def test_present_field_is_exact(tmp_path):
    report = _scan(tmp_path, HOSTNET, checks=("PSS001",))
    [f] = report.findings
    assert (f.field_path, f.line, f.present) == ("spec.hostNetwork", 7, True)


def test_explain_an_old_id_names_the_surviving_check():
    result = CliRunner().invoke(cli, ["explain", "CTR010"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout.startswith("CTR010 is a retired id: its problem is reported by PSS017")
    out = CliRunner().invoke(cli, ["checks", "-o", "json"], catch_exceptions=False).stdout
    info = {c["id"]: c for c in json.loads(out)}
    assert info["PSS004"]["aliases"] == ["MNT001", "MNT002", "MNT003", "MNT004"]


def test_wildcard_rule_lowered_by_resource_names(tmp_path):
    role = textwrap.dedent("""\
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: r, namespace: shop}
        rules:
          - apiGroups: [""]
            resources: ["secrets"]
            resourceNames: ["tls"]
            verbs: ["*"]
          - apiGroups: [""]
            resources: ["configmaps"]
            verbs: ["*"]
        """)
    report = _scan(tmp_path, role)
    got = [(f.check_id, f.field_path, f.severity.label) for f in report.findings]
    assert got == [("RBAC001", "rules[0].verbs[0]", "medium"),
                   ("RBAC001", "rules[1].verbs[0]", "medium")]
    assert "read Secrets (RBAC004)" in report.findings[0].message
    assert "limited to resourceNames tls" in report.findings[0].message
    assert "none of the permissions kubeward lists as dangerous" in report.findings[1].message


def test_checks_with_an_unknown_framework_exit_2():
    result = CliRunner().invoke(cli, ["checks", "--framework", "bogus"])
    assert result.exit_code == 2
    assert "unknown framework 'bogus'" in result.stderr

