"""Attack paths: the few chains of findings that matter, ranked.

A path joins what kubeward already knows into the route an attacker takes:

* **entry**: how the attacker reaches a pod. A LoadBalancer or NodePort
  Service or an Ingress that routes to the workload (network analysis), a
  host port, ``hostNetwork``; or, for a workload not exposed at all, a
  compromised image (the threat of a malicious or hijacked dependency).
* **foothold**: a way out of the container (privileged, host namespaces,
  dangerous capabilities, the runtime socket or the host's root mounted,
  writable host mounts), from the findings of the checks in ``FOOTHOLD``.
* **identity**: the pod's ServiceAccount token is mounted (``token_mounted``
  of the RBAC analysis), and the escalation chain of that subject
  (``EscalationAnalysis.path``): every step names the binding and the role
  rule that allow it.
* **impact**: cluster-admin, Secrets of other namespaces, or root on a node.

Every step is a concrete object and field, with the findings of the input
that flag it (check ids through the tables below, so a renamed check is one
line here) or, where no check flags it, the analysis that found it.

Score (documented in docs/attack-paths.md)::

    score = IMPACT[impact] + ENTRY[entry] - 5 * (steps after the entry)

so the shortest route from the Internet to cluster-admin ranks first. The
**cheapest cut** of a path is the step after the entry whose fix costs
least (a safe fix 1, an unsafe fix 2, a manual change 3, a step no check
flags 4); among equal costs, the step shared by the most paths wins. The
entry is never the cut: without it the path stays open to a compromised
image.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Iterable

from kubeward.analysis import network as net
from kubeward.analysis import rbac
from kubeward.analysis.selectors import as_list
from kubeward.findings import Finding
from kubeward.paths import format_path

# -- the check-id tables (one line per check: a renamed check is one edit) ----

#: entry kind -> checks that flag the exposing object
ENTRY_CHECKS: dict[str, tuple[str, ...]] = {
    "LoadBalancer": ("NET002", "NET012"),
    "NodePort": ("NET001", "NET012"),
    "Ingress": ("NET005", "NET006", "NET007"),
    "hostPort": ("PSS005",),
    "hostNetwork": ("PSS001",),
    "image": ("IMG001", "IMG002", "IMG005"),
}

#: foothold checks -> what the escape is (the most severe finding wins, then
#: this order; the step's text adds the finding's message)
FOOTHOLD: dict[str, str] = {
    "PSS002": "privileged container",
    "PSS011": "Windows HostProcess container",
    "PSS004": "host path mounted",
    "PSS003": "capability that allows breaking out",
    "MNT007": "bidirectional mount propagation",
    "MNT005": "writable host mount",
    "PSS001": "host namespace shared",
}

#: the pod's token is mounted
TOKEN_CHECKS: tuple[str, ...] = ("SEC007",)
#: checks on RBAC role rules and bindings that flag an escalation step
RBAC_CHECKS: tuple[str, ...] = (*(f"RBAC{i:03d}" for i in (1, *range(4, 24))), "XRBAC004")

#: impact -> weight
IMPACT = {"cluster-admin": 60, "node": 50, "secrets": 40}
#: entry -> weight (Internet-facing first, compromised image last)
ENTRY = {"LoadBalancer": 30, "Ingress": 30, "NodePort": 25, "hostPort": 20, "hostNetwork": 20,
         "image": 0}
STEP_PENALTY = 5
#: cost of breaking a step, by fix safety of its cheapest finding
COST = {"safe": 1, "unsafe": 2, "display-only": 3, None: 3}
NO_FINDING_COST = 4

IMPACT_TEXT = {
    "cluster-admin": "cluster-admin: every object of the cluster",
    "node": "root on the node: the kubelet's credentials and every Secret and token of "
            "the pods on that node",
    "secrets": "Secrets of other namespaces",
}


def checks_needed() -> set[str]:
    """Every check id the paths use."""
    ids = set(FOOTHOLD) | set(TOKEN_CHECKS) | set(RBAC_CHECKS)
    for v in ENTRY_CHECKS.values():
        ids.update(v)
    return ids


# -- the model ------------------------------------------------------------------

@dataclass
class Step:
    stage: str  # entry | foothold | identity | impact
    text: str
    kind: str
    namespace: str | None
    name: str
    file: str
    line: int
    field: str
    findings: list[dict] = field(default_factory=list)
    analysis: str | None = None
    fix: str = ""
    fix_safety: str | None = None
    also: list[str] = field(default_factory=list)

    @property
    def object(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace \
            else f"{self.kind} {self.name}"

    @property
    def key(self) -> str:
        return f"{self.object}|{self.field}|{self.stage}"

    @property
    def cost(self) -> int:
        if not self.findings:
            return NO_FINDING_COST
        return min(COST.get(f.get("fixSafety"), 3) for f in self.findings)

    def basis(self) -> str:
        """The findings, else the analysis, that back this step."""
        if self.findings:
            return ", ".join(dict.fromkeys(f["checkId"] for f in self.findings))
        return f"analysis: {self.analysis}" if self.analysis else ""

    def to_dict(self) -> dict:
        d = {"stage": self.stage, "text": self.text, "object": self.object,
             "kind": self.kind, "namespace": self.namespace, "name": self.name,
             "file": self.file, "line": self.line, "field": self.field,
             "findings": self.findings, "analysis": self.analysis,
             "fix": self.fix, "fixSafety": self.fix_safety, "cost": self.cost}
        if self.also:
            d["also"] = self.also
        return d


@dataclass
class AttackPath:
    entry: str
    impact: str
    steps: list[Step]
    cut: int = 0  # index of the cheapest step to break

    @property
    def score(self) -> int:
        return IMPACT[self.impact] + ENTRY[self.entry] - STEP_PENALTY * (len(self.steps) - 1)

    @property
    def id(self) -> str:
        key = "\x1f".join(s.key for s in self.steps)
        return hashlib.sha256(key.encode()).hexdigest()[:12]

    @property
    def title(self) -> str:
        where = "from the Internet" if ENTRY[self.entry] >= 25 else \
            "from the node's network" if self.entry in ("hostPort", "hostNetwork") \
            else "from a compromised image"
        return f"{where} to {self.impact} through {self.workload}"

    @property
    def workload(self) -> str:
        for s in self.steps:
            if s.stage in ("foothold", "identity"):
                return s.object
        return self.steps[0].object

    def to_dict(self, rank: int) -> dict:
        return {"rank": rank, "id": self.id, "score": self.score, "entry": self.entry,
                "impact": self.impact, "impactText": IMPACT_TEXT[self.impact],
                "title": self.title, "workload": self.workload,
                "steps": [s.to_dict() for s in self.steps],
                "cheapestCut": {"step": self.cut + 1, **_cut_dict(self.steps[self.cut])}}


def _cut_dict(s: Step) -> dict:
    """The change that breaks step ``s``: at the field of its cheapest
    finding (where the fix applies), else at the step's field."""
    best = min(s.findings, key=lambda f: COST.get(f.get("fixSafety"), 3)) if s.findings else None
    field_, line = (best["fieldPath"], best["line"]) if best else (s.field, s.line)
    return {"object": s.object, "field": field_, "file": s.file, "line": line,
            "fix": s.fix, "fixSafety": s.fix_safety, "cost": s.cost}


