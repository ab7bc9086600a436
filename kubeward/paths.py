"""Field paths: one notation for every finding, fix and location lookup.

A path is a tuple of mapping keys (``str``) and list indexes (``int``), for
example ``("spec", "template", "spec", "containers", 0, "securityContext",
"privileged")``. Its text form is

    spec.template.spec.containers[0].securityContext.privileged

Keys made only of letters, digits, ``_`` and ``-`` are joined with dots; any
other key (annotation and label keys such as
``container.apparmor.security.beta.kubernetes.io/app``) is written in
brackets and double quotes, JSON-escaped:
``metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]``.
"""

from __future__ import annotations

import json
import re

Path = tuple  # tuple[str | int, ...]

_PLAIN = re.compile(r"[A-Za-z0-9_\-]+\Z")
_TOKEN = re.compile(r'\.?([A-Za-z0-9_\-]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')


def format_path(path: Path) -> str:
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _PLAIN.match(part):
            out.append(f".{part}" if out else part)
        else:
            out.append(f"[{json.dumps(part)}]")
    return "".join(out)


def parse_path(text: str) -> Path:
    """Inverse of :func:`format_path`; raises ValueError on bad syntax."""
    parts: list[str | int] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"bad field path {text!r} at character {pos}")
        if m.group(1) is not None:
            parts.append(m.group(1))
        elif m.group(2) is not None:
            parts.append(int(m.group(2)))
        else:
            parts.append(json.loads(m.group(3)))
        pos = m.end()
    return tuple(parts)


def json_pointer(path: Path) -> str:
    """RFC 6901 pointer for ``path`` (used by JSON Patch)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def get(data, path: Path, default=None):
    """The value at ``path`` in plain data, or ``default`` where it is missing
    (list indexes count from 0, as in every path kubeward makes)."""
    cur = data
    for part in path:
        if isinstance(part, int):
            if isinstance(cur, list) and 0 <= part < len(cur):
                cur = cur[part]
            else:
                return default
        elif isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            return default
    return cur
