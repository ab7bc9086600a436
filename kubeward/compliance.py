"""Framework data and the compliance summary.

Each framework (CIS, NSA/CISA, MITRE, the Pod Security Standards) is a data
file in ``kubeward/data/frameworks/<name>.yaml`` listing its controls with the
framework's own ids. Checks name the controls they cover in their
``frameworks`` attribute; a test keeps the two in step. With ``--framework``
the report adds, per control: passed, failed or not applicable, and a score
(passed / (passed + failed)).
"""

from __future__ import annotations

import functools
import os

import yaml

DATA = os.path.join(os.path.dirname(__file__), "data", "frameworks")


@functools.lru_cache(maxsize=None)
def framework(name: str) -> dict | None:
    path = os.path.join(DATA, f"{name}.yaml")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def framework_names() -> list[str]:
    return sorted(f[:-5] for f in os.listdir(DATA) if f.endswith(".yaml"))


def mapping(name: str) -> dict[str, list[str]]:
    """control id -> check ids covering it."""
    from kubeward.checks.base import registry

    out: dict[str, list[str]] = {}
    for cid, cls in sorted(registry().items()):
        for control in cls.frameworks.get(name, ()):
            out.setdefault(control, []).append(cid)
    return out


def _applicable(cls, kinds_seen) -> bool:
    return any(cls.applies_to_kind(kind, has_pod) for kind, has_pod in kinds_seen)


def summarize(report) -> dict:
    """{framework: {title, score, passed, failed, notApplicable, notEvaluated,
    controls: [...]}}

    A control fails only through findings that name it: a finding's own
    ``frameworks`` (a check covering several controls narrows them per
    finding, so a hostNetwork finding fails CIS 5.2.5, never 5.2.4). A
    control whose checks all need configuration they lack (IMG005 without
    allowedRegistries) is "not-evaluated", never "passed"."""
    from kubeward.checks.base import registry

    reg = registry()
    ran = set(report.checks)
    unconfigured = getattr(report, "unconfigured", {}) or {}
    out = {}
    for name in report.frameworks:
        if name == "all":
            continue
        data = framework(name)
        if data is None:
            continue
        cover = mapping(name)
        # control -> {check id: findings that name the control}
        failing: dict[str, dict[str, int]] = {}
        for f in report.findings:
            for control in f.frameworks.get(name, ()):
                per = failing.setdefault(str(control), {})
                per[f.check_id] = per.get(f.check_id, 0) + 1
        controls = []
        counts = {"passed": 0, "failed": 0, "not-applicable": 0, "not-evaluated": 0}
        for control in data["controls"]:
            cid = str(control["id"])
            checks = [c for c in cover.get(cid, []) if c in ran]
            fired = failing.get(cid, {})
            evaluated = [c for c in checks if c not in unconfigured]
            if not cover.get(cid):
                status, reason = "not-applicable", "no kubeward check covers this control from manifests"
            elif not checks:
                status, reason = "not-applicable", "its checks were not run"
            elif not evaluated:
                status, reason = "not-evaluated", "; ".join(unconfigured[c] for c in checks)
            elif not any(_applicable(reg[c], report.kinds_seen) for c in evaluated):
                status, reason = "not-applicable", "no object of the kinds its checks look at"
            elif fired:
                status, reason = "failed", None
            else:
                status, reason = "passed", None
            counts[status] += 1
            entry = {"id": cid, "title": control.get("title", ""), "status": status,
                     "checks": checks, "findings": sum(fired.values()),
                     "failedBy": sorted(fired)}
            if reason:
                entry["reason"] = reason
            controls.append(entry)
        judged = counts["passed"] + counts["failed"]
        out[name] = {
            "title": data.get("title", name),
            "score": round(100.0 * counts["passed"] / judged, 1) if judged else None,
            "passed": counts["passed"], "failed": counts["failed"],
            "notApplicable": counts["not-applicable"],
            "notEvaluated": counts["not-evaluated"],
            "controls": controls,
        }
    return out


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def text_lines(compliance: dict) -> list[str]:
    lines = []
    for name, fw in compliance.items():
        score = "n/a" if fw["score"] is None else f"{fw['score']:.1f}%"
        lines.append(f"Compliance: {fw['title']} ({name}): score {score} - {fw['passed']} passed, "
                     f"{fw['failed']} failed, {fw['notApplicable']} not applicable"
                     + (f", {fw['notEvaluated']} not evaluated" if fw.get("notEvaluated") else ""))
        for c in fw["controls"]:
            mark = {"passed": "PASS", "failed": "FAIL", "not-applicable": "n/a ",
                    "not-evaluated": "n/e "}[c["status"]]
            extra = ""
            if c["status"] == "failed":
                extra = f" ({_n(c['findings'], 'finding')}: {', '.join(c['failedBy'])})"
            elif c["status"] == "not-evaluated":
                extra = f" (not evaluated: {c['reason']})"
            lines.append(f"  {mark} {c['id']:<28} {c['title']}{extra}")
    return lines
