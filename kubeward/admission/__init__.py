"""The admission webhook: the same checks as ``kubeward scan``, enforced when
objects reach the API server.

* :mod:`.policy` turns one ``admission.k8s.io/v1`` AdmissionReview into a
  response (modes per namespace, exemptions, JSON Patch for ``/mutate``). It
  is plain Python with no server dependency; the check list is built once.
* :mod:`.namespaces` answers "which labels does namespace X have?" from a
  cluster watch, from Namespace manifests, or not at all (config defaults).
* :mod:`.tls` holds the TLS context and reloads the certificate when its
  files change.
* :mod:`.server` is the aiohttp HTTPS server (metrics, logs, limits,
  graceful shutdown, worker processes).
* :mod:`.manifests` prints what deploys the webhook in a cluster.

The server needs the ``admission`` extra (aiohttp, prometheus_client);
:func:`require_server_deps` says so in one line when it is missing.
"""

from __future__ import annotations


class AdmissionSetupError(Exception):
    """A start-up problem (bad option, unreadable certificate, missing
    dependency): one line, shown as ``kubeward: error: ...``, exit 2."""


def require_server_deps() -> None:
    # find_spec, not import: prometheus_client must be imported only after
    # its multiprocess directory is set (``--workers``)
    from importlib.util import find_spec

    missing = [m for m in ("aiohttp", "prometheus_client") if find_spec(m) is None]
    if missing:
        raise AdmissionSetupError(
            f"the admission webhook needs {' and '.join(missing)}: "
            "pip install 'kubeward[admission]'")
