"""Where the repository and the shared, read-only test material live.

The PSA conformance fixtures, the real-world corpora and the official SARIF /
JUnit schemas sit beside the repository as ``../shared``. Outside CI a test
that needs them is skipped with the reason; under ``CI=true`` (set by GitHub
Actions, GitLab CI and ``.ci/run``) it fails, so a CI job without the shared
material cannot pass silently."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
DATA = TESTS / "data"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
SCHEMAS = SHARED / "schemas"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def require(path: Path) -> Path:
    """``path`` if it exists; otherwise fail under CI, skip elsewhere."""
    if not path.exists():
        reason = (f"{path} is absent (the shared corpus sits beside the repository as ../shared; "
                  f"link it with: ln -sfn /path/to/shared {SHARED})")
        if in_ci():
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)
    return path
