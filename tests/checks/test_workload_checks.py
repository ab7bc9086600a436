"""Helpers and quality gates of the workload check families (CTR, IMG, MNT,
NSP, REL, RES): image reference parsing, hostPath normalisation and
classification, label selectors, fix edits, and the example/corpus gates."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeward.checks.base import registry
from kubeward.checks.images import parse_image, registry_allowed, _normalise_allowed
from kubeward.checks.mounts import classify, normalise
from kubeward.analysis.selectors import selector_matches
from kubeward.engine import ScanOptions, scan
from kubeward.findings import FixSafety

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "realworld-a"
FAMILIES = ("CTR", "IMG", "MNT", "NSP", "REL", "RES")
DIGEST = "sha256:" + "ab" * 32


def _mine(default_only: bool) -> tuple[str, ...]:
    return tuple(sorted(cid for cid, cls in registry().items()
                        if cid[:3] in FAMILIES and (cls.default_enabled or not default_only)))


@pytest.mark.parametrize("ref,expected", [
    ("nginx", ("docker.io", "library/nginx", None, None, False)),
    ("nginx:1.27", ("docker.io", "library/nginx", "1.27", None, False)),
    ("bitnami/redis:7.2", ("docker.io", "bitnami/redis", "7.2", None, False)),
    ("docker.io/nginx", ("docker.io", "library/nginx", None, None, True)),
    ("index.docker.io/bitnami/redis", ("docker.io", "bitnami/redis", None, None, True)),
    ("localhost/app:1", ("localhost", "app", "1", None, True)),
    ("localhost:5000/a/b:1", ("localhost:5000", "a/b", "1", None, True)),
    ("Registry.Example.com:5000/team/app", ("registry.example.com:5000", "team/app", None, None, True)),
    (f"ghcr.io/o/r@{DIGEST}", ("ghcr.io", "o/r", None, DIGEST, True)),
    (f"ghcr.io/o/r:1.0@{DIGEST}", ("ghcr.io", "o/r", "1.0", DIGEST, True)),
])
def test_parse_image(ref, expected):
    got = parse_image(ref)
    assert (got.registry, got.repository, got.tag, got.digest, got.explicit_registry) == expected


@pytest.mark.parametrize("ref", ["", "{{ .Values.image }}", "${IMAGE}", "repo:", "a@b@c",
                                 "ghcr.io/o/r@sha256:short", None, 42])
def test_parse_image_invalid(ref):
    assert parse_image(ref) is None


def test_mutable_tag():
    assert parse_image("nginx").mutable and parse_image("nginx:latest").mutable
    assert not parse_image("nginx:1.27").mutable
    assert not parse_image(f"nginx:latest@{DIGEST}").mutable


def test_registry_allow_list():
    allowed = tuple(_normalise_allowed(a) for a in
                    ("registry.example.com", "*.dkr.ecr.eu-west-1.amazonaws.com",
                     "ghcr.io/my-org/", "index.docker.io/library"))
    ok = ["registry.example.com/a:1", "1234.dkr.ecr.eu-west-1.amazonaws.com/x:1",
          "ghcr.io/my-org/tool:1", "nginx:1.27", "docker.io/library/redis:7"]
    bad = ["registry.example.com:5000/a:1", "ghcr.io/my-organisation/tool:1", "bitnami/redis:7",
           "registry.example.com.evil.io/a:1"]
    assert all(registry_allowed(parse_image(r), allowed) for r in ok)
    assert not any(registry_allowed(parse_image(r), allowed) for r in bad)


@pytest.mark.parametrize("raw,norm,cls", [
    ("/", "/", "root"),
    ("/var/..", "/", "root"),
    ("//", "/", "root"),
    ("/var/run/docker.sock", "/run/docker.sock", "runtime"),
    ("/var/run/", "/run", "runtime"),
    ("/run/containerd/containerd.sock", "/run/containerd/containerd.sock", "runtime"),
    ("/var/run/crio/crio.sock", "/run/crio/crio.sock", "runtime"),
    ("/opt/podman/podman.sock", "/opt/podman/podman.sock", "runtime"),
    ("/etc/kubernetes/pki/", "/etc/kubernetes/pki", "credentials"),
    ("/etc//kubernetes", "/etc/kubernetes", "credentials"),
    ("/root/.aws", "/root/.aws", "credentials"),
    ("/home/dev/.kube/config", "/home/dev/.kube/config", "credentials"),
    ("/var/lib/kubelet/pki", "/var/lib/kubelet/pki", "credentials"),
    ("/etc", "/etc", "sensitive"),
    ("/var/lib", "/var/lib", "sensitive"),
    ("/var/lib/kubelet/pods", "/var/lib/kubelet/pods", "sensitive"),
    ("/proc/sys/kernel", "/proc/sys/kernel", "sensitive"),
    ("/etc/ssl/certs", "/etc/ssl/certs", None),
    ("/var/log", "/var/log", None),
    ("/sys/fs/cgroup", "/sys/fs/cgroup", None),
    ("/run/udev", "/run/udev", None),
    ("/lib/modules", "/lib/modules", None),
])
def test_host_path_classes(raw, norm, cls):
    assert normalise(raw) == norm
    assert classify(norm) == cls


@pytest.mark.parametrize("raw", ["relative/path", "", None, "C:\\data"])
def test_host_path_not_absolute(raw):
    assert normalise(raw) is None


@pytest.mark.parametrize("selector,labels,match", [
    ({}, {"a": "1"}, True),
    (None, {"a": "1"}, False),
    ({"matchLabels": {"app": "web"}}, {"app": "web", "x": "y"}, True),
    ({"matchLabels": {"app": "web"}}, {"app": "api"}, False),
    ({"matchExpressions": [{"key": "t", "operator": "In", "values": ["a", "b"]}]}, {"t": "b"}, True),
    ({"matchExpressions": [{"key": "t", "operator": "NotIn", "values": ["a"]}]}, {}, True),
    ({"matchExpressions": [{"key": "t", "operator": "Exists"}]}, {}, False),
    ({"matchExpressions": [{"key": "t", "operator": "DoesNotExist"}]}, {"t": "x"}, False),
    ({"matchExpressions": [{"key": "t", "operator": "Bogus"}]}, {"t": "x"}, False),
])
def test_selector_matches(selector, labels, match):
    assert selector_matches(selector, labels) is match


def _scan(text: str, tmp_path, checks):
    f = tmp_path / "m.yaml"
    f.write_text(text)
    return scan([str(f)], ScanOptions(checks=checks))


POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: a
      image: nginx:latest
      imagePullPolicy: IfNotPresent
      securityContext:
        capabilities:
          add: ["NET_BIND_SERVICE"]
"""


