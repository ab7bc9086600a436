"""The header lines of the check fixtures in ``tests/checks/<ID>/``:
``# expect: <ID> <field path> line <N>``, ``# k8s-version: X.Y`` and
``# option: <name> <json value>``."""

from __future__ import annotations

import json
import re
from pathlib import Path

EXPECT = re.compile(r"#\s*expect:\s*(\S+)\s+(.+?)\s+line\s+(\d+)\s*$")
VERSION = re.compile(r"#\s*k8s-version:\s*(\S+)\s*$")
OPTION = re.compile(r"#\s*option:\s*(\S+)\s+(.+?)\s*$")
CHECKS = Path(__file__).resolve().parents[1] / "checks"


def fixture_header(path: Path):
    """(expected {(id, path, line)}, k8s version or None, options dict)."""
    expected, version, options = set(), None, {}
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            if line.strip() and not line.startswith("---"):
                break
            continue
        if m := EXPECT.match(line):
            expected.add((m.group(1), m.group(2), int(m.group(3))))
        elif m := VERSION.match(line):
            version = m.group(1)
        elif m := OPTION.match(line):
            options[m.group(1)] = json.loads(m.group(2))
    return expected, version, options
