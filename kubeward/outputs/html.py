"""The HTML report (``-o html=report.html``): one self-contained file.

Everything is inline (CSS, a small script, SVG drawn here in Python), so the
file opens anywhere without network access. Sections: summary by severity
and namespace, history trend with what was introduced and fixed (``--history``),
attack paths drawn as graphs, compliance per framework, findings grouped by
workload with the source line and the fix. Headings follow one outline for
screen readers; every table is plain HTML (the script only adds filters).

The page is a Jinja2 template shipped as package data
(``kubeward/data/templates/report.html.j2``); Jinja2 is imported only here.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections import Counter

from kubeward.findings import Severity

TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "templates")
SEVERITIES = [s.label for s in sorted(Severity, reverse=True)]
STAGE_COLORS = {"entry": "#1d4ed8", "foothold": "#b45309", "identity": "#7c3aed",
                "impact": "#b91c1c"}
_BOX_W, _BOX_H, _GAP = 230, 92, 44
OBJ_CLIP, FIELD_CLIP = 32, 31  # characters that fit in a box
PATH_LIMIT = 100  # paths drawn; `kubeward paths -o json` has them all


def _esc(text) -> str:
    from markupsafe import escape
    return str(escape(str(text)))


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n - 1] + "\u2026"


def _clip_left(text: str, n: int) -> str:
    return text if len(text) <= n else "\u2026" + text[-(n - 1):]


def path_svg(path: dict) -> str:
    """A chain of boxes, one per step, with arrows: stage, object, field."""
    steps = path["steps"]
    w = len(steps) * _BOX_W + (len(steps) - 1) * _GAP + 8
    h = _BOX_H + 8
    pid = f"p{path['rank']}"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" '
             f'width="{w}" height="{h}" role="img" aria-labelledby="{pid}-t" class="graph">',
             f'<title id="{pid}-t">{_esc(path["title"])}: '
             + _esc(" then ".join(f"{s['stage']} {s['object']} {s['field']}" for s in steps))
             + "</title>",
             f'<defs><marker id="{pid}-a" viewBox="0 0 10 10" refX="9" refY="5" '
             'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
             '<path d="M 0 0 L 10 5 L 0 10 z" fill="#334155"/></marker></defs>']
    cut = path["cheapestCut"]["step"] - 1
    for i, s in enumerate(steps):
        x = 4 + i * (_BOX_W + _GAP)
        color = STAGE_COLORS.get(s["stage"], "#334155")
        stroke = ' stroke-dasharray="6 3"' if i == cut else ""
        basis = ", ".join(dict.fromkeys(f["checkId"] for f in s["findings"])) \
            or (s.get("analysis") or "")
        parts.append(f'<g><rect x="{x}" y="4" width="{_BOX_W}" height="{_BOX_H}" rx="8" '
                     f'fill="#fff" stroke="{color}" stroke-width="2"{stroke}/>'
                     f'<rect x="{x}" y="4" width="{_BOX_W}" height="22" rx="8" fill="{color}"/>'
                     f'<text x="{x + 10}" y="20" class="st">{i + 1}. {_esc(s["stage"])}'
                     f'{" (cheapest cut)" if i == cut else ""}</text>'
                     f'<text x="{x + 10}" y="44" class="ob">{_esc(_clip(s["object"], OBJ_CLIP))}</text>'
                     f'<text x="{x + 10}" y="62" class="fd">{_esc(_clip_left(s["field"], FIELD_CLIP))}</text>'
                     f'<text x="{x + 10}" y="80" class="bs">{_esc(_clip(basis, FIELD_CLIP))}</text></g>')
        if i:
            parts.append(f'<line x1="{x - _GAP + 2}" y1="{4 + _BOX_H / 2}" x2="{x - 3}" '
                         f'y2="{4 + _BOX_H / 2}" stroke="#334155" stroke-width="2" '
                         f'marker-end="url(#{pid}-a)"/>')
    parts.append("</svg>")
    return "".join(parts)


def trend_svg(runs: list[dict]) -> str:
    """Findings per run (total, and critical plus high) as two lines."""
    if not runs:
        return ""
    w, h, pad = 640, 180, 30
    top = max(max(r["findings"] for r in runs), 1)
    n = len(runs)

    def xy(i, v):
        x = pad + (i * (w - 2 * pad) / (n - 1) if n > 1 else (w - 2 * pad) / 2)
        y = h - pad - v * (h - 2 * pad) / top
        return round(x, 1), round(y, 1)

    def line(values, color, label):
        pts = [xy(i, v) for i, v in enumerate(values)]
        dots = "".join(f'<circle cx="{x}" cy="{y}" r="3" fill="{color}"><title>run '
                       f'#{runs[i]["id"]}: {values[i]} {label}</title></circle>'
                       for i, (x, y) in enumerate(pts))
        poly = " ".join(f"{x},{y}" for x, y in pts)
        return f'<polyline points="{poly}" fill="none" stroke="{color}" stroke-width="2"/>{dots}'

    totals = [r["findings"] for r in runs]
    severe = [r["bySeverity"]["critical"] + r["bySeverity"]["high"] for r in runs]
    desc = ", ".join(f"run {r['id']}: {r['findings']}" for r in runs)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" '
            f'height="{h}" role="img" aria-labelledby="trend-t" class="trend">'
            f'<title id="trend-t">Findings per run: {_esc(desc)}</title>'
            f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#94a3b8"/>'
            f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{h - pad}" stroke="#94a3b8"/>'
            f'<text x="2" y="{pad + 4}" class="ax">{top}</text>'
            f'<text x="2" y="{h - pad + 4}" class="ax">0</text>'
            + line(totals, "#1d4ed8", "findings") + line(severe, "#b91c1c", "critical or high")
            + f'<text x="{w - pad - 190}" y="16" class="ax" style="fill: #1d4ed8">\u25cf all findings</text>'
            f'<text x="{w - pad - 90}" y="16" class="ax" style="fill: #b91c1c">\u25cf critical+high</text>'
            "</svg>")


def _groups(report, ctx) -> list[dict]:
    from kubeward.outputs.text import shown_lines, source_snippet
    from kubeward.outputs.util import doc_anchor, rel_path, shown_findings

    findings = shown_findings(report, ctx)
    wanted = shown_lines(findings)
    cache: dict = {}
    groups: dict[tuple, dict] = {}
    for f in findings:
        o = f.object
        key = (o.kind, o.namespace or "", o.name, f.file)
        g = groups.get(key)
        if g is None:
            g = groups[key] = {"object": o.display(), "kind": o.kind,
                               "namespace": o.namespace or "", "nsLabel": _ns_label(o),
                               "name": o.name,
                               "file": rel_path(f.file, ctx.scan_root), "findings": [],
                               "worst": f.severity}
        g["worst"] = max(g["worst"], f.severity)
        src = source_snippet(cache, f, wanted)
        g["findings"].append({
            "severity": f.severity.label, "checkId": f.check_id, "checkName": f.check_name,
            "line": f.line, "column": f.column, "field": f.field_path, "message": f.message,
            "remediation": f.remediation, "fixSafety": f.fix_safety,
            "edits": [f"{e.op} {_edit_path(e)}"
                      + (f" = {e.value!r}" if e.op != "remove" and e.value is not None
                         and o.kind != "Secret" else "")
                      for e in f.edits] if f.fix_safety else [],
            "excerpt": src.rstrip().expandtabs(1) if src and src.strip() else None,
            "doc": doc_anchor(f.check_id), "suppressed": f.suppressed})
    out = list(groups.values())
    for g in out:
        g["worst"] = g["worst"].label
        g["counts"] = Counter(x["severity"] for x in g["findings"])
    out.sort(key=lambda g: (-Severity.parse(g["worst"]), -len(g["findings"]), g["object"]))
    return out


def _ns_label(o) -> str:
    return o.namespace or ("(cluster-scoped)" if o.kind in _CLUSTER_KINDS else "(not set)")


def _edit_path(e) -> str:
    from kubeward.findings import path_text
    return path_text(e.path)


def context(report, ctx) -> dict:
    """Everything the template shows (tests read it too)."""
    from kubeward import __version__

    by_ns: dict[str, Counter] = {}
    for f in report.findings:
        by_ns.setdefault(_ns_label(f.object), Counter())[f.severity.label] += 1
    namespaces = sorted(by_ns.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    paths = ctx.extra.get("attackPaths")
    history = ctx.extra.get("history")
    generated = ctx.extra.get("generated") or _dt.datetime.now(_dt.timezone.utc).isoformat(
        timespec="seconds")
    groups = _groups(report, ctx)
    return {
        "version": __version__, "generated": generated,
        "title": ctx.extra.get("title") or "kubeward report",
        "summary": report.summary(), "severities": SEVERITIES,
        "namespaces": [(ns, [c[s] for s in SEVERITIES], sum(c.values())) for ns, c in namespaces],
        "groups": groups,
        "paths": paths, "shownPaths": (paths or {}).get("paths", [])[:PATH_LIMIT],
        "pathSvgs": [path_svg(p) for p in (paths or {}).get("paths", [])[:PATH_LIMIT]],
        "compliance": ctx.extra.get("compliance") or {},
        "history": history, "trendSvg": trend_svg(history["runs"]) if history else "",
        "errors": [e.one_line() for e in report.errors], "notes": list(report.notes),
        "stageColors": STAGE_COLORS,
    }


_CLUSTER_KINDS = frozenset({"Namespace", "ClusterRole", "ClusterRoleBinding", "Node",
                            "PersistentVolume", "StorageClass", "CustomResourceDefinition",
                            "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
                            "PriorityClass", "IngressClass", "RuntimeClass"})


def render(report, out, ctx) -> None:
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    data = context(report, ctx)
    data["pathSvgs"] = [Markup(s) for s in data["pathSvgs"]]
    data["trendSvg"] = Markup(data["trendSvg"])
    # streamed in chunks: a report of 60,000 findings never exists as one string
    stream = env.get_template("report.html.j2").stream(**data)
    stream.enable_buffering(200)
    stream.dump(out)
