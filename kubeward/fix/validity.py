"""The API server's validation rules that fixes and mutations can break, as
data, and the choice of which fixes to hold back.

Each :class:`Rule` is taken from Kubernetes' own pod validation
(``pkg/apis/core/validation/validation.go``; the function is named in
``source``) or, where the API server accepts the object but the pod can
never start, from the kubelet (``source`` says so). A rule is a list of
conditions on one pod spec (and, for container rules, one container); the
object violates it when every condition holds. Rules apply to every pod
spec kubeward finds (Pods, workload templates, custom resources by shape).

:func:`select_valid` applies fix groups to an object's data and keeps only
the groups whose result adds no violation that the original did not
already have; a group that would is *held back*, with the reason, and the
reason names the unsafe fix that would make it valid (for example PSS002
removing ``privileged`` before PSS014 sets ``allowPrivilegeEscalation:
false``). Groups are tried in order and retried after later ones, so a set
of fixes that is valid together (privileged: false, then
allowPrivilegeEscalation: false) is applied together.

Conditions are ``(scope, field, op, arg)``:

* scope ``c``: the container's ``securityContext``; ``e``: the container's
  effective value (its own, else the pod's ``securityContext``); ``p``: the
  pod's ``securityContext``; ``s``: the pod spec itself;
* field: a dotted path below the scope;
* op: ``is`` (equal, same type), ``not`` (absent or different), ``set``
  (present and not null), ``unset``, ``has_any`` (a list holding one of
  ``arg``), ``seccomp_annotation`` / ``apparmor_annotation`` (a
  pod-template annotation ``arg`` that disagrees with the field; ``{name}``
  in ``arg`` is the container's name).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from kubeward.paths import Path, format_path

_MISSING = object()


@dataclass(frozen=True)
class Rule:
    id: str
    scope: str  # "container" or "pod"
    when: tuple  # conditions, all must hold
    message: str
    source: str  # upstream function (validation.go) or "kubelet: ..."
    #: a pod spec (with ``metadata`` for annotations) that breaks the rule, for the tests
    example: dict = field(default_factory=dict, compare=False, hash=False)
    since: tuple | None = None  # Kubernetes versions the rule applies to
    until: tuple | None = None  # exclusive


@dataclass(frozen=True)
class Violation:
    rule: str
    path: Path
    message: str

    def text(self) -> str:
        return f"{self.message} (at {format_path(self.path)})"


def _c(**sc) -> dict:
    return {"containers": [{"name": "app", "image": "app:1", "securityContext": sc}]}


def _p(sc: dict, **spec) -> dict:
    return {"containers": [{"name": "app", "image": "app:1"}], "securityContext": sc, **spec}


_APE_FALSE = ("c", "allowPrivilegeEscalation", "is", False)

RULES: list[Rule] = [
    Rule("ape-false-privileged", "container",
         (_APE_FALSE, ("c", "privileged", "is", True)),
         "the API server rejects allowPrivilegeEscalation: false together with privileged: true",
         "ValidateSecurityContext", _c(privileged=True, allowPrivilegeEscalation=False)),
    Rule("ape-false-cap-sys-admin", "container",
         (_APE_FALSE, ("c", "capabilities.add", "has_any", ("CAP_SYS_ADMIN",))),
         "the API server rejects allowPrivilegeEscalation: false with CAP_SYS_ADMIN added",
         "ValidateSecurityContext",
         _c(allowPrivilegeEscalation=False, capabilities={"add": ["CAP_SYS_ADMIN"]})),
    Rule("ape-false-sys-admin", "container",
         (_APE_FALSE, ("c", "capabilities.add", "has_any", ("SYS_ADMIN",))),
         "allowPrivilegeEscalation is always true with SYS_ADMIN added (the runtime ignores "
         "false), so setting it would only hide the escalation",
         "kubelet: AllowPrivilegeEscalation field documentation",
         _c(allowPrivilegeEscalation=False, capabilities={"add": ["SYS_ADMIN"]})),
    Rule("run-as-non-root-uid-0", "container",
         (("e", "runAsNonRoot", "is", True), ("e", "runAsUser", "is", 0)),
         "runAsNonRoot: true with runAsUser: 0 never starts (the kubelet refuses the container)",
         "kubelet: verifyRunAsNonRoot", _c(runAsNonRoot=True, runAsUser=0)),
    Rule("seccomp-localhost-needs-profile", "container",
         (("c", "seccompProfile.type", "is", "Localhost"),
          ("c", "seccompProfile.localhostProfile", "unset", None)),
         "seccompProfile.localhostProfile must be set when the type is Localhost",
         "validateSeccompProfileField", _c(seccompProfile={"type": "Localhost"})),
    Rule("seccomp-profile-only-localhost", "container",
         (("c", "seccompProfile.localhostProfile", "set", None),
          ("c", "seccompProfile.type", "not", "Localhost")),
         "seccompProfile.localhostProfile can only be set when the type is Localhost",
         "validateSeccompProfileField",
         _c(seccompProfile={"type": "RuntimeDefault", "localhostProfile": "p.json"})),
    Rule("pod-seccomp-localhost-needs-profile", "pod",
         (("p", "seccompProfile.type", "is", "Localhost"),
          ("p", "seccompProfile.localhostProfile", "unset", None)),
         "seccompProfile.localhostProfile must be set when the type is Localhost",
         "validateSeccompProfileField", _p({"seccompProfile": {"type": "Localhost"}})),
    Rule("pod-seccomp-profile-only-localhost", "pod",
         (("p", "seccompProfile.localhostProfile", "set", None),
          ("p", "seccompProfile.type", "not", "Localhost")),
         "seccompProfile.localhostProfile can only be set when the type is Localhost",
         "validateSeccompProfileField",
         _p({"seccompProfile": {"type": "RuntimeDefault", "localhostProfile": "p.json"}})),
    Rule("seccomp-annotation-mismatch", "container",
         (("c", "seccompProfile", "seccomp_annotation",
           "container.seccomp.security.alpha.kubernetes.io/{name}"),),
         "the seccomp annotation and seccompProfile must match when both are set",
         "validateSeccompAnnotationsAndFields",
         {**_c(seccompProfile={"type": "RuntimeDefault"}), "metadata": {"annotations": {
             "container.seccomp.security.alpha.kubernetes.io/app": "unconfined"}}}),
    Rule("pod-seccomp-annotation-mismatch", "pod",
         (("p", "seccompProfile", "seccomp_annotation", "seccomp.security.alpha.kubernetes.io/pod"),),
         "the seccomp annotation and seccompProfile must match when both are set",
         "validateSeccompAnnotationsAndFields",
         {**_p({"seccompProfile": {"type": "RuntimeDefault"}}), "metadata": {"annotations": {
             "seccomp.security.alpha.kubernetes.io/pod": "unconfined"}}}),
    Rule("apparmor-localhost-needs-profile", "container",
         (("c", "appArmorProfile.type", "is", "Localhost"),
          ("c", "appArmorProfile.localhostProfile", "unset", None)),
         "appArmorProfile.localhostProfile must be set when the type is Localhost",
         "ValidateAppArmorProfileField", _c(appArmorProfile={"type": "Localhost"}),
         since=(1, 30)),
    Rule("apparmor-profile-only-localhost", "container",
         (("c", "appArmorProfile.localhostProfile", "set", None),
          ("c", "appArmorProfile.type", "not", "Localhost")),
         "appArmorProfile.localhostProfile can only be set when the type is Localhost",
         "ValidateAppArmorProfileField",
         _c(appArmorProfile={"type": "RuntimeDefault", "localhostProfile": "p"}), since=(1, 30)),
    Rule("apparmor-field-before-1.30", "container",
         (("c", "appArmorProfile", "set", None),),
         "securityContext.appArmorProfile does not exist before Kubernetes 1.30 (use the "
         "container.apparmor.security.beta.kubernetes.io annotation)",
         "AppArmor field introduced in 1.30", _c(appArmorProfile={"type": "RuntimeDefault"}),
         until=(1, 30)),
    Rule("apparmor-annotation-mismatch", "container",
         (("e", "appArmorProfile", "apparmor_annotation",
           "container.apparmor.security.beta.kubernetes.io/{name}"),),
         "the AppArmor annotation and appArmorProfile must match when both are set",
         "validateAppArmorAnnotationsAndFieldsMatchOnCreate",
         {**_c(appArmorProfile={"type": "RuntimeDefault"}), "metadata": {"annotations": {
             "container.apparmor.security.beta.kubernetes.io/app": "unconfined"}}},
         since=(1, 30)),
    Rule("procmount-unmasked-needs-user-namespace", "container",
         (("c", "procMount", "is", "Unmasked"), ("s", "hostUsers", "not", False)),
         "procMount: Unmasked needs hostUsers: false", "ValidateSecurityContext",
         _c(procMount="Unmasked"), since=(1, 30)),
    Rule("user-namespace-host-network", "pod",
         (("s", "hostUsers", "is", False), ("s", "hostNetwork", "is", True)),
         "hostNetwork: true is forbidden when hostUsers is false", "validateHostUsers",
         {"containers": [{"name": "app", "image": "app:1"}], "hostUsers": False,
          "hostNetwork": True}),
    Rule("user-namespace-host-pid", "pod",
         (("s", "hostUsers", "is", False), ("s", "hostPID", "is", True)),
         "hostPID: true is forbidden when hostUsers is false", "validateHostUsers",
         {"containers": [{"name": "app", "image": "app:1"}], "hostUsers": False,
          "hostPID": True}),
    Rule("user-namespace-host-ipc", "pod",
         (("s", "hostUsers", "is", False), ("s", "hostIPC", "is", True)),
         "hostIPC: true is forbidden when hostUsers is false", "validateHostUsers",
         {"containers": [{"name": "app", "image": "app:1"}], "hostUsers": False,
          "hostIPC": True}),
    Rule("share-process-namespace-host-pid", "pod",
         (("s", "shareProcessNamespace", "is", True), ("s", "hostPID", "is", True)),
         "shareProcessNamespace and hostPID cannot both be enabled",
         "validatePodSpecSecurityContext",
         {"containers": [{"name": "app", "image": "app:1"}], "shareProcessNamespace": True,
          "hostPID": True}),
    Rule("host-process-needs-host-network", "container",
         (("e", "windowsOptions.hostProcess", "is", True), ("s", "hostNetwork", "not", True)),
         "Windows HostProcess containers need hostNetwork: true",
         "validateWindowsHostProcessPod",
         {**_c(windowsOptions={"hostProcess": True}), "os": {"name": "windows"}}),
    Rule("linux-pod-windows-options", "container",
         (("s", "os.name", "is", "linux"), ("c", "windowsOptions", "set", None)),
         "windows options cannot be set for a linux pod", "validateLinux",
         {**_c(windowsOptions={"runAsUserName": "u"}), "os": {"name": "linux"}}),
]

#: fields that ``validateWindows`` forbids on a ``spec.os.name: windows`` pod
WINDOWS_POD_SC_FIELDS = ("appArmorProfile", "seLinuxOptions", "seccompProfile", "fsGroup",
                         "fsGroupChangePolicy", "sysctls", "runAsUser", "runAsGroup",
                         "supplementalGroups", "supplementalGroupsPolicy",
                         "seLinuxChangePolicy")
WINDOWS_POD_SPEC_FIELDS = ("hostUsers", "shareProcessNamespace")
WINDOWS_POD_SPEC_TRUE = ("hostPID", "hostIPC")
WINDOWS_CONTAINER_FIELDS = ("appArmorProfile", "seLinuxOptions", "seccompProfile", "capabilities",
                            "readOnlyRootFilesystem", "privileged", "allowPrivilegeEscalation",
                            "procMount", "runAsUser", "runAsGroup")
_WIN = ("s", "os.name", "is", "windows")
_SAMPLE = {"capabilities": {"drop": ["ALL"]}, "sysctls": [{"name": "a", "value": "1"}],
           "seccompProfile": {"type": "RuntimeDefault"},
           "appArmorProfile": {"type": "RuntimeDefault"}, "seLinuxOptions": {"level": "s0"},
           "fsGroupChangePolicy": "Always", "supplementalGroupsPolicy": "Merge",
           "seLinuxChangePolicy": "Recursive", "procMount": "Default",
           "supplementalGroups": [1000]}
for _f in WINDOWS_POD_SC_FIELDS:
    RULES.append(Rule(f"windows-pod-{_f}", "pod", (_WIN, ("p", _f, "set", None)),
                      f"securityContext.{_f} cannot be set for a windows pod", "validateWindows",
                      {**_p({_f: _SAMPLE.get(_f, 1000)}), "os": {"name": "windows"}}))
for _f in WINDOWS_POD_SPEC_FIELDS:
    RULES.append(Rule(f"windows-pod-{_f}", "pod", (_WIN, ("s", _f, "set", None)),
                      f"{_f} cannot be set for a windows pod", "validateWindows",
                      {"containers": [{"name": "app", "image": "app:1"}], _f: False,
                       "os": {"name": "windows"}}))
for _f in WINDOWS_POD_SPEC_TRUE:
    RULES.append(Rule(f"windows-pod-{_f}", "pod", (_WIN, ("s", _f, "is", True)),
                      f"{_f} cannot be set for a windows pod", "validateWindows",
                      {"containers": [{"name": "app", "image": "app:1"}], _f: True,
                       "os": {"name": "windows"}}))
for _f in WINDOWS_CONTAINER_FIELDS:
    RULES.append(Rule(f"windows-container-{_f}", "container", (_WIN, ("c", _f, "set", None)),
                      f"securityContext.{_f} cannot be set for a windows pod", "validateWindows",
                      {**_c(**{_f: _SAMPLE.get(_f, 1000 if _f.startswith("runAs") else False)}),
                       "os": {"name": "windows"}}))
del _f

RULES_BY_ID = {r.id: r for r in RULES}


# -- evaluation ---------------------------------------------------------------


def _get(d: Any, dotted: str) -> Any:
    cur = d
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return _MISSING
        cur = cur[part]
    return cur


_SECCOMP_ANNOTATION = {"Unconfined": ("unconfined",),
                       "RuntimeDefault": ("runtime/default", "docker/default")}
_APPARMOR_ANNOTATION = {"Unconfined": "unconfined", "RuntimeDefault": "runtime/default"}


def _profile_mismatch(value: Any, annotation: Any, kind: str) -> bool:
    if not isinstance(value, dict) or not isinstance(annotation, str):
        return False
    ptype = value.get("type")
    if ptype == "Localhost":
        prefix = "localhost/"
        return not (annotation.startswith(prefix) and
                    annotation[len(prefix):] == value.get("localhostProfile"))
    if kind == "seccomp":
        allowed = _SECCOMP_ANNOTATION.get(ptype)
        return allowed is not None and annotation not in allowed
    want = _APPARMOR_ANNOTATION.get(ptype)
    return want is not None and annotation != want


def _holds(cond: tuple, spec: dict, psc: dict, container: dict | None, csc: dict,
           annotations: dict) -> bool:
    scope, fld, op, arg = cond
    if scope == "c":
        value = _get(csc, fld)
    elif scope == "p":
        value = _get(psc, fld)
    elif scope == "e":
        value = _get(csc, fld)
        if value is _MISSING or value is None:
            value = _get(psc, fld)
    else:
        value = _get(spec, fld)
    if op == "is":
        return value is not _MISSING and value == arg and type(value) is type(arg)
    if op == "not":
        return value is _MISSING or not (value == arg and type(value) is type(arg))
    if op == "set":
        return value is not _MISSING and value is not None
    if op == "unset":
        return value is _MISSING or value is None
    if op == "has_any":
        return isinstance(value, list) and any(isinstance(v, str) and v in arg for v in value)
    if op in ("seccomp_annotation", "apparmor_annotation"):
        key = arg.format(name=(container or {}).get("name", ""))
        return _profile_mismatch(value, annotations.get(key), op.split("_")[0])
    raise ValueError(f"unknown condition op {op!r}")


def _applies(rule: Rule, version: tuple | None) -> bool:
    if version is None:
        return True
    if rule.since is not None and tuple(version) < rule.since:
        return False
    return not (rule.until is not None and tuple(version) >= rule.until)


def _rule_path(rule: Rule, base: Path) -> Path:
    scope, fld = rule.when[-1][0], rule.when[-1][1]
    parts = tuple(fld.split("."))
    if scope in ("c", "e"):
        return base + ("securityContext",) + parts
    if scope == "p":
        return base + ("securityContext",) + parts
    return base + parts


def pod_violations(spec: dict, metadata: dict | None = None, *, path: Path = (),
                   version: tuple | None = None, rules: Sequence[Rule] = ()) -> list[Violation]:
    """Violations of ``rules`` (default: all) by one pod spec at ``path``."""
    rules = rules or RULES
    meta = metadata if isinstance(metadata, dict) else {}
    ann = meta.get("annotations")
    annotations = ann if isinstance(ann, dict) else {}
    out: list[Violation] = []
    containers: list[tuple[Path, dict]] = []
    for list_name in ("initContainers", "containers", "ephemeralContainers"):
        items = spec.get(list_name)
        if isinstance(items, list):
            containers += [(path + (list_name, i), c) for i, c in enumerate(items)
                           if isinstance(c, dict)]
    psc = spec.get("securityContext")
    psc = psc if isinstance(psc, dict) else {}
    cscs = []
    for _cpath, c in containers:
        got = c.get("securityContext")
        cscs.append(got if isinstance(got, dict) else {})
    for rule in rules:
        if not _applies(rule, version):
            continue
        if rule.scope == "pod":
            if all(_holds(c, spec, psc, None, {}, annotations) for c in rule.when):
                out.append(Violation(rule.id, _rule_path(rule, path), rule.message))
            continue
        for (cpath, c), csc in zip(containers, cscs):
            if all(_holds(cond, spec, psc, c, csc, annotations) for cond in rule.when):
                out.append(Violation(rule.id, _rule_path(rule, cpath), rule.message))
    return out


def violations(raw: Any, version: tuple | None = None, rules: Sequence[Rule] = ()) -> list[Violation]:
    """Violations of ``rules`` (default: every encoded rule) by the pod spec
    of object ``raw`` (none for objects without one)."""
    from kubeward.model import K8sObject, Source

    if not isinstance(raw, dict):
        return []
    pod = K8sObject(raw, Source("", 0, 0, {})).pod
    if pod is None:
        return []
    return pod_violations(pod.spec, pod.metadata, path=pod.path, version=version, rules=rules)


_ANN = ("ann", "")


def _rule_keys(rule: Rule) -> frozenset:
    """What a rule reads: ``(scope, top-level field)`` per condition, and
    ``_ANN`` for the annotation conditions (which also read container names)."""
    keys = set()
    for scope, fld, op, _arg in rule.when:
        keys.add((scope, fld.split(".")[0]))
        if op.endswith("_annotation"):
            keys.add(_ANN)
    return frozenset(keys)


_KEYS = {r.id: _rule_keys(r) for r in RULES}


def _touched(path: tuple, pod_path: tuple) -> set | None:
    """The rule keys an edit at ``path`` can change (None: any rule)."""
    n = len(pod_path)
    if tuple(path[:n]) != tuple(pod_path) or len(path) <= n:
        return None  # metadata (annotations) or above the pod spec
    rel = path[n:]
    if rel[0] in _LISTS:
        if len(rel) >= 4 and isinstance(rel[1], int) and rel[2] == "securityContext":
            return {("c", rel[3]), ("e", rel[3])}
        if len(rel) >= 3 and isinstance(rel[1], int) and rel[2] != "securityContext":
            return {_ANN}  # name, image, ...: only the annotation rules read the name
        return None
    if rel[0] == "securityContext":
        return {("p", rel[1]), ("e", rel[1])} if len(rel) >= 2 else None
    return {("s", rel[0])}


def relevant_rules(edits: Iterable, pod_path: tuple) -> list[Rule] | None:
    """The rules that ``edits`` can newly break (None: all of them)."""
    keys: set = set()
    for e in edits:
        got = _touched(tuple(e.path), pod_path)
        if got is None:
            return None
        keys |= got
    return [r for r in RULES if _KEYS[r.id] & keys]


# -- choosing fixes -------------------------------------------------------------


@dataclass
class Selection:
    accepted: list = field(default_factory=list)  # group keys, in the order given
    held: list = field(default_factory=list)  # (group key, reason)


def select_valid(raw: dict, groups: Sequence[tuple[Any, Sequence]], *,
                 version: tuple | None = None,
                 helpers: Sequence[tuple[Any, Sequence, str]] = ()) -> Selection:
    """Which of ``groups`` (``(key, edits)``, edit paths relative to the
    object) can be applied to ``raw`` without adding a violation.

    A group is accepted when the object with every accepted group and it
    applied has no violation the original did not have. Groups refused in
    one pass are retried after the others (a later group may make them
    valid), until a pass accepts nothing more. ``helpers`` are groups that
    are not applied (unsafe fixes without ``--unsafe-fixes``), given as
    ``(key, edits, label)``; when adding one makes a held-back group valid,
    the reason names it.

    Cost: when every group together is valid (the usual case), one
    application and one evaluation. Otherwise groups that edit one
    container only are decided on that container alone (a container's rules
    read only it and the pod-level fields), so the work grows with the
    number of groups, not with its square times the object's size."""
    from kubeward.fix.jsonpatch import EditError, apply_edits
    from kubeward.model import K8sObject, Source

    sel = Selection()
    if not groups:
        return sel
    pod = K8sObject(raw, Source("", 0, 0, {})).pod if isinstance(raw, dict) else None
    if pod is None:
        sel.accepted = [k for k, _e in groups]
        return sel
    every = [e for _k, edits in groups for e in edits]
    rules = relevant_rules(every, pod.path)
    if rules == []:  # the edits touch no field any rule reads
        sel.accepted = [k for k, _e in groups]
        return sel
    try:
        base = set(violations(raw, version, rules or ()))
        final = apply_edits(raw, every)
        if not [v for v in violations(final, version, rules or ()) if v not in base]:
            sel.accepted = [k for k, _e in groups]
            return sel
    except (EditError, TypeError, ValueError, AttributeError):
        pass  # decided group by group below
    # partition: groups inside one container, and the rest ("pod")
    units: dict[Any, list[int]] = {}
    n = len(pod.path)
    for i, (_k, edits) in enumerate(groups):
        heads = {tuple(e.path[:n + 2]) for e in edits}
        unit = "pod"
        if len(heads) == 1:
            head = next(iter(heads))
            if len(head) == n + 2 and head[:n] == pod.path and head[n] in _LISTS \
                    and isinstance(head[n + 1], int):
                unit = head
        units.setdefault(unit, []).append(i)
    accepted: set[int] = set()
    reasons: dict[int, str] = {}
    pod_ids = units.pop("pod", [])
    data = raw
    if pod_ids:
        acc, held, pod_edits = _choose(raw, [groups[i][1] for i in pod_ids], version,
                                       [(h[1], h[2]) for h in helpers], lambda p: p, rules)
        accepted |= {pod_ids[j] for j in acc}
        reasons.update({pod_ids[j]: r for j, r in held.items()})
        try:
            data = apply_edits(raw, pod_edits)
        except EditError:
            data = raw
    after_pod = K8sObject(data, Source("", 0, 0, {})).pod
    for head, ids in units.items():
        list_name, index = head[n], head[n + 1]
        mini = _mini_pod(after_pod, list_name, index)
        if mini is None:
            accepted |= set(ids)
            continue
        root = ("spec", list_name, 0)

        def reroot(edits, head=head, root=root):
            return [type(e)(e.op, root + tuple(e.path[n + 2:]), e.value) for e in edits]

        def back(path, head=head, root=root):
            return head + tuple(path[3:]) if tuple(path[:3]) == root else path

        unit_helpers = [(reroot(h[1]), h[2]) for h in helpers
                        if all(tuple(e.path[:n + 2]) == head for e in h[1])]
        acc, held, _edits = _choose(mini, [reroot(groups[i][1]) for i in ids], version,
                                    unit_helpers, back, rules)
        accepted |= {ids[j] for j in acc}
        reasons.update({ids[j]: r for j, r in held.items()})
    sel.accepted = [groups[i][0] for i in range(len(groups)) if i in accepted]
    sel.held = [(groups[i][0], reasons[i]) for i in range(len(groups)) if i in reasons]
    return sel


