"""Run history in SQLite (``--history FILE``): one row per run, with its
findings by fingerprint (:func:`kubeward.baseline.fingerprint`), counts by
severity and the compliance score of each framework.

"Introduced" and "fixed" between two runs are multiset differences of
fingerprints, exactly as a baseline comparison of the two reports: a
finding whose fingerprint the previous run recorded fewer times is
introduced; one recorded more times before is fixed.

Tables::

    runs(id, started, command, inputs, findings, critical, high, medium, low,
         info, scores)        -- scores: JSON {framework: score or null}
    findings(run, fingerprint, check_id, severity, object, field_path, file,
             line, message, count)
"""

from __future__ import annotations

import datetime as _dt
import json
import sqlite3
from collections import Counter

from kubeward.baseline import fingerprint, identity

SCHEMA_VERSION = 1
_SEVERITIES = ("critical", "high", "medium", "low", "info")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started TEXT NOT NULL,
    command TEXT NOT NULL,
    inputs TEXT NOT NULL,
    findings INTEGER NOT NULL,
    critical INTEGER NOT NULL, high INTEGER NOT NULL, medium INTEGER NOT NULL,
    low INTEGER NOT NULL, info INTEGER NOT NULL,
    scores TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS findings (
    run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    fingerprint TEXT NOT NULL,
    check_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    object TEXT NOT NULL,
    field_path TEXT NOT NULL,
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    message TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (run, fingerprint)
);
"""


class HistoryError(Exception):
    """An unusable history file (the message names it)."""


def _connect(path: str, create: bool) -> sqlite3.Connection:
    import os

    if not create and not os.path.isfile(path):
        raise HistoryError(f"{path}: history file not found")
    try:
        con = sqlite3.connect(path, timeout=30)
        con.execute("PRAGMA foreign_keys = ON")
        if create:
            con.executescript(_SCHEMA)
            con.execute("INSERT OR IGNORE INTO meta VALUES ('kubewardHistory', ?)",
                        (str(SCHEMA_VERSION),))
            con.commit()
        row = con.execute("SELECT value FROM meta WHERE key = 'kubewardHistory'").fetchone()
    except sqlite3.DatabaseError as e:
        raise HistoryError(f"{path}: not a kubeward history file ({e})") from None
    if row is None or row[0] != str(SCHEMA_VERSION):
        raise HistoryError(f"{path}: not a kubeward history file (schema "
                           f"{row[0] if row else 'missing'}, expected {SCHEMA_VERSION})")
    return con


def check(path: str) -> None:
    """Create ``path`` if needed and make sure it is a history file
    (raises HistoryError), before any work is done."""
    _connect(path, create=True).close()


def record(path: str, report, *, command: str = "scan", inputs=(), compliance=None,
           now: _dt.datetime | None = None) -> int:
    """Record ``report``'s findings as a new run; returns its id."""
    counts: Counter = Counter()
    first: dict[str, object] = {}
    for f in report.findings:
        fp = fingerprint(f)
        counts[fp] += 1
        first.setdefault(fp, f)
    sev = Counter(f.severity.label for f in report.findings)
    scores = {name: fw.get("score") for name, fw in (compliance or {}).items()}
    started = (now or _dt.datetime.now(_dt.timezone.utc)).isoformat(timespec="seconds")
    con = _connect(path, create=True)
    try:
        with con:
            cur = con.execute(
                "INSERT INTO runs (started, command, inputs, findings, critical, high, medium, "
                "low, info, scores) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (started, command, json.dumps(list(inputs)), len(report.findings),
                 *(sev[s] for s in _SEVERITIES), json.dumps(scores, sort_keys=True)))
            run = cur.lastrowid
            con.executemany(
                "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(run, fp, f.check_id, f.severity.label, identity(f), f.field_path, f.file,
                  f.line, f.message, counts[fp]) for fp, f in first.items()])
    except sqlite3.DatabaseError as e:
        raise HistoryError(f"{path}: cannot record the run ({e})") from None
    finally:
        con.close()
    return run


def _run_dict(row) -> dict:
    keys = ("id", "started", "command", "inputs", "findings", *_SEVERITIES, "scores")
    d = dict(zip(keys, row))
    d["inputs"] = json.loads(d["inputs"])
    d["scores"] = json.loads(d["scores"])
    d["bySeverity"] = {s: d.pop(s) for s in _SEVERITIES}
    return d


def runs(path: str, limit: int | None = None) -> list[dict]:
    """Runs, oldest first (the last ``limit`` ones)."""
    con = _connect(path, create=False)
    try:
        rows = con.execute("SELECT id, started, command, inputs, findings, critical, high, "
                           "medium, low, info, scores FROM runs ORDER BY id").fetchall()
    finally:
        con.close()
    out = [_run_dict(r) for r in rows]
    return out[-limit:] if limit else out


def _findings(con, run: int) -> dict[str, dict]:
    rows = con.execute("SELECT fingerprint, check_id, severity, object, field_path, file, line, "
                       "message, count FROM findings WHERE run = ?", (run,)).fetchall()
    keys = ("fingerprint", "checkId", "severity", "object", "fieldPath", "file", "line",
            "message", "count")
    return {r[0]: dict(zip(keys, r)) for r in rows}


def compare(path: str, run: int, previous: int | None) -> tuple[list[dict], list[dict]]:
    """(introduced, fixed) in ``run`` since ``previous`` (every finding of
    ``run`` is introduced when there is no previous run). Each entry has the
    fingerprint, check id, object, field path and ``count`` (how many)."""
    con = _connect(path, create=False)
    try:
        now = _findings(con, run)
        before = _findings(con, previous) if previous is not None else {}
    finally:
        con.close()
    introduced, fixed = [], []
    for fp, d in now.items():
        n = d["count"] - (before[fp]["count"] if fp in before else 0)
        if n > 0:
            introduced.append({**d, "count": n})
    for fp, d in before.items():
        n = d["count"] - (now[fp]["count"] if fp in now else 0)
        if n > 0:
            fixed.append({**d, "count": n})
    key = lambda d: (d["checkId"], d["object"], d["fieldPath"])  # noqa: E731
    return sorted(introduced, key=key), sorted(fixed, key=key)


def view(path: str, run: int, trend: int = 30) -> dict:
    """What the reports show: the last ``trend`` runs up to ``run``, and
    what ``run`` introduced and fixed since the run before it."""
    all_runs = [r for r in runs(path) if r["id"] <= run]
    previous = all_runs[-2]["id"] if len(all_runs) > 1 else None
    introduced, fixed = compare(path, run, previous)
    return {"file": path, "run": run, "previous": previous, "runs": all_runs[-trend:],
            "introduced": introduced, "fixed": fixed}
