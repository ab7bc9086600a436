"""Report renderers. Each format is a module with ``render(report, out, ctx)``
writing to a text stream; ``FORMATS`` maps the ``-o`` name to it. Outputs
never import a concrete check; they read check metadata from the registry."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

FORMATS: dict[str, str] = {
    "text": "kubeward.outputs.text:render",
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
    extra: dict = field(default_factory=dict)


def get_renderer(name: str):
    module, _, func = FORMATS[name].partition(":")
    return getattr(importlib.import_module(module), func)