_LISTS = ("initContainers", "containers", "ephemeralContainers")


def _mini_pod(pod, list_name: str, index: int) -> dict | None:
    """A Pod holding ``pod``'s pod-level fields and only the container
    ``list_name[index]`` (at index 0), with the template's annotations."""
    if pod is None:
        return None
    items = pod.spec.get(list_name)
    if not isinstance(items, list) or not 0 <= index < len(items):
        return None
    spec = {k: v for k, v in pod.spec.items() if k not in _LISTS}
    spec[list_name] = [items[index]]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod.metadata, "spec": spec}


def _choose(raw: dict, groups: list, version, helpers: list, back, rules=None) -> tuple:
    """(accepted indexes, {index: reason}, accepted edits) for ``groups``
    (lists of edits) on ``raw``; ``back`` maps a violation path of ``raw``
    to the path to report; ``rules`` (None: all) are the rules to evaluate."""
    from kubeward.fix.jsonpatch import EditError, apply_edits

    if helpers:
        rules = None  # a helper may touch other fields
    rules = rules or ()
    try:
        base = set(violations(raw, version, rules))
    except Exception:  # noqa: BLE001 - odd data: no rule can be evaluated
        base = set()

    def new_violations(edits: list) -> list[Violation]:
        try:
            data = apply_edits(raw, edits)
        except EditError:
            return []  # the splicer reports edits that cannot be applied
        return [v for v in violations(data, version, rules) if v not in base]

    if len(groups) > 1:  # most units are valid as a whole: one evaluation
        together = [e for g in groups for e in g]
        if not new_violations(together):
            return set(range(len(groups))), {}, together
    accepted_edits: list = []
    accepted: set[int] = set()
    pending = list(range(len(groups)))
    last: dict[int, list[Violation]] = {}
    progress = True
    while pending and progress:
        progress = False
        rest = []
        for i in pending:
            edits = accepted_edits + list(groups[i])
            bad = new_violations(edits)
            if bad:
                last[i] = bad
                rest.append(i)
            else:
                accepted_edits = edits
                accepted.add(i)
                progress = True
        pending = rest
    held = {}
    for i in pending:
        texts = dict.fromkeys(f"{v.message} (at {format_path(back(v.path))})" for v in last[i])
        hint = _helper_hint(groups[i], accepted_edits, helpers, new_violations)
        held[i] = "held back: " + "; ".join(texts) + hint
    return accepted, held, accepted_edits


def _helper_hint(edits, accepted_edits, helpers, new_violations) -> str:
    """``; valid together with X`` when the unapplied helper group X (or,
    failing any single one, all of them) makes ``edits`` valid. ``helpers``
    are ``(edits, label)``."""
    for h_edits, label in helpers:
        if not new_violations(list(accepted_edits) + list(h_edits) + list(edits)):
            return f"; valid together with {label}"
    if len(helpers) > 1:
        every = [e for h, _l in helpers for e in h]
        if not new_violations(list(accepted_edits) + every + list(edits)):
            labels = ", ".join(dict.fromkeys(label for _h, label in helpers))
            return f"; valid together with {labels}"
    return ""


def describe(rules: Iterable[Rule] = RULES) -> list[dict]:
    """The rules as plain data (for docs and tests)."""
    return [{"id": r.id, "scope": r.scope, "message": r.message, "source": r.source,
             "since": r.since, "until": r.until} for r in rules]


__all__ = ["RULES", "RULES_BY_ID", "Rule", "Selection", "Violation", "describe",
           "pod_violations", "relevant_rules", "select_valid", "violations"]
