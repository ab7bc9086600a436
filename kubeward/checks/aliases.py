"""Retired check ids and the check that now reports their problem.

One problem gives one finding. Where two checks described the same problem
(a hardening check and its Pod Security Standards twin, the per-class
hostPath checks, the per-wildcard RBAC checks), one check survives and
carries every framework reference of both; the retired id is an alias of
it. An alias is accepted wherever a check id is: ``--check``,
``--skip-check``, the config (``enable``, ``disable``, ``severity``,
``options``, exemptions, overrides) and suppression annotations
(``kubeward.io/ignore: "CTR010: ..."`` suppresses PSS017's finding).
``kubeward explain OLD`` names the surviving check; docs/checks.md lists
the table (generated from here). (Baseline fingerprints
hold the check id and field path, so a baseline written before the merge
must be written again.)
"""

from __future__ import annotations

from typing import Iterable

#: retired id -> surviving check id
ALIASES: dict[str, str] = {
    "CTR002": "PSS018",  # capabilities not dropped
    "CTR003": "PSS016",  # runs as UID 0
    "CTR004": "PSS015",  # may run as root
    "CTR010": "PSS017",  # no seccomp profile
    "CTR013": "PSS014",  # privilege escalation allowed
    "CTR014": "PSS003",  # dangerous capability added
    "NET004": "PSS005",  # host port
    "MNT001": "PSS004",  # hostPath: container runtime socket
    "MNT002": "PSS004",  # hostPath: host root filesystem
    "MNT003": "PSS004",  # hostPath: sensitive host directory
    "MNT004": "PSS004",  # hostPath: host credentials
    "RBAC002": "RBAC001",  # wildcard resource: one finding per wildcard rule
    "RBAC003": "RBAC001",  # wildcard API group
    "REL008": "REF004",  # PDB allows no disruption: REF004 reports the same and more
    "XNET002": "XNET001",  # not isolated for egress: one finding names both directions
}


def canonical(check_id: str) -> str:
    """The id of the check that reports ``check_id``'s problem (itself
    unless it is a retired alias)."""
    return ALIASES.get(check_id, check_id)


def canonical_ids(ids: Iterable[str]) -> frozenset[str]:
    return frozenset(ALIASES.get(i, i) for i in ids)


def aliases_of(check_id: str) -> tuple[str, ...]:
    """The retired ids that now mean ``check_id``."""
    return tuple(sorted(old for old, new in ALIASES.items() if new == check_id))
