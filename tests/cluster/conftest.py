"""Fixtures for the live-cluster tests: a fake API server on loopback and a
kubeconfig pointing at it (see tests/kwtest/fakeapi.py)."""

import pytest
from kwtest.fakeapi import FakeKubeAPI, write_kubeconfig

pytest.importorskip("kubernetes", reason="kubeward[cluster] (the kubernetes client) is not installed")


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
