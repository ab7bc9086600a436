"""NetworkPolicy semantics, exactly as Kubernetes defines them.

* A pod is isolated for a direction iff at least one NetworkPolicy in its
  namespace selects it (``podSelector``; ``{}`` selects every pod of the
  namespace) and has that direction in its ``policyTypes``.
* ``policyTypes`` defaults to ``["Ingress"]``, plus ``"Egress"`` when the
  policy has at least one egress rule.
* Traffic is allowed iff the pod is not isolated for that direction, or some
  rule of some selecting policy allows it (rules are OR-ed; a rule allows
  when one of its peers AND one of its ports match; a missing or empty
  ``from``/``to`` matches every peer, a missing or empty ``ports`` every
  port).
* A peer with ``namespaceSelector`` and ``podSelector`` matches pods
  selected by both (AND); separate peers are OR-ed. ``podSelector`` alone
  means pods of the policy's namespace; ``namespaceSelector: {}`` every
  namespace. ``ipBlock`` (``cidr`` minus ``except``) is for addresses
  outside the cluster: this analysis does not apply it to pods (how CNIs
  treat pod IPs in ipBlocks is implementation-defined).
* Ports: ``protocol`` defaults to TCP; a missing ``port`` means every port
  of that protocol; a named port is resolved against the destination pod's
  container ports; ``endPort`` makes a range.

A ``hostNetwork: true`` pod has its node's addresses: NetworkPolicies do not
govern it (it is never isolated, whatever selects it), every container
port is a port of the node, and the pod selectors of other pods' policies do
not match it (its traffic has the node's address).

Namespace labels come from Namespace objects of the input plus the automatic
``kubernetes.io/metadata.name`` label every namespace has. Workloads are the
objects with a pod spec (``obj.pod``); objects without a namespace are taken
to be in ``default``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Iterable

from kubeward.analysis.selectors import (
    as_dict,
    as_list,
    describe_selector,
    is_empty_selector,
    selector_matches,
)
from kubeward.model import K8sObject

PROTOCOLS = ("TCP", "UDP", "SCTP")
MAX_PORT = 65535
NS_NAME_LABEL = "kubernetes.io/metadata.name"
INGRESS, EGRESS = "Ingress", "Egress"
#: kinds with a pod template that never runs by itself
NOT_RUNNING = frozenset({"PodTemplate"})


def default_namespace(obj: K8sObject) -> str:
    return obj.namespace or "default"


# -- ports ------------------------------------------------------------------

class PortSet:
    """Sets of (protocol, port) as merged inclusive ranges per protocol."""

    __slots__ = ("ranges",)

    def __init__(self, ranges: dict[str, list[tuple[int, int]]] | None = None):
        self.ranges: dict[str, tuple[tuple[int, int], ...]] = {}
        for proto, rs in (ranges or {}).items():
            merged = _merge(rs)
            if merged:
                self.ranges[proto] = merged

    @classmethod
    def all(cls) -> "PortSet":
        return cls({p: [(1, MAX_PORT)] for p in PROTOCOLS})

    def union(self, other: "PortSet") -> "PortSet":
        out = {p: list(r) for p, r in self.ranges.items()}
        for p, r in other.ranges.items():
            out.setdefault(p, []).extend(r)
        return PortSet(out)

    def intersect(self, other: "PortSet") -> "PortSet":
        out: dict[str, list[tuple[int, int]]] = {}
        for p, rs in self.ranges.items():
            for a, b in rs:
                for c, d in other.ranges.get(p, ()):
                    lo, hi = max(a, c), min(b, d)
                    if lo <= hi:
                        out.setdefault(p, []).append((lo, hi))
        return PortSet(out)

    def contains(self, protocol: str, port: int) -> bool:
        return any(a <= port <= b for a, b in self.ranges.get(protocol, ()))

    def is_empty(self) -> bool:
        return not self.ranges

    def is_all(self) -> bool:
        return all(self.ranges.get(p) == ((1, MAX_PORT),) for p in PROTOCOLS)

    def __eq__(self, other):
        return isinstance(other, PortSet) and self.ranges == other.ranges

    def __hash__(self):
        return hash(tuple(sorted(self.ranges.items())))

    def to_list(self) -> list[str]:
        """``["TCP/80", "TCP/8000-8080", "UDP/*"]``; ``["*"]`` for every port."""
        if self.is_all():
            return ["*"]
        out = []
        for p in PROTOCOLS:
            for a, b in self.ranges.get(p, ()):
                if (a, b) == (1, MAX_PORT):
                    out.append(f"{p}/*")
                else:
                    out.append(f"{p}/{a}" if a == b else f"{p}/{a}-{b}")
        return out

    def describe(self) -> str:
        return "all ports" if self.is_all() else (", ".join(self.to_list()) or "no port")

    def __repr__(self):
        return f"PortSet({self.to_list()})"


def _merge(rs: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[list[int]] = []
    for a, b in sorted(rs):
        if out and a <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return tuple((a, b) for a, b in out)


@dataclass(frozen=True)
class ContainerPort:
    name: str | None
    port: int
    protocol: str


def _port_int(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.isdigit():
        return int(v)
    return None


def rule_ports(ports: Any, target_ports: list[ContainerPort] | None) -> tuple[PortSet, tuple]:
    """The ports a rule's ``ports`` list allows: (numeric PortSet, unresolved
    named ports as (protocol, name)). Named ports are resolved against
    ``target_ports`` (the destination pod's container ports) when given."""
    if not ports or not isinstance(ports, list):
        return PortSet.all(), ()
    ranges: dict[str, list[tuple[int, int]]] = {}
    named: list[tuple[str, str]] = []
    for p in ports:
        if not isinstance(p, dict):
            continue
        proto = str(p.get("protocol") or "TCP")
        port = p.get("port")
        if port is None:
            ranges.setdefault(proto, []).append((1, MAX_PORT))
            continue
        num = _port_int(port)
        if num is not None:
            end = _port_int(p.get("endPort"))
            ranges.setdefault(proto, []).append((num, end if end and end >= num else num))
            continue
        name = str(port)
        if target_ports is None:
            named.append((proto, name))
            continue
        for cp in target_ports:
            if cp.name == name and cp.protocol == proto:
                ranges.setdefault(proto, []).append((cp.port, cp.port))
    return PortSet(ranges), tuple(named)


# -- workloads, namespaces, policies ------------------------------------------

class Workload:
    __slots__ = ("obj", "namespace", "labels", "ports", "index", "host_network")

    def __init__(self, obj: K8sObject, index: int):
        self.obj = obj
        self.index = index
        #: on the node's network: NetworkPolicies do not govern its pods
        self.host_network = obj.pod.spec.get("hostNetwork") is True
        self.namespace = default_namespace(obj)
        labels = obj.pod.metadata.get("labels") if obj.pod else None
        self.labels: dict = {str(k): str(v) for k, v in labels.items()} \
            if isinstance(labels, dict) else {}
        ports = []
        for c in obj.pod.containers:
            for p in as_list(c.spec.get("ports")):
                if isinstance(p, dict):
                    num = _port_int(p.get("containerPort"))
                    if num is not None:
                        name = p.get("name")
                        ports.append(ContainerPort(name if isinstance(name, str) else None,
                                                   num, str(p.get("protocol") or "TCP")))
        self.ports: list[ContainerPort] = ports

    @property
    def key(self) -> str:
        return f"{self.obj.kind} {self.namespace}/{self.obj.name}"

    def __repr__(self):
        return f"<Workload {self.key}>"


@dataclass(frozen=True)
class Peer:
    """One entry of ``from``/``to`` (or ``kind == "any"`` for a rule
    without peers)."""
    kind: str  # "any" | "pods" | "ipBlock"
    policy_namespace: str
    namespace_selector: Any = None  # None: the policy's namespace
    pod_selector: Any = None  # None with a namespace selector: every pod
    cidr: str | None = None
    excepts: tuple = ()

    def matches_pod(self, ns: str, labels: dict, ns_labels) -> bool:
        if self.kind == "any":
            return True
        if self.kind != "pods":
            return False
        if self.namespace_selector is None:
            if ns != self.policy_namespace:
                return False
        elif not selector_matches(self.namespace_selector, ns_labels(ns)):
            return False
        return self.pod_selector is None or selector_matches(self.pod_selector, labels)

    @property
    def all_pods(self) -> bool:
        return self.pod_selector is None or is_empty_selector(self.pod_selector)

    @property
    def any_address(self) -> bool:
        """Matches every address outside the cluster (maybe minus excepts)."""
        if self.kind == "any":
            return True
        if self.kind == "ipBlock" and self.cidr:
            try:
                return ipaddress.ip_network(self.cidr, strict=False).prefixlen == 0
            except ValueError:
                return False
        return False

    def describe(self) -> str:
        if self.kind == "any":
            return "any source or destination (no peers listed)"
        if self.kind == "ipBlock":
            ex = f" except {', '.join(self.excepts)}" if self.excepts else ""
            return f"addresses {self.cidr}{ex}"
        pods = "all pods" if self.all_pods else f"pods {describe_selector(self.pod_selector)}"
        if self.namespace_selector is None:
            return f"{pods} in namespace {self.policy_namespace}"
        if is_empty_selector(self.namespace_selector):
            return f"{pods} in all namespaces"
        return f"{pods} in namespaces {describe_selector(self.namespace_selector)}"

    def to_dict(self) -> dict:
        d: dict = {"kind": self.kind, "description": self.describe()}
        if self.kind == "pods":
            d["namespaceSelector"] = self.namespace_selector
            d["podSelector"] = self.pod_selector
        if self.kind == "ipBlock":
            d["cidr"] = self.cidr
            d["except"] = list(self.excepts)
        return d


@dataclass
class Rule:
    index: int
    peers: list[Peer]
    ports: Any  # the raw ``ports`` list


class Policy:
    def __init__(self, obj: K8sObject):
        self.obj = obj
        self.namespace = default_namespace(obj)
        self.name = obj.name
        spec = obj.raw.get("spec") if isinstance(obj.raw.get("spec"), dict) else {}
        self.pod_selector = spec.get("podSelector") if isinstance(spec.get("podSelector"),
                                                                   dict) else {}
        ingress = spec.get("ingress") if isinstance(spec.get("ingress"), list) else []
        egress = spec.get("egress") if isinstance(spec.get("egress"), list) else []
        types = spec.get("policyTypes")
        self.types_defaulted = not types
        if types and isinstance(types, list):
            self.types = frozenset(str(t) for t in types)
        else:
            self.types = frozenset({INGRESS, EGRESS} if egress else {INGRESS})
        self.ingress = [self._rule(i, r, "from") for i, r in enumerate(ingress)]
        self.egress = [self._rule(i, r, "to") for i, r in enumerate(egress)]

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    def _rule(self, index: int, raw: Any, key: str) -> Rule:
        raw = raw if isinstance(raw, dict) else {}
        peers_raw = raw.get(key)
        peers: list[Peer] = []
        if not peers_raw or not isinstance(peers_raw, list):
            peers = [Peer("any", self.namespace)]
        else:
            for p in peers_raw:
                if not isinstance(p, dict):
                    continue
                ipb = p.get("ipBlock")
                if isinstance(ipb, dict):
                    ex = as_list(ipb.get("except"))
                    peers.append(Peer("ipBlock", self.namespace, cidr=str(ipb.get("cidr")),
                                      excepts=tuple(str(e) for e in ex)
                                      if isinstance(ex, list) else ()))
                    continue
                nss, pods = p.get("namespaceSelector"), p.get("podSelector")
                if nss is None and pods is None:
                    continue  # invalid peer: the API server rejects it
                peers.append(Peer("pods", self.namespace,
                                  namespace_selector=nss if isinstance(nss, dict) else None,
                                  pod_selector=pods if isinstance(pods, dict) else None))
        return Rule(index, peers, raw.get("ports"))

    def rules(self, direction: str) -> list[Rule]:
        return self.ingress if direction == INGRESS else self.egress

    def rules_path(self, direction: str) -> tuple:
        return ("spec", "ingress" if direction == INGRESS else "egress")

    def selects(self, w: Workload) -> bool:
        return w.namespace == self.namespace and selector_matches(self.pod_selector, w.labels)


@dataclass
class Grant:
    """What one peer of one rule of one policy allows a workload."""
    policy: str
    rule: int
    peer: Peer
    ports: PortSet
    named_ports: tuple = ()  # egress: named ports resolved per destination

    def to_dict(self) -> dict:
        d = {"policy": self.policy, "rule": self.rule, "peer": self.peer.to_dict(),
             "ports": self.ports.to_list()}
        if self.named_ports:
            d["namedPorts"] = [f"{p}/{n}" for p, n in self.named_ports]
        return d


@dataclass
class DirectionView:
    """Who a workload accepts traffic from (ingress) or may send to (egress)."""
    direction: str
    isolated: bool
    policies: list[str] = field(default_factory=list)  # policies isolating it
    grants: list[Grant] = field(default_factory=list)
    #: policies that select a hostNetwork pod, without effect on it
    ignored: list[str] = field(default_factory=list)

    def _ports(self, pred) -> tuple[str, list[str]]:
        """(``all``/``some``/``none``, ports) over grants whose peer passes
        ``pred`` (which returns "all", "some" or None). Egress named ports
        (resolved per destination) are listed as ``TCP/name``."""
        if not self.isolated:
            return "all", ["*"]
        level, ports, named = "none", PortSet(), []
        for g in self.grants:
            r = pred(g.peer)
            if r is None or (g.ports.is_empty() and not g.named_ports):
                continue
            ports = ports.union(g.ports)
            named += [f"{p}/{n}" for p, n in g.named_ports]
            if r == "all":
                level = "all"
            elif level == "none":
                level = "some"
        return level, ports.to_list() + list(dict.fromkeys(named))

    def same_namespace(self, ns_labels, ns: str) -> tuple[str, list[str]]:
        def pred(p: Peer):
            if p.kind == "any":
                return "all"
            if p.kind != "pods":
                return None
            if p.namespace_selector is not None and not selector_matches(
                    p.namespace_selector, ns_labels(ns)):
                return None
            return "all" if p.all_pods else "some"
        return self._ports(pred)

    def other_namespaces(self) -> tuple[str, list[str]]:
        def pred(p: Peer):
            if p.kind == "any":
                return "all"
            if p.kind != "pods" or p.namespace_selector is None:
                return None
            if is_empty_selector(p.namespace_selector) and p.all_pods:
                return "all"
            return "some"
        return self._ports(pred)

    def any_address(self) -> tuple[str, list[str]]:
        def pred(p: Peer):
            if p.any_address:
                return "all" if not p.excepts else "some"
            return None
        return self._ports(pred)

    def cidrs(self) -> list[tuple[str, PortSet]]:
        if not self.isolated:
            return []
        return [(g.peer.describe(), g.ports) for g in self.grants if g.peer.kind == "ipBlock"]


@dataclass
class Exposure:
    kind: str  # "NodePort" | "LoadBalancer" | "Ingress" | "hostPort"
    via: str  # human description
    obj: K8sObject | None
    ports: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = {"kind": self.kind, "via": self.via, "ports": self.ports}
        if self.obj is not None:
            d["object"] = f"{self.obj.kind} {default_namespace(self.obj)}/{self.obj.name}"
        return d


# -- the analysis -------------------------------------------------------------

class NetworkAnalysis:
    """Everything network, computed once per set of objects."""

    def __init__(self, objects: list[K8sObject]):
        self.objects = objects
        self.workloads: list[Workload] = []
        self.policies: list[Policy] = []
        self.namespace_objects: dict[str, K8sObject] = {}
        self.services: list[K8sObject] = []
        self.ingresses: list[K8sObject] = []
        #: namespace -> label sets of custom resources that may create pods
        #: (operators: Prometheus, Alertmanager, ...), which selectors may target
        self.owner_labels: dict[str, list[dict]] = {}
        for o in objects:
            if o.pod is not None and o.kind not in NOT_RUNNING:
                self.workloads.append(Workload(o, len(self.workloads)))
            elif o.kind == "NetworkPolicy":
                self.policies.append(Policy(o))
            elif o.kind == "Namespace" and o.name:
                self.namespace_objects[o.name] = o
            elif o.kind == "Service":
                self.services.append(o)
            elif o.kind == "Ingress":
                self.ingresses.append(o)
            elif _maybe_pod_owner(o):
                self.owner_labels.setdefault(default_namespace(o), []).extend(
                    _owner_labels(o))
        self.by_namespace: dict[str, list[Workload]] = {}
        self._label_index: dict[tuple[str, str, str], set[int]] = {}
        for w in self.workloads:
            self.by_namespace.setdefault(w.namespace, []).append(w)
            for k, v in w.labels.items():
                self._label_index.setdefault((w.namespace, k, v), set()).add(w.index)
        self.policies_by_namespace: dict[str, list[Policy]] = {}
        for p in self.policies:
            self.policies_by_namespace.setdefault(p.namespace, []).append(p)
        self._ns_labels: dict[str, dict] = {}
        self._views: dict[tuple[int, str], DirectionView] = {}
        self._policies_for: dict[int, list[Policy]] = {}
        self._selected: dict[int, list[Workload]] = {}
        self._pol_index: dict[tuple, list[int]] | None = None
        self._exposure: dict[int, list[Exposure]] | None = None

    # -- namespaces ---------------------------------------------------------
    def namespace_labels(self, ns: str) -> dict:
        labels = self._ns_labels.get(ns)
        if labels is None:
            obj = self.namespace_objects.get(ns)
            labels = {str(k): str(v) for k, v in obj.labels.items()} if obj else {}
            labels[NS_NAME_LABEL] = ns
            self._ns_labels[ns] = labels
        return labels

    def known_namespaces(self) -> list[str]:
        names = set(self.namespace_objects) | set(self.by_namespace) | \
            set(self.policies_by_namespace)
        return sorted(names)

    def namespaces_matching(self, selector: Any) -> list[str]:
        return [n for n in self.known_namespaces()
                if selector_matches(selector, self.namespace_labels(n))]

    def selector_needs_missing_namespace(self, selector: Any) -> bool:
        """True when ``selector`` uses labels other than the automatic name
        label, and some namespace it might match is not in the input (so the
        answer depends on objects not present)."""
        if not isinstance(selector, dict) or is_empty_selector(selector):
            return False
        keys = {str(k) for k in as_dict(selector.get("matchLabels"))}
        keys |= {str(e.get("key")) for e in as_list(selector.get("matchExpressions"))
                 if isinstance(e, dict)}
        if keys <= {NS_NAME_LABEL}:
            return False
        return any(n not in self.namespace_objects for n in self.known_namespaces()) \
            or not self.namespace_objects

    # -- selection ----------------------------------------------------------
    def selected_by(self, policy: Policy) -> list[Workload]:
        """Workloads ``policy`` selects, in input order (for every policy at
        once, from ``policies_for``: each workload is matched against the
        policies of its namespace only)."""
        if not self._selected:
            for p in self.policies:
                self._selected[id(p)] = []
            for w in self.workloads:
                for p in self.policies_for(w):
                    self._selected[id(p)].append(w)
        return self._selected.get(id(policy), [])

    def policies_for(self, w: Workload) -> list[Policy]:
        """Policies of ``w``'s namespace selecting its pods, in input order.
        Candidates come from an index of the policies by one of their
        ``matchLabels`` pairs (a policy without one is always a candidate),
        so a workload is not tested against every policy of a large
        namespace; the selector itself decides."""
        got = self._policies_for.get(w.index)  # once per workload, not per direction
        if got is None:
            if self._pol_index is None:
                self._pol_index = self._index_policies()
            idx = self._pol_index
            cands = set(idx.get((w.namespace, None, None), ()))
            for k, v in w.labels.items():
                cands.update(idx.get((w.namespace, k, v), ()))
            pols = self.policies
            got = self._policies_for[w.index] = [
                pols[i] for i in sorted(cands)
                if selector_matches(pols[i].pod_selector, w.labels)]
        return list(got)

    def _index_policies(self) -> dict[tuple, list[int]]:
        """(namespace, label, value) -> positions of the policies whose
        ``matchLabels`` ask for that pair (the first one, a necessary
        condition); (namespace, None, None) -> every other policy."""
        idx: dict[tuple, list[int]] = {}
        for i, p in enumerate(self.policies):
            sel = p.pod_selector
            ml = sel.get("matchLabels") if isinstance(sel, dict) else None
            key: tuple = (p.namespace, None, None)
            if isinstance(ml, dict) and ml:
                k, v = next(iter(ml.items()))
                if isinstance(k, str):
                    key = (p.namespace, k, str(v))
            idx.setdefault(key, []).append(i)
        return idx

    def view(self, w: Workload, direction: str) -> DirectionView:
        key = (w.index, direction)
        v = self._views.get(key)
        if v is not None:
            return v
        pols = [p for p in self.policies_for(w) if direction in p.types]
        if w.host_network:  # the pod has the node's addresses: no policy applies
            v = self._views[key] = DirectionView(direction, False,
                                                 ignored=[p.ref for p in pols])
            return v
        v = DirectionView(direction, bool(pols), [p.ref for p in pols])
        for p in pols:
            for rule in p.rules(direction):
                if direction == INGRESS:
                    ports, named = rule_ports(rule.ports, w.ports)
                else:
                    ports, named = rule_ports(rule.ports, None)
                for peer in rule.peers:
                    v.grants.append(Grant(p.ref, rule.index, peer, ports, named))
        self._views[key] = v
        return v

    def workloads_matching_map(self, ns: str, selector: dict) -> list[Workload]:
        """Workloads of ``ns`` a Service-style map selector selects."""
        if not isinstance(selector, dict) or not selector:
            return []
        sets = [self._label_index.get((ns, str(k), str(v)), set()) for k, v in selector.items()]
        hit = set.intersection(*sets) if sets else set()
        return [self.workloads[i] for i in sorted(hit)]

    def workloads_selected(self, ns: str, selector: Any) -> list[Workload]:
        """Workloads of ``ns`` a LabelSelector selects (``selector_matches``),
        in input order; the candidates of a selector with ``matchLabels``
        come from the label index."""
        ml = selector.get("matchLabels") if isinstance(selector, dict) else None
        if isinstance(ml, dict) and ml:
            k, v = next(iter(ml.items()))
            if not isinstance(k, str):
                return []
            cands = [self.workloads[i]
                     for i in sorted(self._label_index.get((ns, k, str(v)), ()))]
        else:
            cands = self.by_namespace.get(ns, [])
        return [w for w in cands if selector_matches(selector, w.labels)]

    def custom_owner_matches(self, ns: str, matches) -> bool:
        """True when a custom resource of ``ns`` (an operator's object that
        creates pods not in the input) carries labels ``matches`` accepts."""
        return any(matches(labels) for labels in self.owner_labels.get(ns, ()))

    # -- connectivity between workloads -------------------------------------
    def _direction_ports(self, owner: Workload, direction: str, other: Workload) -> PortSet:
        v = self.view(owner, direction)
        if not v.isolated:
            return PortSet.all()
        out = PortSet()
        for g in v.grants:
            if other.host_network and g.peer.kind == "pods":
                continue  # its traffic has the node's address: pod selectors do not match it
            if not g.peer.matches_pod(other.namespace, other.labels, self.namespace_labels):
                continue
            out = out.union(g.ports)
            if g.named_ports:
                named = [{"protocol": p, "port": n} for p, n in g.named_ports]
                out = out.union(rule_ports(named, other.ports)[0])
        return out

    def allowed(self, src: Workload, dst: Workload) -> PortSet:
        """Ports on which ``src`` may open connections to ``dst``: both the
        source's egress and the destination's ingress must allow them."""
        eg = self._direction_ports(src, EGRESS, dst)
        if eg.is_empty():
            return eg
        return eg.intersect(self._direction_ports(dst, INGRESS, src))

    # -- exposure outside the cluster ----------------------------------------
    def exposure(self, w: Workload) -> list[Exposure]:
        if self._exposure is None:
            self._exposure = self._compute_exposure()
        return self._exposure.get(w.index, [])

    def _compute_exposure(self) -> dict[int, list[Exposure]]:
        out: dict[int, list[Exposure]] = {}
        svc_by_name: dict[tuple[str, str], K8sObject] = {}
        for s in self.services:
            svc_by_name[(default_namespace(s), s.name)] = s
            spec = s.raw.get("spec") if isinstance(s.raw.get("spec"), dict) else {}
            typ = spec.get("type") or "ClusterIP"
            if typ not in ("NodePort", "LoadBalancer"):
                continue
            ports = [_svc_port_text(p, typ) for p in as_list(spec.get("ports"))
                     if isinstance(p, dict)]
            for w in self.workloads_matching_map(default_namespace(s), spec.get("selector")):
                out.setdefault(w.index, []).append(Exposure(
                    typ, f"Service {default_namespace(s)}/{s.name} type {typ}", s, ports))
        for ing in self.ingresses:
            ns = default_namespace(ing)
            for svc_name, port, where, _path in ingress_backends(ing):
                svc = svc_by_name.get((ns, svc_name))
                if svc is None:
                    continue
                spec = svc.raw.get("spec") if isinstance(svc.raw.get("spec"), dict) else {}
                for w in self.workloads_matching_map(ns, spec.get("selector")):
                    lst = out.setdefault(w.index, [])
                    via = f"Ingress {ns}/{ing.name} {where} -> Service {svc_name}:{port}"
                    if not any(e.via == via for e in lst):
                        lst.append(Exposure("Ingress", via, ing, [str(port)]))
        for w in self.workloads:
            for c in w.obj.pod.containers:
                for p in as_list(c.spec.get("ports")):
                    if not isinstance(p, dict):
                        continue
                    if _port_int(p.get("hostPort")):
                        out.setdefault(w.index, []).append(Exposure(
                            "hostPort", f"container {c.name} hostPort {p.get('hostPort')}",
                            None, [f"{p.get('protocol') or 'TCP'}/{p.get('hostPort')}"]))
                    elif w.host_network and _port_int(p.get("containerPort")):
                        # on the node's network, a container port is a port of the node
                        out.setdefault(w.index, []).append(Exposure(
                            "hostPort", f"container {c.name} port {p.get('containerPort')} "
                            "on the node's addresses (hostNetwork)", None,
                            [f"{p.get('protocol') or 'TCP'}/{p.get('containerPort')}"]))
            if w.host_network and w.index not in out:
                out[w.index] = [Exposure("hostPort", "hostNetwork: every port its containers "
                                         "listen on, on the node's addresses", None, ["*"])]
        return out

    def exposed_outside(self, w: Workload) -> list[Exposure]:
        """Exposure through a Service (NodePort/LoadBalancer) or an Ingress."""
        return [e for e in self.exposure(w) if e.kind != "hostPort"]

    # -- reports ------------------------------------------------------------
    def summary(self, w: Workload, direction: str) -> dict:
        v = self.view(w, direction)
        same, same_ports = v.same_namespace(self.namespace_labels, w.namespace)
        other, other_ports = v.other_namespaces()
        anyaddr, any_ports = v.any_address()
        return {
            "isolated": v.isolated,
            "hostNetwork": w.host_network,
            "policies": v.policies,
            "sameNamespace": {"level": same, "ports": same_ports},
            "otherNamespaces": {"level": other, "ports": other_ports},
            "anyAddress": {"level": anyaddr, "ports": any_ports},
            "cidrs": [{"peer": d, "ports": p.to_list()} for d, p in v.cidrs()],
            "rules": [g.to_dict() for g in v.grants],
            "notes": self.notes(v),
        }

    def notes(self, v: DirectionView) -> list[str]:
        """Where the answer depends on objects not in the input, and
        policies without effect on a hostNetwork pod."""
        out = []
        if v.ignored:
            out.append(f"{', '.join(v.ignored)} {'select' if len(v.ignored) > 1 else 'selects'}"
                       " it without effect: NetworkPolicies do not govern hostNetwork pods")
        for g in v.grants:
            sel = g.peer.namespace_selector
            if g.peer.kind == "pods" and self.selector_needs_missing_namespace(sel):
                known = self.namespaces_matching(sel)
                out.append(f"{g.policy} rule {g.rule} selects namespaces by labels "
                           f"{describe_selector(sel)}; namespaces not in the input may match"
                           + (f" (in the input: {', '.join(known)})" if known else ""))
        return list(dict.fromkeys(out))

    #: above this many workload classes, the pairwise lists are only made
    #: for directions a NetworkPolicy restricts (the output would be huge)
    PAIRWISE_LIMIT = 400

    def report(self) -> list[dict]:
        """Per workload: ingress, egress, exposure, and which workloads of the
        input can reach it and it can reach. Workloads with the same
        namespace, pod labels and container ports behave the same, so the
        pairwise part is computed once per such class. On large inputs
        (more than PAIRWISE_LIMIT classes) the lists are ``None`` for a
        direction no policy restricts (any workload whose own policies allow
        it)."""
        classes: dict[tuple, list[Workload]] = {}
        for w in self.workloads:
            key = (w.namespace, tuple(sorted(w.labels.items())), tuple(w.ports))
            classes.setdefault(key, []).append(w)
        reps = [ws[0] for ws in classes.values()]
        cls_of = {w.index: i for i, ws in enumerate(classes.values()) for w in ws}
        full = len(reps) <= self.PAIRWISE_LIMIT
        matrix: dict[tuple[int, int], PortSet] = {}

        def allowed(ci: int, cj: int) -> PortSet:
            p = matrix.get((ci, cj))
            if p is None:
                p = matrix[(ci, cj)] = self.allowed(reps[ci], reps[cj])
            return p

        out = []
        for w in self.workloads:
            ci = cls_of[w.index]
            want_from = full or self.view(w, INGRESS).isolated
            want_to = full or self.view(w, EGRESS).isolated
            reach_from: list | None = [] if want_from else None
            reach_to: list | None = [] if want_to else None
            for o in self.workloads if (want_from or want_to) else ():
                if o is w:
                    continue
                cj = cls_of[o.index]
                if want_from:
                    p = allowed(cj, ci)
                    if not p.is_empty():
                        reach_from.append({"workload": o.key, "ports": p.to_list()})
                if want_to:
                    p = allowed(ci, cj)
                    if not p.is_empty():
                        reach_to.append({"workload": o.key, "ports": p.to_list()})
            out.append({
                "workload": w.key,
                "kind": w.obj.kind, "namespace": w.namespace, "name": w.obj.name,
                "file": w.obj.source.file,
                "line": w.obj.locate(())[0],
                "ingress": self.summary(w, INGRESS),
                "egress": self.summary(w, EGRESS),
                "exposure": [e.to_dict() for e in self.exposure(w)],
                "reachableFrom": reach_from,
                "canReach": reach_to,
            })
        return out


def _svc_port_text(p: dict, typ: str) -> str:
    proto = p.get("protocol") or "TCP"
    s = f"{proto}/{p.get('port')}"
    if typ == "NodePort" or p.get("nodePort"):
        s += f" (nodePort {p.get('nodePort') or 'auto'})"
    return s


def ingress_backends(ing: K8sObject) -> list[tuple[str, Any, str, tuple]]:
    """(service name, port number or name, where, field path) of every backend of an
    Ingress, networking.k8s.io/v1 and the older extensions/v1beta1 shape."""
    spec = ing.raw.get("spec") if isinstance(ing.raw.get("spec"), dict) else {}
    out: list[tuple[str, Any, str, tuple]] = []

    def add(backend, where, path):
        if not isinstance(backend, dict):
            return
        svc = backend.get("service")
        if isinstance(svc, dict) and svc.get("name"):
            port = svc.get("port") if isinstance(svc.get("port"), dict) else {}
            out.append((str(svc["name"]), port.get("number", port.get("name")), where, path))
        elif backend.get("serviceName"):
            out.append((str(backend["serviceName"]), backend.get("servicePort"), where,
                        path))

    for key in ("defaultBackend", "backend"):
        add(spec.get(key), "default backend", ("spec", key))
    for i, rule in enumerate(as_list(spec.get("rules"))):
        if not isinstance(rule, dict):
            continue
        http = rule.get("http") if isinstance(rule.get("http"), dict) else {}
        for j, p in enumerate(as_list(http.get("paths"))):
            if isinstance(p, dict):
                where = f"{rule.get('host') or '*'}{p.get('path') or '/'}"
                add(p.get("backend"), where, ("spec", "rules", i, "http", "paths", j,
                                              "backend"))
    return out


def _maybe_pod_owner(o: K8sObject) -> bool:
    group = o.group
    return "." in group and not group.endswith((".k8s.io", ".kubernetes.io")) \
        and o.kind != "CustomResourceDefinition"


def _owner_labels(o: K8sObject) -> list[dict]:
    out = [{str(k): str(v) for k, v in o.labels.items()}]
    spec = o.raw.get("spec") if isinstance(o.raw.get("spec"), dict) else {}
    pm = spec.get("podMetadata")
    if isinstance(pm, dict) and isinstance(pm.get("labels"), dict):
        out.append({str(k): str(v) for k, v in pm["labels"].items()})
    return out


def analyse(objects: list[K8sObject]) -> NetworkAnalysis:
    """The network analysis of ``objects``."""
    return NetworkAnalysis(objects)


def with_workload(base: NetworkAnalysis, objects: list[K8sObject],
                  workload: K8sObject) -> NetworkAnalysis | None:
    """The analysis of ``objects``, which are the objects ``base`` was built
    from plus ``workload``, sharing what does not depend on workloads: the
    parsed policies and their index, namespaces, Services, Ingresses and
    operator labels (the admission webhook builds ``base`` once per
    namespace and cluster-view version, not once per review). None when
    ``base`` holds workloads or ``workload`` is not one. The result is the
    analysis a fresh ``analyse(objects)`` gives: ``workload`` is its only
    workload, and the caches that depend on workloads start empty."""
    if base.workloads or workload.pod is None or workload.kind in NOT_RUNNING:
        return None
    if base._pol_index is None:
        base._pol_index = base._index_policies()
    import copy

    a = copy.copy(base)
    a.objects = objects
    w = Workload(workload, 0)
    a.workloads = [w]
    a.by_namespace = {w.namespace: [w]}
    a._label_index = {(w.namespace, k, v): {0} for k, v in w.labels.items()}
    a._views, a._policies_for, a._selected, a._exposure = {}, {}, {}, None
    return a


def of_context(ctx) -> NetworkAnalysis:
    """``analyse`` of a check context's objects, once per scan (checks share it)."""
    return ctx.memo("analysis.network", lambda: analyse(ctx.objects))
