"""The engine: selects checks by config and framework, runs them over
loaded objects, applies suppressions and exemptions, and returns a Report.

Loaders feed it objects; outputs, ``fix``, the admission server and the
cluster auditor consume its Report. It never imports a concrete check: it
finds them through the registry.
"""

from __future__ import annotations

import datetime as _dt
import gc
import os
from dataclasses import dataclass, field
from typing import Iterable

from kubeward.gcpause import gc_paused
from kubeward.checks.aliases import canonical, canonical_ids
from kubeward.checks.base import (DEFAULT_K8S_VERSION, BaseCheck, Context, CrossCheck,
                                  CrossContext, group_checks, registry)
from kubeward.config import Config
from kubeward.findings import Finding, LoadError, Severity
from kubeward.model import K8sObject
from kubeward.model.suppress import suppressions_of
from kubeward.model.validate import voided_by

SCHEMA_VERSION = "2.0"  # the JSON report; kubeward/data/report.schema.json
DEBUG = bool(os.environ.get("KUBEWARD_DEBUG"))


class UsageError(Exception):
    """A bad option value (unknown check id, framework, ...)."""


@dataclass
class ScanOptions:
    frameworks: tuple[str, ...] = ()
    k8s_version: tuple[int, int] | None = None
    checks: tuple[str, ...] = ()  # only these (--check)
    skip_checks: tuple[str, ...] = ()
    config: Config = field(default_factory=Config)
    jobs: int = 1
    complete: bool = False
    render_options: dict = field(default_factory=dict)
    #: --context: paths read for cross-resource checks; their findings are not reported
    context: tuple[str, ...] = ()
    #: --namespace: where namespaced objects without metadata.namespace are applied
    namespace: str | None = None
    today: _dt.date | None = None  # for exemption expiry; default: today
    #: errors found before any input was read (bad rule files); the CLI reports them
    setup_errors: list = field(default_factory=list)
    #: custom rule files loaded for this scan (a worker process that did not
    #: inherit them by fork registers them again)
    rule_paths: tuple[str, ...] = ()

    @property
    def version(self) -> tuple[int, int]:
        return self.k8s_version or self.config.k8s_version or DEFAULT_K8S_VERSION

    @property
    def target_namespace(self) -> str | None:
        return self.namespace or self.config.namespace

    @property
    def context_paths(self) -> tuple[str, ...]:
        return self.context or self.config.context


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    objects: int = 0
    files: int = 0
    skipped_documents: int = 0
    empty_documents: int = 0
    checks: list[str] = field(default_factory=list)
    frameworks: tuple[str, ...] = ()
    k8s_version: tuple[int, int] = DEFAULT_K8S_VERSION
    #: the objects scanned (kept for cross views; empty with --jobs)
    scanned: list[K8sObject] = field(default_factory=list, repr=False)
    #: (kind, has a pod spec) of every object scanned, for compliance
    kinds_seen: set = field(default_factory=set)
    #: check id -> why it evaluated nothing (needs configuration), for compliance
    unconfigured: dict = field(default_factory=dict)
    #: the config file in use (None: defaults)
    config_file: str | None = None
    #: problems of the scan itself, printed as warnings (not findings, not errors)
    warnings: list[str] = field(default_factory=list)
    #: objects read only as context for cross-resource checks (--context)
    context_objects: int = 0
    #: namespaced objects left without a namespace (no --namespace)
    unplaced: int = 0
    #: (identity, file, line, scanned) of every object, to find objects defined twice
    identities: list = field(default_factory=list, repr=False)
    #: findings a display filter (--severity) keeps out of ``findings``; None
    #: without a filter. The summary and the exit code still count them.
    hidden: list[Finding] | None = None

    def all_findings(self) -> list[Finding]:
        """Every finding, shown or hidden by the display filter."""
        return self.findings + self.hidden if self.hidden else self.findings

    def by_severity(self) -> dict[str, int]:
        counts = {s.label: 0 for s in sorted(Severity, reverse=True)}
        for f in self.all_findings():
            counts[f.severity.label] += 1
        return counts

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.all_findings()), default=None)

    def summary(self) -> dict:
        return {
            "files": self.files,
            "objectsScanned": self.objects,
            "documentsSkipped": self.skipped_documents,
            "emptyDocuments": self.empty_documents,
            "findings": len(self.all_findings()),
            "findingsBySeverity": self.by_severity(),
            **({"hidden": len(self.hidden)} if self.hidden is not None else {}),
            "suppressed": len(self.suppressed),
            "errors": len(self.errors),
            "checksRun": len(self.checks),
            "contextObjects": self.context_objects,
            "k8sVersion": "%d.%d" % self.k8s_version,
            "frameworks": list(self.frameworks),
        }


