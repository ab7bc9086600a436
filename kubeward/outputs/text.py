"""Human-readable output: findings grouped by file, each with its location,
severity, check, message, object and field path, the offending source line
with a marker under the field, and how to fix it; then a summary table
(findings by severity, the most frequent checks) and one closing line.

Colour (via rich) only when the caller says the stream supports it
(``RenderContext.color``: a terminal without NO_COLOR, or ``--color``);
otherwise plain text with no escape codes.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import groupby

_SEV_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan",
              "info": "dim"}
TOP_CHECKS = 5
_TOKEN = re.compile(r'-\s+|"(?:[^"\\]|\\.)*"|\'[^\']*\'|[^\s:]+')


def _source_lines(cache: dict, file: str) -> list[str]:
    if file not in cache:
        try:
            with open(file, encoding="utf-8", errors="replace") as fh:
                cache[file] = fh.read().splitlines()
        except OSError:
            cache[file] = []
    return cache[file]


def _source_line(cache: dict, file: str, line: int) -> str | None:
    if file.startswith(("<", "cluster:")):
        return None
    lines = _source_lines(cache, file)
    return lines[line - 1] if 0 < line <= len(lines) else None


def marker_span(src: str, column: int) -> tuple[int, int]:
    """(start, width) of the marker under ``src`` for a finding at
    ``column`` (1-based): the key or item that starts there."""
    start = max(0, min(column - 1, len(src)))
    if start >= len(src) or src[start].isspace():
        stripped = len(src) - len(src.lstrip())
        start = stripped if stripped < len(src) else start
    m = _TOKEN.match(src, start)
    width = len(m.group(0).rstrip()) if m else 1
    if m and m.group(0).startswith("-"):  # list item: mark the first key after "- "
        m2 = _TOKEN.match(src, m.end())
        if m2:
            start, width = m2.start(), len(m2.group(0))
    return start, max(1, width)


class _Writer:
    def __init__(self, out, color: bool):
        self.out = out
        self.console = None
        if color:
            from rich.console import Console
            self.console = Console(file=out, highlight=False, soft_wrap=True,
                                   force_terminal=True)

    def line(self, *parts) -> None:
        """``parts``: strings or (text, style) pairs."""
        if self.console is None:
            self.out.write("".join(p if isinstance(p, str) else p[0] for p in parts) + "\n")
            return
        from rich.text import Text
        t = Text()
        for p in parts:
            if isinstance(p, str):
                t.append(p)
            else:
                t.append(p[0], style=p[1] or "")
        self.console.print(t)


def _summary_table(w: _Writer, report) -> None:
    s = report.summary()
    if not s["findings"]:
        return
    sev_counts = [(k, n) for k, n in s["findingsBySeverity"].items()]
    checks = Counter(f.check_id for f in report.findings)
    names = {f.check_id: f.check_name for f in report.findings}
    top = sorted(checks.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CHECKS]
    if w.console is not None:
        from rich import box
        from rich.table import Table
        t1 = Table(title="Findings by severity", box=box.SIMPLE, title_justify="left")
        t1.add_column("severity")
        t1.add_column("count", justify="right")
        for k, n in sev_counts:
            t1.add_row(k, str(n), style=_SEV_STYLE[k] if n else "dim")
        t2 = Table(title="Top checks", box=box.SIMPLE, title_justify="left")
        t2.add_column("check")
        t2.add_column("name")
        t2.add_column("count", justify="right")
        for cid, n in top:
            t2.add_row(cid, names[cid], str(n))
        w.console.print(t1)
        w.console.print(t2)
        return
    width = max(len(k) for k, _ in sev_counts)
    w.line("Findings by severity")
    for k, n in sev_counts:
        w.line(f"  {k:<{width}}  {n:>5}")
    w.line("")
    w.line("Top checks")
    name_w = max(len(names[c]) for c, _ in top)
    for cid, n in top:
        w.line(f"  {cid:<8} {names[cid]:<{name_w}}  {n:>5}")
    w.line("")


REDACTED = "<redacted>"
MAX_SOURCE_LINE = 200


def sensitive_lines(findings) -> set:
    """(file, line) pairs whose text may hold a secret: where a finding's
    value was redacted, and every line of a Secret object's findings."""
    return {(f.file, f.line) for f in findings
            if f.value == REDACTED or f.object.kind == "Secret"}


