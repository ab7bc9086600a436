"""A pull-request comment in GitHub-flavoured Markdown: a summary table by
severity, a table by check, then the findings grouped by file (the most
severe first in each file). Long reports
are cut (GitHub rejects comments over 65,536 characters) with a note."""

from __future__ import annotations

from collections import Counter

from kubeward.findings import Severity
from kubeward.outputs.util import check_classes, doc_anchor, grouped, rel_path, shown_findings
from kubeward.wording import plural

MAX_CHARS = 60_000


ATTACK_PATHS = 5  # rows of the attack-path table


def _cell(text: object) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _code(text: object) -> str:
    t = str(text).replace("\n", " ")
    fence = "``" if "`" in t else "`"
    pad = " " if t.startswith("`") or t.endswith("`") else ""
    return f"{fence}{pad}{t}{pad}{fence}"


def markdown(report, ctx) -> str:
    root = ctx.scan_root or "."
    s = report.summary()
    n = s["findings"]
    head = [f"## kubeward: {plural(n, 'finding')}", ""]
    if n == 0 and not report.errors:
        head += [f"No findings in {plural(s['objectsScanned'], 'object')} from "
                 f"{plural(s['files'], 'file')}.", ""]
    head += ["| Severity | Findings |", "| --- | ---: |"]
    head += [f"| {sev} | {count} |" for sev, count in s["findingsBySeverity"].items()]
    head.append(f"| **total** | **{n}** |")
    by_check = Counter(f.check_id for f in report.findings)
    if by_check:
        classes = check_classes(report)
        head += ["", "| Check | Name | Severity | Findings |", "| --- | --- | --- | ---: |"]
        worst = {}
        for f in report.findings:
            worst[f.check_id] = max(worst.get(f.check_id, Severity.INFO), f.severity)
        for cid, count in sorted(by_check.items(), key=lambda kv: (-worst[kv[0]], -kv[1], kv[0])):
            cls = classes.get(cid)
            name = cls.name if cls is not None else next(
                f.check_name for f in report.findings if f.check_id == cid)
            head.append(f"| [{cid}]({doc_anchor(cid)}) | {_cell(name)} | {worst[cid].label} "
                        f"| {count} |")
    hidden = (f"{s['hidden']} not shown (--severity); " if s.get("hidden") else "")
    head += ["", f"{plural(s['objectsScanned'], 'object')} in {plural(s['files'], 'file')}; "
             f"{hidden}{s['suppressed']} suppressed; {plural(s['errors'], 'error')}."]
    paths = ctx.extra.get("attackPaths") if ctx.extra.get("attackPathsShown") else None
    if paths is not None:  # scan --attack-paths: the top ones, never cut
        head += ["", f"### Attack paths: {paths['count']}"]
        if paths["paths"]:
            head += ["", "| # | Score | Path | Cheapest cut |", "| ---: | ---: | --- | --- |"]
            for p in paths["paths"][:ATTACK_PATHS]:
                c = p["cheapestCut"]
                head.append(f"| {p['rank']} | {p['score']} | {_cell(p['title'])} "
                            f"| {_cell(c['object'])} {_code(c['field']).replace('|', chr(92) + '|')} |")
    body: list[str] = []
    if report.errors:
        body += ["", "### Errors", ""]
        body += [f"- {_code(e.one_line())}" for e in report.errors]
    shown = shown_findings(report, ctx)
    if shown:
        body += ["", "### Findings"]
    for _title, group in grouped(shown, "file"):
        body += ["", f"#### {_code(rel_path(group[0].file, root))}", "",
                 "| Line | Severity | Check | Object | Field | Message |",
                 "| ---: | --- | --- | --- | --- | --- |"]
        for f in group:
            msg = _cell(f.message)
            if f.suppressed is not None:
                msg += f" *(suppressed: {_cell(f.suppressed)})*"
            field = _code(f.field_path).replace("|", "\\|")
            body.append(f"| {f.line} | {f.severity.label} | [{f.check_id}]({doc_anchor(f.check_id)}) "
                        f"| {_cell(f.object.display())} | {field} "
                        f"| {msg} |")
    for note in report.notes:
        body.append(f"\n> note: {_cell(note)}")
    text = "\n".join(head)
    out_lines = []
    size = len(text)
    for i, line in enumerate(body):
        if size + len(line) + 1 > MAX_CHARS:
            left = sum(1 for x in body[i:] if x.startswith("| ") and not x.startswith("| Line")
                       and not x.startswith("| ---"))
            out_lines.append(f"\n*... cut to fit a comment: {left} more rows not shown; see the "
                             "full report in the CI job.*")
            break
        out_lines.append(line)
        size += len(line) + 1
    return text + "\n" + "\n".join(out_lines) + "\n"


def render(report, out, ctx) -> None:
    out.write(markdown(report, ctx))
