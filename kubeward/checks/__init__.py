"""The check library. Each module below registers its checks on import;
``load_all`` imports them once. Add a module here to add a family."""

from __future__ import annotations

import importlib

CHECK_MODULES: tuple[str, ...] = (
    "kubeward.checks.meta",
    "kubeward.checks.pss",
    "kubeward.checks.container",
    "kubeward.checks.images",
    "kubeward.checks.mounts",
    "kubeward.checks.placement",
    "kubeward.checks.reliability",
    "kubeward.checks.resources",
    "kubeward.checks.secrets",
    "kubeward.checks.rbac",
    "kubeward.checks.rbac_noop",
    "kubeward.checks.network",
    "kubeward.checks.apiversions",
    "kubeward.checks.cross_network",
    "kubeward.checks.cross_rbac",
    "kubeward.checks.cross_rbac_admin",
    "kubeward.checks.references",
)

_loaded = False


def load_all() -> None:
    global _loaded
    if _loaded:
        return
    for name in CHECK_MODULES:
        importlib.import_module(name)
    _loaded = True
