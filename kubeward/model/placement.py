"""Where objects land when applied: the namespace of objects that do not
name one, and objects defined more than once.

``kubectl apply -n NS -f FILE`` puts every namespaced object without
``metadata.namespace`` into NS and leaves cluster-scoped ones alone;
``helm install -n NS`` does the same with the release namespace; Kustomize's
``namespace:`` sets it in the build output. :func:`place_in_namespace` does
it for kubeward's objects (``obj.namespace``; the manifest text is not
changed), :func:`unplaced` counts the objects left without one.
"""

from __future__ import annotations

from typing import Iterable

from kubeward.model.apiresources import is_namespaced_kind
from kubeward.model.objects import K8sObject


def crd_scopes(objects: Iterable[K8sObject]) -> dict[tuple[str, str], str]:
    """(group, kind) -> "Namespaced"/"Cluster" of the CustomResourceDefinitions
    in ``objects``."""
    out: dict[tuple[str, str], str] = {}
    for o in objects:
        if o.kind != "CustomResourceDefinition":
            continue
        spec = o.raw.get("spec")
        if not isinstance(spec, dict):
            continue
        names = spec.get("names")
        kind = names.get("kind") if isinstance(names, dict) else None
        if isinstance(kind, str) and isinstance(spec.get("group"), str):
            out[(spec["group"], kind)] = str(spec.get("scope") or "Namespaced")
    return out


def namespaced(obj: K8sObject, scopes: dict | None = None) -> bool:
    return is_namespaced_kind(obj.kind, obj.group, scopes)


def place_in_namespace(objects: list[K8sObject], namespace: str,
                       scopes: dict | None = None) -> int:
    """Put every namespaced object without a namespace into ``namespace``;
    the number of objects placed."""
    if scopes is None:
        scopes = crd_scopes(objects)
    n = 0
    for o in objects:
        if o.namespace is None and namespaced(o, scopes):
            o.namespace = namespace
            n += 1
    return n


def unplaced(objects: list[K8sObject], scopes: dict | None = None) -> int:
    """How many namespaced objects have no namespace."""
    if scopes is None:
        scopes = crd_scopes(objects)
    return sum(1 for o in objects if o.namespace is None and namespaced(o, scopes))


def unplaced_note(n: int, option: str = "--namespace NS") -> str:
    """The note for ``n`` namespaced objects left without a namespace."""
    return (f"{n} namespaced object{'s have' if n != 1 else ' has'} no metadata.namespace and "
            f"{'were' if n != 1 else 'was'} not tied to any namespace (`kubectl apply` would "
            f"put {'them' if n != 1 else 'it'} in the namespace of the current context; "
            f"kubeward's cross-resource analysis uses \"default\"); give {option} to place "
            f"{'them' if n != 1 else 'it'} as `kubectl apply -n NS` does")


def identity(obj: K8sObject, scopes: dict | None = None) -> tuple:
    """What makes two manifests the same API object: API group, kind,
    namespace (namespaced kinds only) and name."""
    ns = obj.namespace if namespaced(obj, scopes) else None
    return (obj.group, obj.kind, ns, obj.name)


def describe_identity(ident: tuple) -> str:
    group, kind, ns, name = ident
    what = f"{kind}.{group}" if group else kind
    return f"{what} {ns}/{name}" if ns else f"{what} {name}"


def duplicates(entries: Iterable[tuple[tuple, str, int, bool]]) -> list[str]:
    """One note per object defined in more than one file, one of them
    scanned. ``entries`` are (identity, file, line, scanned) of every object
    (scanned: False for objects read only as context)."""
    where: dict[tuple, dict[str, int]] = {}
    in_scan: set[tuple] = set()
    for ident, file, line, scanned in entries:
        if not ident[3]:
            continue  # generateName only: a new object each time
        where.setdefault(ident, {}).setdefault(file, line)
        if scanned:
            in_scan.add(ident)
    # one note per set of files, so a folder of alternative installs is a
    # handful of notes rather than one per object
    groups: dict[tuple[str, ...], list[tuple]] = {}
    for ident, files in where.items():
        if len(files) > 1 and ident in in_scan:
            groups.setdefault(tuple(files), []).append(ident)
    notes = []
    tail = ("to the API server they are one object, and the copy applied last wins; each "
            "copy is checked, and cross-resource checks see every copy (the role a binding "
            "names: the copy read last)")
    for files, idents in groups.items():
        if len(idents) == 1:
            ident = idents[0]
            places = ", ".join(f"{f}:{ln}" for f, ln in where[ident].items())
            notes.append(f"{describe_identity(ident)} is defined in {len(files)} files "
                         f"({places}): {tail}")
            continue
        shown = ", ".join(describe_identity(i) for i in idents[:_SHOWN])
        more = f" and {len(idents) - _SHOWN} more" if len(idents) > _SHOWN else ""
        notes.append(f"{len(idents)} objects are each defined in the {len(files)} files "
                     f"{', '.join(files)} ({shown}{more}): "
                     + tail.replace("they are one object", "each is one object"))
    return notes


_SHOWN = 5


def identities(objects: list[K8sObject], scanned: bool = True
               ) -> list[tuple[tuple, str, int, bool]]:
    """(identity, file, line, scanned) of each object, for :func:`duplicates`."""
    scopes = crd_scopes(objects)
    return [(identity(o, scopes), o.source.file, o.source.line or o.source.doc_line, scanned)
            for o in objects]


__all__ = ["crd_scopes", "namespaced", "place_in_namespace", "unplaced", "unplaced_note", "identity",
           "duplicates", "identities", "describe_identity"]
