"""-o markdown (PR comment), -o github (workflow annotations) and
-o codequality (GitLab Code Quality)."""

from __future__ import annotations

import json

from kwtest.cli import PINNED, deployment, run

from kubeward.outputs.github import annotation, escape_data, escape_property


def _files(tmp_path):
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "a.yaml").write_text(deployment(host_pid=True))
    (tmp_path / "k8s" / "b.yaml").write_text(deployment(
        name="b", annotations={"kubeward.io/ignore": "PSS001"}))


def test_markdown_comment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _files(tmp_path)
    r = run(["scan", *PINNED, "-o", "markdown", "k8s"])
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert lines[0] == "## kubeward: 4 findings"
    i = lines.index("| Severity | Findings |")
    assert lines[i + 2:i + 8] == ["| critical | 2 |", "| high | 1 |", "| medium | 1 |", "| low | 0 |",
                                  "| info | 0 |", "| **total** | **4** |"]
    j = lines.index("| Check | Name | Severity | Findings |")
    checks = [ln.split(" | ")[0].split("](")[0].lstrip("| [") for ln in lines[j + 2:j + 5]]
    counts = [ln.rsplit(" | ", 1)[1].rstrip(" |") for ln in lines[j + 2:j + 5]]
    assert checks == ["PSS002", "PSS001", "SUP001"] and counts == ["2", "1", "1"]
    assert lines.index("#### `k8s/a.yaml`") < lines.index("#### `k8s/b.yaml`")
    row = next(ln for ln in lines if ln.startswith("| 9 | high | [PSS001]"))
    assert "| Deployment shop/web | `spec.template.spec.hostPID` |" in row
    sup = next(ln for ln in lines if "[SUP001]" in ln and ln.startswith("| 7 "))
    assert "kubeward.io/ignore is not applied" in sup


def test_markdown_escapes_pipes_and_clean_run(tmp_path, monkeypatch):
    from kubeward.outputs.markdown import _cell
    assert _cell("a|b\nc") == "a\\|b c"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.yaml").write_text(deployment(privileged=False))
    r = run(["scan", *PINNED, "-o", "markdown", "ok.yaml"])
    assert r.exit_code == 0
    assert r.stdout.splitlines()[:3] == ["## kubeward: 0 findings", "",
                                          "No findings in 1 object from 1 file."]


def test_github_escaping():
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    assert annotation("error", "m: x,y", file="d/a,b.yaml", line=3, col=None, title="T: 1") == \
        "::error file=d/a%2Cb.yaml,line=3,title=T%3A 1::m: x,y"


def test_github_annotations(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _files(tmp_path)
    r = run(["scan", *PINNED, "-o", "github", "k8s"])
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    heads = [ln.split("::", 2)[1] for ln in lines if ln.startswith("::")]
    # most severe first (GitHub drops annotations past its per-step limits)
    assert heads == [
        "error file=k8s/a.yaml,line=14,col=13,title=PSS002 Privileged container (critical)",
        "error file=k8s/b.yaml,line=16,col=13,title=PSS002 Privileged container (critical)",
        "error file=k8s/a.yaml,line=9,col=7,title=PSS001 Host namespaces shared (high)",
        "warning file=k8s/b.yaml,line=7,col=5,title=SUP001 Suppression without a reason (medium)",
    ]
    assert "%0ADeployment shop/web, field spec.template.spec.hostPID%0AFix: " in lines[2]
    assert lines[-1].startswith("kubeward: 4 findings (2 critical, 1 high, 1 medium)")
    assert len(lines) == 5  # no overflow notice under the limits


def test_codequality(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _files(tmp_path)
    (tmp_path / "k8s" / "c.yaml").write_text(deployment(name="b"))  # same object again
    r = run(["scan", *PINNED, "-o", "codequality=cq.json", "k8s"])
    assert r.exit_code == 1 and r.stdout == ""
    issues = json.loads((tmp_path / "cq.json").read_text())
    got = [(i["check_name"], i["severity"], i["location"]["path"], i["location"]["lines"]["begin"])
           for i in issues]
    assert got == [("PSS001", "critical", "k8s/a.yaml", 9), ("PSS002", "blocker", "k8s/a.yaml", 14),
                   ("SUP001", "major", "k8s/b.yaml", 7), ("PSS002", "blocker", "k8s/b.yaml", 16),
                   ("PSS002", "blocker", "k8s/c.yaml", 14)]
    fps = [i["fingerprint"] for i in issues]
    assert len(set(fps)) == len(fps)  # the duplicate object gets its own fingerprint
    assert all(i["description"].startswith(i["check_name"] + ": ") for i in issues)
    assert {i["type"] for i in issues} == {"issue"}
