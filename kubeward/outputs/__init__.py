"""Report renderers. Each format is a module with ``render(report, out, ctx)``
writing to a text stream; ``FORMATS`` maps the ``-o`` name to it. Outputs
never import a concrete check; they read check metadata from the registry."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

FORMATS: dict[str, str] = {
    "text": "kubeward.outputs.text:render",
    "concise": "kubeward.outputs.concise:render",
    "json": "kubeward.outputs.json:render",
    "sarif": "kubeward.outputs.sarif:render",
    "junit": "kubeward.outputs.junit:render",
    "markdown": "kubeward.outputs.markdown:render",
    "github": "kubeward.outputs.github:render",
    "codequality": "kubeward.outputs.codequality:render",
    "html": "kubeward.outputs.html:render",
}


@dataclass
class RenderContext:
    color: bool = False
    show_suppressed: bool = False
    scan_root: str = "."
    fail_on: object = None
    group_by: str = "file"  # text and concise: file, workload, check or severity
    extra: dict = field(default_factory=dict)


def get_renderer(name: str):
    """The format's ``render``, behind :func:`redact_report`: no output
    prints what :mod:`kubeward.redact` recognises as a secret."""
    module, _, func = FORMATS[name].partition(":")
    render = getattr(importlib.import_module(module), func)

    def redacted_render(report, out, ctx):
        redact_report(report)
        return render(report, out, ctx)

    redacted_render.__wrapped__ = render
    return redacted_render


def redact_report(report) -> None:
    """Hide secrets (known token formats, secret-looking assignments) in the
    messages, values and remediations of findings, and in errors and notes,
    in place; once per report."""
    if getattr(report, "_redacted", False):
        return
    from kubeward.redact import redact_text

    # texts repeat (a check's remediation, a rule's message): each once
    done: dict = {}

    def redact(text):
        got = done.get(text)
        if got is None:
            got = done[text] = redact_text(text)
        return got

    for f in (*report.findings, *report.suppressed):
        f.message = redact(f.message)
        f.remediation = redact(f.remediation)
        if isinstance(f.value, str):
            f.value = redact(f.value)
    for e in report.errors:
        e.message = redact_text(e.message)
    report.notes[:] = [redact_text(n) for n in report.notes]
    try:
        report._redacted = True
    except AttributeError:  # a report type with slots: redacting again is harmless
        pass
