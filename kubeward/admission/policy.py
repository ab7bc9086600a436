"""AdmissionReview in, AdmissionReview out: the decision logic of the webhook.

Everything that can be decided once is decided in :class:`AdmissionPolicy`'s
constructor: the check instances, the check ids behind every possible mode
value (a framework such as ``pss-restricted``, a severity threshold such as
``high``), the exemption patterns and the checks allowed to mutate. A request
then costs one :class:`~kubeward.model.K8sObject`, the per-object checks that
apply to its kind (cached per kind and mode set), the config's severity
overrides, suppression annotations and exemptions (the engine's
``apply_policy``, exactly as ``scan``), and the response.

Modes, as Pod Security Admission: each namespace may carry the labels
``kubeward.io/enforce``, ``kubeward.io/warn`` and ``kubeward.io/audit``; a
missing label falls back to the ``admission:`` section of the config, then
to :data:`DEFAULT_MODES`.

* enforce: deny (HTTP 403 status in the response) listing each finding with
  its check id, field path and how to fix it;
* warn: allow, with one ``warnings`` entry per finding;
* audit: allow, with ``auditAnnotations`` (one key per check id).

Checks that need other objects (``CrossCheck``) are not run here: an
admission request carries one object. They are listed in :attr:`notes`.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from kubeward.checks.base import (BaseCheck, Context, CrossCheck, CrossContext, group_checks,
                                  registry)
from kubeward.engine import FRAMEWORK_ALIASES, Report, ScanOptions, UsageError, apply_policy, \
    known_frameworks, select_checks
from kubeward.findings import Finding, FixSafety, Severity
from kubeward.model import K8sObject, Source
from kubeward.paths import format_path
from kubeward.redact import redact_text

API_VERSION = "admission.k8s.io/v1"
MODES = ("enforce", "warn", "audit")
LABEL_PREFIX = "kubeward.io/"
DEFAULT_MODES = {"enforce": "critical", "warn": "medium", "audit": "low"}
DEFAULT_EXEMPT_NAMESPACES = ("kube-system",)
DEFAULT_MUTATE = ("safe",)
#: values that switch a mode off
OFF_VALUES = frozenset({"", "none", "off", "privileged", "disabled"})
#: PSA level names as shorthands for the PSS frameworks
LEVEL_ALIASES = {"baseline": "pss-baseline", "restricted": "pss-restricted"}

MAX_LISTED = 30  # findings listed in a denial message; warnings sent
MAX_WARNING_CHARS = 250  # kube-apiserver truncates longer warnings
MAX_AUDIT_VALUE = 1000
#: namespaces whose shared RBAC and network analyses are kept (least
#: recently reviewed dropped first)
MAX_SHARED_NAMESPACES = 1024
SOURCE_FILE = "<admission>"


class BadReview(Exception):
    """The request is not a usable AdmissionReview: answered with ``status``
    (4xx) and ``message``, never a crash."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Level:
    """A parsed mode value."""

    name: str
    ids: frozenset[str]
    severity: Severity | None = None  # a threshold; None: every finding of ``ids``

    def selects(self, f: Finding) -> bool:
        return f.check_id in self.ids and (self.severity is None or f.severity >= self.severity)


OFF = Level("none", frozenset())


@dataclass
class Decision:
    """The response and what the server logs and counts about it."""

    response: dict
    allowed: bool = True
    exempt: str | None = None  # "namespace", "user", "group"
    skipped: str | None = None  # why nothing was checked (an update of metadata only)
    levels: dict = field(default_factory=dict)  # mode -> level name
    by_mode: dict = field(default_factory=dict)  # mode -> [Finding]
    patched: list = field(default_factory=list)  # check ids whose fixes were applied
    errors: list = field(default_factory=list)  # (check id, one line) of internal errors
    kind: str = ""
    name: str = ""
    namespace: str = ""
    operation: str = ""
    uid: str = ""
    dry_run: bool = False
    user: str = ""
    decide_seconds: float = 0.0  # set by the server

    def review(self) -> dict:
        return {"apiVersion": API_VERSION, "kind": "AdmissionReview", "response": self.response}


