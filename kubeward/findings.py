"""Findings, load errors and severities: what every check produces and every
output consumes. Nothing here imports a check, a loader or an output."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from kubeward.paths import Path, format_path


class Severity(IntEnum):
    """Ordered severities; see docs/severity.md for the rubric."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[str(text).strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in sorted(cls, reverse=True))
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None


class FixSafety:
    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY = "display-only"


@dataclass(frozen=True, slots=True)
class Edit:
    """One path edit of a fix. ``op`` is ``set`` (create missing parent
    mappings and set the value), ``remove`` (delete the key or list item) or
    ``append`` (append ``value`` to the list at ``path``, creating it)."""

    op: str
    path: Path
    value: Any = None


@dataclass(frozen=True, slots=True)
class ObjectRef:
    api_version: str
    kind: str
    name: str
    namespace: str | None

    def display(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {ns}{self.name}"

    def to_dict(self) -> dict:
        return {"apiVersion": self.api_version, "kind": self.kind,
                "namespace": self.namespace, "name": self.name}


@dataclass(slots=True, kw_only=True)
class Finding:
    """One problem of one object. Built by keyword (``BaseCheck.finding``
    does it for checks). ``path`` names the offending field, or the field
    that must be set when it is missing; ``present`` says which: when False,
    ``line`` and ``column`` are those of the nearest existing parent."""

    check_id: str
    check_name: str
    severity: Severity
    object: ObjectRef
    file: str
    line: int
    column: int
    path: Path
    message: str
    remediation: str = ""
    frameworks: dict = field(default_factory=dict)
    value: Any = None
    fix_safety: str | None = None
    edits: tuple = ()
    doc_index: int = 0
    suppressed: str | None = None  # reason, when suppressed
    suppressed_by: str | None = None  # "annotation" or "config"
    present: bool = True  # the field at ``path`` exists (else: located at its parent)

    @property
    def field_path(self) -> str:
        return path_text(self.path)

    def to_dict(self) -> dict:
        d = {
            "checkId": self.check_id,
            "checkName": self.check_name,
            "severity": _LABELS[self.severity],
            "object": self.object.to_dict(),
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "fieldPath": path_text(self.path),
            "fieldPresent": self.present,
            "message": self.message,
            "remediation": self.remediation,
            "frameworks": {k: list(v) for k, v in self.frameworks.items()},
            "fix": ({"safety": self.fix_safety,
                     "edits": [{"op": e.op, "path": path_text(e.path), "value": e.value}
                               for e in self.edits]} if self.fix_safety else None),
        }
        if self.suppressed is not None:
            d["suppressed"] = {"by": self.suppressed_by, "reason": self.suppressed}
        return d


_LABELS = {s: s.name.lower() for s in Severity}
_PATH_TEXT: dict = {}


def path_text(path) -> str:
    """``format_path``, remembered: findings of one check repeat the same
    few paths thousands of times."""
    try:
        text = _PATH_TEXT.get(path)
    except TypeError:  # a path holding something unhashable
        return format_path(path)
    if text is None:
        if len(_PATH_TEXT) > 50_000:
            _PATH_TEXT.clear()
        text = _PATH_TEXT[path] = format_path(path)
    return text


@dataclass(slots=True)
class LoadError:
    """Input that could not be read or understood. Always names the file,
    and the line where it is known."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    kind: str = "input"

    def to_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column,
                "kind": self.kind, "message": self.message}

    def one_line(self) -> str:
        loc = self.file
        if self.line is not None:
            loc += f":{self.line}"
            if self.column is not None:
                loc += f":{self.column}"
        return f"{loc}: error: {self.message}"