FRAMEWORK_ALIASES: dict[str, str] = {}


def known_frameworks() -> set[str]:
    names = {"all"}
    for cls in registry().values():
        names.update(cls.frameworks)
    return names


def select_checks(options: ScanOptions) -> list[BaseCheck]:
    reg = registry()
    cfg = options.config
    for cid in (*options.checks, *options.skip_checks):
        if canonical(cid) not in reg:
            raise UsageError(f"unknown check id {cid!r} (see `kubeward checks`)")
    frameworks = tuple(FRAMEWORK_ALIASES.get(f, f) for f in (options.frameworks or cfg.frameworks))
    if frameworks:
        known = known_frameworks()
        for f in frameworks:
            if f not in known:
                raise UsageError(f"unknown framework {f!r} (known: {', '.join(sorted(known))})")
    if options.checks:
        ids = set(canonical_ids(options.checks))
    elif frameworks:
        if "all" in frameworks:
            ids = set(reg)
        else:
            ids = {cid for cid, cls in reg.items() if any(f in cls.frameworks for f in frameworks)}
    else:
        ids = {cid for cid, cls in reg.items() if cls.default_enabled}
        ids |= set(cfg.enable) if "*" not in cfg.enable else set(reg)
    if not options.checks:
        ids -= set(cfg.disable) if "*" not in cfg.disable else set(reg)
    ids -= canonical_ids(options.skip_checks)
    return [reg[cid]() for cid in sorted(ids)]


class _Dispatcher:
    """Which per-object checks apply to which objects, decided once per
    (kind, has-pod-spec) pair rather than per object."""

    def __init__(self, checks: list[BaseCheck]):
        self.checks = [c for c in checks if not isinstance(c, CrossCheck)]
        self.cache: dict[tuple[str, bool], list[BaseCheck]] = {}

    def for_object(self, obj: K8sObject) -> list[BaseCheck]:
        key = (obj.kind, obj.pod is not None)
        got = self.cache.get(key)
        if got is None:
            got = group_checks([c for c in self.checks if c.applies_to(obj)])
            self.cache[key] = got
        return got


def _internal_error(check: BaseCheck, obj: K8sObject | None, exc: Exception) -> LoadError:
    if DEBUG:
        raise exc
    where = f" on {obj.kind} {obj.name}" if obj is not None else ""
    if getattr(exc, "note_only", False):  # e.g. an optional library is missing
        return LoadError("<scan>", str(exc), kind="note")
    return LoadError(obj.source.file if obj is not None else "<scan>",
                     f"internal error in check {check.id}{where}: {type(exc).__name__}: {exc} "
                     "(please report this; set KUBEWARD_DEBUG=1 for details)",
                     kind="internal")


#: findings one object may produce (a Pod with 20,000 aliased containers
#: would give hundreds of thousands); past it, one error says the rest is missing
MAX_FINDINGS_PER_OBJECT = 1000


