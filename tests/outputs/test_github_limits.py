"""-o github: most severe first, and GitHub's per-step annotation limits
(10 errors, 10 warnings, 10 notices; docs/ci.md) never hide a critical
finding: past a limit findings become plain log lines and one closing notice
says how many were not annotated."""

from __future__ import annotations

import io

from kwtest.cli import deployment, run

from kubeward.engine import Report
from kubeward.findings import Finding, LoadError, ObjectRef, Severity
from kubeward.outputs import RenderContext
from kubeward.outputs.github import LIMITS, render


def _f(i, sev, cid="PSS002"):
    return Finding(check_id=cid, check_name="Check", severity=sev,
                   object=ObjectRef("apps/v1", "Deployment", f"w{i}", "shop"),
                   file=f"k8s/f{i:02d}.yaml", line=10 + i, column=3, path=("spec",),
                   message=f"problem {i}")


def _render(findings, errors=(), limits=None):
    out = io.StringIO()
    render(Report(findings=list(findings), errors=list(errors), objects=len(findings),
                  files=len(findings)), out, RenderContext(), limits=limits)
    return out.getvalue().splitlines()


def test_limits_are_githubs():
    assert LIMITS == {"error": 10, "warning": 10, "notice": 10}


def test_under_the_limits_everything_is_annotated_most_severe_first():
    lines = _render([_f(1, Severity.LOW), _f(2, Severity.CRITICAL), _f(3, Severity.MEDIUM),
                     _f(4, Severity.HIGH), _f(5, Severity.INFO)])
    assert [ln.split(" ", 1)[0] + " " + ln.split("file=", 1)[1].split(",", 1)[0]
            for ln in lines[:-1]] == [
        "::error k8s/f02.yaml", "::error k8s/f04.yaml", "::warning k8s/f03.yaml",
        "::warning k8s/f01.yaml", "::notice k8s/f05.yaml"]
    assert lines[-1] == ("kubeward: 5 findings (1 critical, 1 high, 1 medium, 1 low, 1 info) in "
                         "5 objects from 5 files; 0 suppressed, 0 documents skipped, 0 errors.")


def test_overflow_keeps_the_most_severe_and_ends_with_one_notice():
    # 3 medium first in file order, then 12 critical: file order would have
    # annotated 3 warnings and 7 errors, and dropped 5 criticals
    findings = [_f(i, Severity.MEDIUM, "CTR001") for i in range(3)]
    findings += [_f(i, Severity.CRITICAL) for i in range(3, 15)]
    findings += [_f(i, Severity.INFO, "REL006") for i in range(15, 27)]
    lines = _render(findings, errors=[LoadError("k8s/bad.yaml", "invalid YAML", 2, 1)])
    annotations = [ln for ln in lines if ln.startswith("::")]
    kinds = [ln[2:].split(" ", 1)[0] for ln in annotations]
    # 10 of the 12 critical findings as errors, the 3 medium, 9 info, the closing notice
    assert kinds == ["error"] * 10 + ["warning"] * 3 + ["notice"] * 9 + ["notice"]
    assert [a.split("file=", 1)[1].split(",", 1)[0] for a in annotations[:10]] == [
        f"k8s/f{i:02d}.yaml" for i in range(3, 13)]
    # past the limit: plain log lines in the concise format, critical first, then
    # the input error (which fails the step anyway)
    assert lines[10:13] == ["k8s/f13.yaml:23:3: PSS002 critical problem 13",
                            "k8s/f14.yaml:24:3: PSS002 critical problem 14",
                            "k8s/bad.yaml:2:1: error: invalid YAML"]
    assert "k8s/f26.yaml:36:3: REL006 info problem 26" in lines
    assert annotations[-1] == (
        "::notice title=kubeward%3A 6 more not annotated::6 more problems (3 errors, 3 notices) "
        "not annotated: GitHub shows 10 errors, 10 warnings and 10 notices per step. All are in "
        "this step's log; upload `-o sarif=FILE` with github/codeql-action/upload-sarif to see "
        "every one in code scanning.")
    assert lines[-2] == annotations[-1]
    assert lines[-1].startswith("kubeward: 27 findings (12 critical, 3 medium, 12 info) in ")
    assert len(lines) == 1 + 27 + 1 + 1  # every problem appears once, as annotation or line


def test_overflow_with_smaller_limits_and_one_more():
    lines = _render([_f(i, Severity.HIGH) for i in range(3)], limits={"error": 2, "warning": 2,
                                                                       "notice": 2})
    assert [ln[:8] for ln in lines] == ["::error ", "::error ", "k8s/f02.", "::notice", "kubeward"]
    assert "::1 more problem (1 error) not annotated: GitHub shows 10 errors" in lines[3]


def test_cli_github_order_end_to_end(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "k8s").mkdir()
    for i in range(12):
        (tmp_path / "k8s" / f"a{i:02d}.yaml").write_text(deployment(name=f"w{i}", privileged=i >= 6,
                                                                    host_pid=True))
    r = run(["scan", "--check", "PSS001", "--check", "PSS002", "-o", "github", "k8s"])
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    heads = [ln.split("::", 2)[1] for ln in lines if ln.startswith("::")]
    # 6 critical (PSS002) first, then the 12 high (PSS001) up to the limit of 10 errors
    assert [h.split("title=", 1)[1] for h in heads[:10]] == \
        ["PSS002 Privileged container (critical)"] * 6 + ["PSS001 Host namespaces shared (high)"] * 4
    assert heads[-1] == "notice title=kubeward%3A 8 more not annotated"
    assert sum(1 for ln in lines if ": PSS001 high " in ln and not ln.startswith("::")) == 8
