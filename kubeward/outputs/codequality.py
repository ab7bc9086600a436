"""GitLab Code Quality report (a JSON array of issues, the CodeClimate
subset GitLab reads): description, check_name, fingerprint, severity (info,
minor, major, critical, blocker) and location.path / location.lines.begin."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

from kubeward.baseline import fingerprint
from kubeward.outputs.util import rel_path

SEVERITY = {"info": "info", "low": "minor", "medium": "major", "high": "critical",
            "critical": "blocker"}


def issues(report, ctx) -> list[dict]:
    root = ctx.scan_root or "."
    seen: Counter = Counter()
    out = []
    for f in report.findings:
        fp = fingerprint(f)
        seen[fp] += 1
        if seen[fp] > 1:  # GitLab drops issues with a duplicate fingerprint
            fp = hashlib.sha256(f"{fp}#{seen[fp]}".encode()).hexdigest()[:32]
        out.append({
            "type": "issue",
            "description": f"{f.check_id}: {f.message} ({f.object.display()}, field "
                           f"{f.field_path})",
            "check_name": f.check_id,
            "categories": ["Security"],
            "fingerprint": fp,
            "severity": SEVERITY[f.severity.label],
            "location": {"path": rel_path(f.file, root), "lines": {"begin": f.line}},
        })
    return out


def render(report, out, ctx) -> None:
    json.dump(issues(report, ctx), out, indent=2)
    out.write("\n")
