"""Suite-wide fixtures. Helpers live in the ``kwtest`` package (tests/kwtest)."""

from pathlib import Path

import pytest
from kwtest.shared import CORPUS, ROOT, SCHEMAS, require


@pytest.fixture
def corpus() -> Path:
    return require(CORPUS)


@pytest.fixture
def schemas() -> Path:
    return require(SCHEMAS)


def _config_finder(ceilings):
    """``kubeward.config.find_config`` that never looks above a ceiling
    directory (like git's GIT_CEILING_DIRECTORIES): a search that reaches one
    stops there."""
    import os

    from kubeward.config import CONFIG_NAME

    stops = {os.path.abspath(c) for c in ceilings}

    def find_config(start=None):
        d = os.path.abspath(start or os.getcwd())
        while True:
            cand = os.path.join(d, CONFIG_NAME)
            if os.path.isfile(cand):
                return cand
            parent = os.path.dirname(d)
            if d in stops or parent == d:
                return None
            d = parent

    return find_config


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch, tmp_path_factory):
    """Tests never pick up a .kubeward.yaml from the developer's tree: the
    upward search for one stops at the repository root and at pytest's base
    temporary directory, so a stray file above either is never read (a test
    may still put one in its own tmp_path). Also no colour."""
    from kubeward import config

    monkeypatch.setattr(config, "find_config",
                        _config_finder([ROOT, tmp_path_factory.getbasetemp()]))
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture(autouse=True)
def _validate_all_sarif(monkeypatch):
    """Every SARIF document any test produces, through any code path, is
    validated against the official SARIF 2.1.0 schema kept in tests/data/."""
    import json

    from kwtest.cli import sarif_validator

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


@pytest.fixture(autouse=True)
def _validate_all_json_reports(monkeypatch):
    """Every JSON report any test produces in-process (``-o json`` of scan
    and audit, through any code path) is validated against the schema
    shipped in the package, kubeward/data/report.schema.json (in a report of
    thousands of findings, one finding of each shape: kwtest.cli.report_errors)."""
    import json

    from kwtest.cli import report_errors

    from kubeward.outputs import json as json_out

    produced = []
    real_stream, real_dict = json_out._stream, json_out.report_dict

    def check(doc):
        errors = report_errors(doc, every_finding=False)
        assert not errors, f"JSON report breaks report.schema.json: {errors[:3]}"
        produced.append(doc)

    def stream(report, ctx):
        pieces = []
        for piece in real_stream(report, ctx):
            pieces.append(piece)
            yield piece
        check(json.loads(b"".join(pieces)))

    def report_dict(report, ctx):
        doc = real_dict(report, ctx)
        check(json.loads(json_out.dumps(doc)))
        return doc

    monkeypatch.setattr(json_out, "_stream", stream)
    monkeypatch.setattr(json_out, "report_dict", report_dict)
    yield produced
