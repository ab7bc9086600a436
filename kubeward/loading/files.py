"""Files, directories and standard input to ``K8sObject``s.

Directories are walked recursively for ``*.yaml``, ``*.yml`` and ``*.json``
(hidden folders skipped); files named explicitly are read whatever their
extension; ``-`` reads standard input. A directory holding ``Chart.yaml`` or
``kustomization.yaml`` is handed to the renderer registered in
``RENDERERS`` (Helm, Kustomize) instead of being read file by file.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from kubeward.findings import LoadError
from kubeward.loading.yamldoc import Document, DocumentError, decode, parse_documents
from kubeward.model import K8sObject, Source
from kubeward.model.validate import blank_invalid, validate_object

EXTENSIONS = (".yaml", ".yml", ".json")
MAX_FILE_BYTES = 64 * 1024 * 1024

#: name of a marker file -> function(dir, options) -> LoadResult. Filled by
#: the Helm and Kustomize loaders (kubeward.loading.helm / .kustomize).
RENDERERS: dict[str, str] = {
    "Chart.yaml": "kubeward.loading.helm:load_chart",
    "kustomization.yaml": "kubeward.loading.kustomize:load_overlay",
    "kustomization.yml": "kubeward.loading.kustomize:load_overlay",
    "Kustomization": "kubeward.loading.kustomize:load_overlay",
}


@dataclass
class LoadResult:
    objects: list[K8sObject] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    skipped_documents: int = 0
    empty_documents: int = 0
    files: int = 0

    def extend(self, other: "LoadResult") -> None:
        self.objects.extend(other.objects)
        self.errors.extend(other.errors)
        self.skipped_documents += other.skipped_documents
        self.empty_documents += other.empty_documents
        self.files += other.files


def iter_files(paths: Iterable[str], errors: list[LoadError]) -> Iterator[str]:
    """Expand paths to files (and renderer directories, yielded as dirs)."""
    for p in paths:
        if p == "-":
            yield p
            continue
        if os.path.isdir(p):
            yield from _walk(p)
        elif os.path.isfile(p):
            yield p
        elif os.path.exists(p):
            errors.append(LoadError(p, "not a regular file or directory"))
        else:
            errors.append(LoadError(p, "no such file or directory"))


def _walk(root: str) -> Iterator[str]:
    marker = _renderer_marker(root)
    if marker:
        yield root
        return
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as e:
        yield f"\0{root}\0{e.strerror}"
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(entry.path)
        elif entry.is_file() and entry.name.endswith(EXTENSIONS):
            yield entry.path


def _renderer_marker(directory: str) -> str | None:
    for marker in RENDERERS:
        if os.path.isfile(os.path.join(directory, marker)):
            return marker
    return None


def display_path(path: str) -> str:
    """Paths as the user gave them, relative where possible."""
    if path == "-":
        return "<stdin>"
    return os.path.normpath(path)


def load_text(text: str, filename: str, result: LoadResult, is_json: bool = False) -> None:
    for item in parse_documents(text, is_json=is_json):
        if isinstance(item, DocumentError):
            result.errors.append(LoadError(filename, item.message, item.line, item.column))
            continue
        add_document(item, filename, result)


def add_document(doc: Document, filename: str, result: LoadResult) -> None:
    data = doc.data
    if data is None:
        result.empty_documents += 1
        return
    if not isinstance(data, dict):
        what = "a list" if isinstance(data, list) else "a scalar value"
        result.errors.append(LoadError(filename, f"document {doc.index + 1} is {what}, "
                                       "not a Kubernetes object (a mapping)", doc.line, 1))
        return
    if not data.get("apiVersion") or not data.get("kind"):
        result.skipped_documents += 1
        return
    kind = data.get("kind")
    if not isinstance(kind, str) or not isinstance(data.get("apiVersion"), str):
        pos = doc.positions.get(id(data), {})
        line = pos.get("kind", (doc.line, 1))[0]
        result.errors.append(LoadError(filename, "apiVersion and kind must be strings", line))
        return
    items = data.get("items")
    if kind.endswith("List") and "items" in data:
        if not isinstance(items, list):
            line = doc.positions.get(id(data), {}).get("items", (doc.line, 1))[0]
            result.errors.append(LoadError(filename, f"{kind}.items must be a list", line))
            return
        item_pos = doc.positions.get(id(items), [])
        for i, item in enumerate(items):
            line, col = item_pos[i] if i < len(item_pos) else (doc.line, 1)
            if not isinstance(item, dict):
                result.errors.append(LoadError(filename, f"{kind}.items[{i}] is not an object", line, col))
                continue
            if not item.get("apiVersion") or not item.get("kind"):
                result.skipped_documents += 1
                continue
            src = Source(filename, doc.index, doc.line, doc.positions, ("items", i), line, col)
            _add_object(item, src, result)
        return
    _add_object(data, Source(filename, doc.index, doc.line, doc.positions), result)


def _add_object(raw: dict, source: Source, result: LoadResult) -> None:
    obj = K8sObject(raw, source)
    problems = validate_object(obj)
    if problems:
        for path, message in problems:
            line, col, _ = obj.locate(path)
            result.errors.append(LoadError(source.file, f"{obj.kind} {obj.name or '?'}: {message}",
                                           line, col, kind="schema"))
        # The object is still checked, with the wrong-typed fields read as
        # unset; findings on those fields are dropped (engine.run_checks).
        blank_invalid(raw, [p for p, _ in problems])
        obj = K8sObject(raw, source)
        obj.invalid = tuple(p for p, _ in problems)
    result.objects.append(obj)


def load_file(path: str, result: LoadResult) -> None:
    name = display_path(path)
    result.files += 1
    try:
        if path == "-":
            raw = sys.stdin.buffer.read()
        else:
            size = os.path.getsize(path)
            if size > MAX_FILE_BYTES:
                result.errors.append(LoadError(name, f"file is larger than {MAX_FILE_BYTES >> 20} MiB"))
                return
            with open(path, "rb") as fh:
                raw = fh.read()
    except OSError as e:
        result.errors.append(LoadError(name, f"cannot read: {e.strerror or e}"))
        return
    try:
        text = decode(raw)
    except DocumentError as e:
        result.errors.append(LoadError(name, e.message, e.line, e.column))
        return
    load_text(text, name, result, is_json=path.endswith(".json"))


def load_paths(paths: Iterable[str], render_options: dict | None = None,
               on_file: Callable[[str], None] | None = None) -> LoadResult:
    result = LoadResult()
    for path in iter_files(paths, result.errors):
        if path.startswith("\0"):
            _, d, msg = path.split("\0")
            result.errors.append(LoadError(display_path(d), f"cannot read directory: {msg}"))
            continue
        if os.path.isdir(path):
            marker = _renderer_marker(path)
            module, _, func = RENDERERS[marker].partition(":")
            import importlib
            render = getattr(importlib.import_module(module), func)
            result.extend(render(path, render_options or {}))
        else:
            load_file(path, result)
        if on_file:
            on_file(path)
    return result


def _under(path: str, directory: str) -> bool:
    """Whether ``path`` is ``directory`` or inside it (real paths)."""
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def load_context(context: Iterable[str], scanned: Iterable[str],
                 render_options: dict | None = None) -> LoadResult:
    """The objects of ``context`` (files and directories, as ``load_paths``)
    except the files and rendered directories that ``scanned`` covers: a
    file being scanned, a file inside a chart or overlay being scanned, or
    a chart or overlay holding a file being scanned is left out, so no
    object is read twice."""
    scanned = list(scanned)
    ignored: list[LoadError] = []
    inputs = [os.path.realpath(p) for p in iter_files(scanned, ignored)
              if p != "-" and not p.startswith("\0")]
    files = set(inputs)
    dirs = [p for p in inputs if os.path.isdir(p)]
    keep = []
    for p in iter_files(context, ignored):
        if p == "-" or p.startswith("\0"):
            continue
        real = os.path.realpath(p)
        if real in files or any(_under(real, d) for d in dirs):
            continue
        if os.path.isdir(p) and any(_under(f, real) for f in files):
            continue
        keep.append(p)
    result = load_paths(keep, render_options)
    result.errors[:0] = [e for e in ignored if e.file not in scanned]
    return result
