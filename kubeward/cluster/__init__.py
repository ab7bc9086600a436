"""Live clusters: read what runs now with the same checks as ``scan``.

``client`` talks to the API server through the official ``kubernetes``
Python client (kubeconfig or in-cluster service account): discovery, paged
lists, watch streams, PolicyReport writes. ``convert`` turns live objects
into :class:`kubeward.model.K8sObject` (clean of server-owned fields, one
report per controller chain). ``audit`` runs a one-off audit, ``watch``
the continuous one (with ``metrics`` and ``reports``), ``manifests``
prints what runs kubeward in a cluster.

The ``kubernetes`` client is an optional dependency (``kubeward[cluster]``);
:func:`require_client` says so in one line when it is missing.
"""

from __future__ import annotations


class ClusterError(Exception):
    """The cluster cannot be used at all (no config, unreachable, refused
    credentials). One line, shown as ``kubeward: error: ...``, exit 2."""


def require_client():
    """Import and return the ``kubernetes`` package, or raise ClusterError."""
    try:
        import kubernetes  # noqa: F401
        import kubernetes.client  # noqa: F401
        import kubernetes.config  # noqa: F401
    except ImportError:
        raise ClusterError("auditing a cluster needs the Kubernetes client: "
                           "pip install 'kubeward[cluster]'") from None
    return kubernetes
