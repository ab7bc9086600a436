"""Human-readable output: findings grouped by file (or by workload, check or
severity: ``--group-by``), the most severe first in each group, each with its
location, severity, check, message, object and field path, the offending
source line with a marker under the field, and how to fix it; then a summary
table (findings by severity, the most frequent checks) and one closing line.
A finding on a live object (``kubeward audit``) names the object as a
``kubectl get`` command instead of a line of a rendering nobody sees.

Colour (via rich) only when the caller says the stream supports it
(``RenderContext.color``: a terminal without NO_COLOR, or ``--color``);
otherwise plain text with no escape codes.
"""

from __future__ import annotations

import re
from collections import Counter

_SEV_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan",
              "info": "dim"}
TOP_CHECKS = 5
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")
MAX_SNIPPET_FILE = 64 * 1024 * 1024  # larger files: no snippets
_TOKEN = re.compile(r'-\s+|"(?:[^"\\]|\\.)*"|\'[^\']*\'|[^\s:]+')


def _source_lines(cache: dict, file: str, wanted=None) -> list[str]:
    """The file's lines as snippets may show them: every value that may hold
    a secret masked (:mod:`kubeward.redact`), control characters (NUL bytes
    of a UTF-16 file read as UTF-8, escape sequences) shown as U+FFFD."""
    if file not in cache:
        from kubeward.redact import mask_source

        try:
            with open(file, "rb") as fh:
                data = fh.read(MAX_SNIPPET_FILE + 1)
        except OSError:
            data = b""
        if len(data) > MAX_SNIPPET_FILE:
            cache[file] = []
        else:
            text = decode_source(data)
            cache[file] = _CONTROL.sub("\ufffd", mask_source(text, wanted)).splitlines()
    return cache[file]


def decode_source(data: bytes) -> str:
    """Bytes of a source file as text: UTF-8 unless a byte order mark says
    UTF-16 or UTF-32; undecodable bytes become U+FFFD."""
    for bom, enc in ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
                     (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(enc, errors="replace")
    return data.decode("utf-8", errors="replace").removeprefix("\ufeff")


def _source_line(cache: dict, file: str, line: int, wanted=None) -> str | None:
    if file.startswith(("<", "cluster:")):
        return None
    lines = _source_lines(cache, file, wanted)
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
        if top:  # none when --severity hides every finding
            w.console.print(t2)
        return
    width = max(len(k) for k, _ in sev_counts)
    w.line("Findings by severity")
    for k, n in sev_counts:
        w.line(f"  {k:<{width}}  {n:>5}")
    w.line("")
    if not top:  # --severity hid every finding
        return
    w.line("Top checks")
    name_w = max(len(names[c]) for c, _ in top)
    for cid, n in top:
        w.line(f"  {cid:<8} {names[cid]:<{name_w}}  {n:>5}")
    w.line("")


MAX_SOURCE_LINE = 200


def shown_lines(findings) -> dict:
    """file -> the lines the findings show (only those need masking)."""
    wanted: dict = {}
    for f in findings:
        wanted.setdefault(f.file, set()).add(f.line)
    return wanted


def source_snippet(cache: dict, f, wanted: dict) -> str | None:
    """The source line a finding points at, as every output shows it: any
    value that may hold a secret masked by what the line holds
    (:mod:`kubeward.redact`), never by which findings are shown; None for a
    line too long to show safely (minified JSON may hold anything)."""
    src = _source_line(cache, f.file, f.line, wanted.get(f.file))
    return None if src is not None and len(src) > MAX_SOURCE_LINE else src


def render(report, out, ctx) -> None:
    from kubeward.gcpause import gc_paused

    with gc_paused(promote=False):  # many short-lived strings, no cycles
        _render(report, out, ctx)


def _render(report, out, ctx) -> None:
    from kubeward.outputs.util import grouped, shown_findings, summary_line
    from kubeward.wording import plural

    w = _Writer(out, bool(ctx.color))
    cache: dict = {}
    shown = shown_findings(report, ctx)
    wanted = shown_lines(shown)
    group_by = ctx.group_by or "file"
    for title, group in grouped(shown, group_by):
        w.line((title, "bold underline"))
        for f in group:
            _finding(w, f, cache, wanted, where=group_by != "file")
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
    w.line((f"{plural(len(report.checks), 'check')} ran; config: "
            f"{config or 'none (defaults)'}", "dim"))
    w.line((summary_line(report), "bold"))


def _finding(w: _Writer, f, cache: dict, wanted: dict, where: bool) -> None:
    """One finding: location, severity, check and message; the object and
    field path; the source line with a marker (files only); the fix.
    ``where``: name the file (or, for a live object, the kubectl command)
    on the first line, for groups that are not one file."""
    from kubeward.outputs.util import is_live, location

    sev = f.severity.label
    style = _SEV_STYLE[sev] if f.suppressed is None else "dim"
    tag = f" (suppressed: {f.suppressed})" if f.suppressed is not None else ""
    live = is_live(f.file)
    if live:
        pos = location(f) + "  " if where else ""
    else:
        pos = (f"{f.file}:" if where else "") + f"{f.line}:{f.column} "
    w.line(f"  {pos}", (f"{sev.upper():8}", style), " ", (f.check_id, "bold"), f" {f.message}",
           (tag, "dim"))
    w.line(("      " + f"{f.object.display()}  field: {f.field_path}", "dim"))
    src = None if live else source_snippet(cache, f, wanted)
    if src is not None and src.strip():
        src = src.rstrip().expandtabs(1)
        gutter = f"{f.line:>4}"
        w.line(("    > ", "bold"), (gutter + " | ", "dim"), src)
        start, width = marker_span(src, f.column)
        w.line(" " * (7 + len(gutter)), ("| ", "dim"), " " * start, ("^" * width, style))
    if f.remediation:
        w.line(("      fix: " + f.remediation, "green"))
