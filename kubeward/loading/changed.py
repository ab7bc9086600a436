"""``--changed-since REF``: keep only the inputs that changed since a git ref.

Changed files are ``git diff --name-only REF`` (committed, staged and
unstaged changes against the working tree) plus untracked files that are
not ignored (``git ls-files --others --exclude-standard``). A Helm chart or
Kustomize directory is kept whole when any file inside it changed; for
Kustomize, also when a file changed in a local base, component or resource
directory it refers to (followed recursively).
"""

from __future__ import annotations

import os
import subprocess
from typing import Iterable

from kubeward.findings import LoadError


class ChangedSinceError(Exception):
    """Not a git work tree, unknown ref, or git missing (one-line message)."""


def _git(args: list[str], cwd: str) -> str:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                              timeout=120)
    except FileNotFoundError:
        raise ChangedSinceError("--changed-since needs git, which is not on PATH") from None
    except subprocess.TimeoutExpired:
        raise ChangedSinceError(f"git {' '.join(args)} timed out") from None
    if proc.returncode != 0:
        first = next((ln.strip() for ln in proc.stderr.splitlines() if ln.strip()),
                     f"git exited with status {proc.returncode}")
        raise ChangedSinceError(first)
    return proc.stdout


def changed_files(ref: str, cwd: str = ".") -> set[str]:
    """Absolute paths of files changed since ``ref`` (existing ones only)."""
    try:
        top = _git(["rev-parse", "--show-toplevel"], cwd).strip()
    except ChangedSinceError as e:
        if "not a git repository" in str(e).lower():
            raise ChangedSinceError(f"--changed-since {ref}: {os.path.abspath(cwd)} is not inside "
                                    "a git repository") from None
        raise
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top)
    except ChangedSinceError:
        raise ChangedSinceError(f"--changed-since {ref}: unknown git revision") from None
    names = _git(["diff", "--name-only", "--no-renames", "-z", ref, "--"], top).split("\0")
    names += _git(["ls-files", "--others", "--exclude-standard", "-z"], top).split("\0")
    out = set()
    for n in names:
        if n:
            p = os.path.realpath(os.path.join(top, n))
            if os.path.isfile(p):
                out.add(p)
    return out


def _kustomize_dirs(directory: str, seen: set[str]) -> None:
    """``directory`` and every local directory its kustomization refers to."""
    directory = os.path.realpath(directory)
    if directory in seen:
        return
    seen.add(directory)
    from kubeward.loading.kustomize import kustomization_file

    kfile = kustomization_file(directory)
    if kfile is None:
        return
    try:
        import yaml
        with open(kfile, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except (OSError, ValueError, UnicodeDecodeError, Exception):  # noqa: BLE001 - best effort
        return
    if not isinstance(data, dict):
        return
    for key in ("resources", "bases", "components"):
        for entry in data.get(key) or ():
            if not isinstance(entry, str) or "://" in entry or entry.startswith("git@"):
                continue
            target = os.path.join(directory, entry)
            if os.path.isdir(target):
                _kustomize_dirs(target, seen)


def filter_changed(paths: Iterable[str], changed: set[str], errors: list[LoadError],
                   chart_inputs: Iterable[str] = ()) -> list[str]:
    """The files and renderer directories of ``paths`` touched by ``changed``.
    ``chart_inputs`` (the ``--values`` files): when one of them changed,
    every Helm chart is kept."""
    from kubeward.loading.files import _renderer_marker, _under, iter_files

    charts_changed = any(os.path.realpath(p) in changed for p in chart_inputs)
    keep = []
    for p in iter_files(paths, errors):
        if p == "-":
            keep.append(p)
            continue
        if p.startswith("\0"):
            _, d, msg = p.split("\0")
            errors.append(LoadError(os.path.normpath(d), f"cannot read directory: {msg}"))
            continue
        real = os.path.realpath(p)
        if os.path.isdir(p):
            dirs = {real}
            if _renderer_marker(p) == "Chart.yaml":
                if charts_changed:
                    keep.append(p)
                    continue
            else:
                _kustomize_dirs(p, dirs_seen := set())
                dirs = dirs_seen or dirs
            if any(_under(c, d) for c in changed for d in dirs):
                keep.append(p)
        elif real in changed:
            keep.append(p)
    return keep
