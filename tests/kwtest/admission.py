"""Helpers of the admission webhook tests: a throw-away PKI (the
``cryptography`` package), a server on 127.0.0.1 in a background thread, and
an HTTPS client that verifies the server against the test CA. The fixtures
that use them are in tests/admission/conftest.py."""

from __future__ import annotations

import datetime as dt
import http.client
import io
import ipaddress
import json
import ssl
import textwrap
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


class PKI:
    """A CA and server certificates for 127.0.0.1 / localhost."""

    def __init__(self, root: Path):
        self.root = root
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubeward test CA")])
        now = dt.datetime.now(dt.timezone.utc)
        self.ca_cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                        .public_key(self.ca_key.public_key())
                        .serial_number(x509.random_serial_number())
                        .not_valid_before(now - dt.timedelta(minutes=5))
                        .not_valid_after(now + dt.timedelta(days=2))
                        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                        .sign(self.ca_key, hashes.SHA256()))
        self.ca_file = root / "ca.pem"
        self.ca_file.write_bytes(self.ca_cert.public_bytes(serialization.Encoding.PEM))
        self.cert_file = root / "tls.crt"
        self.key_file = root / "tls.key"
        self.serial = self.issue()

    def issue(self, cert_file: Path | None = None, key_file: Path | None = None,
              cn: str = "kubeward-admission") -> int:
        """Write a fresh key and certificate; return the certificate's serial."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.timezone.utc)
        serial = x509.random_serial_number()
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
                .issuer_name(self.ca_cert.subject)
                .public_key(key.public_key())
                .serial_number(serial)
                .not_valid_before(now - dt.timedelta(minutes=5))
                .not_valid_after(now + dt.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
                .sign(self.ca_key, hashes.SHA256()))
        (key_file or self.key_file).write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        (cert_file or self.cert_file).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return serial

    def client_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.ca_file))
        return ctx


NAMESPACES = """\
apiVersion: v1
kind: Namespace
metadata:
  name: team-restricted
  labels:
    kubeward.io/enforce: pss-restricted
---
apiVersion: v1
kind: Namespace
metadata:
  name: team-warn
  labels:
    kubeward.io/enforce: none
    kubeward.io/warn: baseline
    kubeward.io/audit: none
---
apiVersion: v1
kind: Namespace
metadata:
  name: team-audit
  labels:
    kubeward.io/enforce: none
    kubeward.io/warn: none
    kubeward.io/audit: critical
---
apiVersion: v1
kind: Namespace
metadata:
  name: team-bogus
  labels:
    kubeward.io/enforce: sometimes
---
apiVersion: v1
kind: Namespace
metadata:
  name: plain
"""

# The severity modes cover the PSS checks only, so that checks added later
# elsewhere do not change the exact answers these tests expect.
CONFIG = """\
version: 1
frameworks: [pss-baseline, pss-restricted]
admission:
  enforce: high
  warn: medium
  audit: low
  exemptNamespaces: [kube-system, "legacy-*"]
  exemptUsers: ["system:serviceaccount:ci:deployer"]
  exemptGroups: [break-glass]
  mutate: [PSS014, PSS017, PSS018]
"""


class Client:
    """HTTPS requests to the test server, keep-alive, CA-verified."""

    def __init__(self, port: int, ctx: ssl.SSLContext):
        self.port = port
        self.ctx = ctx
        self.conn: http.client.HTTPSConnection | None = None

    def _connection(self) -> http.client.HTTPSConnection:
        if self.conn is None:
            self.conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx,
                                                    timeout=10)
        return self.conn

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, bytes, dict]:
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=headers or {})
                resp = conn.getresponse()
                data = resp.read()
                hdrs = {k.lower(): v for k, v in resp.getheaders()}
                if hdrs.get("connection", "").lower() == "close":
                    self.close()
                return resp.status, data, hdrs
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def post(self, path: str, body, content_type: str = "application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.request("POST", path, data, {"Content-Type": content_type})

    def review(self, path: str, review: dict) -> dict:
        status, data, _ = self.post(path, review)
        assert status == 200, (status, data)
        out = json.loads(data)
        assert out["apiVersion"] == "admission.k8s.io/v1" and out["kind"] == "AdmissionReview"
        return out["response"]

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Running:
    def __init__(self, thread, client: Client, log: io.StringIO, policy):
        self.thread = thread
        self.client = client
        self.log = log
        self.policy = policy
        self.server = thread.server

    @property
    def port(self) -> int:
        return self.thread.port

    def log_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.log.getvalue().splitlines() if line.strip()]


def start_server(pki: PKI, tmp: Path, *, config: str = CONFIG, namespaces: str | None = NAMESPACES,
                 cert_file=None, key_file=None, **settings) -> Running:
    from kubeward.admission.namespaces import StaticNamespaces
    from kubeward.admission.policy import AdmissionPolicy
    from kubeward.admission.server import AdmissionServer, JsonLog, Metrics, ServerThread, \
        Settings
    from kubeward.admission.tls import CertStore
    from kubeward.checks.base import registry
    from kubeward.config import load_config
    from kubeward.engine import ScanOptions

    cfg_file = tmp / "kubeward.yaml"
    cfg_file.write_text(textwrap.dedent(config))
    cfg = load_config(str(cfg_file), known_ids=set(registry()))
    ns = None
    if namespaces:
        ns_file = tmp / "namespaces.yaml"
        ns_file.write_text(namespaces)
        ns = StaticNamespaces.from_files([str(ns_file)])
    policy = AdmissionPolicy(ScanOptions(config=cfg), namespaces=ns, own_namespace="kubeward")
    log = io.StringIO()
    s = Settings(**{"shutdown_delay": 0.0, "shutdown_timeout": 5.0, **settings})
    server = AdmissionServer(policy, CertStore(str(cert_file or pki.cert_file),
                                               str(key_file or pki.key_file)),
                             s, namespaces=ns, log=JsonLog(log), metrics=Metrics())
    thread = ServerThread(server).start()
    return Running(thread, Client(thread.port, pki.client_context()), log, policy)
