"""Fix files in place: scan, pick the fixes allowed by their safety label,
apply them per file with :func:`kubeward.fix.rewrite.fix_text`, write
atomically, and scan again.

Used by ``kubeward fix`` (:mod:`kubeward.cli.fix`); everything here runs
in-process so tests can call :func:`fix_paths` directly.
"""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from dataclasses import dataclass, field
from typing import Iterable

from kubeward.findings import Finding, FixSafety, LoadError


@dataclass
class FileFix:
    path: str  # the path on disk
    display: str  # as findings name it
    old_text: str = ""
    new_text: str = ""
    applied: list = field(default_factory=list)  # Finding
    failed: list = field(default_factory=list)  # (Finding, reason)
    skipped_unsafe: list = field(default_factory=list)  # Finding
    held: list = field(default_factory=list)  # (Finding, reason): the result would be invalid
    error: str | None = None  # the whole file was not touched
    written: bool = False
    bom: bool = False
    fingerprint: tuple | None = None  # (size, mtime_ns, sha256) of the bytes read

    @property
    def changed(self) -> bool:
        return self.error is None and self.new_text != self.old_text

    def diff(self) -> str:
        """Unified diff of the fix. Values of Secret ``data``/``stringData``
        are shown as ``<redacted>`` (a fix near them must not print them)."""
        a = _redact_secrets(self.old_text, self.path.endswith(".json"))
        b = _redact_secrets(self.new_text, self.path.endswith(".json"))
        out = []
        rel = not os.path.isabs(self.display)
        old, new = (f"a/{self.display}", f"b/{self.display}") if rel else (self.display,) * 2
        for line in difflib.unified_diff(a, b, old, new):
            out.append(line)
            if not line.endswith(("\n", "\r")):
                out.append("\n\\ No newline at end of file\n")
        return "".join(out)


def _redact_secrets(text: str, is_json: bool) -> list[str]:
    """Lines of ``text`` (with their ends) where every line holding a value of
    a Secret's ``data`` or ``stringData`` is replaced by ``key: <redacted>``."""
    import yaml

    from kubeward.fix.rewrite import FixError, compose_documents

    lines = text.splitlines(keepends=True)
    if "Secret" not in text:
        return lines
    try:
        roots = compose_documents(text, is_json)
    except FixError:
        return lines
    hidden: dict[int, str] = {}  # line -> what to show instead

    def secret_values(node):
        if not isinstance(node, yaml.MappingNode):
            return
        kv = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
        kind = kv.get("kind")
        if isinstance(kind, yaml.ScalarNode) and kind.value == "Secret":
            for field_name in ("data", "stringData"):
                m = kv.get(field_name)
                if not isinstance(m, yaml.MappingNode):
                    continue
                for k, v in m.value:
                    last = v.end_mark.line
                    if v.end_mark.column == 0 and last > k.start_mark.line:
                        last -= 1
                    for ln in range(k.start_mark.line, last + 1):
                        if ln >= len(lines):
                            break
                        indent = lines[ln][:len(lines[ln]) - len(lines[ln].lstrip())]
                        key = (f"{k.value}: " if ln == k.start_mark.line
                               and not m.flow_style else "")
                        hidden[ln] = f"{indent}{key}<redacted>"
        items = kv.get("items")
        if isinstance(items, yaml.SequenceNode):
            for item in items.value:
                secret_values(item)

    for root in roots:
        secret_values(root)
    out = []
    for i, line in enumerate(lines):
        if i in hidden:
            out.append(hidden[i] + line[len(line.rstrip("\r\n")):])
        else:
            out.append(line)
    return out


@dataclass
class FixRun:
    files: list = field(default_factory=list)  # FileFix, in path order
    suggestions: list = field(default_factory=list)  # display-only findings
    before: object = None  # the Report of the first scan
    after: object = None  # the Report of the scan after fixing
    claimed: dict = field(default_factory=dict)  # real path -> the display path that fixes it

    @property
    def applied(self) -> list:
        return [f for ff in self.files for f in ff.applied]

    @property
    def failed(self) -> list:
        return [x for ff in self.files for x in ff.failed]

    @property
    def skipped_unsafe(self) -> list:
        return [f for ff in self.files for f in ff.skipped_unsafe]

    @property
    def held(self) -> list:
        return [x for ff in self.files for x in ff.held]

    @property
    def write_errors(self) -> list:
        """Files that were not written, with the reason (one line each)."""
        return [ff for ff in self.files if ff.error]


def _obj_index(report) -> dict:
    return {(o.source.file, o.source.doc_index, o.kind, o.namespace, o.name): o
            for o in report.scanned}