def _globs(patterns) -> re.Pattern | None:
    pats = [fnmatch.translate(p) for p in patterns]
    return re.compile("|".join(f"(?:{p})" for p in pats)) if pats else None


class AdmissionPolicy:
    """Decisions for AdmissionReviews, with everything precomputed.

    ``namespaces`` answers ``labels(name) -> dict | None``
    (:mod:`kubeward.admission.namespaces`); ``own_namespace`` (where the
    webhook runs) is always exempt.
    """

    def __init__(self, options: ScanOptions | None = None, namespaces=None,
                 own_namespace: str | None = "kubeward"):
        self.options = options = options or ScanOptions()
        cfg = options.config
        adm = dict(cfg.admission or {})
        reg = registry()
        self._cross = sorted(cid for cid, cls in reg.items() if issubclass(cls, CrossCheck))
        self._dispatch: dict[tuple, tuple[list, list]] = {}
        #: namespace -> (version of its context in the cluster view, (RBAC
        #: analysis, network analysis) of that context), least recently used first
        self._bases: OrderedDict[str | None, tuple] = OrderedDict()
        self._bases_lock = threading.Lock()
        self.set_namespaces(namespaces)
        # every per-object check instance, once
        self.instances: dict[str, BaseCheck] = {}
        base = select_checks(options)  # UsageError for a bad config/framework
        self._base_ids = self._ids_of(base)
        self._levels: dict[str, Level | None] = {}
        for sev in Severity:
            self._levels[sev.label] = Level(sev.label, self._base_ids, sev)
        for fw in sorted(known_frameworks() | set(FRAMEWORK_ALIASES) | set(LEVEL_ALIASES)):
            target = LEVEL_ALIASES.get(fw, fw)
            checks = select_checks(ScanOptions(frameworks=(target,), config=cfg,
                                               skip_checks=options.skip_checks))
            self._levels[fw] = Level(fw, self._ids_of(checks))
        for v in OFF_VALUES:
            self._levels[v] = OFF
        # defaults
        self.defaults: dict[str, Level] = {}
        for mode in MODES:
            text = adm.get(mode, DEFAULT_MODES[mode])
            level = self.level(text)
            if level is None:
                raise UsageError(f"admission.{mode}: unknown mode value {text!r} "
                                 f"(expected a framework, a severity or none)")
            self.defaults[mode] = level
        self.own_namespace = own_namespace
        ns_globs = list(adm.get("exemptNamespaces", DEFAULT_EXEMPT_NAMESPACES))
        if own_namespace:
            ns_globs.append(own_namespace)
        self._exempt_ns = _globs(ns_globs)
        self._exempt_users = _globs(adm.get("exemptUsers", ()))
        self._exempt_groups = _globs(adm.get("exemptGroups", ()))
        # mutation: "safe" = every check on by default (as in scan) whose fix
        # is safe; a check named explicitly mutates even when off by default
        mutate = adm.get("mutate", DEFAULT_MUTATE)
        ids: set[str] = set()
        explicit: set[str] = set()
        for item in mutate:
            if item == "safe":
                ids |= {cid for cid, cls in reg.items()
                        if cid in self._base_ids and cls.fix_safety == FixSafety.SAFE
                        and not issubclass(cls, CrossCheck)}
            elif item not in reg:
                raise UsageError(f"admission.mutate: unknown check id {item!r}")
            elif issubclass(reg[item], CrossCheck):
                raise UsageError(f"admission.mutate: {item} needs other objects and cannot "
                                 "mutate in admission")
            elif reg[item].fix_safety in (None, FixSafety.DISPLAY):
                raise UsageError(f"admission.mutate: {item} has no automatic fix")
            else:
                ids.add(item)
                explicit.add(item)
        self.mutate_ids = frozenset(ids)
        #: named in ``admission.mutate``: mutate whenever a mode is on
        self.mutate_explicit = frozenset(explicit)
        self._instantiate(self.mutate_ids)
        self.mutate_level = Level("mutate", self.mutate_ids)

    def set_namespaces(self, namespaces) -> None:
        """Attach the namespace view (labels; with ``has_context``, also the
        context objects that cross-resource checks consult)."""
        self.namespaces = namespaces
        #: cross-resource checks run only with a cluster view that keeps the
        #: context objects (``namespaces.context(ns)``)
        self.cross_enabled = bool(getattr(namespaces, "has_context", False))
        self._dispatch.clear()
        self.notes: list[str] = []
        if self._cross:
            self.notes.append(
                ("checks that need other objects run against the cluster's objects of the "
                 "request's namespace and the cluster-scoped ones: " if self.cross_enabled else
                 "checks that need other objects are not run in admission (they need a "
                 "cluster connection with --cross-checks): ") + ", ".join(self._cross))

    # -- set-up helpers ----------------------------------------------------
    def _ids_of(self, checks: list[BaseCheck]) -> frozenset[str]:
        ids = set()
        for c in checks:
            self.instances.setdefault(c.id, c)
            ids.add(c.id)
        return frozenset(ids)

    def _instantiate(self, ids) -> None:
        reg = registry()
        for cid in ids:
            if cid not in self.instances:
                self.instances[cid] = reg[cid]()

    def level(self, text: Any) -> Level | None:
        """The level a mode value names, or None when it names nothing."""
        if not isinstance(text, str):
            return None
        got = self._levels.get(text)
        if got is not None:
            return got
        key = text.strip().lower()
        got = self._levels.get(key)
        if got is not None and len(self._levels) < 512:
            self._levels[text] = got
        return got

    def _checks_for(self, obj: K8sObject, levels: tuple[Level, ...]) -> tuple[list, list]:
        """(per-object checks, cross-resource checks) to run on ``obj``."""
        ck = (obj.kind, obj.pod is not None, tuple(lv.name for lv in levels))
        got = self._dispatch.get(ck)
        if got is None:
            ids = frozenset().union(*(lv.ids for lv in levels))
            applies = [self.instances[cid] for cid in sorted(ids)
                       if self.instances[cid].applies_to(obj)]
            alone = [c for c in applies
                     if not isinstance(c, CrossCheck) or c.admission_per_object]
            got = (group_checks(alone),
                   [c for c in applies if isinstance(c, CrossCheck)
                    and not c.admission_per_object] if self.cross_enabled else [])
            if len(self._dispatch) < 4096:
                self._dispatch[ck] = got
        return got

    # -- per request -------------------------------------------------------
    @staticmethod
    def parse(review: Any) -> dict:
        """The ``request`` of an AdmissionReview, or BadReview."""
        if not isinstance(review, dict):
            raise BadReview("the body is not a JSON object (expected an AdmissionReview)")
        api, kind = review.get("apiVersion"), review.get("kind")
        if kind != "AdmissionReview":
            raise BadReview(f"expected kind AdmissionReview, got {_short(kind)}")
        if api != API_VERSION:
            raise BadReview(f"unsupported apiVersion {_short(api)} (only {API_VERSION} is served; "
                            "set admissionReviewVersions: [v1])")
        req = review.get("request")
        if not isinstance(req, dict):
            raise BadReview("the AdmissionReview has no request")
        uid = req.get("uid")
        if not isinstance(uid, str) or not uid:
            raise BadReview("request.uid is missing")
        return req

    def _exempt(self, req: dict, namespace: str) -> str | None:
        if namespace and self._exempt_ns is not None and self._exempt_ns.fullmatch(namespace):
            return "namespace"
        user = req.get("userInfo")
        if isinstance(user, dict):
            name = user.get("username")
            if isinstance(name, str) and self._exempt_users is not None \
                    and self._exempt_users.fullmatch(name):
                return "user"
            groups = user.get("groups")
            if isinstance(groups, list) and self._exempt_groups is not None:
                if any(isinstance(g, str) and self._exempt_groups.fullmatch(g) for g in groups):
                    return "group"
        return None

    def _object(self, req: dict, decision: Decision) -> K8sObject:
        raw = req.get("object")
        if not isinstance(raw, dict):
            raise BadReview(f"request.object is missing for a {decision.operation} request")
        if not isinstance(raw.get("kind"), str) or not raw.get("kind") \
                or not isinstance(raw.get("apiVersion"), str):
            raise BadReview("request.object has no apiVersion or kind")
        obj = K8sObject(raw, Source(SOURCE_FILE, 0, 0, {}))
        if not obj.namespace and decision.namespace:
            obj.namespace = decision.namespace  # the API server may leave it to defaulting
        decision.kind, decision.name = obj.kind, obj.name or str(req.get("name") or "")
        return obj

    def _start(self, review: Any) -> tuple[dict, Decision]:
        req = self.parse(review)
        d = Decision(response={"uid": req["uid"], "allowed": True})
        d.uid = req["uid"]
        d.operation = str(req.get("operation") or "")
        ns = req.get("namespace")
        d.namespace = ns if isinstance(ns, str) else ""
        d.dry_run = req.get("dryRun") is True
        user = req.get("userInfo")
        if isinstance(user, dict) and isinstance(user.get("username"), str):
            d.user = user["username"]
        k = req.get("kind")
        if isinstance(k, dict):
            d.kind = str(k.get("kind") or "")
        name = req.get("name")
        d.name = name if isinstance(name, str) else ""
        return req, d

    def _run(self, obj: K8sObject, levels: tuple[Level, ...], d: Decision,
             req: dict | None = None) -> list[Finding]:
        checks, cross = self._checks_for(obj, levels)
        if not checks and not cross:
            return []
        opts = self.options
        ctx = Context(k8s_version=opts.version, options=opts.config.options,
                      admission_request=req, namespace_labels=self._namespace_labels)
        pairs = []
        for check in checks:
            try:
                for f in check.check(obj, ctx):
                    pairs.append((f, obj))
            except Exception as exc:  # a bug in one check must not fail the request
                d.errors.append((check.id, f"internal error in check {check.id}: "
                                           f"{type(exc).__name__}"))
        if cross:
            # the object under review replaces its stored version in the context
            key = (obj.kind, obj.namespace, obj.name)
            version = self._view_version(obj.namespace)  # read before the context
            context = self.namespaces.context(obj.namespace)
            objects = [o for o in context if (o.kind, o.namespace, o.name) != key]
            objects.append(obj)
            xctx = CrossContext(k8s_version=opts.version, options=opts.config.options,
                                objects=objects, complete=False)
            if obj.pod is not None:
                shared_rbac, shared_net = self._shared_with(obj, objects, context, version)
                if shared_rbac is not None:
                    xctx.memo("analysis.rbac", lambda: shared_rbac)
                if shared_net is not None:
                    xctx.memo("analysis.network", lambda: shared_net)
            for check in cross:
                try:
                    for f in check.check_all(objects, xctx):
                        if f.file == SOURCE_FILE:  # findings on the object under review only
                            pairs.append((f, obj))
                except Exception as exc:
                    d.errors.append((check.id, f"internal error in check {check.id}: "
                                               f"{type(exc).__name__}"))
        if not pairs:
            return []
        report = Report()
        apply_policy(pairs, opts, report)
        return report.findings

    def _view_version(self, namespace: str | None):
        """The version of ``namespace``'s context in the cluster view (None:
        the view has no versions, nothing is shared)."""
        view = self.namespaces
        if hasattr(view, "scope_version"):
            return view.scope_version(namespace)
        return getattr(view, "version", None)  # a view without per-namespace versions

    def _shared_with(self, obj: K8sObject, objects: list, context: list, version) -> tuple:
        """The RBAC and network analyses of ``objects`` (``context``, the
        view's objects of ``obj``'s namespace and the cluster-scoped ones at
        ``version``, plus ``obj``, a workload), each built once per version
        of the namespace's context (a change elsewhere in the cluster view
        does not drop it) and shared across reviews
        (:func:`kubeward.analysis.rbac.with_workload`,
        :func:`kubeward.analysis.network.with_workload`); None for one
        that cannot be shared (the checks then build it for this review)."""
        from kubeward.analysis import network, rbac

        if version is None:
            return None, None
        bases = self._bases
        with self._bases_lock:  # a large review is decided in a worker thread
            got = bases.get(obj.namespace)
            if got is not None:
                bases.move_to_end(obj.namespace)
        if got is not None and got[0] == version:
            base = got[1]
        else:  # new, or the namespace's context changed since
            base = self._publish(obj.namespace, version, _analyse(context))
        shared_rbac = rbac.with_workload(base[0], objects, obj)
        if shared_rbac is not None:
            # the checks ask for the chain of the workload's ServiceAccount;
            # one not solved yet (not in the view) is solved here, under the
            # lock, so that reviews decided in worker threads at the same
            # time only read the shared graph
            ns, sa, _path = rbac.workload_service_account(obj)
            with self._bases_lock:
                shared_rbac[1].path(rbac.Subject("ServiceAccount", sa, ns))
        return shared_rbac, network.with_workload(base[1], objects, obj)

    def _publish(self, namespace: str | None, version, base: tuple) -> tuple:
        """Keep ``base`` as the shared analyses of ``namespace`` at
        ``version`` (unless a newer one is kept already); returns the kept one."""
        bases = self._bases
        with self._bases_lock:
            got = bases.get(namespace)
            if got is not None and got[0] == self._view_version(namespace) != version:
                return got[1]  # built meanwhile from a newer view
            bases[namespace] = (version, base)
            bases.move_to_end(namespace)
            while len(bases) > MAX_SHARED_NAMESPACES:
                bases.popitem(last=False)
        return base

    def warm(self) -> int:
        """Build the shared analyses of every namespace of the cluster view
        that has context objects, where missing or out of date, and solve
        the escalation chain of each of its ServiceAccounts, so that no
        review waits for them: the server calls it once the view is synced
        (before ``/readyz`` answers 200) and again after the view changes.
        Each namespace's analyses are complete before reviews see them.
        Returns how many namespaces were built."""
        from kubeward.analysis.rbac import Subject

        view = self.namespaces
        if not self.cross_enabled or not hasattr(view, "context_namespaces"):
            return 0
        built = 0
        for ns in view.context_namespaces()[:MAX_SHARED_NAMESPACES]:
            version = self._view_version(ns)
            with self._bases_lock:
                got = self._bases.get(ns)
            if got is not None and got[0] == version:
                continue
            base = _analyse(view.context(ns))
            model, esc = base[0]
            for sa_ns, sa in sorted({*model.service_accounts, (ns, "default")}):
                if sa_ns == ns:
                    esc.path(Subject("ServiceAccount", sa, ns))
            self._publish(ns, version, base)
            built += 1
        return built

    def validate(self, review: Any) -> Decision:
        """The /validate answer."""
        req, d = self._start(review)
        if d.operation not in ("CREATE", "UPDATE"):
            return d  # DELETE and CONNECT: nothing to check
        obj = self._object(req, d)
        if d.operation == "UPDATE" and _metadata_only(obj.raw, req.get("oldObject")):
            d.skipped = "metadata-only update"
            return d
        d.exempt = self._exempt(req, d.namespace)
        if d.exempt:
            d.response["auditAnnotations"] = {"exempt": d.exempt}
            return d
        warnings: list[str] = []
        levels = self._levels_of(obj, d, warnings)
        e, w, a = levels["enforce"], levels["warn"], levels["audit"]
        findings = self._run(obj, (e, w, a), d, req)
        for mode, level in levels.items():
            d.by_mode[mode] = [f for f in findings if level.selects(f)]
        resp = d.response
        denied = d.by_mode["enforce"]
        if denied:
            d.allowed = False
            resp["allowed"] = False
            resp["status"] = {"code": 403, "reason": "Forbidden",
                              "message": _deny_message(obj, e.name, denied)}
        warned = d.by_mode["warn"]
        if warned:
            warnings.extend(_warning(f, w.name) for f in warned[:MAX_LISTED])
            if len(warned) > MAX_LISTED:
                warnings.append(f"kubeward: ... and {len(warned) - MAX_LISTED} more findings")
        if d.errors:
            warnings.extend(f"kubeward: {text}" for _cid, text in d.errors)
        if warnings:
            resp["warnings"] = warnings
        audited = d.by_mode["audit"]
        if audited:
            resp["auditAnnotations"] = _audit(audited, a.name)
        return d

    def _levels_of(self, obj: K8sObject, d: Decision, warnings: list[str]) -> dict:
        """mode -> Level for the request's namespace (labels, then config
        defaults); bad label values add a warning and use the default."""
        labels = self._labels(obj, d.namespace)
        levels = {}
        for mode in MODES:
            level = None
            if labels:
                value = labels.get(LABEL_PREFIX + mode)
                if value is not None:
                    level = self.level(value)
                    if level is None:
                        warnings.append(f"kubeward: namespace {d.namespace} label "
                                        f"{LABEL_PREFIX}{mode}={_short(value)} names no framework "
                                        f"or severity; using the default "
                                        f"{self.defaults[mode].name!r}")
            levels[mode] = level or self.defaults[mode]
        d.levels = {m: lv.name for m, lv in levels.items()}
        return levels

    def mutate(self, review: Any) -> Decision:
        """The /mutate answer: a JSON Patch of the fixes the config allows."""
        from kubeward.fix.jsonpatch import PatchBuilder, to_json_patch

        req, d = self._start(review)
        if d.operation not in ("CREATE", "UPDATE") or not self.mutate_ids:
            return d
        obj = self._object(req, d)
        if d.operation == "UPDATE" and (obj.kind == "Pod" or
                                        _metadata_only(obj.raw, req.get("oldObject"))):
            # a Pod's spec is immutable; a metadata-only update is not the
            # moment to change an object the API server already holds
            d.skipped = "pod update" if obj.kind == "Pod" else "metadata-only update"
            return d
        d.exempt = self._exempt(req, d.namespace)
        if d.exempt:
            return d
        warnings: list[str] = []
        levels = self._levels_of(obj, d, warnings)
        if all(lv is OFF for lv in levels.values()):
            # the namespace opted out of every mode: /validate allows anything
            # there, so /mutate changes nothing either
            d.skipped = "all modes none"
            return d
        findings = self._run(obj, (self.mutate_level,), d)
        trial = PatchBuilder(obj.raw)  # linear in findings: each group applied once
        groups: list = []
        for f in findings:
            if not f.edits or f.fix_safety == FixSafety.DISPLAY:
                continue
            if f.check_id not in self.mutate_explicit and \
                    not any(lv.selects(f) for lv in levels.values()):
                continue  # not enabled for this namespace
            if not trial.add(f.edits):
                continue
            groups.append((f, f.edits))
        from kubeward.fix.validity import select_valid

        sel = select_valid(obj.raw, groups, version=self.options.version)
        edits: list = []
        for f in sel.accepted:
            edits.extend(f.edits)
            if f.check_id not in d.patched:
                d.patched.append(f.check_id)
        held = [f"kubeward: not mutated {f.check_id} {_path_text(f.path)}: {reason}"
                for f, reason in sel.held]
        if edits:
            patch = to_json_patch(obj.raw, edits)
            if patch:
                d.response["patchType"] = "JSONPatch"
                d.response["patch"] = base64.b64encode(
                    json.dumps(patch, separators=(",", ":")).encode()).decode()
                d.response["auditAnnotations"] = {"mutated": ",".join(d.patched)}
                warnings.append(
                    f"kubeward: changed {obj.kind} {obj.name}: {', '.join(d.patched)} "
                    "(fixes applied by the mutating webhook)")
            else:
                d.patched = []
        warnings += [w if len(w) <= MAX_WARNING_CHARS else w[:MAX_WARNING_CHARS - 3] + "..."
                     for w in held[:MAX_LISTED]]
        if warnings:
            d.response["warnings"] = warnings
        return d

    def _namespace_labels(self, namespace: str) -> dict | None:
        """The labels of ``namespace`` in the namespace view, or None."""
        if self.namespaces is None or not namespace:
            return None
        return self.namespaces.labels(namespace)

    def _labels(self, obj: K8sObject, namespace: str) -> dict | None:
        if obj.kind == "Namespace" and obj.api_version == "v1":
            return obj.labels  # a namespace is judged by its own (new) labels
        if not namespace or self.namespaces is None:
            return None
        return self.namespaces.labels(namespace)


