"""Operations: health, readiness, metrics, logs, TLS (versions, certificate
reload), timeouts, graceful shutdown, start-up errors."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
import warnings

import pytest
from cryptography import x509

from kwtest.admission import start_server
from kwtest.wait import wait_for
from kwtest.workloads import PRIVILEGED, review, workload


def test_healthz_and_readyz(client):
    assert client.request("GET", "/healthz")[:2] == (200, b"ok\n")
    assert client.request("GET", "/readyz")[:2] == (200, b"ok\n")


def test_metrics(client):
    client.review("/validate", review(workload("Pod", PRIVILEGED), namespace="team-warn"))
    client.review("/validate", review(workload("Pod", PRIVILEGED), namespace="plain"))
    client.post("/validate", b"nope")
    status, data, headers = client.request("GET", "/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    text = data.decode()
    lines = {ln.rsplit(" ", 1)[0]: float(ln.rsplit(" ", 1)[1])
             for ln in text.splitlines() if ln and not ln.startswith("#")}
    assert lines['kubeward_admission_findings_total{check="PSS002",mode="warn",namespace="team-warn"}'] >= 1
    assert lines['kubeward_admission_findings_total{check="PSS002",mode="enforce",namespace="plain"}'] >= 1
    assert lines['kubeward_admission_reviews_total{endpoint="validate",operation="CREATE",result="denied"}'] >= 1
    assert lines['kubeward_admission_http_requests_total{code="400",path="/validate"}'] >= 1
    assert lines['kubeward_admission_request_duration_seconds_count{endpoint="validate"}'] >= 3
    assert 'kubeward_admission_request_duration_seconds_bucket{endpoint="validate",le="0.005"}' in lines


def test_one_json_log_line_per_request_without_object_content(running, client):
    pod = workload("Pod", PRIVILEGED, name="payments")
    pod["spec"]["containers"][0]["env"] = [{"name": "DB_PASSWORD", "value": "hunter2-s3cret"}]
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
              "data": {"password": "aHVudGVyMi1zM2NyZXQ="}, "stringData": {"pw": "hunter2-s3cret"}}
    client.review("/validate", review(pod, uid="log-1"))
    client.review("/validate", review(secret, uid="log-2"))
    client.review("/mutate", review(secret, uid="log-3"))
    text = running.log.getvalue()
    assert "hunter2" not in text and "aHVudGVy" not in text
    recs = {r["uid"]: r for r in running.log_lines() if r.get("uid", "").startswith("log-")}
    r1 = recs["log-1"]
    assert {k: r1[k] for k in ("event", "path", "status", "operation", "kind", "namespace", "name",
                               "user", "dryRun", "result")} == {
        "event": "review", "path": "/validate", "status": 200, "operation": "CREATE",
        "kind": "Pod", "namespace": "plain", "name": "payments", "user": "alice",
        "dryRun": False, "result": "denied"}
    assert r1["checks"]["enforce"] == ["PSS002"]
    assert r1["modes"] == {"enforce": "high", "warn": "medium", "audit": "low"}
    assert isinstance(r1["ms"], float) and isinstance(r1["ts"], float)
    assert recs["log-2"]["kind"] == "Secret" and recs["log-2"]["result"] == "allowed"
    assert recs["log-3"]["path"] == "/mutate"


def _peer(port: int, ctx: ssl.SSLContext) -> tuple[int, str]:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
            cert = x509.load_der_x509_certificate(t.getpeercert(True))
            return cert.serial_number, t.version()


def test_tls_versions(running, pki):
    serial, version = _peer(running.port, pki.client_context())
    assert version in ("TLSv1.2", "TLSv1.3")
    ctx12 = pki.client_context()
    ctx12.maximum_version = ssl.TLSVersion.TLSv1_2
    assert _peer(running.port, ctx12)[1] == "TLSv1.2"
    old = pki.client_context()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        old.maximum_version = ssl.TLSVersion.TLSv1_1
    try:
        old.set_ciphers("ALL:@SECLEVEL=0")
    except ssl.SSLError:
        pass
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        _peer(running.port, old)


def test_certificate_reload(pki, tmp_path):
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    first = pki.issue(cert, key)
    r = start_server(pki, tmp_path, cert_file=cert, key_file=key, reload_interval=0.05)
    try:
        ctx = pki.client_context()
        assert _peer(r.port, ctx)[0] == first
        # an open keep-alive connection survives the rotation
        r.client.review("/validate", review(workload("Pod", PRIVILEGED)))
        second = pki.issue(cert, key)
        wait_for(lambda: _peer(r.port, ctx)[0] == second, timeout=5,
                 what="the new certificate to be picked up")
        assert r.client.review("/validate", review(workload("Pod", PRIVILEGED)))["allowed"] is False
        # a half-written pair (a key that does not match) keeps the previous certificate
        key.write_bytes(b"-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n")
        wait_for(lambda: "certificate-reload-failed" in [x["event"] for x in r.log_lines()],
                 timeout=5, what="the broken pair to be tried and refused")
        assert _peer(r.port, ctx)[0] == second
        events = [x["event"] for x in r.log_lines()]
        assert events.count("certificate-reloaded") == 1
        assert "certificate-reload-failed" in events
        third = pki.issue(cert, key)
        wait_for(lambda: _peer(r.port, ctx)[0] == third, timeout=5, what="the third certificate")
        r.client.close()
        status, data, _ = r.client.request("GET", "/metrics")
        assert "kubeward_admission_certificate_reloads_total 2.0" in data.decode()
    finally:
        r.client.close()
        r.thread.stop()


def test_slow_body_times_out_and_shutdown_is_graceful(pki, tmp_path):
    r = start_server(pki, tmp_path, body_timeout=0.3, shutdown_delay=0.6)
    try:
        # a client that sends headers and then stalls gets 408
        ctx = pki.client_context()
        with socket.create_connection(("127.0.0.1", r.port), timeout=5) as s:
            with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                t.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                          b"\r\nContent-Length: 100\r\n\r\n{")
                data = t.recv(4096)
        assert data.startswith(b"HTTP/1.1 408"), data[:100]
        assert b"the body did not arrive within 0.3s" in data
        # SIGTERM-like stop: readyz fails at once, requests are still served
        # during the delay, then the port closes and the thread ends
        r.client.review("/validate", review(workload("Pod", PRIVILEGED)))
        stopper = threading.Thread(target=r.thread.stop)
        stopper.start()
        wait_for(lambda: r.client.request("GET", "/readyz")[:2] == (503, b"shutting down\n"),
                 timeout=5, what="/readyz to fail once stopping")
        assert r.client.review("/validate", review(workload("Pod", PRIVILEGED)))["allowed"] is False
        stopper.join(10)
        assert not r.thread._thread.is_alive()
        with pytest.raises(OSError):
            conn = http.client.HTTPSConnection("127.0.0.1", r.port, context=ctx, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse()
        events = [x["event"] for x in r.log_lines()]
        assert events[-1] == "stopped"
        assert events[events.index("shutting-down") + 1:-1] == ["review"]  # served in the delay
    finally:
        r.client.close()


def test_readyz_waits_for_the_namespace_view(pki, tmp_path):
    class Pending:
        source = "test"

        def __init__(self):
            self.ok = False

        def labels(self, name):
            return None

        def ready(self):
            return self.ok

    r = start_server(pki, tmp_path, namespaces=None)
    try:
        pending = Pending()
        r.server.namespaces = pending
        assert r.client.request("GET", "/readyz")[:2] == (503, b"namespace labels not synced yet\n")
        pending.ok = True
        assert r.client.request("GET", "/readyz")[0] == 200
    finally:
        r.client.close()
        r.thread.stop()


def test_readyz_with_several_workers_waits_for_every_worker(pki, tmp_path):
    """A probe reaches one worker process, reviews reach all: /readyz
    answers 200 only when every worker has marked itself ready in the
    shared flags (each keeps its own flag current)."""
    import ctypes
    import multiprocessing

    from kubeward.admission.policy import AdmissionPolicy
    from kubeward.admission.server import AdmissionServer, JsonLog, Metrics, ServerThread, \
        Settings
    from kubeward.admission.tls import CertStore
    from kwtest.admission import Client

    flags = multiprocessing.get_context("fork").Array(ctypes.c_byte, 2, lock=False)
    server = AdmissionServer(AdmissionPolicy(), CertStore(str(pki.cert_file), str(pki.key_file)),
                             Settings(shutdown_delay=0.0, shutdown_timeout=5.0),
                             log=JsonLog(enabled=False), metrics=Metrics(),
                             workers_ready=(flags, 0))
    thread = ServerThread(server).start()
    client = Client(thread.port, pki.client_context())
    try:
        wait_for(lambda: flags[0] == 1, timeout=5, what="this worker's flag")
        assert client.request("GET", "/readyz")[:2] == (
            503, b"1 other worker process(es) not ready yet\n")
        flags[1] = 1  # the other worker is ready
        assert client.request("GET", "/readyz")[:2] == (200, b"ok\n")
    finally:
        client.close()
        thread.stop()
    assert flags[0] == 0  # a worker that stops is no longer ready


@pytest.mark.parametrize("admission,error", [
    ({"enforce": "sometimes"}, "admission.enforce: unknown mode value 'sometimes' (expected a "
                               "framework, a severity or none)"),
    ({"mutate": ["PSS002"]}, None),  # unsafe fixes may be chosen explicitly
    ({"mutate": ["PSS003"]}, "admission.mutate: PSS003 has no automatic fix"),
    ({"mutate": ["ZZZ999"]}, "admission.mutate: unknown check id 'ZZZ999'"),
])
def test_startup_config_errors(admission, error):
    from kubeward.admission.policy import AdmissionPolicy
    from kubeward.config import Config
    from kubeward.engine import ScanOptions, UsageError

    if error is None:
        assert "PSS002" in AdmissionPolicy(ScanOptions(config=Config(admission=admission))).mutate_ids
        return
    with pytest.raises(UsageError) as exc:
        AdmissionPolicy(ScanOptions(config=Config(admission=admission)))
    assert str(exc.value) == error


def test_config_schema_rejects_unknown_admission_keys(tmp_path):
    from kubeward.config import ConfigError, load_config

    f = tmp_path / "c.yaml"
    f.write_text("admission:\n  enforce: high\n  enforse: low\n")
    with pytest.raises(ConfigError) as exc:
        load_config(str(f))
    assert exc.value.one_line() == (f"{f}:3: config error: admission: unknown key 'enforse' "
                                    "(did you mean 'enforce'?)")
    f.write_text("admission:\n  mutate: [safe, PSS017]\n  exemptUsers: [ci]\n")
    assert load_config(str(f)).admission == {"mutate": ["safe", "PSS017"], "exemptUsers": ["ci"]}


def test_tls_errors_at_startup(tmp_path, pki):
    from kubeward.admission import AdmissionSetupError
    from kubeward.admission.tls import CertStore

    with pytest.raises(AdmissionSetupError) as exc:
        CertStore(str(tmp_path / "missing.crt"), str(pki.key_file))
    assert "cannot load the TLS certificate" in str(exc.value)
    assert "No such file or directory" in str(exc.value)
    (tmp_path / "bad.crt").write_text("not a certificate")
    with pytest.raises(AdmissionSetupError):
        CertStore(str(tmp_path / "bad.crt"), str(pki.key_file))
    json.dumps({})  # keep json imported for the readers of this module


def test_checks_are_selected_once_not_per_request(monkeypatch):
    import kubeward.admission.policy as pol
    from kubeward.config import Config
    from kubeward.engine import ScanOptions

    policy = pol.AdmissionPolicy(ScanOptions(config=Config()))

    def boom(*a, **kw):
        raise AssertionError("select_checks called per request")

    monkeypatch.setattr(pol, "select_checks", boom)
    monkeypatch.setattr(pol, "registry", boom)
    for kind in ("Pod", "Deployment", "CronJob"):
        d = policy.validate(review(workload(kind, PRIVILEGED)))
        assert d.allowed is False
        assert policy.mutate(review(workload(kind, PRIVILEGED))).patched


def test_missing_extra_is_one_clear_line(monkeypatch, pki):
    import importlib.util

    from click.testing import CliRunner

    from kubeward.cli.main import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "aiohttp" else real(name, *a))
    res = CliRunner().invoke(cli, ["admission", "serve", "--tls-cert", str(pki.cert_file),
                                   "--tls-key", str(pki.key_file)])
    assert res.exit_code == 2
    assert res.stderr == ("kubeward: error: the admission webhook needs aiohttp: "
                          "pip install 'kubeward[admission]'\n")