def test_fix_edits_and_safety(tmp_path):
    # retired ids (CTR002, CTR010, CTR013) select the checks that report their problem
    r = _scan(POD, tmp_path, ("CTR001", "CTR002", "CTR010", "CTR013", "IMG003", "RES004"))
    by = {f.check_id: f for f in r.findings}
    assert set(by) == {"CTR001", "PSS018", "PSS017", "PSS014", "IMG003", "RES004"}
    c = ("spec", "containers", 0)
    assert by["PSS018"].fix_safety == FixSafety.SAFE
    assert [(e.op, e.path, e.value) for e in by["PSS018"].edits] == [
        ("append", c + ("securityContext", "capabilities", "drop"), "ALL")]
    assert by["PSS014"].fix_safety == FixSafety.SAFE
    assert by["PSS014"].edits[0].path == c + ("securityContext", "allowPrivilegeEscalation")
    # seccomp is set once, at pod level (never at both pod and container level)
    assert [(e.path, e.value) for e in by["PSS017"].edits] == [
        (("spec", "securityContext", "seccompProfile"), {"type": "RuntimeDefault"})]
    assert by["CTR001"].fix_safety == FixSafety.UNSAFE
    assert by["IMG003"].fix_safety == FixSafety.SAFE
    assert by["IMG003"].edits[0].value == "Always"
    assert by["RES004"].fix_safety == FixSafety.DISPLAY and by["RES004"].edits == ()


def test_every_workload_check_is_documented_with_a_rubric_severity():
    for cid in _mine(default_only=False):
        cls = registry()[cid]
        assert cls.name and cls.remediation and cls.severity is not None, cid
        assert cls.name and cls.remediation


def test_hardened_example_passes_default_checks():
    r = scan([str(ROOT / "examples" / "hardened-app")], ScanOptions(checks=_mine(True)))
    assert not r.errors
    assert [(f.check_id, f.field_path) for f in r.findings] == []


def test_insecure_example_fails_many_checks():
    r = scan([str(ROOT / "examples" / "insecure-app")],
             ScanOptions(checks=_mine(True) + ("PSS003", "PSS004", "PSS014", "PSS015", "PSS017",
                                                "PSS018")))
    assert not r.errors
    ids = {f.check_id for f in r.findings}
    assert {"CTR001", "PSS018", "PSS015", "PSS017", "PSS014", "PSS003", "IMG001", "PSS004",
            "MNT005", "RES004"} <= ids


def test_realworld_corpus_has_no_check_errors():
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    r = scan([str(CORPUS)], ScanOptions(checks=_mine(False)))
    internal = [e.one_line() for e in r.errors if e.kind == "internal"]
    assert internal == []
    assert r.findings
