"""The JSON report. Schema (versioned by ``schemaVersion``, documented in
docs/json-schema.md and kubeward/data/report.schema.json)::

    {"schemaVersion": "1.0", "tool": {...}, "findings": [...], "errors": [...],
     "suppressed": [...], "notes": [...], "summary": {...}}
"""

from __future__ import annotations

import json


def report_dict(report, ctx) -> dict:
    from kubeward import __version__
    from kubeward.engine import SCHEMA_VERSION

    d = {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": "kubeward", "version": __version__},
        "findings": [f.to_dict() for f in report.findings],
        "errors": [e.to_dict() for e in report.errors],
        "notes": list(report.notes),
        "summary": report.summary(),
    }
    if ctx.show_suppressed:
        d["suppressed"] = [f.to_dict() for f in report.suppressed]
    compliance = ctx.extra.get("compliance")
    if compliance is not None:
        d["compliance"] = compliance
    return d


def render(report, out, ctx) -> None:
    json.dump(report_dict(report, ctx), out, indent=2, default=str)
    out.write("\n")