def _prefixed(finding: Finding, index: dict) -> tuple:
    obj = index.get((finding.file, finding.doc_index, finding.object.kind,
                     finding.object.namespace, finding.object.name))
    prefix = tuple(obj.source.doc_path) if obj is not None else ()
    if not prefix:
        return tuple(finding.edits)
    from kubeward.findings import Edit
    return tuple(Edit(e.op, prefix + tuple(e.path), e.value) for e in finding.edits)


def plain_files(paths: Iterable[str]) -> tuple[dict, list[LoadError]]:
    """display path -> path on disk, for every file (not rendered dir) of ``paths``."""
    from kubeward.loading.files import display_path, iter_files

    errors: list[LoadError] = []
    out = {}
    for p in iter_files(paths, errors):
        if p.startswith("\0") or p == "-" or os.path.isdir(p):
            continue
        out[display_path(p)] = p
    return out, errors


def fingerprint(path: str, raw: bytes | None = None) -> tuple:
    """(size, mtime_ns, sha256) of the file at ``path`` (of ``raw`` when given,
    with the size and time of the file)."""
    import hashlib

    st = os.stat(path)
    if raw is None:
        with open(path, "rb") as fh:
            raw = fh.read()
    return (st.st_size, st.st_mtime_ns, hashlib.sha256(raw).hexdigest())


def read_text(path: str, stamp: list | None = None) -> tuple[str, bool]:
    """(text, has UTF-8 BOM); raises ValueError for text we cannot write back.
    With ``stamp`` (a list), the file's :func:`fingerprint` is appended to it."""
    from kubeward.loading.yamldoc import DocumentError, decode

    with open(path, "rb") as fh:
        before = os.fstat(fh.fileno())
        raw = fh.read()
    if stamp is not None:
        import hashlib
        stamp.append((before.st_size, before.st_mtime_ns, hashlib.sha256(raw).hexdigest()))
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValueError("UTF-16 files are not rewritten")
    try:
        return decode(raw), raw.startswith(b"\xef\xbb\xbf")
    except DocumentError as e:
        raise ValueError(e.message) from None


class WriteRefused(Exception):
    """A file that ``fix`` does not replace (one line: why)."""


def check_writable(path: str, roots: Iterable[str], *, force: bool = False) -> None:
    """Raise :class:`WriteRefused` for a file ``fix`` should not replace
    unless ``force``: read-only, with other hard links (replacing it would
    split them), or a symlink whose target lies outside ``roots`` (the real
    paths of the directories given, and of the folders of the files given)."""
    if force:
        return
    target = os.path.realpath(path)
    st = os.stat(target)
    if not st.st_mode & 0o222:
        raise WriteRefused("read-only file; not written (--force-write replaces it)")
    if st.st_nlink > 1:
        raise WriteRefused(f"has {st.st_nlink} hard links and replacing it would split them; "
                           "not written (--force-write replaces this link only)")
    if os.path.islink(path) or target != os.path.abspath(path):
        if not any(target == r or target.startswith(r.rstrip(os.sep) + os.sep) for r in roots):
            raise WriteRefused("a symlink to a file outside the scanned paths; not written "
                               "(--force-write writes through it)")


def tree_roots(paths: Iterable[str]) -> list[str]:
    """Real paths under which ``fix`` may write: each directory given, and the
    folder of each file given."""
    out = []
    for p in paths:
        if p == "-":
            continue
        d = p if os.path.isdir(p) else (os.path.dirname(os.path.abspath(p)) or ".")
        out.append(os.path.realpath(d))
    return out