def run_checks(objects: list[K8sObject], checks: list[BaseCheck], ctx: Context,
               errors: list[LoadError], context: list[K8sObject] = ()
               ) -> list[tuple[Finding, K8sObject | None]]:
    """Per-object checks over ``objects`` (with a context that holds no
    objects); cross checks over ``objects`` and ``context`` together (with
    ``ctx``, which must then be a CrossContext holding both), keeping only
    findings on ``objects``."""
    out: list[tuple[Finding, K8sObject | None]] = []
    dispatch = _Dispatcher(checks)
    cap = MAX_FINDINGS_PER_OBJECT
    octx = ctx.per_object() if isinstance(ctx, CrossContext) else ctx
    for obj in objects:
        start = len(out)
        for check in dispatch.for_object(obj):
            try:
                for f in check.check(obj, octx):
                    out.append((f, obj))
                    if len(out) - start > cap:
                        break  # the final pass reports it
            except Exception as exc:  # a bug in a check must not hide other results
                errors.append(_internal_error(check, obj, exc))
            if len(out) - start > cap:
                break
    cross = [c for c in checks if isinstance(c, CrossCheck)]
    if cross:
        if not isinstance(ctx, CrossContext):
            raise TypeError("cross checks need a CrossContext")
        keyed = {_obj_key(o.source.file, o.source.doc_index, o.kind, o.namespace, o.name): o
                 for o in objects}
        everything = [*objects, *context] if context else objects
        scanned_files = {o.source.file for o in objects} if context else None
        for check in cross:
            try:
                for f in check.check_all(everything, ctx):
                    if scanned_files is not None and f.file not in scanned_files:
                        continue  # a finding on a context object
                    out.append((f, keyed.get(_obj_key(f.file, f.doc_index, f.object.kind,
                                                      f.object.namespace, f.object.name))))
            except Exception as exc:
                errors.append(_internal_error(check, None, exc))
    if any(o.invalid for o in objects):
        out = [(f, o) for f, o in out if o is None or not o.invalid
               or not voided_by(f.path, o.invalid)]
    return _cap_per_object(out, errors)


def _cap_per_object(pairs: list, errors: list[LoadError]) -> list:
    """At most ``MAX_FINDINGS_PER_OBJECT`` findings per object (per-object and
    cross checks together); one error for each object that had more."""
    cap = MAX_FINDINGS_PER_OBJECT
    if len(pairs) <= cap:
        return pairs
    counts: dict = {}
    for f, obj in pairs:
        key = id(obj) if obj is not None else (f.file, f.doc_index, f.object)
        counts[key] = counts.get(key, 0) + 1
    if max(counts.values()) <= cap:
        return pairs
    kept, seen = [], {}
    for f, obj in pairs:
        key = id(obj) if obj is not None else (f.file, f.doc_index, f.object)
        n = seen[key] = seen.get(key, 0) + 1
        if n <= cap:
            kept.append((f, obj))
        elif n == cap + 1:
            line = (obj.source.line or obj.source.doc_line) if obj is not None else f.line
            errors.append(LoadError(f.file, f"{f.object.kind} {f.object.name or '?'}: more than "
                                    f"{cap} findings; the rest are not reported", line,
                                    kind="limit"))
    return kept


def _move_notes(report: Report) -> None:
    """Errors a check raised as notes (``note_only``) become report notes."""
    if any(e.kind == "note" for e in report.errors):
        report.notes.extend(dict.fromkeys(e.message for e in report.errors if e.kind == "note"))
        report.errors[:] = [e for e in report.errors if e.kind != "note"]


def _obj_key(file, doc_index, kind, namespace, name):
    return (file, doc_index, kind, namespace, name)


