"""Human-readable output: findings grouped by file, each with its location,
field path, message, the offending source line and how to fix it; then a
summary. Colour (via rich) only when the stream is a terminal."""

from __future__ import annotations

from itertools import groupby

_SEV_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan",
              "info": "dim"}


def _source_line(cache: dict, file: str, line: int) -> str | None:
    if file not in cache:
        try:
            with open(file, encoding="utf-8", errors="replace") as fh:
                cache[file] = fh.read().splitlines()
        except OSError:
            cache[file] = []
    lines = cache[file]
    return lines[line - 1] if 0 < line <= len(lines) else None


def render(report, out, ctx) -> None:
    console = None
    if ctx.color:
        from rich.console import Console
        console = Console(file=out, highlight=False, soft_wrap=True)

    def emit(text: str, style: str | None = None) -> None:
        if console is not None:
            from rich.text import Text
            console.print(Text(text, style=style or ""))
        else:
            out.write(text + "\n")

    cache: dict = {}
    shown = list(report.findings)
    if ctx.show_suppressed:
        shown += report.suppressed
        shown.sort(key=lambda f: (f.file, f.line, f.check_id))
    for file, group in groupby(shown, key=lambda f: f.file):
        emit(file, "bold underline")
        for f in group:
            sev = f.severity.label
            tag = f" (suppressed: {f.suppressed})" if f.suppressed is not None else ""
            emit(f"  {f.line}:{f.column} {sev.upper():8} {f.check_id} {f.message}{tag}",
                 _SEV_STYLE[sev] if f.suppressed is None else "dim")
            emit(f"      {f.object.display()}  field: {f.field_path}", "dim")
            src = _source_line(cache, f.file, f.line) if not f.file.startswith(("<", "cluster:")) else None
            if src is not None and src.strip():
                emit(f"      {f.line:>4} | {src.rstrip()}")
            if f.remediation:
                emit(f"      fix: {f.remediation}", "green")
        emit("")
    for n in report.notes:
        emit(f"note: {n}", "yellow")
    s = report.summary()
    sev = ", ".join(f"{n} {k}" for k, n in s["findingsBySeverity"].items() if n)
    emit(f"{s['findings']} finding{'s' if s['findings'] != 1 else ''}"
         f"{' (' + sev + ')' if sev else ''} in {s['objectsScanned']} objects from {s['files']} files; "
         f"{s['suppressed']} suppressed, {s['documentsSkipped']} documents skipped, "
         f"{s['errors']} error{'s' if s['errors'] != 1 else ''}.", "bold")
