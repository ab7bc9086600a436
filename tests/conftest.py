import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
SCHEMAS = SHARED / "schemas"


def require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared corpus sits beside the repository as ../shared)")
    return path


@pytest.fixture
def corpus() -> Path:
    return require(CORPUS)


@pytest.fixture
def schemas() -> Path:
    return require(SCHEMAS)


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch, tmp_path_factory):
    """Tests never pick up a .kubeward.yaml from the developer's tree."""
    monkeypatch.setenv("NO_COLOR", "1")
