"""The check API.

A check is a small stateless class::

    class PrivilegedContainer(Check):
        \"\"\"
        ## What it does
        ...
        ## Why is this bad?
        ...
        ## Example
        ```yaml
        ...
        ```
        ## Use instead
        ```yaml
        ...
        ```
        ## Fix safety
        ...
        \"\"\"
        id = "PSS002"
        name = "Privileged container"
        severity = Severity.CRITICAL
        workloads_only = True
        frameworks = {"pss-baseline": ("privileged",), "cis": ("5.2.2",)}
        fix_safety = FixSafety.UNSAFE
        remediation = "Remove securityContext.privileged or set it to false."

        def check(self, obj, ctx):
            for c in obj.pod.containers:
                if c.security_context.get("privileged") is True:
                    yield self.finding(obj, c.sc_path + ("privileged",),
                                       f"container {c.name!r} is privileged", value=True,
                                       edits=[Edit("set", c.sc_path + ("privileged",), False)])

Checks import only :mod:`kubeward.model`, :mod:`kubeward.findings`,
:mod:`kubeward.paths` and this module. Subclassing registers the check
(any class with an ``id``). ``CrossCheck`` sees every object of the scan at
once (network, RBAC, references).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Hashable, Iterable, Iterator

from kubeward.findings import Edit, Finding, FixSafety, Severity  # noqa: F401  (re-exported)
from kubeward.model import K8sObject
from kubeward.paths import Path, format_path

_REGISTRY: dict[str, type["BaseCheck"]] = {}
_ID_RE = re.compile(r"[A-Z]{2,6}\d{3}\Z")

DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety")

DEFAULT_K8S_VERSION = (1, 35)


@dataclass
class Context:
    """What a per-object check may know besides the object: the target
    Kubernetes version, per-check options from the config, whether the input
    is the whole cluster, and a memo for values computed once per scan.

    It holds no objects: under ``--jobs`` a worker sees only its own files,
    so a check that needs its neighbours is a :class:`CrossCheck` (which
    gets a :class:`CrossContext`)."""

    k8s_version: tuple[int, int] = DEFAULT_K8S_VERSION
    options: dict = field(default_factory=dict)  # check id -> {option: value}
    complete: bool = False  # the input is the whole cluster (--complete, audit)
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    #: the AdmissionRequest being reviewed (webhook only): operation, userInfo, oldObject
    admission_request: dict | None = None
    #: namespace name -> its labels, or None when unknown (webhook only:
    #: the labels of its namespace view)
    namespace_labels: Callable[[str], dict | None] | None = None

    def option(self, check_id: str, name: str, default: Any = None) -> Any:
        return self.options.get(check_id, {}).get(name, default)

    def memo(self, key: Hashable, fn: Callable[[], Any]) -> Any:
        """``fn()``, computed once per context (one scan) and kept with it, so
        nothing outlives the scan. Keys are module-qualified strings or
        tuples (``"reliability.hpa_index"``)."""
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = fn()
            return value


@dataclass
class CrossContext(Context):
    """The context of a :class:`CrossCheck`: also every object of the scan."""

    objects: list = field(default_factory=list)  # every K8sObject of the scan

    def by_kind(self, kind: str) -> list:
        """Objects of ``kind`` (the index is built once per scan)."""
        return self.memo("base.by_kind", self._kinds).get(kind, [])

    def _kinds(self) -> dict[str, list]:
        idx: dict[str, list] = {}
        for o in self.objects:
            idx.setdefault(o.kind, []).append(o)
        return idx

    def per_object(self) -> Context:
        """The context per-object checks of the same scan get: no objects,
        and a memo of its own."""
        return Context(k8s_version=self.k8s_version, options=self.options,
                       complete=self.complete)


class BaseCheck:
    id: ClassVar[str] = ""
    name: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.MEDIUM
    #: kinds this check looks at; None with ``workloads_only`` False: every kind
    kinds: ClassVar[frozenset[str] | None] = None
    #: only objects that hold a pod spec (``obj.pod`` is not None), CRDs included
    workloads_only: ClassVar[bool] = False
    #: framework name -> control ids (e.g. {"cis": ("5.2.2",), "nsa": ("...",)})
    frameworks: ClassVar[dict[str, tuple[str, ...]]] = {}
    default_enabled: ClassVar[bool] = True
    remediation: ClassVar[str] = ""
    #: FixSafety.SAFE / UNSAFE / DISPLAY, or None when the check has no fix
    fix_safety: ClassVar[str | None] = None
    #: options this check reads from the config, with defaults
    options: ClassVar[dict[str, Any]] = {}
    #: per-object checks with the same key here run as one (see
    #: ``group_checks``): the class's ``together`` makes the runner
    batch_group: ClassVar[str | None] = None

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if cls.__dict__.get("id"):
            if not _ID_RE.match(cls.id):
                raise ValueError(f"check id {cls.id!r} must look like ABC123")
            if cls.id in _REGISTRY and _REGISTRY[cls.id] is not cls:
                raise ValueError(f"duplicate check id {cls.id}")
            _REGISTRY[cls.id] = cls

    # -- helpers for check() ------------------------------------------------
    def finding(self, obj: K8sObject, path: Path, message: str, *, value: Any = None,
                remediation: str | None = None, edits: Iterable[Edit] = (),
                severity: Severity | None = None,
                frameworks: dict | None = None) -> Finding:
        """A finding of this check on ``obj`` at ``path``: the offending field,
        or the field that must be set when it is missing (then located at its
        nearest existing parent). ``frameworks`` narrows the check's framework
        references to the controls this one finding fails (for a check whose
        controls are per field)."""
        line, col, exact = obj.locate(path)
        source = obj.source
        fix_safety = self.fix_safety
        return Finding(
            check_id=self.id,
            check_name=self.name,
            severity=severity if severity is not None else self.severity,
            object=obj.ref(),
            file=source.file,
            line=line,
            column=col,
            path=path if path.__class__ is tuple else tuple(path),
            message=message,
            remediation=remediation if remediation is not None else self.remediation,
            frameworks=frameworks if frameworks is not None else self.frameworks,
            value=value,
            fix_safety=fix_safety if edits or fix_safety == FixSafety.DISPLAY else None,
            edits=edits if edits.__class__ is tuple else tuple(edits),
            doc_index=source.doc_index,
            present=exact,
        )

    def unconfigured(self, ctx: "Context") -> str | None:
        """Why this check evaluates nothing with ``ctx``'s options (a check
        that needs configuration), or None. A compliance control covered only
        by such checks is "not evaluated", never "passed"."""
        return None

    @classmethod
    def applies_to(cls, obj: K8sObject) -> bool:
        return cls.applies_to_kind(obj.kind, obj.pod is not None)

    @classmethod
    def applies_to_kind(cls, kind: str, has_pod: bool) -> bool:
        """Whether an object of ``kind`` (holding a pod spec or not) is checked."""
        if cls.workloads_only and not has_pod:
            return False
        return cls.kinds is None or kind in cls.kinds

    @classmethod
    def doc(cls) -> str:
        import inspect
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        """The docstring split by its ``## `` headings."""
        out: dict[str, str] = {}
        current = None
        for line in cls.doc().splitlines():
            if line.startswith("## "):
                current = line[3:].strip()
                out[current] = ""
            elif current is not None:
                out[current] += line + "\n"
        return {k: v.strip() for k, v in out.items()}