def apply_policy(pairs, options: ScanOptions, report: Report) -> None:
    """Severity overrides, suppression annotations and config exemptions."""
    cfg = options.config
    today = options.today or _dt.date.today()
    expired_noted: set[int] = set()
    sup_cache: dict[int, list] = {}
    severity = cfg.severity
    overrides, exemptions = cfg.overrides, cfg.exemptions
    findings_out, suppressed_out = report.findings, report.suppressed
    # which override and exemption scopes an object is in: once per object,
    # not once per finding (scopes depend on the object only)
    scope_cache: dict[tuple[int, int], tuple[list[bool], list[bool]]] = {}
    ov_in: list[bool] = []
    ex_in: list[bool] = []
    for f, obj in pairs:
        if severity and f.check_id in severity:
            f.severity = severity[f.check_id]
        if overrides or exemptions:
            key = (id(f.object), id(obj))
            in_scope = scope_cache.get(key)
            if in_scope is None:
                ref = f.object
                labels = obj.labels if obj is not None else {}
                in_scope = scope_cache[key] = (
                    [ov.scope.matches(ref.kind, ref.namespace, ref.name, labels)
                     for ov in overrides],
                    [ex.scope.matches(ref.kind, ref.namespace, ref.name, labels)
                     for ex in exemptions])
            ov_in, ex_in = in_scope
        for ov, in_ov_scope in zip(overrides, ov_in):
            if in_ov_scope:
                sev = ov.severity.get(f.check_id, ov.severity.get("*"))
                if sev is not None:
                    f.severity = sev
        if obj is not None and f.check_id != "SUP001":
            sups = sup_cache.get(id(obj))
            if sups is None:  # (valid suppression, the ids it covers, aliases resolved)
                sups = sup_cache[id(obj)] = [(s, canonical_ids(s.ids))
                                             for s in suppressions_of(obj) if not s.problem]
            hit = next((s for s, ids in sups if f.check_id in ids or "*" in ids),
                       None) if sups else None
            if hit is not None:
                f.suppressed, f.suppressed_by = hit.reason, "annotation"
                suppressed_out.append(f)
                continue
        if not exemptions:
            findings_out.append(f)
            continue
        exempted = False
        for i, ex in enumerate(exemptions):
            if not ex.covers(f.check_id):
                continue
            if not ex_in[i]:
                continue
            if ex.expires is not None and ex.expires < today:
                if i not in expired_noted:
                    expired_noted.add(i)
                    report.notes.append(
                        f"{cfg.file}:{ex.line}: exemption expired on {ex.expires.isoformat()} "
                        f"and no longer applies ({ex.reason})")
                continue
            f.suppressed, f.suppressed_by = ex.reason, "config"
            suppressed_out.append(f)
            exempted = True
            break
        if not exempted:
            findings_out.append(f)


def _sort_key(f: Finding):
    return (f.file, f.line, f.column, f.check_id, f.field_path)


def scan_objects(objects: list[K8sObject], options: ScanOptions,
                 report: Report | None = None, checks: list[BaseCheck] | None = None,
                 context: list[K8sObject] = ()) -> Report:
    """Run the selected checks (``checks``, or those ``options`` select) over
    already loaded objects. ``context``: more objects that cross-resource
    checks (and checks consulting neighbours) see, whose own findings are
    not reported."""
    report = report or Report()
    if checks is None:
        checks = select_checks(options)
    everything = [*objects, *context] if context else objects
    ctx = CrossContext(k8s_version=options.version, options=options.config.options,
                       objects=everything, complete=options.complete)
    pairs = run_checks(objects, checks, ctx, report.errors, context=context)
    _move_notes(report)
    apply_policy(pairs, options, report)
    report.findings.sort(key=_sort_key)
    report.suppressed.sort(key=_sort_key)
    report.objects += len(objects)
    report.context_objects += len(context)
    report.kinds_seen.update((o.kind, o.pod is not None) for o in objects)
    report.checks = [c.id for c in checks]
    _note_selection(report, checks, options)
    report.unconfigured = _unconfigured(checks, ctx)
    report.frameworks = tuple(options.frameworks or options.config.frameworks)
    report.k8s_version = options.version
    report.scanned = objects
    return report


def _note_selection(report: Report, checks: list[BaseCheck], options: ScanOptions) -> None:
    cfg = options.config
    report.config_file = cfg.file
    if not checks and cfg.disable and not options.checks:
        msg = (f"{cfg.file}: checks.disable turns off every check that would run: nothing "
               "was checked")
        if msg not in report.warnings:
            report.warnings.append(msg)


def _unconfigured(checks: list[BaseCheck], ctx: Context) -> dict[str, str]:
    out = {}
    for c in checks:
        why = c.unconfigured(ctx)
        if why:
            out[c.id] = why
    return out


