"""Every SARIF document any test here produces (through any code path) is
validated against the official SARIF 2.1.0 schema kept in tests/data/."""

from __future__ import annotations

import json

import pytest
from int_helpers import sarif_validator


@pytest.fixture(autouse=True)
def _validate_all_sarif(monkeypatch):
    from kubeward.outputs import sarif

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
