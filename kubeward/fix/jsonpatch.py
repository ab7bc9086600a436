"""Edits as data changes and as RFC 6902 JSON Patch.

An :class:`~kubeward.findings.Edit` is one of

* ``set``    - set ``path`` to ``value``, creating missing parent mappings;
* ``remove`` - delete the key or list item at ``path`` (nothing if absent);
* ``append`` - append ``value`` to the list at ``path``, creating the list
  (and its parents); nothing if the list already holds ``value``.

Edits apply in order, each one seeing the result of the previous ones.
Every edit but the removal of a list item by index is idempotent: applying
it to data it was already applied to changes nothing and gives an empty
patch.

:func:`to_json_patch` turns edits into operations valid against ``raw``:
each missing parent mapping gets its own ``add`` of ``{}`` (in order from
the outside in), a parent that is present but ``null`` or not a mapping is
replaced by ``{}``, an existing value is ``replace``d, a missing one
``add``ed, an append to an existing list uses ``/-``. :func:`apply_edits`
gives the same result on plain data (the tests check one against the other
with the ``jsonpatch`` package).
"""

from __future__ import annotations

import copy
from typing import Any, Iterable

from kubeward.findings import Edit
from kubeward.paths import Path, format_path, json_pointer

_MISSING = object()


class EditError(ValueError):
    """An edit that cannot be applied (for example a list index past the end)."""


def _child(cur: Any, part: str | int) -> Any:
    if isinstance(part, int):
        if isinstance(cur, list) and 0 <= part < len(cur):
            return cur[part]
        return _MISSING
    if isinstance(cur, dict) and part in cur:
        return cur[part]
    return _MISSING


def _undo_set(cont: Any, key: Any, undo: list | None) -> None:
    """Record how to restore ``cont[key]`` before it is set."""
    if undo is None:
        return
    if isinstance(cont, dict) and key not in cont:
        undo.append(lambda: cont.pop(key, None))
    else:
        old = cont[key]
        undo.append(lambda: cont.__setitem__(key, old))


def _container(doc: dict, path: Path, ops: list[dict], undo: list | None = None) -> Any:
    """The parent container of ``path`` (a dict or list), creating missing
    mappings on the way and recording the operations that create them."""
    cur: Any = doc
    for i, part in enumerate(path[:-1]):
        nxt = _child(cur, part)
        want_list = isinstance(path[i + 1], int)
        if nxt is _MISSING or not isinstance(nxt, (list if want_list else dict)):
            if isinstance(part, int):
                if not (isinstance(cur, list) and 0 <= part < len(cur)):
                    raise EditError(f"cannot create list item {format_path(path[:i + 1])}")
            if want_list:
                # a missing list cannot be indexed into: nothing sensible to create
                raise EditError(f"{format_path(path[:i + 1])} is not a list")
            op = "add" if nxt is _MISSING else "replace"
            ops.append({"op": op, "path": json_pointer(path[:i + 1]), "value": {}})
            nxt = {}  # a fresh dict, not the one recorded in ops
            _undo_set(cur, part, undo)
            cur[part] = nxt
        cur = nxt
    return cur


def _apply_one(doc: dict, edit: Edit, ops: list[dict], undo: list | None = None) -> None:
    path = tuple(edit.path)
    if not path:
        raise EditError("an edit needs a non-empty path")
    if edit.op == "remove":
        cur: Any = doc
        for part in path[:-1]:
            cur = _child(cur, part)
            if cur is _MISSING:
                return
        if _child(cur, path[-1]) is _MISSING:
            return
        ops.append({"op": "remove", "path": json_pointer(path)})
        key = path[-1]
        if undo is not None:
            old = cur[key]
            undo.append((lambda: cur.insert(key, old)) if isinstance(cur, list)
                        else (lambda: cur.__setitem__(key, old)))
        del cur[key]
        return
    if edit.op not in ("set", "append"):
        raise EditError(f"unknown edit op {edit.op!r}")
    # look before creating parents, so an idempotent edit records nothing
    existing = _get(doc, path)
    if edit.op == "set" and existing is not _MISSING and existing == edit.value \
            and type(existing) is type(edit.value):
        return
    if edit.op == "append" and isinstance(existing, list) and edit.value in existing:
        return
    parent = _container(doc, path, ops, undo)
    key = path[-1]
    value = copy.deepcopy(edit.value)
    current = _child(parent, key)
    if isinstance(key, int) and current is _MISSING:
        raise EditError(f"list index {format_path(path)} does not exist")
    if edit.op == "set":
        ops.append({"op": "add" if current is _MISSING else "replace",
                    "path": json_pointer(path), "value": copy.deepcopy(value)})
        _undo_set(parent, key, undo)
        parent[key] = value
        return
    # append
    if isinstance(current, list):
        ops.append({"op": "add", "path": json_pointer(path) + "/-",
                    "value": copy.deepcopy(value)})
        if undo is not None:
            undo.append(current.pop)
        current.append(value)
    else:
        ops.append({"op": "add" if current is _MISSING else "replace",
                    "path": json_pointer(path), "value": [copy.deepcopy(value)]})
        _undo_set(parent, key, undo)
        parent[key] = [value]