def place_objects(objects: list[K8sObject], options: ScanOptions, report: Report | None,
                  context: list[K8sObject] = ()) -> None:
    """``--namespace``: namespaced objects (of the input and the context)
    without one go there, as ``kubectl apply -n`` puts them; otherwise count
    those of the input in ``report``, for the note."""
    from kubeward.model.placement import crd_scopes, place_in_namespace, unplaced

    scopes = crd_scopes([*objects, *context])
    ns = options.target_namespace
    if ns:
        place_in_namespace(objects, ns, scopes)
        place_in_namespace(list(context), ns, scopes)
    elif report is not None:
        report.unplaced += unplaced(objects, scopes)


def finish_notes(report: Report, options: ScanOptions) -> None:
    """Notes that need every object: objects defined twice, objects without
    a namespace, what the context added."""
    from kubeward.model.placement import duplicates, unplaced_note

    notes = duplicates(report.identities)
    if report.unplaced:
        notes.append(unplaced_note(report.unplaced,
                                   "--namespace NS (or `namespace:` in the config)"))
    if options.context_paths:
        n = report.context_objects
        notes.append(f"context: {n} more object{'s' if n != 1 else ''} from "
                     f"{' '.join(options.context_paths)} read for cross-resource checks "
                     "(their own findings are not reported)")
    report.notes.extend(notes)


_EXIT_FREEZE_OBJECTS = 2000  # scans at least this large skip the exit-time GC
_exit_freeze_registered = False


def _freeze_at_exit() -> None:
    """At interpreter exit, move every live object to the permanent
    generation (``gc.freeze``) so the interpreter's final collections do not
    walk the whole scan again (1-1.5 s for 10,000 documents, about half the
    time of the scan itself). Registered once, only by large scans; nothing
    changes while the process runs."""
    global _exit_freeze_registered
    if not _exit_freeze_registered:
        import atexit
        atexit.register(gc.freeze)
        _exit_freeze_registered = True


#: ``--jobs 0`` (auto): below this many bytes of input files one process
#: scans; from it, one worker per CPU core (at most ``AUTO_JOBS_MAX``). A
#: worker pool costs process start-up and sending the loaded objects back for
#: the cross checks, which a few thousand documents do not repay.
AUTO_JOBS_MIN_BYTES = 1_500_000
AUTO_JOBS_MAX = 8


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def auto_jobs(files: list[str]) -> int:
    """The worker count ``--jobs 0`` picks for ``files``."""
    cpus = min(cpu_count(), AUTO_JOBS_MAX)
    if cpus < 2:
        return 1
    total = 0
    for f in files:
        try:
            total += os.path.getsize(f) if os.path.isfile(f) else AUTO_JOBS_MIN_BYTES
        except OSError:
            continue
        if total >= AUTO_JOBS_MIN_BYTES:
            return cpus
    return 1


def _can_fork() -> bool:
    """Workers are forked, which is safe only while this process runs one
    thread: a fork copies the locks that other threads hold (a metrics or
    watch thread in ``audit --watch``, the webhook's threads, a test runner's
    I/O thread) and the child can block on one of them forever. A process
    with other threads scans in one process instead (same report)."""
    import threading

    return threading.active_count() == 1


def scan(paths: Iterable[str], options: ScanOptions | None = None,
         on_file=None) -> Report:
    """Load ``paths`` (files, directories, ``-``) and scan them. ``on_file``
    (a callable taking the path) is called after each file is loaded (one
    process only). ``options.jobs``: worker processes, 0 for automatic.
    ``options.context_paths`` are loaded too, for cross-resource checks only."""
    from kubeward.loading.files import iter_files, load_paths

    options = options or ScanOptions()
    checks = select_checks(options)  # usage errors surface before any input is read
    paths = list(paths)
    jobs = options.jobs
    files: list[str] | None = None
    walk_errors: list[LoadError] = []
    if "-" in paths:
        jobs = 1
    elif jobs == 0:
        files = list(iter_files(paths, walk_errors))
        jobs = auto_jobs(files)
    if jobs > 1 and not _can_fork():
        jobs = 1
    if jobs > 1:
        if files is None:
            files = list(iter_files(paths, walk_errors))
        with gc_paused():
            report = _scan_parallel(paths, files, walk_errors, options, checks, jobs)
            if len(report.scanned) >= _EXIT_FREEZE_OBJECTS:
                _freeze_at_exit()
            finish_notes(report, options)
            return report
    with gc_paused():
        loaded = load_paths(paths, options.render_options, on_file=on_file)
        report = Report(errors=loaded.errors, files=loaded.files,
                        skipped_documents=loaded.skipped_documents,
                        empty_documents=loaded.empty_documents)
        context = _load_context(paths, options, report)
        place_objects(loaded.objects, options, report, context)
        _record_identities(loaded.objects, context, report)
        if len(loaded.objects) >= _EXIT_FREEZE_OBJECTS:
            _freeze_at_exit()
        report = scan_objects(loaded.objects, options, report, checks, context=context)
        finish_notes(report, options)
        return report


