"""--write-baseline / --baseline: only new findings are reported and fail;
fingerprints ignore lines, files and messages."""

from __future__ import annotations

import json

from kw_testlib import PINNED, deployment, run

from kubeward.baseline import filter_new, fingerprint, identity
from kubeward.findings import Finding, ObjectRef, Severity


def _finding(line=1, file="a.yaml", kind="Deployment", api="apps/v1", path=("spec",), cid="PSS002"):
    return Finding(check_id=cid, check_name="n", severity=Severity.HIGH,
                   object=ObjectRef(api, kind, "web", "shop"), file=file, line=line, column=1,
                   path=path, message="msg")


def test_fingerprint_parts():
    base = fingerprint(_finding())
    assert fingerprint(_finding(line=40, file="moved/b.yaml")) == base
    assert identity(_finding()) == "apps/Deployment shop/web"
    assert identity(_finding(api="v1", kind="Pod")) == "/Pod shop/web"
    assert fingerprint(_finding(api="apps/v1beta2")) == base  # version is not identity
    assert fingerprint(_finding(api="extensions/v1beta1")) != base
    assert fingerprint(_finding(path=("spec", "x"))) != base
    assert fingerprint(_finding(cid="PSS001")) != base


def test_multiset_matching():
    f1, f2 = _finding(line=1), _finding(line=9)
    new, known = filter_new([f1, f2], {fingerprint(f1): 1})
    assert known == [f1] and new == [f2]


def test_write_then_scan_only_new(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(deployment(host_pid=True))
    r = run(["scan", *PINNED, "--write-baseline", "base.json", "a.yaml"])
    assert r.exit_code == 0  # recording accepts today's findings
    assert "wrote 2 findings to baseline base.json" in r.stderr
    data = json.loads((tmp_path / "base.json").read_text())
    assert data["kubewardBaseline"] == 1
    assert [(e["checkId"], e["fieldPath"], e["count"]) for e in data["findings"]] == [
        ("PSS001", "spec.template.spec.hostPID", 1),
        ("PSS002", "spec.template.spec.containers[0].securityContext.privileged", 1)]
    # unchanged: nothing new, exit 0
    r = run(["scan", *PINNED, "--baseline", "base.json", "-o", "json", "a.yaml"])
    assert r.exit_code == 0
    out = json.loads(r.stdout)
    assert out["findings"] == [] and "2 findings already in baseline base.json not reported" in out["notes"]
    # lines move and the file is renamed: still known
    (tmp_path / "a.yaml").unlink()
    (tmp_path / "moved.yaml").write_text(deployment(host_pid=True, comment_lines=7))
    r = run(["scan", *PINNED, "--baseline", "base.json", "-o", "json", "moved.yaml"])
    assert r.exit_code == 0 and json.loads(r.stdout)["findings"] == []
    # a new object with the same problem is new
    (tmp_path / "new.yaml").write_text(deployment(name="api"))
    r = run(["scan", *PINNED, "--baseline", "base.json", "-o", "json", "moved.yaml", "new.yaml"])
    assert r.exit_code == 1
    got = [(f["checkId"], f["file"], f["line"]) for f in json.loads(r.stdout)["findings"]]
    assert got == [("PSS002", "new.yaml", 14)]
    # SARIF marks them new
    r = run(["scan", *PINNED, "--baseline", "base.json", "-o", "sarif", "moved.yaml", "new.yaml"])
    assert [x["baselineState"] for x in json.loads(r.stdout)["runs"][0]["results"]] == ["new"]


def test_bad_baseline_is_one_line_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(deployment())
    for content, msg in (("{", "base.json:1: not a kubeward baseline (invalid JSON)"),
                         ('{"findings": []}', "base.json: not a kubeward baseline"),
                         ('{"kubewardBaseline": 1, "findings": [{"count": 1}]}',
                          "base.json: findings[0] needs a fingerprint")):
        (tmp_path / "base.json").write_text(content)
        r = run(["scan", *PINNED, "--baseline", "base.json", "a.yaml"])
        assert r.exit_code == 2 and r.stderr.startswith(f"kubeward: error: {msg}"), r.stderr
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = run(["scan", *PINNED, "--baseline", "missing.json", "a.yaml"])
    assert r.exit_code == 2 and "missing.json: baseline file not found" in r.stderr