# -- building -------------------------------------------------------------------

class _Findings:
    """Findings by object, for the step lookups."""

    def __init__(self, findings: Iterable[Finding]):
        from kubeward.baseline import fingerprint

        self.by_obj: dict[tuple, list[Finding]] = {}
        self._fp = fingerprint
        for f in findings:
            o = f.object
            self.by_obj.setdefault((o.kind, o.namespace or "", o.name, f.file), []).append(f)

    def on(self, obj, ids: Iterable[str], prefix: str | None = None) -> list[dict]:
        ids = set(ids)
        out = []
        for f in self.by_obj.get((obj.kind, obj.namespace or "", obj.name, obj.source.file), ()):
            if f.check_id not in ids:
                continue
            if prefix is not None and not (f.field_path == prefix
                                           or f.field_path.startswith(prefix + ".")
                                           or f.field_path.startswith(prefix + "[")):
                continue
            out.append(self.ref(f))
        return out

    def ref(self, f: Finding) -> dict:
        d = {"checkId": f.check_id, "severity": f.severity.label, "line": f.line,
             "fieldPath": f.field_path, "fingerprint": self._fp(f), "message": f.message,
             "fixSafety": f.fix_safety}
        if f.suppressed is not None:
            d["suppressed"] = f.suppressed
        return d


