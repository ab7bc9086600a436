"""The JSON report. Schema (versioned by ``schemaVersion``, documented in
docs/json-schema.md; the JSON Schema itself, shipped in the package, is
kubeward/data/report.schema.json, ``SCHEMA_FILE``)::

    {"schemaVersion": "2.0", "tool": {...}, "findings": [...], "errors": [...],
     "suppressed": [...], "notes": [...], "summary": {...}}

``render`` writes the same bytes as ``dumps(report_dict(...))`` but streams
the findings in chunks, so a report with tens of thousands of findings never
exists as one dict tree plus one string (and, for standard output, is not
decoded and re-encoded).
"""

from __future__ import annotations

import json
import os

SCHEMA_FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data",
                           "report.schema.json")
_FINDING_LISTS = ("findings", "suppressed")
_CHUNK = 1000


def _skeleton(report, ctx) -> dict:
    """The report with its finding lists still as ``Finding`` objects."""
    from kubeward import __version__
    from kubeward.engine import SCHEMA_VERSION

    d = {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": "kubeward", "version": __version__},
        "findings": report.findings,
        "errors": [e.to_dict() for e in report.errors],
        "notes": list(report.notes),
        "summary": report.summary(),
    }
    if ctx.show_suppressed:
        d["suppressed"] = report.suppressed
    compliance = ctx.extra.get("compliance")
    if compliance is not None:
        d["compliance"] = compliance
    if ctx.extra.get("attackPathsShown"):
        d["attackPaths"] = ctx.extra["attackPaths"]
    history = ctx.extra.get("history")
    if history is not None:
        d["history"] = {k: history[k] for k in ("file", "run", "previous", "introduced", "fixed")}
    return d


def report_dict(report, ctx) -> dict:
    d = _skeleton(report, ctx)
    for key in _FINDING_LISTS:
        if key in d:
            d[key] = [f.to_dict() for f in d[key]]
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


def _dumps_bytes(data) -> bytes:
    """Indented JSON bytes without a final newline (see ``dumps``)."""
    import orjson
    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str)
    except TypeError:
        return json.dumps(data, indent=2, default=str).encode()


def _stream(report, ctx):
    """The bytes of ``dumps(report_dict(report, ctx))``, piece by piece."""
    d = _skeleton(report, ctx)
    yield b"{"
    first = True
    for key, value in d.items():
        yield (b"\n  " if first else b",\n  ") + _dumps_bytes(key) + b": "
        first = False
        if key not in _FINDING_LISTS:
            yield _dumps_bytes(value).replace(b"\n", b"\n  ")
            continue
        if not value:
            yield b"[]"
            continue
        yield b"[\n"
        for i in range(0, len(value), _CHUNK):
            chunk = _dumps_bytes([f.to_dict() for f in value[i:i + _CHUNK]])
            # "[\n  {...},\n  {...}\n]" -> the items, indented two more
            yield (b"  " if i == 0 else b",\n  ") + chunk[2:-2].replace(b"\n", b"\n  ")
        yield b"\n  ]"
    yield b"\n}\n" if not first else b"}\n"


def _writer(out):
    """A function writing bytes to ``out``: straight to its binary buffer
    when it is a UTF-8 text stream that has one (standard output)."""
    enc = (getattr(out, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    buf = getattr(out, "buffer", None)
    if buf is not None and enc == "utf8":
        out.flush()
        return buf.write
    return lambda data: out.write(data.decode())


def render(report, out, ctx) -> None:
    from kubeward.gcpause import gc_paused

    try:
        import orjson  # noqa: F401
    except ImportError:  # pragma: no cover - orjson is a dependency
        out.write(dumps(report_dict(report, ctx)))
        return
    write = _writer(out)
    with gc_paused(promote=False):  # many short-lived dicts, no cycles
        for piece in _stream(report, ctx):
            write(piece)
