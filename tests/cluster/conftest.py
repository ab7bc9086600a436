"""Fixtures for the live-cluster tests: a fake API server on loopback and a
kubeconfig pointing at it (see fakeapi.py)."""

import sys
from pathlib import Path

import pytest

pytest.importorskip("kubernetes", reason="kubeward[cluster] (the kubernetes client) is not installed")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fakeapi import FakeKubeAPI, write_kubeconfig  # noqa: E402


@pytest.fixture
def fake_api():
    api = FakeKubeAPI(bookmark_interval=0.2).start()
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture
def kubeconfig(fake_api, tmp_path):
    return str(write_kubeconfig(tmp_path / "kubeconfig", fake_api.url))


@pytest.fixture
def client(kubeconfig):
    from kubeward.cluster.client import Client

    c = Client.connect(kubeconfig)
    yield c
    c.close()
