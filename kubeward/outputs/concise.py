"""``-o concise``: one line per finding, as compilers and ruff print them,
so editors, ``grep`` and CI problem matchers understand it::

    examples/insecure-app/deployment.yaml:34:13: PSS002 critical container "web" is privileged

``file:line:col: ID severity message``; a finding on a live object
(``kubeward audit``) starts with ``kubectl get KIND -n NS NAME: `` instead.
Order and grouping follow ``--group-by`` (default: by file, the most severe
first in each file); the last line is the summary. Input errors go to
standard error, as for every format (``file:line:col: error: message``)."""

from __future__ import annotations


def render(report, out, ctx) -> None:
    from kubeward.outputs.util import grouped, location, shown_findings, summary_line

    write = out.write
    for _title, group in grouped(shown_findings(report, ctx), ctx.group_by or "file"):
        for f in group:
            tag = f" (suppressed: {f.suppressed})" if f.suppressed is not None else ""
            write(f"{location(f)}: {f.check_id} {f.severity.label} {f.message}{tag}\n")
    write(summary_line(report) + "\n")
