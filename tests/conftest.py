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


@pytest.fixture(autouse=True)
def _validate_all_sarif(monkeypatch):
    """Every SARIF document any test produces, through any code path, is
    validated against the official SARIF 2.1.0 schema kept in tests/data/."""
    import json

    from kubeward.outputs import sarif
    from kw_testlib import sarif_validator

    real = sarif.sarif_dict
    produced = []

    def checked(report, ctx):
        doc = real(report, ctx)
        errors = sorted(sarif_validator().iter_errors(json.loads(json.dumps(doc, default=str))),
                        key=lambda e: list(e.path))
        assert not errors, f"invalid SARIF: {errors[0].message} at {list(errors[0].path)}"
        produced.append(doc)
        return doc

    monkeypatch.setattr(sarif, "sarif_dict", checked)
    yield produced