def _analyse(context: list) -> tuple:
    """(RBAC analysis, network analysis) of a namespace's context."""
    from kubeward.analysis import network, rbac

    return rbac.analyse(list(context)), network.analyse(list(context))


def _metadata_only(new: dict, old: Any) -> bool:
    """An UPDATE that changes nothing but metadata and status (labels,
    annotations, finalizers, owner references...). As Pod Security Admission
    does, such updates are not judged: controllers must be able to add a
    finalizer to, or delete through, an object admitted before a policy
    changed."""
    if not isinstance(old, dict):
        return False
    skip = ("metadata", "status")
    if sum(1 for k in new if k not in skip) != sum(1 for k in old if k not in skip):
        return False
    for key, value in new.items():
        if key in skip:
            continue
        if key not in old or old[key] != value:
            return False
    return True


# -- response text -----------------------------------------------------------
# every finding message the API server is sent goes through kubeward.redact

def _short(value: Any, limit: int = 60) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _deny_message(obj: K8sObject, level: str, findings: list[Finding]) -> str:
    who = f"{obj.kind} {obj.namespace + '/' if obj.namespace else ''}{obj.name}"
    n = len(findings)
    lines = [f"kubeward: {who} violates {level!r} (enforce), "
             f"{n} finding{'s' if n != 1 else ''}:"]
    for f in findings[:MAX_LISTED]:
        fix = f" Fix: {f.remediation}" if f.remediation else ""
        lines.append(f"- {f.check_id} {_path_text(f.path)}: {redact_text(f.message)}.{fix}")
    if n > MAX_LISTED:
        lines.append(f"- ... and {n - MAX_LISTED} more (run `kubeward scan` on the manifest)")
    return "\n".join(lines)


_PATHS: dict[tuple, str] = {}


def _path_text(path: tuple) -> str:
    """format_path, memoised: the same paths come back request after request."""
    text = _PATHS.get(path)
    if text is None:
        text = format_path(path)
        if len(_PATHS) < 50_000:
            _PATHS[path] = text
    return text


def _warning(f: Finding, level: str) -> str:
    text = f"kubeward {f.check_id} ({f.severity.label}) {_path_text(f.path)}: " \
        f"{redact_text(f.message)}"
    return text if len(text) <= MAX_WARNING_CHARS else text[: MAX_WARNING_CHARS - 3] + "..."


def _audit(findings: list[Finding], level: str) -> dict:
    out: dict[str, str] = {"level": level}
    for f in findings:
        entry = f"{_path_text(f.path)}: {redact_text(f.message)}"
        prev = out.get(f.check_id)
        value = entry if prev is None else f"{prev}; {entry}"
        if len(value) > MAX_AUDIT_VALUE:
            value = value[: MAX_AUDIT_VALUE - 3] + "..."
        out[f.check_id] = value
    return out
