"""GitHub Actions workflow commands: one annotation per finding,
``::error file=F,line=L,col=C,title=T::message``. Critical and high findings
are errors, medium and low warnings, info notices. Data is escaped as the
runner expects (``%``, CR, LF; and ``:``/``,`` in properties).

GitHub shows at most 10 error, 10 warning and 10 notice annotations per
step (and 50 per job; the actions/toolkit problem-matchers documentation,
"Limitations"), dropping the rest silently, first come first served. So
findings come most severe first, with input errors (which fail the step
anyway, exit 2) right after the critical ones; past a kind's
limit a finding is printed as a plain log line (``file:line:col: ID
severity message``), and one closing notice says how many were not
annotated and where to see them all (the log, or the SARIF upload to code
scanning). See docs/ci.md."""

from __future__ import annotations

from kubeward.outputs.util import most_severe_first, rel_path, shown_findings

COMMAND = {"critical": "error", "high": "error", "medium": "warning", "low": "warning",
           "info": "notice"}
#: annotations GitHub shows per step, by command
LIMITS = {"error": 10, "warning": 10, "notice": 10}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(command: str, message: str, **props) -> str:
    parts = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items() if v is not None)
    return f"::{command}{' ' + parts if parts else ''}::{escape_data(message)}"


def _finding(f, root: str, emit) -> None:
    msg = f"{f.message}\n{f.object.display()}, field {f.field_path}"
    if f.remediation:
        msg += f"\nFix: {f.remediation}"
    file = rel_path(f.file, root)
    emit(COMMAND[f.severity.label],
         annotation(COMMAND[f.severity.label], msg, file=file, line=f.line, col=f.column,
                    title=f"{f.check_id} {f.check_name} ({f.severity.label})"),
         f"{file}:{f.line}:{f.column}: {f.check_id} {f.severity.label} {f.message}")


def render(report, out, ctx, limits: dict | None = None) -> None:
    from kubeward.findings import Severity
    from kubeward.wording import noun, plural

    limits = dict(LIMITS if limits is None else limits)
    root = ctx.scan_root or "."
    findings = sorted((f for f in shown_findings(report, ctx) if f.suppressed is None),
                      key=most_severe_first)
    wanted = {c: 0 for c in limits}
    for _e in report.errors:
        wanted["error"] += 1
    for f in findings:
        wanted[COMMAND[f.severity.label]] += 1
    if any(wanted[c] > limits[c] for c in limits):
        limits["notice"] -= 1  # room for the closing notice
    used = {c: 0 for c in limits}
    dropped = {c: 0 for c in limits}

    def emit(command: str, line: str, plain: str) -> None:
        if used[command] < limits[command]:
            used[command] += 1
            out.write(line + "\n")
        else:
            dropped[command] += 1
            out.write(plain + "\n")

    critical = [f for f in findings if f.severity == Severity.CRITICAL]
    for f in critical:
        _finding(f, root, emit)
    for e in report.errors:
        emit("error", annotation("error", e.message, file=rel_path(e.file, root), line=e.line,
                                 col=e.column, title="kubeward: input error"),
             e.one_line())
    for f in findings[len(critical):]:
        _finding(f, root, emit)
    more = sum(dropped.values())
    if more:
        kinds = ", ".join(plural(n, c) for c, n in dropped.items() if n)
        out.write(annotation(
            "notice",
            f"{more} more {noun(more, 'problem')} ({kinds}) not annotated: GitHub shows "
            f"{LIMITS['error']} errors, {LIMITS['warning']} warnings and {LIMITS['notice']} "
            "notices per step. All are in this step's log; upload `-o sarif=FILE` with "
            "github/codeql-action/upload-sarif to see every one in code scanning.",
            title=f"kubeward: {more} more not annotated") + "\n")
    from kubeward.outputs.util import summary_line
    out.write(f"kubeward: {summary_line(report)}\n")