def _record_identities(objects, context, report: Report) -> None:
    report.identities.extend(_identities_of(objects))
    report.identities.extend(_identities_of(context, scanned=False))


def _identities_of(objects: list[K8sObject], scanned: bool = True) -> list:
    from kubeward.model.placement import identities

    return identities(objects, scanned)


def _load_context(paths: list[str], options: ScanOptions, report: Report) -> list[K8sObject]:
    """The objects of ``options.context_paths`` not in ``paths`` (placed in
    ``--namespace`` afterwards by :func:`place_objects`, with the scanned
    ones). Their load errors are notes: they are not the input being checked."""
    if not options.context_paths:
        return []
    from kubeward.loading.files import load_context

    loaded = load_context(options.context_paths, paths, options.render_options)
    for e in loaded.errors[:5]:
        report.notes.append(f"context: {e.one_line().removeprefix('kubeward: ')}")
    if len(loaded.errors) > 5:
        report.notes.append(f"context: {len(loaded.errors) - 5} more files or documents "
                            "could not be read")
    return loaded.objects


def _chunks(files: list[str], n: int) -> list[list[str]]:
    """``files`` cut into at most ``n`` runs of about equal size in bytes,
    in order (so the objects of the runs, put together, are in the order one
    process loads them)."""
    sizes = []
    for f in files:
        try:
            sizes.append(os.path.getsize(f) if os.path.isfile(f) else 0)
        except OSError:
            sizes.append(0)
    total = sum(sizes) or 1
    out: list[list[str]] = [[]]
    acc = 0
    for f, size in zip(files, sizes):
        if acc >= total * len(out) / n and len(out) < n:
            out.append([])
        out[-1].append(f)
        acc += size
    return [c for c in out if c]


