"""TLS for the webhook: TLS 1.2 or newer, and a certificate that can be
rotated without a restart.

The listening socket keeps one :class:`ssl.SSLContext` for its whole life,
so rotation works through its SNI callback, which OpenSSL runs for every
handshake (with or without a server name): it points the new connection at
the newest context. :meth:`CertStore.maybe_reload` (called every few
seconds by the server) compares the files' (mtime, size, inode) with the
last load and, when they changed, builds a fresh context with
``load_cert_chain``. Connections already open keep their certificate; new
ones get the new one. A pair that does not load (for example a certificate
written before its key) is logged and retried at the next poll, and the
previous certificate stays in use.
"""

from __future__ import annotations

import os
import ssl

from kubeward.admission import AdmissionSetupError


def _stat(path: str):
    st = os.stat(path)
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class CertStore:
    def __init__(self, cert_file: str, key_file: str):
        self.cert_file = cert_file
        self.key_file = key_file
        self.reloads = 0
        self.last_error: str | None = None
        try:
            self._stamp = (_stat(cert_file), _stat(key_file))
            self.current = self._new_context()
        except (OSError, ssl.SSLError) as e:
            raise AdmissionSetupError(f"cannot load the TLS certificate {cert_file} and key "
                                      f"{key_file}: {_reason(e)}") from None
        # the context the listening socket uses; it hands each handshake to
        # ``self.current``
        self.server_context = self._new_context()
        self.server_context.sni_callback = self._select

    def _new_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
        ctx.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20")  # TLS 1.2 suites; 1.3 uses its own
        ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx

    def _select(self, sslobj, server_name, ctx) -> None:
        cur = self.current
        if cur is not ctx:
            sslobj.context = cur
        return None

    def maybe_reload(self) -> bool:
        """Load the files again if they changed; True when a new certificate
        is in use. Never raises."""
        try:
            stamp = (_stat(self.cert_file), _stat(self.key_file))
        except OSError as e:
            self.last_error = f"cannot stat the certificate files: {_reason(e)}"
            return False
        if stamp == self._stamp:
            return False
        try:
            ctx = self._new_context()
        except (OSError, ssl.SSLError) as e:
            self.last_error = f"cannot load the new certificate: {_reason(e)}"
            return False  # keep the old one; retried at the next poll
        self.current = ctx
        self._stamp = stamp
        self.reloads += 1
        self.last_error = None
        return True


def _reason(e: Exception) -> str:
    if isinstance(e, OSError) and e.strerror:
        return f"{e.strerror}" + (f" ({e.filename})" if e.filename else "")
    return str(getattr(e, "reason", None) or e)