def write_atomic(path: str, text: str, bom: bool = False, expect: tuple | None = None) -> None:
    """Write via a temporary file in the same directory and ``os.replace``,
    keeping the file mode (symlinks are followed, not replaced). With
    ``expect`` (a :func:`fingerprint`), raise :class:`WriteRefused` when the
    file no longer matches it (changed since it was read)."""
    target = os.path.realpath(path)
    if expect is not None:
        try:
            now = fingerprint(target)
        except OSError as e:
            raise WriteRefused(f"changed on disk since it was read ({e.strerror or e}); "
                               "not written") from None
        if now != expect:
            raise WriteRefused("changed on disk since it was read; not written "
                               "(run kubeward fix again)")
    mode = stat.S_IMODE(os.stat(target).st_mode)
    directory = os.path.dirname(target) or "."
    fd, tmp = tempfile.mkstemp(prefix=".kubeward-fix-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


MAX_ROUNDS = 4
NOT_PLAIN = ("not a plain file (rendered from a chart, kustomization or standard input); "
             "fix the source")


def fix_paths(paths: Iterable[str], options=None, *, unsafe: bool = False,
              write: bool = True, force_write: bool = False, progress=None) -> FixRun:
    """Scan ``paths``, apply the allowed fixes, write the changed files
    (unless ``write`` is False) and scan again.

    Fixing can make another fix possible (a container that is no longer
    privileged can get ``allowPrivilegeEscalation: false``), so the fixed
    texts are scanned again in memory and fixed again, up to ``MAX_ROUNDS``
    rounds, until a round changes nothing. Files are written once, at the
    end, each only if it still holds what was read (size, modification
    time and hash) and is not read-only, hard-linked or a symlink out of
    the given paths (``force_write`` allows those three); ``run.after`` is
    the scan of the final texts.

    ``progress(done, total, what, phase)`` is called as files are scanned
    (total 0: not known), fixed and written (for a progress bar). An error in one file or one edit is
    reported for it; every other file is still fixed."""
    from kubeward.engine import ScanOptions, scan

    paths = list(paths)
    options = options or ScanOptions()
    if options.jobs != 1:
        options = ScanOptions(**{**options.__dict__, "jobs": 1})
    run = FixRun()
    on_file = None
    if progress is not None:
        seen = [0]

        def on_file(path: str) -> None:
            seen[0] += 1
            progress(seen[0], 0, path, "scanning")
    report = scan(paths, options, on_file=on_file)
    run.before = report
    files, _ = plain_files(paths)
    bad_files = {e.file for e in report.errors if e.kind != "schema"}
    per_file: dict[str, FileFix] = {}
    texts: dict[str, str] = {}  # display path -> current (fixed) text
    for n_round in range(MAX_ROUNDS):
        if not _fix_round(report, files, bad_files, per_file, texts, run, unsafe, options,
                          progress if n_round == 0 else None):
            break
        report = rescan_texts(paths, options, texts)
    run.after = report
    run.files = [per_file[k] for k in sorted(per_file)]
    roots = tree_roots(paths)
    to_write = [ff for ff in run.files if ff.changed] if write else []
    not_written = False
    for i, ff in enumerate(to_write):
        if progress is not None:
            progress(i, len(to_write), ff.display, "writing")
        try:
            check_writable(ff.path, roots, force=force_write)
            write_atomic(ff.path, ff.new_text, ff.bom, expect=ff.fingerprint)
            ff.written = True
        except (OSError, WriteRefused) as e:
            msg = str(e) if isinstance(e, WriteRefused) else f"cannot write: {e.strerror or e}"
            ff.error = msg
            ff.failed += [(f, msg) for f in ff.applied]
            ff.applied = []
            not_written = True
    same_file = any(r.startswith("the same file as ") for _f, r in run.failed)
    if not_written or (write and same_file):
        run.after = scan(paths, options)
    _drop_noops(run)
    return run


def _fix_round(report, files: dict, bad_files: set, per_file: dict, texts: dict, run: FixRun,
               unsafe: bool, options=None, progress=None) -> bool:
    """One round of fixes over ``report``; returns whether any text changed.
    Failures, skipped unsafe fixes, held-back fixes and suggestions are
    those of the latest round (what still stands); applied fixes
    accumulate."""
    index = _obj_index(report)
    allowed = {FixSafety.SAFE} | ({FixSafety.UNSAFE} if unsafe else set())
    for ff in per_file.values():
        ff.failed, ff.skipped_unsafe, ff.held = [], [], []
    run.suggestions = []
    groups: dict[str, list] = {}
    for f in report.findings:
        if f.fix_safety == FixSafety.DISPLAY:
            run.suggestions.append(f)
            continue
        if not f.edits or f.fix_safety is None:
            continue
        ff = per_file.get(f.file)
        if ff is None:
            ff = per_file[f.file] = FileFix(files.get(f.file, f.file), f.file)
        if f.fix_safety not in allowed:
            ff.skipped_unsafe.append(f)
            continue
        if f.file not in files:
            ff.failed.append((f, NOT_PLAIN))
            continue
        if f.file in bad_files:
            ff.failed.append((f, "the file has load errors (listed with the report); fix those "
                                 "first"))
            continue
        obj = index.get((f.file, f.doc_index, f.object.kind, f.object.namespace, f.object.name))
        if obj is not None and obj.invalid:
            ff.failed.append((f, "the object has wrong-typed fields (see its errors); fix those first"))
            continue
        if ff.error:
            ff.failed.append((f, ff.error))
            continue
        groups.setdefault(f.file, []).append((f, f.doc_index, _prefixed(f, index)))
    version = options.version if options is not None else None
    changed = False
    for n, (display, group) in enumerate(sorted(groups.items())):
        if progress is not None:
            progress(n, len(groups), display, "fixing")
        ff = per_file[display]
        owner = run.claimed.setdefault(os.path.realpath(ff.path), display)
        if owner != display:  # two paths (a symlink and its target) to one file
            ff.failed += [(g[0], f"the same file as {owner} (fixed there)") for g in group]
            continue
        try:
            group = _hold_back(group, ff, index, version)
            if group and _fix_file(display, ff, group, texts):
                changed = True
        except Exception as e:  # noqa: BLE001 - one file must never abort the run
            ff.error = (f"internal error ({type(e).__name__} in kubeward fix); the file is "
                        "left as it was")
            ff.failed += [(g[0], ff.error) for g in group]
            ff.new_text = ff.old_text
            texts.pop(display, None)
    return changed


def _hold_back(group: list, ff: FileFix, index: dict, version) -> list:
    """The groups of ``group`` whose results stay valid
    (:mod:`kubeward.fix.validity`); the others go to ``ff.held``. Unsafe fixes
    that were not applied are offered as helpers, so the reason names the
    one that would make a held-back fix valid."""
    from kubeward.fix.validity import select_valid

    by_obj: dict[tuple, list] = {}
    for g in group:
        f = g[0]
        by_obj.setdefault((f.file, f.doc_index, f.object.kind, f.object.namespace,
                           f.object.name), []).append(g)
    unapplied: dict[tuple, list] = {}
    for f in ff.skipped_unsafe:
        unapplied.setdefault((f.file, f.doc_index, f.object.kind, f.object.namespace,
                              f.object.name), []).append(f)
    keep: set[int] = set()
    for key, items in by_obj.items():
        obj = index.get(key)
        if obj is None:
            keep.update(id(g[0]) for g in items)
            continue
        helpers = [(f, f.edits, f"{f.check_id}'s unsafe fix (--unsafe-fixes)")
                   for f in unapplied.get(key, ())]
        sel = select_valid(obj.raw, [(g[0], g[0].edits) for g in items], version=version,
                           helpers=helpers)
        keep.update(id(k) for k in sel.accepted)
        ff.held += sel.held
    return [g for g in group if id(g[0]) in keep]


def _fix_file(display: str, ff: FileFix, group: list, texts: dict) -> bool:
    """Apply ``group`` to the file's current text; whether the text changed."""
    from kubeward.fix.rewrite import fix_text

    if display not in texts and ff.fingerprint is None:
        try:
            stamp: list = []
            ff.old_text, ff.bom = read_text(ff.path, stamp)
            ff.fingerprint = stamp[0]
        except (OSError, ValueError) as e:
            msg = getattr(e, "strerror", None) or str(e)
            ff.error = f"cannot read: {msg}"
            ff.failed += [(g[0], ff.error) for g in group]
            return False
        ff.new_text = ff.old_text
    outcome = fix_text(ff.new_text, group, is_json=ff.path.endswith(".json"))
    failed = {id(k): reason for k, reason in outcome.failed}
    for finding, _doc, _edits in group:
        if id(finding) in failed:
            ff.failed.append((finding, failed[id(finding)]))
        else:  # checked against the final scan by _drop_noops
            ff.applied.append(finding)
    if outcome.text != ff.new_text:
        ff.new_text = outcome.text
        texts[display] = outcome.text
        return True
    return False


def _drop_noops(run: FixRun) -> None:
    """A fix counts as applied only when the finding is gone afterwards."""
    remaining = {(f.check_id, f.file, f.doc_index, f.object.kind, f.object.namespace,
                  f.object.name, f.path) for f in run.after.findings}
    for ff in run.files:
        keep = []
        for f in ff.applied:
            key = (f.check_id, f.file, f.doc_index, f.object.kind, f.object.namespace,
                   f.object.name, f.path)
            if key in remaining:
                ff.failed.append((f, "the fix did not resolve the finding"))
            else:
                keep.append(f)
        ff.applied = keep


def rescan_texts(paths: list[str], options, texts: dict[str, str]):
    """Scan ``paths`` as if the files named in ``texts`` (display path ->
    text) held that text."""
    from kubeward.engine import Report, scan_objects
    from kubeward.loading.files import (LoadResult, display_path, iter_files, load_file,
                                        load_paths, load_text)

    loaded = LoadResult()
    for p in iter_files(paths, loaded.errors):
        if p.startswith("\0") or os.path.isdir(p) or p == "-":
            loaded.extend(load_paths([p[1:].split("\0")[0] if p.startswith("\0") else p],
                                     options.render_options))
            continue
        d = display_path(p)
        if d in texts:
            loaded.files += 1
            load_text(texts[d], d, loaded, is_json=p.endswith(".json"))
        else:
            load_file(p, loaded)
    report = Report(errors=loaded.errors, files=loaded.files,
                    skipped_documents=loaded.skipped_documents,
                    empty_documents=loaded.empty_documents)
    return scan_objects(loaded.objects, options, report)


__all__ = ["FileFix", "FixRun", "WriteRefused", "check_writable", "fingerprint", "fix_paths",
           "read_text", "rescan_texts", "tree_roots", "write_atomic"]
