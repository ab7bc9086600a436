"""GitHub Actions workflow commands: one annotation per finding,
``::error file=F,line=L,col=C,title=T::message``. Critical and high findings
are errors, medium and low warnings, info notices. Data is escaped as the
runner expects (``%``, CR, LF; and ``:``/``,`` in properties)."""

from __future__ import annotations

from kubeward.outputs.util import rel_path, shown_findings

COMMAND = {"critical": "error", "high": "error", "medium": "warning", "low": "warning",
           "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(command: str, message: str, **props) -> str:
    parts = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items() if v is not None)
    return f"::{command}{' ' + parts if parts else ''}::{escape_data(message)}"


def render(report, out, ctx) -> None:
    root = ctx.scan_root or "."
    for e in report.errors:
        out.write(annotation("error", e.message, file=rel_path(e.file, root), line=e.line,
                             col=e.column, title="kubeward: input error") + "\n")
    for f in shown_findings(report, ctx):
        if f.suppressed is not None:
            continue
        msg = f"{f.message}\n{f.object.display()}, field {f.field_path}"
        if f.remediation:
            msg += f"\nFix: {f.remediation}"
        out.write(annotation(COMMAND[f.severity.label], msg, file=rel_path(f.file, root),
                             line=f.line, col=f.column,
                             title=f"{f.check_id} {f.check_name} ({f.severity.label})") + "\n")
    s = report.summary()
    sev = ", ".join(f"{n} {k}" for k, n in s["findingsBySeverity"].items() if n)
    out.write(f"kubeward: {s['findings']} findings{' (' + sev + ')' if sev else ''} in "
              f"{s['objectsScanned']} objects from {s['files']} files\n")
