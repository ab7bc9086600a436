"""No secret value ever reaches a finding, a message or an output."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from kubeward.engine import ScanOptions, scan
from kubeward.outputs import FORMATS, RenderContext, get_renderer

DATA = Path(__file__).parent / "_secrets_data" / "leaky.yaml"
LITERALS = ("Arg-Literal-9731", "Two-Arg-Literal-3131", "Flow-Literal-4242",
            "Block-Literal-1717", "Url-Literal-5151",
            "Zr4Tq9WmX2bLp7KcV5nJ8dHs3FgY6eQa", "Cm-Literal-2323", "Prop-Literal-8888",
            "Secret-Literal-6060", "Ann-Literal-7070")
CHECKS = tuple(f"SEC{n:03d}" for n in range(1, 14))


@pytest.fixture(scope="module")
def report():
    return scan([str(DATA)], ScanOptions(checks=CHECKS))


def test_every_literal_is_reported(report):
    ids = {f.check_id for f in report.findings}
    assert {"SEC001", "SEC002", "SEC003", "SEC004", "SEC005", "SEC011", "SEC013"} <= ids
    assert not report.errors


def test_findings_carry_no_value(report):
    for f in report.findings:
        assert f.value in (None, "<redacted>", True, "default") or f.check_id in ("SEC010",)
        blob = f.message + repr(f.value) + f.remediation
        for lit in LITERALS:
            assert lit not in blob, (f.check_id, f.message)


def _render(report, fmt: str) -> str:
    out = io.StringIO()
    get_renderer(fmt)(report, out, RenderContext(color=False))
    return out.getvalue()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_output_has_no_literal(report, fmt):
    text = _render(report, fmt)
    if fmt in ("json", "sarif"):
        json.loads(text)
    leaked = [lit for lit in LITERALS if lit in text]
    assert leaked == [], fmt


def test_text_output_masks_source_lines_with_suppressed_too(report):
    out = io.StringIO()
    get_renderer("text")(report, out, RenderContext(color=False, show_suppressed=True))
    text = out.getvalue()
    assert "<redacted>" in text  # the masked source line is still shown, key kept
    assert not [lit for lit in LITERALS if lit in text]