def _step(stage, text, obj, path, findings=(), analysis=None, fix="", also=()) -> Step:
    line = obj.locate(tuple(path))[0] if obj is not None else 0
    findings = list(findings)
    safety = None
    if findings:
        best = min(findings, key=lambda f: COST.get(f.get("fixSafety"), 3))
        safety = best.get("fixSafety")
    return Step(stage, text, obj.kind, obj.namespace, obj.name, obj.source.file, line,
                format_path(tuple(path)), findings, analysis, fix, safety, list(also))


class Builder:
    def __init__(self, objects: list, findings: Iterable[Finding]):
        self.objects = objects
        self.f = _Findings(findings)
        self.net = net.analyse(objects)
        self.model, self.esc = rbac.analyse(objects)
        self.bindings = {b.ref: b for b in self.model.bindings}
        self.roles = {r.ref: r for r in self.model.roles.values()}

    # entry ------------------------------------------------------------
    def entries(self, w: net.Workload) -> list[tuple[str, Step]]:
        out = []
        for e in self.net.exposure(w):
            if e.kind == "hostPort" or e.obj is None:
                continue
            kind = e.kind
            if e.obj.kind == "Service":
                path = ("spec", "type")
                fs = self.f.on(e.obj, ENTRY_CHECKS[kind])
                text = f"{e.via} selects the pods of {w.key}: reachable from outside the cluster"
                fix = "Make the Service ClusterIP (or internal), or restrict " \
                      "loadBalancerSourceRanges."
            else:
                path = ("spec", "rules") if isinstance(e.obj.raw.get("spec"), dict) and \
                    "rules" in e.obj.raw["spec"] else ("spec",)
                fs = self.f.on(e.obj, ENTRY_CHECKS["Ingress"])
                text = f"{e.via} routes to the pods of {w.key}: reachable from outside the cluster"
                fix = "Route only what must be public; put authentication in front."
            out.append((kind, _step("entry", text, e.obj, path, fs, "network exposure", fix)))
        spec = w.obj.pod.spec
        for c in w.obj.pod.containers:
            for j, p in enumerate(as_list(c.spec.get("ports"))):
                if isinstance(p, dict) and p.get("hostPort"):
                    path = c.path + ("ports", j, "hostPort")
                    fs = self.f.on(w.obj, ENTRY_CHECKS["hostPort"], format_path(path))
                    out.append(("hostPort", _step(
                        "entry", f"container {c.name} listens on host port {p.get('hostPort')} "
                        "of its node", w.obj, path, fs, "network exposure",
                        "Remove hostPort; expose the pod through a Service.")))
        if spec.get("hostNetwork") is True:
            path = w.obj.pod.path + ("hostNetwork",)
            fs = self.f.on(w.obj, ENTRY_CHECKS["hostNetwork"], format_path(path))
            out.append(("hostNetwork", _step(
                "entry", "the pod uses the node's network (hostNetwork): every port it opens "
                "is on the node's addresses", w.obj, path, fs, "network exposure",
                "Set hostNetwork: false.")))
        out.sort(key=lambda kv: -ENTRY[kv[0]])
        if out:
            best_kind, best = out[0]
            best.also = [s.object + " " + s.field for _, s in out[1:]]
            return [(best_kind, best)]
        c0 = w.obj.pod.containers[0] if w.obj.pod.containers else None
        path = c0.path + ("image",) if c0 is not None else w.obj.pod.path
        fs = self.f.on(w.obj, ENTRY_CHECKS["image"], format_path(path)) if c0 else []
        image = c0.spec.get("image") if c0 is not None else None
        return [("image", _step(
            "entry", f"not exposed outside the cluster; the threat is a compromised image "
            f"({image or 'no image'}) or a compromised dependency of it", w.obj, path, fs,
            "threat model: compromised image",
            "Pin images by digest from a trusted registry; verify signatures."))]

    # foothold -----------------------------------------------------------
    def foothold(self, w: net.Workload) -> Step | None:
        fs = self.f.by_obj.get((w.obj.kind, w.obj.namespace or "", w.obj.name,
                                w.obj.source.file), [])
        order = list(FOOTHOLD)
        hits = [f for f in fs if f.check_id in FOOTHOLD and not (
            f.check_id == "PSS001" and f.field_path.endswith("hostNetwork"))]
        if not hits:
            return None
        hits.sort(key=lambda f: (-f.severity, order.index(f.check_id), f.line))
        best = hits[0]
        others = [f"{f.check_id} {f.field_path}" for f in hits[1:]]
        return _step("foothold", f"{FOOTHOLD[best.check_id]}: {best.message}", w.obj,
                     best.path, [self.f.ref(best)], None,
                     best.remediation, others)

    # identity --------------------------------------------------------------
    def token(self, w: net.Workload) -> tuple[rbac.Subject, Step] | None:
        ns, sa, sa_path = rbac.workload_service_account(w.obj)
        if not rbac.token_mounted(w.obj, self.model.service_accounts.get((ns, sa))):
            return None
        fs = self.f.on(w.obj, TOKEN_CHECKS)
        step = _step("identity", f"runs as ServiceAccount {ns}/{sa} with its API token mounted "
                     "in the pod", w.obj, sa_path, fs, "rbac: token mounted",
                     "Set automountServiceAccountToken: false on the pod (or give it a "
                     "ServiceAccount without these permissions).")
        return rbac.Subject("ServiceAccount", sa, ns), step

    def _grant_step(self, stage: str, text: str, grants: list[rbac.Grant]) -> Step | None:
        if not grants:
            return None
        g = grants[0]
        b = self.bindings.get(g.binding)
        role = self.roles.get(g.role)
        also = [x.describe() for x in grants[1:3]]
        fs = []
        if b is not None:
            fs += self.f.on(b.obj, RBAC_CHECKS)
        # the findings on every rule that gives this step (a step may need two)
        for x in grants[:3]:
            r = self.roles.get(x.role)
            if r is not None and r.obj is not None and not x.origin:
                fs += [f for f in self.f.on(r.obj, RBAC_CHECKS, f"rules[{x.rule_index}]")
                       if f not in fs]
        if role is not None and role.obj is not None and not g.origin:
            if b is not None:
                also.insert(0, f"bound by {b.ref} subjects[{g.subject_index}]")
            return _step(stage, text, role.obj, ("rules", g.rule_index), fs,
                         "rbac: escalation", "Remove the permission from the role, or "
                         "bind the role to fewer subjects.", also)
        if b is not None:
            also.insert(0, f"role {g.role} rule {g.rule_index}"
                        + (f" ({g.origin})" if g.origin else ""))
            return _step(stage, text, b.obj, ("roleRef", "name") if "cluster-admin" in g.role
                         else ("subjects", g.subject_index), fs, "rbac: escalation",
                         "Delete the binding, or bind a role with only what the subject "
                         "needs.", also)
        return None

    def escalation(self, subject: rbac.Subject) -> list[Step] | None:
        chain = self.esc.path(subject)
        if not chain:
            return None
        node: tuple = ("subject", subject)
        steps: list[Step] = []
        for i, st in enumerate(chain):
            perms = self.model.permissions(node[1]) if node[0] == "subject" else []
            wanted = set(st.via)
            grants = [g for _, g in perms if g.describe() in wanted]
            nxt = None
            for cand, to in self.esc.edges(node):
                if cand.text == st.text and cand.to == st.to:
                    nxt = to
                    break
            stage = "impact" if i == len(chain) - 1 else "identity"
            step = self._grant_step(stage, f"{subject.key if i == 0 else self.esc.label(node)} "
                                    f"{st.text}", grants)
            if step is None:  # a pseudo node (namespace admin), no grant of the input
                step = self._pseudo_step(stage, f"{self.esc.label(node)} {st.text}", node,
                                         steps[-1] if steps else None)
                if step is None:
                    return None
            steps.append(step)
            if nxt is None and i < len(chain) - 1:
                return None
            node = nxt
        return steps

    def _pseudo_step(self, stage: str, text: str, node: tuple, prev: Step | None) -> Step | None:
        """A step from a node the previous step created (admin of a
        namespace, bound by the attacker): its object is the Namespace when
        the input has it, else the previous step's object."""
        ns_obj = self.model.namespace_objects.get(node[1]) if node[0] == "nsadmin" else None
        if ns_obj is not None:
            return _step(stage, text, ns_obj, ("metadata", "name"), [],
                         "rbac: escalation (with the binding made in the previous step)",
                         "Break the previous step.")
        if prev is None:
            return None
        return Step(stage, text, prev.kind, prev.namespace, prev.name, prev.file, prev.line,
                    prev.field, [], "rbac: escalation (with the binding made in the previous "
                    "step)", "Break the previous step.", None)

    def secrets(self, subject: rbac.Subject) -> Step | None:
        """A grant letting ``subject`` read Secrets outside its namespace."""
        for scope, g in self.model.permissions(subject):
            if scope == subject.namespace:
                continue
            if any(g.rule.allows_resource(v, "", "secrets", "", "") for v in ("get", "list")):
                where = "in every namespace" if scope is None else f"in namespace {scope}"
                return self._grant_step("impact", f"{subject.key} can read Secrets {where}", [g])
        return None

    # paths ------------------------------------------------------------------
    def paths(self) -> list[AttackPath]:
        out: list[AttackPath] = []
        for w in self.net.workloads:
            entry_kind, entry = self.entries(w)[0]
            foot = self.foothold(w)
            if foot is not None:
                impact = _step("impact", f"{IMPACT_TEXT['node']}", w.obj, w.obj.pod.path,
                               [], "node takeover through the foothold", foot.fix)
                out.append(AttackPath(entry_kind, "node", [entry, foot, impact]))
            tok = self.token(w)
            if tok is None:
                continue
            subject, tstep = tok
            chain = self.escalation(subject)
            if chain:
                out.append(AttackPath(entry_kind, "cluster-admin", [entry, tstep, *chain]))
                continue
            sec = self.secrets(subject)
            if sec is not None:
                out.append(AttackPath(entry_kind, "secrets", [entry, tstep, sec]))
        return rank(out)


