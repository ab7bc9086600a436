"""Loaders for the RBAC and network analysis fixtures in tests/analysis/fixtures."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "analysis" / "fixtures"


def load(name: str):
    from kubeward.loading.files import load_paths

    res = load_paths([str(FIXTURES / name)])
    assert not res.errors, [e.one_line() for e in res.errors]
    return res.objects


def load_text(text: str, name: str = "t.yaml"):
    from kubeward.loading.files import LoadResult
    from kubeward.loading.files import load_text as _load

    res = LoadResult()
    _load(text, name, res)
    assert not res.errors, [e.one_line() for e in res.errors]
    return res.objects


