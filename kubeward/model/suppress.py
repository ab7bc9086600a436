"""The suppression annotation: ``kubeward.io/ignore: "ID[,ID...]: reason"``.

It may sit on the object's metadata or on its pod template's metadata. A
reason is required: an annotation without one suppresses nothing and is
itself reported (check SUP001).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ANNOTATION = "kubeward.io/ignore"
_ID = re.compile(r"[A-Z]{2,6}\d{3}\Z")


@dataclass(frozen=True, slots=True)
class Suppression:
    ids: frozenset[str]
    reason: str
    path: tuple  # where the annotation is
    problem: str | None = None  # why it is invalid, if it is


def parse(value: object, path: tuple) -> Suppression:
    if not isinstance(value, str):
        return Suppression(frozenset(), "", path, "the annotation value must be a string")
    ids_part, sep, reason = value.partition(":")
    ids = frozenset(x.strip().upper() for x in ids_part.split(",") if x.strip())
    reason = reason.strip()
    if not ids:
        return Suppression(ids, reason, path, "no check id given")
    bad = sorted(i for i in ids if not _ID.match(i) and i != "*")
    if bad:
        return Suppression(ids, reason, path, f"not a check id: {', '.join(bad)}")
    if not sep or not reason:
        return Suppression(ids, reason, path, "a reason is required (\"ID: why this is acceptable\")")
    return Suppression(ids, reason, path)


def suppressions_of(obj) -> list[Suppression]:
    out = []
    value = obj.annotations.get(ANNOTATION)
    if value is not None:
        out.append(parse(value, ("metadata", "annotations", ANNOTATION)))
    pod = obj.pod
    if pod is not None and pod.metadata_path != ("metadata",):
        value = pod.annotations.get(ANNOTATION)
        if value is not None:
            out.append(parse(value, pod.annotations_path + (ANNOTATION,)))
    return out