def _get(doc: Any, path: Path) -> Any:
    cur = doc
    for part in path:
        cur = _child(cur, part)
        if cur is _MISSING:
            return _MISSING
    return cur


def _run(raw: dict, edits: Iterable[Edit]) -> tuple[dict, list[dict]]:
    doc = copy_json(raw)  # JSON-shaped data: no recursion on the nesting depth
    ops: list[dict] = []
    for edit in edits:
        _apply_one(doc, edit, ops)
    return doc, ops


def to_json_patch(raw: dict, edits: Iterable[Edit]) -> list[dict]:
    """RFC 6902 operations that turn ``raw`` into ``apply_edits(raw, edits)``.
    Empty when the edits are already applied. ``raw`` is not changed."""
    return _run(raw, edits)[1]


def apply_edits(raw: dict, edits: Iterable[Edit]) -> dict:
    """A copy of ``raw`` with ``edits`` applied (``raw`` is not changed)."""
    return _run(raw, edits)[0]


def copy_json(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, scalars) without
    recursion: nesting as deep as an admission request may bring cannot
    exhaust the stack. Anything else is copied with ``copy.deepcopy``."""
    if not isinstance(value, (dict, list)):
        return value if isinstance(value, (str, int, float, bool, type(None))) \
            else copy.deepcopy(value)
    root: Any = {} if isinstance(value, dict) else []
    stack = [(value, root)]
    while stack:
        src, dst = stack.pop()
        items = src.items() if isinstance(src, dict) else enumerate(src)
        for k, v in items:
            if isinstance(v, (dict, list)):
                nv: Any = {} if isinstance(v, dict) else []
                stack.append((v, nv))
            elif isinstance(v, (str, int, float, bool, type(None))):
                nv = v
            else:
                nv = copy.deepcopy(v)
            if isinstance(dst, dict):
                dst[k] = nv
            else:
                dst.append(nv)
    return root


class PatchBuilder:
    """Builds one JSON Patch from groups of edits, each group accepted whole
    or not at all: ``add(edits)`` applies the group to a working copy and
    keeps it, or, when one of its edits cannot be applied, undoes the group
    and returns False. One copy of the object and work proportional to the
    edits (not a replay of every earlier edit per group): linear in the
    number of findings. ``patch`` equals ``to_json_patch(raw, accepted)``."""

    def __init__(self, raw: dict):
        self.doc = copy_json(raw)
        self.patch: list[dict] = []
        self.edits: list[Edit] = []

    def add(self, edits: Iterable[Edit]) -> bool:
        edits = list(edits)
        undo: list = []
        mark = len(self.patch)
        try:
            for edit in edits:
                _apply_one(self.doc, edit, self.patch, undo)
        except EditError:
            for restore in reversed(undo):
                restore()
            del self.patch[mark:]
            return False
        self.edits.extend(edits)
        return True


def edits_needed(raw: dict, edits: Iterable[Edit]) -> list[Edit]:
    """The edits of ``edits`` that change something when applied in order."""
    doc = copy_json(raw)  # JSON-shaped data: no recursion on the nesting depth
    out = []
    for edit in edits:
        ops: list[dict] = []
        _apply_one(doc, edit, ops)
        if ops:
            out.append(edit)
    return out


__all__ = ["EditError", "PatchBuilder", "apply_edits", "edits_needed", "to_json_patch"]