def rank(paths: list[AttackPath]) -> list[AttackPath]:
    """Order by score (then fewer steps, then workload) and choose each
    path's cheapest cut."""
    shared: dict[str, int] = {}
    for p in paths:
        for s in p.steps:
            shared[s.key] = shared.get(s.key, 0) + 1
    for p in paths:
        # the entry is never the cut (without it the path stays open to a
        # compromised image), nor an impact step no check flags
        cand = [i for i, s in enumerate(p.steps)
                if s.stage != "entry" and (s.stage != "impact" or s.findings)]
        p.cut = min(cand or range(len(p.steps)),
                    key=lambda i: (p.steps[i].cost, -shared[p.steps[i].key], i))
    paths.sort(key=lambda p: (-p.score, len(p.steps), p.workload, p.impact, p.id))
    return paths


def cuts(paths: list[AttackPath]) -> list[dict]:
    """Cuts across paths: each chosen cut with the number of paths it breaks."""
    count: dict[str, tuple[Step, set]] = {}
    for p in paths:
        for s in p.steps:
            count.setdefault(s.key, (s, set()))[1].add(p.id)
    chosen = {p.steps[p.cut].key for p in paths}
    out = [{**_cut_dict(count[k][0]), "paths": len(count[k][1])} for k in chosen]
    out.sort(key=lambda d: (-d["paths"], d["cost"], d["object"], d["field"]))
    return out