class Check(BaseCheck):
    """A check of one object at a time."""

    def check(self, obj: K8sObject, ctx: Context) -> Iterator[Finding]:  # pragma: no cover
        raise NotImplementedError


def group_checks(checks: list) -> list:
    """``checks``, those of one ``batch_group`` replaced by one runner made
    by their class's ``together(members)``, in the place of the first (an
    object with ``id`` and ``check(obj, ctx)`` that reports each member's
    findings under its own id). Custom CEL rules use it: a thousand rules
    of a kind are one CEL call per object, not a thousand Python calls."""
    groups: dict = {}
    out: list = []
    for c in checks:
        key = c.batch_group
        if key is None:
            out.append(c)
            continue
        members = groups.get(key)
        if members is None:
            members = groups[key] = []
            out.append(members)
        members.append(c)
    if not groups:
        return checks
    return [(c[0] if len(c) == 1 else type(c[0]).together(c)) if c.__class__ is list else c
            for c in out]


class CrossCheck(BaseCheck):
    """A check over every object of the scan at once. Findings still point
    at the object (file, line) that must change."""

    #: also a per-object check (``check(obj, ctx)``) that needs of the other
    #: objects only what the webhook's Context gives (``namespace_labels``):
    #: the webhook runs it on the object under review even without a
    #: cluster view of other objects
    admission_per_object: ClassVar[bool] = False

    def check_all(self, objects: list[K8sObject],
                  ctx: CrossContext) -> Iterator[Finding]:  # pragma: no cover
        raise NotImplementedError


def unregister(check_id: str) -> None:
    """Forget a check registered at run time (custom rules, see
    kubeward/checks/custom.py); built-in checks are never unregistered."""
    cls = _REGISTRY.get(check_id)
    if cls is not None and getattr(cls, "dynamic", False):
        del _REGISTRY[check_id]


def registry() -> dict[str, type[BaseCheck]]:
    """Every registered check, by id (imports the check modules once)."""
    from kubeward.checks import load_all
    load_all()
    return _REGISTRY


def describe_value(value: Any, limit: int = 80) -> str:
    """A short, safe rendering of an offending value for messages."""
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = ["BaseCheck", "Check", "CrossCheck", "Context", "CrossContext", "Edit", "Finding", "FixSafety",
           "Severity", "K8sObject", "Path", "format_path", "registry", "describe_value",
           "DOC_SECTIONS", "DEFAULT_K8S_VERSION", "unregister"]
