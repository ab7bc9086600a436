"""Helpers shared by the machine-readable outputs (SARIF, JUnit, Markdown,
GitHub annotations, GitLab Code Quality). Check metadata comes from the
registry, never from a concrete check module."""

from __future__ import annotations

import os

#: where docs/checks.md lives; rule help links point at its anchors
REPO_URL = "https://github.com/kubeward/kubeward"
DOCS_URL = REPO_URL + "/blob/main/docs/checks.md"


def is_real_file(file: str) -> bool:
    return not file.startswith(("<", "cluster:"))


def rel_path(file: str, root: str = ".") -> str:
    """``file`` relative to the scan root with forward slashes, when it lies
    under it; otherwise as given (absolute paths stay absolute)."""
    if not is_real_file(file):
        return file
    try:
        rel = os.path.relpath(os.path.abspath(file), os.path.abspath(root or "."))
    except ValueError:  # other drive on Windows
        return file.replace(os.sep, "/")
    if rel.startswith(".."):
        return os.path.abspath(file).replace(os.sep, "/")
    return rel.replace(os.sep, "/")


def check_classes(report) -> dict:
    """Check id -> class for every check that ran (registry order by id)."""
    from kubeward.checks.base import registry

    reg = registry()
    ids = set(report.checks) | {f.check_id for f in report.findings} \
        | {f.check_id for f in report.suppressed}
    return {cid: reg[cid] for cid in sorted(ids) if cid in reg}


def doc_anchor(check_id: str) -> str:
    return f"{DOCS_URL}#{check_id.lower()}"


def shown_findings(report, ctx) -> list:
    """Findings, plus the suppressed ones with --show-suppressed, in order."""
    shown = list(report.findings)
    if ctx.show_suppressed and report.suppressed:
        shown += report.suppressed
        shown.sort(key=lambda f: (f.file, f.line, f.column, f.check_id, f.field_path))
    return shown
