"""HTTPS clusters: a CA from the kubeconfig, a refused certificate, and the
in-cluster service account (token and CA files, KUBERNETES_SERVICE_*)."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kwtest.fakeapi import FakeKubeAPI, write_kubeconfig, write_self_signed_cert
from kubeward.cli.main import cli

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def tls_api(tmp_path):
    pytest.importorskip("cryptography", reason="the cryptography package makes the test certificate")
    cert, key = write_self_signed_cert(tmp_path)
    api = FakeKubeAPI().start(cert, key)
    api.load_yaml(DATA)
    api.cert = cert
    try:
        yield api
    finally:
        api.stop()

def _audit(*args, **kw):
    return CliRunner().invoke(cli, ["audit", "--check", "PSS002", "-o", "json", *args],
                              catch_exceptions=False, **kw)


def test_https_with_the_kubeconfig_ca(tls_api, tmp_path):
    kc = write_kubeconfig(tmp_path / "kc", tls_api.url, ca_file=tls_api.cert)
    r = _audit("--kubeconfig", str(kc))
    assert r.exit_code == 1, r.stderr
    assert [f["file"] for f in json.loads(r.stdout)["findings"]] == ["cluster://shop/Deployment/web"]


def test_untrusted_certificate_is_one_error(tls_api, tmp_path):
    kc = write_kubeconfig(tmp_path / "kc", tls_api.url)  # no CA: the system store refuses it
    r = _audit("--kubeconfig", str(kc))
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [
        f"kubeward: error: cannot reach the cluster at {tls_api.url}: "
        "TLS certificate verify failed"]


def test_in_cluster_service_account(tls_api, tmp_path, monkeypatch):
    from kubernetes.config import incluster_config

    token = tmp_path / "token"
    token.write_text("fake-token")
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", tls_api.cert)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(tls_api.port))
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kube/config
    monkeypatch.delenv("KUBECONFIG", raising=False)
    r = _audit()
    assert r.exit_code == 1, r.stderr
    assert [f["file"] for f in json.loads(r.stdout)["findings"]] == ["cluster://shop/Deployment/web"]