def build(objects: list, findings: Iterable[Finding]) -> list[AttackPath]:
    return Builder(objects, findings).paths()


def report(paths: list[AttackPath], limit: int | None = None) -> dict:
    """The JSON form: {"count", "paths": [...], "cuts": [...], "score": ...}."""
    shown = paths if limit is None else paths[:limit]
    return {"count": len(paths), "scoring": SCORE_TEXT,
            "paths": [p.to_dict(i + 1) for i, p in enumerate(shown)],
            "cuts": cuts(paths)}


SCORE_TEXT = (f"score = impact ({', '.join(f'{k} {v}' for k, v in IMPACT.items())}) + entry "
              f"({', '.join(f'{k} {v}' for k, v in ENTRY.items())}) - {STEP_PENALTY} per step "
              "after the entry")


def text_lines(data: dict, limit: int | None = None) -> list[str]:
    """Plain text of ``report()``."""
    paths = data["paths"] if limit is None else data["paths"][:limit]
    if not paths:
        return ["No attack path: no workload of the input combines an entry with a way to "
                "cluster-admin, a node or other namespaces' Secrets."]
    lines = [f"{data['count']} attack path{'s' if data['count'] != 1 else ''} "
             f"(ranked; {data['scoring']})"]
    for p in paths:
        lines.append("")
        lines.append(f"#{p['rank']} score {p['score']}: {p['title']}  [{p['id']}]")
        for i, s in enumerate(p["steps"], 1):
            basis = ", ".join(dict.fromkeys(f["checkId"] for f in s["findings"])) \
                or f"analysis: {s['analysis']}"
            lines.append(f"  {i}. {s['stage']:<9} {s['object']}  field: {s['field']}  "
                         f"({s['file']}:{s['line']})")
            lines.append(f"     {s['text']}")
            lines.append(f"     basis: {basis}")
            for a in s.get("also", [])[:3]:
                lines.append(f"     also: {a}")
        c = p["cheapestCut"]
        lines.append(f"  cheapest cut: step {c['step']}, {c['object']} {c['field']}: "
                     f"{c['fix']} ({_safety(c['fixSafety'], c['cost'])})")
    if len(paths) < data["count"]:
        lines.append("")
        lines.append(f"... {data['count'] - len(paths)} more (use -o json for every path)")
    return lines


def _safety(safety, cost) -> str:
    if cost >= NO_FINDING_COST:
        return "manual change; no check flags this step"
    return {"safe": "safe fix", "unsafe": "unsafe fix", "display-only": "manual change"}.get(
        safety, "manual change")


def summary_lines(data: dict, limit: int = 3) -> list[str]:
    """The short form ``scan --attack-paths`` prints after the findings."""
    if not data["count"]:
        return ["Attack paths: none"]
    lines = [f"Attack paths: {data['count']} (top {min(limit, data['count'])}; "
             "`kubeward paths` shows every step)"]
    for p in data["paths"][:limit]:
        c = p["cheapestCut"]
        lines.append(f"  #{p['rank']} score {p['score']}: {p['title']}; cheapest cut: "
                     f"{c['object']} {c['field']}")
    return lines