def mask_line(src: str) -> str:
    """Keep the line's first key, hide everything after it:
    ``value: "s3cr3t"`` -> ``value: <redacted>``; a flow line such as
    ``args: ["--token", "s3cr3t"]`` -> ``args: <redacted>``."""
    start = len(src) - len(src.lstrip())
    key_end = src.find(":", start)
    if key_end == -1:
        return src[:start] + REDACTED
    return src[:key_end + 1] + " " + REDACTED


def render(report, out, ctx) -> None:
    from kubeward.gcpause import gc_paused

    with gc_paused(promote=False):  # many short-lived strings, no cycles
        _render(report, out, ctx)


def _render(report, out, ctx) -> None:
    w = _Writer(out, bool(ctx.color))
    cache: dict = {}
    shown = list(report.findings)
    if ctx.show_suppressed:
        shown += report.suppressed
        shown.sort(key=lambda f: (f.file, f.line, f.column, f.check_id))
    secret_lines = sensitive_lines(shown)
    for file, group in groupby(shown, key=lambda f: f.file):
        w.line((file, "bold underline"))
        for f in group:
            sev = f.severity.label
            style = _SEV_STYLE[sev] if f.suppressed is None else "dim"
            tag = f" (suppressed: {f.suppressed})" if f.suppressed is not None else ""
            w.line(f"  {f.line}:{f.column} ", (f"{sev.upper():8}", style), " ",
                   (f.check_id, "bold"), f" {f.message}", (tag, "dim"))
            w.line(("      " + f"{f.object.display()}  field: {f.field_path}", "dim"))
            src = _source_line(cache, f.file, f.line)
            if src is not None and len(src) > MAX_SOURCE_LINE:
                src = None  # minified JSON and the like: the line may hold anything
            if src is not None and (f.file, f.line) in secret_lines:
                src = mask_line(src)
            if src is not None and src.strip():
                src = src.rstrip().expandtabs(1)
                gutter = f"{f.line:>4}"
                w.line(("    > ", "bold"), (gutter + " | ", "dim"), src)
                start, width = marker_span(src, f.column)
                w.line(" " * (7 + len(gutter)), ("| ", "dim"), " " * start,
                       ("^" * width, style))
            if f.remediation:
                w.line(("      fix: " + f.remediation, "green"))
        w.line("")
    if ctx.extra.get("compliance"):
        from kubeward.compliance import text_lines
        for line in text_lines(ctx.extra["compliance"]):
            w.line(line)
        w.line("")
    if ctx.extra.get("attackPathsShown"):
        from kubeward.attackpaths import summary_lines
        for line in summary_lines(ctx.extra["attackPaths"]):
            w.line(line)
        w.line("")
    for n in report.notes:
        w.line((f"note: {n}", "yellow"))
    _summary_table(w, report)
    config = getattr(report, "config_file", None)
    w.line((f"{len(report.checks)} check{'s' if len(report.checks) != 1 else ''} ran; config: "
            f"{config or 'none (defaults)'}", "dim"))
    s = report.summary()
    sev = ", ".join(f"{n} {k}" for k, n in s["findingsBySeverity"].items() if n)
    w.line((f"{s['findings']} finding{'s' if s['findings'] != 1 else ''}"
            f"{' (' + sev + ')' if sev else ''} in {s['objectsScanned']} objects from "
            f"{s['files']} files; {s['suppressed']} suppressed, {s['documentsSkipped']} documents "
            f"skipped, {s['errors']} error{'s' if s['errors'] != 1 else ''}.", "bold"))
