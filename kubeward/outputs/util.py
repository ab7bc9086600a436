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


# -- order, grouping and display filter shared by the outputs for people ------

GROUP_BY = ("file", "workload", "check", "severity")


def is_live(file: str) -> bool:
    """A finding on an object read from a cluster (``kubeward audit``)."""
    return file.startswith("cluster:")


#: kubectl's short names for the built-in kinds kubeward reports on
_SHORT = {"Deployment": "deploy", "StatefulSet": "sts", "DaemonSet": "ds", "ReplicaSet": "rs",
          "Pod": "po", "Service": "svc", "Ingress": "ing", "ConfigMap": "cm",
          "ServiceAccount": "sa", "Namespace": "ns", "NetworkPolicy": "netpol",
          "PodDisruptionBudget": "pdb", "HorizontalPodAutoscaler": "hpa", "CronJob": "cj",
          "ReplicationController": "rc", "PersistentVolume": "pv",
          "PersistentVolumeClaim": "pvc", "LimitRange": "limits", "ResourceQuota": "quota",
          "CustomResourceDefinition": "crd", "PriorityClass": "pc", "StorageClass": "sc"}
_BUILTIN_GROUPS = {"", "apps", "batch", "policy", "autoscaling", "extensions"}


def kubectl_ref(obj) -> str:
    """The command that shows the live object, as a reader would type it:
    ``kubectl get deploy -n shop web``; custom resources by ``kind.group``."""
    group = (obj.api_version or "").rpartition("/")[0] if "/" in (obj.api_version or "") else ""
    resource = _SHORT.get(obj.kind)
    if resource is None:
        resource = (obj.kind or "").lower()
        if group not in _BUILTIN_GROUPS and not group.endswith(".k8s.io"):
            resource += f".{group}"
    ns = f" -n {obj.namespace}" if obj.namespace else ""
    return f"kubectl get {resource}{ns} {obj.name}"


def location(f) -> str:
    """``file:line:col`` of a finding in a file; for a live object, the
    kubectl reference (its line would be in a rendering nobody sees)."""
    if is_live(f.file):
        return kubectl_ref(f.object)
    return f"{f.file}:{f.line}:{f.column}"


def most_severe_first(f) -> tuple:
    """Sort key: severity (critical first), then where, then check."""
    return (-f.severity, f.file, f.line, f.column, f.check_id, f.field_path)


def _group_key(f, group_by: str):
    if group_by == "workload":
        o = f.object
        return (o.namespace or "", o.kind or "", o.name or "", f.file)
    if group_by == "check":
        return (-f.severity, f.check_id)
    if group_by == "severity":
        return (-f.severity,)
    return (f.file,)


def group_title(f, group_by: str) -> str:
    if group_by == "workload":
        where = kubectl_ref(f.object) if is_live(f.file) else f.file
        return f"{f.object.display()} ({where})"
    if group_by == "check":
        return f"{f.check_id} {f.check_name} ({f.severity.label})"
    if group_by == "severity":
        return f.severity.label.upper()
    return kubectl_ref(f.object) if is_live(f.file) else f.file


def grouped(findings, group_by: str = "file") -> list[tuple[str, list]]:
    """[(group title, findings)], groups in a stable order (files and
    workloads by name, checks and severities most severe first) and, within
    a group, the most severe finding first."""
    groups: dict = {}
    for f in findings:
        groups.setdefault(_group_key(f, group_by), []).append(f)
    out = []
    for key in sorted(groups):
        items = sorted(groups[key], key=most_severe_first)
        out.append((group_title(items[0], group_by), items))
    return out


def parse_severities(text: str | None):
    """``--severity``: one level shows it and everything above
    (``high``: high and critical); a comma list shows exactly those levels.
    Returns the set of Severity values shown, or None for no filter.
    Raises ValueError naming a bad level."""
    from kubeward.findings import Severity

    if not text:
        return None
    items = [t.strip().lower() for t in text.split(",") if t.strip()]
    levels = []
    for t in items:
        if t not in {s.label for s in Severity}:
            raise ValueError(f"--severity: unknown level {t!r} (known: critical, high, medium, "
                             "low, info)")
        levels.append(Severity.parse(t))
    if len(levels) == 1:
        return {s for s in Severity if s >= levels[0]}
    return set(levels)


def apply_display_filter(report, shown_levels):
    """A copy of ``report`` whose ``findings`` (and ``suppressed``) hold only
    the levels shown; the others go to ``hidden``, so the summary and the
    exit code still count them. ``report`` itself is left alone (``audit
    --watch`` keeps diffing it)."""
    import dataclasses

    if shown_levels is None:
        return report
    keep, hide = [], []
    for f in report.findings:
        (keep if f.severity in shown_levels else hide).append(f)
    return dataclasses.replace(
        report, findings=keep, hidden=hide,
        suppressed=[f for f in report.suppressed if f.severity in shown_levels])


def summary_line(report) -> str:
    """The closing line of the outputs for people: counts with the right
    plurals, how many were hidden by --severity."""
    from kubeward.wording import plural

    s = report.summary()
    sev = ", ".join(f"{n} {k}" for k, n in s["findingsBySeverity"].items() if n)
    # objects without files were read from a cluster (audit)
    source = "" if s["objectsScanned"] and not s["files"] else f" from {plural(s['files'], 'file')}"
    parts = [f"{plural(s['findings'], 'finding')}{' (' + sev + ')' if sev else ''} in "
             f"{plural(s['objectsScanned'], 'object')}{source}"]
    tail = []
    if s.get("hidden"):
        tail.append(f"{s['hidden']} not shown (--severity)")
    tail.append(f"{s['suppressed']} suppressed")
    tail.append(f"{plural(s['documentsSkipped'], 'document')} skipped")
    tail.append(plural(s["errors"], "error"))
    return parts[0] + "; " + ", ".join(tail) + "."
