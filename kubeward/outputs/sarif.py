"""SARIF 2.1.0 for code-scanning services (GitHub, GitLab, Azure DevOps).

One ``reportingDescriptor`` (rule) per check that ran, with its help text
from the check's documentation and a help URI into docs/checks.md; one
result per finding with a physical location relative to the scan root
(``uriBaseId`` ``%SRCROOT%``), the field path (in the message and in
``properties.fieldPath``) and ``partialFingerprints`` from
:func:`kubeward.baseline.fingerprint` (object identity, check id, field path:
stable when lines move). Load errors become tool execution notifications.
"""

from __future__ import annotations

import json
import os
from urllib.parse import quote

from kubeward.baseline import fingerprint
from kubeward.outputs.util import REPO_URL, check_classes, doc_anchor, is_real_file, rel_path

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "kubeward/v1"

#: GitHub maps security-severity to critical (>= 9.0), high (7.0-8.9),
#: medium (4.0-6.9) and low (0.1-3.9).
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0",
                     "info": "1.0"}
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note",
         "info": "note"}


def _uri(file: str, root: str) -> str:
    return quote(rel_path(file, root), safe="/:@")


def _rule(cid: str, cls) -> dict:
    sections = cls.doc_sections()
    what = sections.get("What it does", "") or cls.name
    why = sections.get("Why is this bad?", "")
    text = what + (f"\n\nWhy is this bad?\n{why}" if why else "")
    if cls.remediation:
        text += f"\n\nRemediation: {cls.remediation}"
    md = [f"**{cls.name}** ({cid})", "", what]
    if why:
        md += ["", "### Why is this bad?", why]
    for heading in ("Example", "Use instead"):
        if sections.get(heading):
            md += ["", f"### {heading}", sections[heading]]
    if cls.remediation:
        md += ["", f"**Remediation:** {cls.remediation}"]
    sev = cls.severity.label
    tags = ["security", "kubernetes"] + sorted(cls.frameworks)
    return {
        "id": cid,
        "name": "".join(w[:1].upper() + w[1:] for w in cls.name.split()) or cid,
        "shortDescription": {"text": cls.name or cid},
        "fullDescription": {"text": what},
        "help": {"text": text, "markdown": "\n".join(md)},
        "helpUri": doc_anchor(cid),
        "defaultConfiguration": {"level": LEVEL[sev], "enabled": bool(cls.default_enabled)},
        "properties": {
            "security-severity": SECURITY_SEVERITY[sev],
            "problem.severity": LEVEL[sev] if LEVEL[sev] != "note" else "recommendation",
            "severity": sev,
            "precision": "high",
            "tags": tags,
            "frameworks": {k: list(v) for k, v in cls.frameworks.items()},
        },
    }


def _fallback_rule(f) -> dict:
    """A rule for a finding whose check is not in the registry (plugins)."""
    sev = f.severity.label
    return {"id": f.check_id, "shortDescription": {"text": f.check_name or f.check_id},
            "helpUri": doc_anchor(f.check_id),
            "defaultConfiguration": {"level": LEVEL[sev]},
            "properties": {"security-severity": SECURITY_SEVERITY[sev], "severity": sev,
                           "tags": ["security", "kubernetes"]}}


def sarif_dict(report, ctx) -> dict:
    from kubeward import __version__

    root = ctx.scan_root or "."
    rules: list[dict] = []
    index: dict[str, int] = {}
    for cid, cls in check_classes(report).items():
        index[cid] = len(rules)
        rules.append(_rule(cid, cls))
    findings = list(report.findings)
    if ctx.show_suppressed:
        findings += report.suppressed
    for f in findings:
        if f.check_id not in index:
            index[f.check_id] = len(rules)
            rules.append(_fallback_rule(f))
    baseline_used = bool(ctx.extra.get("baseline"))
    results = []
    for f in findings:
        sev = f.severity.label
        loc: dict = {"physicalLocation": {
            "artifactLocation": {"uri": _uri(f.file, root)},
            "region": {"startLine": max(1, f.line), "startColumn": max(1, f.column)}}}
        if is_real_file(f.file) and not os.path.isabs(rel_path(f.file, root)):
            loc["physicalLocation"]["artifactLocation"]["uriBaseId"] = "%SRCROOT%"
        loc["logicalLocations"] = [{"name": f.object.name or f.object.kind,
                                    "fullyQualifiedName": f.object.display(),
                                    "kind": "object"}]
        result = {
            "ruleId": f.check_id,
            "ruleIndex": index[f.check_id],
            "level": LEVEL[sev],
            "message": {"text": f"{f.message} ({f.object.display()}, field {f.field_path})"},
            "locations": [loc],
            "partialFingerprints": {FINGERPRINT_KEY: fingerprint(f)},
            "properties": {"severity": sev, "security-severity": SECURITY_SEVERITY[sev],
                           "fieldPath": f.field_path, "object": f.object.to_dict()},
        }
        if f.remediation:
            result["properties"]["remediation"] = f.remediation
        if f.suppressed is not None:
            result["suppressions"] = [{
                "kind": "inSource" if f.suppressed_by == "annotation" else "external",
                "justification": f.suppressed}]
        if baseline_used:
            result["baselineState"] = "new"
        results.append(result)
    notifications = [{
        "level": "error",
        "message": {"text": e.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": _uri(e.file, root)},
            **({"region": {"startLine": e.line, **({"startColumn": e.column} if e.column else {})}}
               if e.line else {})}}],
    } for e in report.errors]
    run = {
        "tool": {"driver": {"name": "kubeward", "version": __version__,
                            "semanticVersion": __version__,
                            "informationUri": REPO_URL,
                            "rules": rules}},
        "originalUriBaseIds": {"%SRCROOT%": {
            "uri": "file://" + quote(os.path.abspath(root).replace(os.sep, "/").rstrip("/") + "/")}},
        "invocations": [{"executionSuccessful": not report.errors,
                         "toolExecutionNotifications": notifications}],
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {"summary": report.summary()},
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report, out, ctx) -> None:
    json.dump(sarif_dict(report, ctx), out, indent=2, default=str)
    out.write("\n")