def _scan_parallel(paths: list[str], files: list[str], errors: list[LoadError],
                   options: ScanOptions, checks: list[BaseCheck], jobs: int) -> Report:
    """Each worker process loads a run of files and, when there are cross
    checks, first sends its objects here; then it checks them object by
    object while this process runs the cross checks over every object (in
    the order one process would have loaded them). The report equals that
    of one process."""
    import multiprocessing

    has_cross = any(isinstance(c, CrossCheck) for c in checks)
    chunks = _chunks(files, jobs)
    report = Report(errors=errors)
    all_objects: list[K8sObject] = []
    cross_pairs: list = []
    mp = multiprocessing.get_context("fork")
    procs, conns = [], []
    try:
        for chunk in chunks:
            here, there = mp.Pipe(duplex=False)
            p = mp.Process(target=_worker, args=(chunk, options, has_cross, there), daemon=True)
            p.start()
            there.close()
            procs.append(p)
            conns.append(here)
        context = _load_context(paths, options, report)
        if has_cross:
            for conn in conns:
                all_objects.extend(_receive(conn))
            # placed here with the CRD scopes of every object, as one process does
            place_objects(all_objects, options, None, context)
            ctx = CrossContext(k8s_version=options.version, options=options.config.options,
                               objects=[*all_objects, *context], complete=options.complete)
            cross_pairs = run_checks(all_objects,
                                     [c for c in checks if isinstance(c, CrossCheck)],
                                     ctx, report.errors, context=context)
        else:
            place_objects([], options, None, context)
        report.identities.extend(_identities_of(context, scanned=False))
        report.context_objects = len(context)
        parts: list[Report] = [_receive(conn) for conn in conns]
    finally:
        for conn in conns:
            conn.close()
        for p in procs:
            p.join(timeout=5)
            if p.is_alive():  # pragma: no cover - a worker that hangs
                p.kill()
    for part in parts:
        for name in ("findings", "suppressed", "errors", "notes"):
            getattr(report, name).extend(getattr(part, name))
        report.objects += part.objects
        report.unplaced += part.unplaced
        report.identities.extend(part.identities)
        report.kinds_seen |= part.kinds_seen
        report.files += part.files
        report.skipped_documents += part.skipped_documents
        report.empty_documents += part.empty_documents
    if has_cross:
        sub = Report()
        apply_policy(cross_pairs, options, sub)
        report.findings.extend(sub.findings)
        report.suppressed.extend(sub.suppressed)
        report.notes.extend(sub.notes)
    _move_notes(report)
    report.notes = list(dict.fromkeys(report.notes))
    report.findings.sort(key=_sort_key)
    report.suppressed.sort(key=_sort_key)
    report.errors.sort(key=lambda e: (e.file, e.line or 0))
    report.checks = [c.id for c in checks]
    _note_selection(report, checks, options)
    report.unconfigured = _unconfigured(checks, Context(k8s_version=options.version,
                                                        options=options.config.options))
    report.frameworks = tuple(options.frameworks or options.config.frameworks)
    report.k8s_version = options.version
    report.scanned = all_objects
    return report


def _ensure_rules(paths) -> None:
    """Register the custom rules in a worker started without them (spawn
    or forkserver start methods)."""
    from kubeward.checks.custom import CelRuleCheck, register_rules

    if any(isinstance(c, type) and issubclass(c, CelRuleCheck) for c in registry().values()):
        return
    from kubeward.policy.rules import load_rules
    rules, _errors = load_rules(list(paths))  # errors were reported by the parent
    register_rules(rules)


def _receive(conn):
    """The next message of a worker; its failure raised here."""
    import pickle
    try:
        kind, payload = pickle.loads(conn.recv_bytes())
    except EOFError:
        raise RuntimeError("a --jobs worker process died (out of memory?); "
                           "run with --jobs 1") from None
    if kind == "error":
        raise RuntimeError(f"a --jobs worker failed: {payload}")
    return payload



def _worker(files: list[str], options: ScanOptions, send_objects: bool, conn) -> None:
    """Load ``files``; send the objects (for the cross checks, before they
    are placed in ``--namespace``) when asked, then the report of the
    per-object checks."""
    import pickle

    def send(kind, payload):
        conn.send_bytes(pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL))

    try:
        from kubeward.loading.files import load_paths

        gc.disable()  # a worker process lives for one chunk: see gc_paused
        loaded = load_paths(files, options.render_options)
        if send_objects:
            send("objects", loaded.objects)
        report = Report(errors=loaded.errors, files=loaded.files,
                        skipped_documents=loaded.skipped_documents,
                        empty_documents=loaded.empty_documents)
        place_objects(loaded.objects, options, report)
        report.identities = _identities_of(loaded.objects)
        if options.rule_paths:
            _ensure_rules(options.rule_paths)
        checks = [c for c in select_checks(options) if not isinstance(c, CrossCheck)]
        ctx = Context(k8s_version=options.version, options=options.config.options,
                      complete=options.complete)
        pairs = run_checks(loaded.objects, checks, ctx, report.errors)
        apply_policy(pairs, options, report)
        report.objects = len(loaded.objects)
        report.kinds_seen.update((o.kind, o.pod is not None) for o in loaded.objects)
        send("report", report)
    except BaseException as exc:  # reported by the parent, which raises
        import traceback
        try:
            send("error", "".join(traceback.format_exception_only(type(exc), exc)).strip())
        except Exception:  # pragma: no cover - the pipe is gone
            pass
    finally:
        conn.close()
        os._exit(0)  # no interpreter shutdown (GC of the whole heap, atexit of the parent)
