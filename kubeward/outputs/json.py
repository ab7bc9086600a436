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


def dumps(data) -> str:
    """Indented JSON; orjson (C) when installed, the standard library else."""
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is a dependency
        return json.dumps(data, indent=2, default=str) + "\n"
    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE,
                            default=str).decode()
    except TypeError:  # e.g. an integer beyond 64 bits in an offending value
        return json.dumps(data, indent=2, default=str) + "\n"


def render(report, out, ctx) -> None:
    from kubeward.engine import gc_paused

    with gc_paused():  # many small dicts, no cycles: see engine.gc_paused
        text = dumps(report_dict(report, ctx))
    out.write(text)
