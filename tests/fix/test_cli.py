"""``kubeward fix`` end to end (in process, through click)."""

from __future__ import annotations

import os
import stat
import textwrap

import pytest
from click.testing import CliRunner

from kubeward.checks import base
from kubeward.checks.base import Check, Edit, FixSafety, Severity
from kubeward.cli.main import cli

DEPLOY = textwrap.dedent("""\
    # the web tier
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      namespace: shop
    spec:
      selector:
        matchLabels: {app: web}
      template:
        metadata:
          labels: {app: web}
        spec:
          containers:
          - name: app   # main
            image: registry.example.com/web:1.0
            securityContext:
              privileged: true
    """)

SC = "spec.template.spec.containers[0].securityContext"


def invoke(*args):
    result = CliRunner().invoke(cli, ["fix", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def deploy(tmp_path):
    p = tmp_path / "deploy.yaml"
    p.write_text(DEPLOY)
    return p


def test_diff_writes_nothing(deploy):
    before = deploy.stat()
    code, out, err = invoke(str(deploy), "--diff", "--check", "PSS014")
    assert code == 1  # PSS014 remains: the container is privileged (unsafe fix not applied)
    assert deploy.read_text() == DEPLOY and deploy.stat().st_mtime_ns == before.st_mtime_ns
    assert out == ""  # nothing PSS014 can fix while privileged: true stays
    assert err.splitlines() == [
        f"{deploy}:17: not fixed PSS014 {SC}.allowPrivilegeEscalation: held back: the API server rejects "
        "allowPrivilegeEscalation: false together with privileged: true "
        f"(at {SC}.privileged)",
        "kubeward: would fix 0 findings in 0 files; 1 held back (the result would be invalid)",
    ]
    code, out, err = invoke(str(deploy), "--diff", "--check", "PSS014", "--check", "PSS002",
                            "--unsafe-fixes")
    assert code == 0
    assert out.splitlines()[2:] == [
        "@@ -15,4 +15,5 @@",
        "       - name: app   # main",
        "         image: registry.example.com/web:1.0",
        "         securityContext:",
        "-          privileged: true",
        "+          privileged: false",
        "+          allowPrivilegeEscalation: false",
    ]
    assert deploy.read_text() == DEPLOY
    assert err.splitlines()[-1] == "kubeward: would fix 2 findings in 1 file"


def test_safe_fixes_in_place_keep_mode_and_report(deploy, tmp_path):
    os.chmod(deploy, 0o640)
    clean = tmp_path / "clean.yaml"
    clean.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    clean_stat = clean.stat()
    # CTR013 is a retired id: it selects PSS014, which reports (and fixes) its problem
    code, out, err = invoke(str(tmp_path), "--check", "PSS002", "--check", "CTR013")
    assert code == 1  # PSS002 (unsafe) remains
    # allowPrivilegeEscalation: false beside privileged: true is invalid: held back
    assert deploy.read_text() == DEPLOY
    assert clean.stat().st_mtime_ns == clean_stat.st_mtime_ns
    lines = [ln for ln in err.splitlines() if not ln.startswith("kubeward: note: ")]
    assert lines == [
        f"{deploy}:17: not fixed PSS014 {SC}.allowPrivilegeEscalation: held back: the API server rejects "
        "allowPrivilegeEscalation: false together with privileged: true "
        f"(at {SC}.privileged); valid together with PSS002's unsafe fix (--unsafe-fixes)",
        "kubeward: unsafe fixes not applied (use --unsafe-fixes): PSS002",
        "kubeward: fixed 0 findings in 0 files; 1 held back (the result would be invalid), "
        "1 unsafe fix not applied (--unsafe-fixes)",
    ]
    assert err.splitlines()[-1].startswith("kubeward: fixed ")  # the summary is last
    assert "PSS002" in out  # the report of what remains
    code, out, err = invoke(str(tmp_path), "--check", "PSS002", "--check", "CTR013",
                            "--unsafe-fixes")
    assert code == 0
    assert deploy.read_text() == DEPLOY.replace(
        "privileged: true\n", "privileged: false\n          allowPrivilegeEscalation: false\n")
    assert stat.S_IMODE(deploy.stat().st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["clean.yaml", "deploy.yaml"]  # no temp files left
    assert err.splitlines() == [f"{deploy}: fixed 2 findings (PSS002, PSS014)",
                                "kubeward: fixed 2 findings in 1 file"]
    code, _out, err = invoke(str(tmp_path), "--check", "PSS002", "--check", "CTR013",
                             "--unsafe-fixes")
    assert code == 0 and "fixed 0 findings in 0 files" in err


def test_suppressed_findings_are_not_fixed(tmp_path):
    p = tmp_path / "d.yaml"
    p.write_text(DEPLOY.replace("  namespace: shop\n", "  namespace: shop\n  annotations:\n"
                                "    kubeward.io/ignore: \"PSS002: needs the GPU driver\"\n"))
    original = p.read_text()
    code, _out, err = invoke(str(p), "--check", "PSS002", "--unsafe-fixes")
    assert code == 0 and p.read_text() == original
    cfg = tmp_path / "kw.yaml"
    cfg.write_text("exemptions:\n  - checks: [CTR013]\n    names: [web]\n    reason: legacy\n")
    q = tmp_path / "e.yaml"
    q.write_text(DEPLOY.replace("privileged: true", "privileged: false"))
    code, _out, err = invoke(str(q), "--config", str(cfg), "--check", "CTR013")
    assert code == 0 and "fixed 0 findings" in err
    assert "allowPrivilegeEscalation" not in q.read_text()


def test_list_items_are_fixed_in_place(tmp_path):
    p = tmp_path / "list.yaml"
    p.write_text(textwrap.dedent("""\
        apiVersion: v1
        kind: List
        items:
        - apiVersion: v1
          kind: Pod
          metadata: {name: a}
          spec:
            containers: [{name: a, image: x}]
        - apiVersion: v1
          kind: Pod
          metadata: {name: b}
          spec:
            containers:
            - name: b
              image: y
        """))
    code, _out, err = invoke(str(p), "--check", "CTR013")
    assert code == 0, err
    assert p.read_text().splitlines()[7] == (
        "    containers: [{name: a, image: x, securityContext: {allowPrivilegeEscalation: false}}]")
    assert p.read_text().endswith(
        "      image: y\n      securityContext:\n        allowPrivilegeEscalation: false\n")


def test_unparsable_file_is_left_alone_and_stdin_refused(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEPLOY + "  oops: [\n")
    code, _out, err = invoke(str(bad), "--check", "CTR013")
    assert code == 2 and bad.read_text() == DEPLOY + "  oops: [\n"
    code, _out, err = invoke("-")
    assert code == 2 and "standard input" in err


@pytest.fixture
def test_checks():
    """Checks that exist only for these tests (removed from the registry after)."""

    class Annotated(Check):
        """Test-only."""
        id = "TST001"
        name = "Namespace without resource quota note"
        severity = Severity.LOW
        kinds = frozenset({"Namespace"})
        fix_safety = FixSafety.DISPLAY
        remediation = "Add a ResourceQuota to the namespace."

        def check(self, obj, ctx):
            yield self.finding(obj, ("metadata",), "no quota")

    class InsecureAnnotation(Check):
        """Test-only."""
        id = "TST002"
        name = "Insecure annotation"
        severity = Severity.HIGH
        kinds = frozenset({"Namespace"})
        fix_safety = FixSafety.SAFE

        def check(self, obj, ctx):
            ann = obj.raw.get("metadata", {}).get("annotations") or {}
            if "example.com/insecure" in ann:
                path = ("metadata", "annotations", "example.com/insecure")
                yield self.finding(obj, path, "insecure", edits=[Edit("remove", path)])

    try:
        yield
    finally:
        base._REGISTRY.pop("TST001", None)
        base._REGISTRY.pop("TST002", None)


def test_display_only_and_generic_remove(tmp_path, test_checks):
    p = tmp_path / "ns.yaml"
    text = ("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  annotations:\n"
            "    example.com/insecure: \"true\"   # remove me\n    owner: team-a\n")
    p.write_text(text)
    code, out, err = invoke(str(p), "--check", "TST001", "--check", "TST002")
    assert code == 1  # TST001 remains: display-only
    assert p.read_text() == text.replace("    example.com/insecure: \"true\"   # remove me\n", "")
    assert err.splitlines() == [
        f"{p}: fixed 1 finding (TST002)",
        "kubeward: fixed 1 finding in 1 file; 1 suggestion in the report (display-only)"]
    assert "TST001" in out and "Add a ResourceQuota to the namespace." in out


def test_test_checks_do_not_leak():
    assert "TST001" not in base._REGISTRY and "TST002" not in base._REGISTRY


def test_diff_never_shows_secret_values(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(textwrap.dedent("""\
        apiVersion: v1
        kind: Secret
        metadata: {name: s}
        stringData:
          password: hunter2-do-not-print
          cert: |
            -----BEGIN SECRET-----
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          containers:
          - name: a
            image: x
        """))
    from kubeward.fix.run import FileFix
    ff = FileFix(str(p), "s.yaml", old_text=p.read_text())
    ff.new_text = ff.old_text.replace("kind: Secret\n", "kind: Secret\ntype: Opaque\n")
    diff = ff.diff()
    assert "hunter2" not in diff and "BEGIN SECRET" not in diff
    assert "  password: <redacted>\n" in diff and "+type: Opaque\n" in diff
    code, out, err = invoke(str(p), "--diff", "--check", "CTR013")
    assert "hunter2" not in out + err and code == 0


def test_symlink_target_is_written_and_read_only_mode_kept(tmp_path):
    real = tmp_path / "real.yaml"
    text = DEPLOY.replace("privileged: true", "privileged: false")
    real.write_text(text)
    os.chmod(real, 0o444)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    # a read-only file is refused by default: exit 2, one line naming it
    code, _out, err = invoke(str(link), "--check", "CTR013")
    assert code == 2 and real.read_text() == text
    assert f"{link}: read-only file; not written (--force-write replaces it)" in err.splitlines()
    assert err.splitlines()[-1] == "kubeward: fixed 0 findings in 0 files; 1 could not be fixed, " \
        "1 file left unchanged (errors above)"
    code, _out, err = invoke(str(link), "--check", "CTR013", "--force-write")
    assert code == 0, err
    assert link.is_symlink() and "allowPrivilegeEscalation: false" in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o444
