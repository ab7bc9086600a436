"""Fingerprints and baselines: "report only what is new".

A finding's fingerprint is a hash of the object's identity (API group, kind,
namespace, name), the check id and the field path. It does not contain line
numbers, the file name or the message, so it survives lines moving, files
being re-ordered or renamed, and unrelated edits. The same function gives the
SARIF ``partialFingerprints`` and the GitLab Code Quality ``fingerprint``.

A baseline file is JSON::

    {"kubewardBaseline": 1, "findings": [{"fingerprint": "...", "checkId": "PSS002",
      "object": "apps/Deployment shop/web", "fieldPath": "...", "count": 1}, ...]}

Matching is by multiset: if a baseline records a fingerprint once and the scan
finds it twice (two identical objects), one of the two is new.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Iterable

from kubeward.findings import Finding

BASELINE_VERSION = 1


class BaselineError(Exception):
    """An unreadable or malformed baseline file (message names the file)."""


def identity(f: Finding) -> str:
    """``group/Kind namespace/name`` (group empty for the core API)."""
    o = f.object
    api = o.api_version or ""
    group = api.rpartition("/")[0] if "/" in api else ""
    ns = o.namespace or ""
    return f"{group}/{o.kind} {ns}/{o.name}"


def fingerprint(f: Finding) -> str:
    """Stable hex fingerprint of (object identity, check id, field path)."""
    key = "\x1f".join((identity(f), f.check_id, f.field_path))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def write_baseline(findings: Iterable[Finding], path: str) -> int:
    """Record ``findings``; returns how many were written."""
    counts: Counter = Counter()
    info: dict[str, dict] = {}
    for f in findings:
        fp = fingerprint(f)
        counts[fp] += 1
        info.setdefault(fp, {"fingerprint": fp, "checkId": f.check_id, "object": identity(f),
                             "fieldPath": f.field_path})
    entries = []
    for fp in sorted(info, key=lambda k: (info[k]["checkId"], info[k]["object"],
                                          info[k]["fieldPath"])):
        entries.append({**info[fp], "count": counts[fp]})
    data = {"kubewardBaseline": BASELINE_VERSION, "findings": entries}
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")
    return sum(counts.values())


def load_baseline(path: str) -> Counter:
    """Fingerprint -> count recorded in the baseline file."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline file not found") from None
    except OSError as e:
        raise BaselineError(f"{path}: cannot read baseline: {e.strerror or e}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        line = f":{e.lineno}" if isinstance(e, json.JSONDecodeError) else ""
        raise BaselineError(f"{path}{line}: not a kubeward baseline (invalid JSON)") from None
    if not isinstance(data, dict) or data.get("kubewardBaseline") != BASELINE_VERSION \
            or not isinstance(data.get("findings"), list):
        raise BaselineError(f"{path}: not a kubeward baseline (expected "
                            f'{{"kubewardBaseline": {BASELINE_VERSION}, "findings": [...]}})')
    counts: Counter = Counter()
    for i, entry in enumerate(data["findings"]):
        fp = entry.get("fingerprint") if isinstance(entry, dict) else None
        count = entry.get("count", 1) if isinstance(entry, dict) else None
        if not isinstance(fp, str) or not isinstance(count, int) or count < 1:
            raise BaselineError(f"{path}: findings[{i}] needs a fingerprint string and a "
                                "positive count")
        counts[fp] += count
    return counts


def filter_new(findings: list[Finding], baseline: Counter) -> tuple[list[Finding], list[Finding]]:
    """Split ``findings`` into (new, known) against ``baseline``."""
    remaining = Counter(baseline)
    new: list[Finding] = []
    known: list[Finding] = []
    for f in findings:
        fp = fingerprint(f)
        if remaining[fp] > 0:
            remaining[fp] -= 1
            known.append(f)
        else:
            new.append(f)
    return new, known
