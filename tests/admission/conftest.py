"""Fixtures for the admission webhook tests (helpers in tests/kwtest/admission.py)."""

from __future__ import annotations

import pytest

pytest.importorskip("aiohttp", reason="the admission webhook needs the admission extra")
pytest.importorskip("prometheus_client", reason="the admission webhook needs the admission extra")
pytest.importorskip("cryptography.x509", reason="the tests make certificates with cryptography")

from kwtest.admission import PKI, Client, start_server  # noqa: E402


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> PKI:
    return PKI(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def running(pki, tmp_path_factory):
    r = start_server(pki, tmp_path_factory.mktemp("server"))
    yield r
    r.client.close()
    r.thread.stop()


@pytest.fixture
def client(running) -> Client:
    return running.client
