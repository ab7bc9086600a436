"""Network exposure, one object at a time: Services, host ports, Ingress
TLS and NetworkPolicies that open more than they should.

Severity rubric (the same in every kubeward check module):

- critical: direct host or cluster takeover;
- high: container escape, privilege escalation or credential exposure likely;
- medium: weakens defence in depth;
- low: hardening / best practice;
- info: hygiene.

CIDR arithmetic uses :mod:`ipaddress` (``strict=False``, as the API server
accepts host bits in NetworkPolicy CIDRs in older versions); invalid CIDRs
are ignored here (the API server rejects them).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from kubeward.checks.base import Check, Severity

NSA = ("network/exposure",)
NSA_NETPOL = ("network/network-policies",)

#: cloud instance metadata endpoints (AWS/GCP/Azure/OpenStack and AWS's IPv6 one)
METADATA_ADDRESSES = tuple(ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254"))
METADATA_PORT = 80
KUBELET_PORTS = (10250, 10255)

SOURCE_RANGES_ANNOTATION = "service.beta.kubernetes.io/load-balancer-source-ranges"

#: annotations that make a LoadBalancer internal (not reachable from the internet)
INTERNAL_LB_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": None,  # any value but "false"
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
    "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
    "networking.gke.io/load-balancer-type": "internal",
    "cloud.google.com/load-balancer-type": "internal",
    "service.beta.kubernetes.io/oci-load-balancer-internal": "true",
    "service.beta.kubernetes.io/openstack-internal-load-balancer": "true",
    "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type": "private",
    "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type": "intranet",
}


def _d(x) -> dict:
    return x if isinstance(x, dict) else {}


def _l(x) -> list:
    return x if isinstance(x, list) else []


def parse_cidr(text):
    """The network of a CIDR string; None for anything else."""
    return _parse_cidr(text.strip()) if isinstance(text, str) else None


@lru_cache(maxsize=4096)
def _parse_cidr(text: str):
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def is_internal_lb(annotations: dict) -> bool:
    for key, want in INTERNAL_LB_ANNOTATIONS.items():
        if key in annotations:
            val = str(annotations[key]).strip().lower()
            if want is None:
                if val not in ("false", "0", ""):
                    return True
            elif val == want:
                return True
    return False


# ---------------------------------------------------------------------------
# Services


class NodePortService(Check):
    """
    ## What it does
    Reports Services of type `NodePort`.

    ## Why is this bad?
    A NodePort opens the same port on every node of the cluster, on every
    node address, usually past the cloud load balancer and its firewall
    rules. Anything that can reach a node reaches the service, and the
    node's own firewall rarely restricts the 30000-32767 range.

    ## Example
    ```yaml
    kind: Service
    spec:
      type: NodePort
      ports:
        - port: 80
          nodePort: 30080
    ```

    ## Use instead
    ```yaml
    kind: Service
    spec:
      type: ClusterIP
      ports:
        - port: 80
    # and expose it through an Ingress or Gateway with TLS
    ```

    ## Fix safety
    No automatic fix: clients that use the node port would break.
    """

    id = "NET001"
    name = "NodePort Service"
    severity = Severity.LOW
    kinds = frozenset({"Service"})
    frameworks = {"nsa": NSA, "mitre": ("MS-TA9005",)}
    remediation = "Use a ClusterIP Service behind an Ingress or Gateway."

    def check(self, obj, ctx):
        if _d(obj.raw.get("spec")).get("type") == "NodePort":
            yield self.finding(obj, ("spec", "type"),
                               f"Service {obj.name!r} is exposed on a port of every node",
                               value="NodePort")


class LoadBalancerOpen(Check):
    """
    ## What it does
    Reports Services of type `LoadBalancer` without
    `spec.loadBalancerSourceRanges` (or, when the field is unset, the
    `service.beta.kubernetes.io/load-balancer-source-ranges` annotation),
    or whose source ranges include the whole internet (`0.0.0.0/0`, `::/0`). Load balancers made internal by
    the usual cloud annotations (AWS, Azure, GKE, OCI, OpenStack, IBM,
    Alibaba) are not reported.

    ## Why is this bad?
    Without source ranges a cloud load balancer accepts connections from
    anywhere: the service is on the internet, exposed to scanning and
    exploitation of any weakness (a dashboard, a debug endpoint, missing
    authentication).

    ## Example
    ```yaml
    kind: Service
    spec:
      type: LoadBalancer
      ports:
        - port: 443
    ```

    ## Use instead
    ```yaml
    kind: Service
    spec:
      type: LoadBalancer
      loadBalancerSourceRanges:
        - 203.0.113.0/24
      ports:
        - port: 443
    ```

    ## Fix safety
    No automatic fix: only the owner knows the client ranges.
    """

    id = "NET002"
    name = "LoadBalancer open to the internet"
    severity = Severity.MEDIUM
    kinds = frozenset({"Service"})
    frameworks = {"nsa": NSA, "mitre": ("MS-TA9005",)}
    remediation = "Set spec.loadBalancerSourceRanges to the client ranges, or make it internal."

    def check(self, obj, ctx):
        spec = _d(obj.raw.get("spec"))
        if spec.get("type") != "LoadBalancer" or is_internal_lb(obj.annotations):
            return
        ranges = _l(spec.get("loadBalancerSourceRanges"))
        paths = [("spec", "loadBalancerSourceRanges", i) for i in range(len(ranges))]
        if not ranges:
            # the field wins; without it, cloud providers read the annotation
            ann = obj.annotations.get(SOURCE_RANGES_ANNOTATION)
            if isinstance(ann, str) and ann.strip():
                ranges = [r.strip() for r in ann.split(",") if r.strip()]
                paths = [("metadata", "annotations", SOURCE_RANGES_ANNOTATION)] * len(ranges)
        if not ranges:
            yield self.finding(obj, ("spec", "type"),
                               f"LoadBalancer Service {obj.name!r} has no "
                               "loadBalancerSourceRanges: it accepts traffic from anywhere",
                               value="LoadBalancer")
            return
        for path, r in zip(paths, ranges):
            net = parse_cidr(r)
            if net is not None and net.prefixlen == 0:
                yield self.finding(obj, path, f"LoadBalancer Service {obj.name!r} allows {r} "
                                   "(the whole internet)", value=r)
                return


#: ports of services that must never face an untrusted network: remote
#: administration, container runtimes, cluster components, databases and caches
SENSITIVE_PORTS = {
    22: "SSH", 23: "Telnet", 2375: "Docker API", 2376: "Docker API (TLS)",
    2379: "etcd", 2380: "etcd peer", 3306: "MySQL", 3389: "RDP", 5432: "PostgreSQL",
    5984: "CouchDB", 6379: "Redis", 6443: "Kubernetes API", 7001: "Cassandra",
    8500: "Consul", 9042: "Cassandra", 9200: "Elasticsearch", 9300: "Elasticsearch transport",
    10250: "kubelet API", 10255: "kubelet read-only API", 11211: "Memcached",
    27017: "MongoDB", 28015: "RethinkDB", 29015: "RethinkDB", 44134: "Helm Tiller",
}


def open_to_internet(obj, spec: dict) -> bool:
    """A LoadBalancer without restricting source ranges (NET002's test), or
    a NodePort (reachable wherever the nodes are)."""
    kind = spec.get("type")
    if kind == "NodePort":
        return True
    if kind != "LoadBalancer" or is_internal_lb(obj.annotations):
        return False
    ranges = _l(spec.get("loadBalancerSourceRanges"))
    if not ranges:
        ann = obj.annotations.get(SOURCE_RANGES_ANNOTATION)
        ranges = [r for r in ann.split(",") if r.strip()] if isinstance(ann, str) else []
    if not ranges:
        return True
    return any((n := parse_cidr(r)) is not None and n.prefixlen == 0 for r in ranges)


class SensitivePortExposed(Check):
    """
    ## What it does
    Reports NodePort Services, and LoadBalancer Services open to the
    internet (see NET002), that expose a port of a service that must never
    face an untrusted network: SSH, Telnet, RDP, the Docker API, etcd, the
    Kubernetes API and kubelet, Helm's Tiller, and databases and caches
    (MySQL, PostgreSQL, MongoDB, Redis, Memcached, Elasticsearch, Cassandra,
    CouchDB, RethinkDB, Consul). Both `port` and a numeric `targetPort` are
    compared with the list.

    ## Why is this bad?
    These interfaces often run without authentication by default and are
    scanned for continuously: exposed databases and container runtimes are
    among the most common ways clusters are breached.

    ## Example
    ```yaml
    kind: Service
    spec:
      type: LoadBalancer
      ports:
        - port: 9200
    ```

    ## Use instead
    ```yaml
    kind: Service
    spec:
      type: ClusterIP
      ports:
        - port: 9200
    ```

    ## Fix safety
    No automatic fix: clients outside the cluster would lose access.
    """

    id = "NET012"
    name = "Sensitive port exposed outside the cluster"
    severity = Severity.HIGH
    kinds = frozenset({"Service"})
    frameworks = {"nsa": NSA, "mitre": ("MS-TA9005",)}
    remediation = "Keep the Service internal (ClusterIP) or restrict loadBalancerSourceRanges."

    def check(self, obj, ctx):
        spec = _d(obj.raw.get("spec"))
        if not open_to_internet(obj, spec):
            return
        for i, p in enumerate(_l(spec.get("ports"))):
            p = _d(p)
            for key in ("port", "targetPort"):
                v = p.get(key)
                if isinstance(v, int) and not isinstance(v, bool) and v in SENSITIVE_PORTS:
                    yield self.finding(obj, ("spec", "ports", i, key),
                                       f"{spec.get('type')} Service {obj.name!r} exposes "
                                       f"{SENSITIVE_PORTS[v]} (port {v}) outside the cluster",
                                       value=v)
                    break


class ExternalIPs(Check):
    """
    ## What it does
    Reports Services that set `spec.externalIPs`.

    ## Why is this bad?
    Kubernetes does not check who owns an external IP: any user who can
    create or edit a Service can claim any address and have kube-proxy
    intercept the cluster's traffic to it (CVE-2020-8554, man-in-the-middle
    of in-cluster and egress traffic). The fix upstream is to forbid the
    field with the `DenyServiceExternalIPs` admission plugin or a policy.

    ## Example
    ```yaml
    kind: Service
    spec:
      externalIPs: ["203.0.113.10"]
    ```

    ## Use instead
    ```yaml
    kind: Service
    spec:
      type: LoadBalancer
      loadBalancerSourceRanges: ["203.0.113.0/24"]
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "NET003"
    name = "Service with externalIPs"
    severity = Severity.MEDIUM
    kinds = frozenset({"Service"})
    frameworks = {"nsa": NSA}
    remediation = "Remove spec.externalIPs; use a LoadBalancer or Ingress instead."

    def check(self, obj, ctx):
        ips = _l(_d(obj.raw.get("spec")).get("externalIPs"))
        if ips:
            yield self.finding(obj, ("spec", "externalIPs"),
                               f"Service {obj.name!r} claims external IPs "
                               f"{', '.join(map(str, ips[:5]))} (CVE-2020-8554)",
                               value=[str(i) for i in ips])


# ---------------------------------------------------------------------------
# Ingress


def _host_covered(host: str, tls_hosts: set[str]) -> bool:
    if host in tls_hosts:
        return True
    for th in tls_hosts:
        # a wildcard certificate covers exactly one label
        if th.startswith("*.") and host.count(".") == th.count(".") and \
                host.split(".", 1)[1] == th[2:]:
            return True
    return False


class IngressWithoutTLS(Check):
    """
    ## What it does
    Reports Ingresses with no `spec.tls` section at all.

    ## Why is this bad?
    Without TLS the ingress controller serves plain HTTP: credentials,
    cookies and data cross the network in clear text and can be modified
    in transit.

    ## Example
    ```yaml
    kind: Ingress
    spec:
      rules:
        - host: shop.example.com
          http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
    ```

    ## Use instead
    ```yaml
    kind: Ingress
    spec:
      tls:
        - hosts: ["shop.example.com"]
          secretName: shop-tls
      rules:
        - host: shop.example.com
          http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
    ```

    ## Fix safety
    No automatic fix: a certificate is needed.
    """

    id = "NET005"
    name = "Ingress without TLS"
    severity = Severity.MEDIUM
    kinds = frozenset({"Ingress"})
    frameworks = {"nsa": NSA}
    remediation = "Add spec.tls with a certificate for every host."

    def check(self, obj, ctx):
        spec = _d(obj.raw.get("spec"))
        if not _l(spec.get("tls")):
            yield self.finding(obj, ("spec", "tls"),
                               f"Ingress {obj.name!r} has no tls section: it serves plain HTTP")


class IngressHostWithoutTLS(Check):
    """
    ## What it does
    Reports Ingress rule hosts that no `spec.tls[].hosts` entry covers
    (exactly, or by a `*.domain` wildcard of one label), on Ingresses that
    do have a `tls` section. A `tls` entry without `hosts` covers rules
    without a host (the default certificate).

    ## Why is this bad?
    The uncovered host is served over plain HTTP, or with the controller's
    default certificate that clients reject - usually a forgotten host.

    ## Example
    ```yaml
    spec:
      tls:
        - hosts: ["shop.example.com"]
          secretName: shop-tls
      rules:
        - host: shop.example.com
        - host: api.example.com
    ```

    ## Use instead
    ```yaml
    spec:
      tls:
        - hosts: ["shop.example.com", "api.example.com"]
          secretName: shop-tls
      rules:
        - host: shop.example.com
        - host: api.example.com
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "NET006"
    name = "Ingress host not covered by TLS"
    severity = Severity.MEDIUM
    kinds = frozenset({"Ingress"})
    frameworks = {"nsa": NSA}
    remediation = "List the host in spec.tls[].hosts with a matching certificate."

    def check(self, obj, ctx):
        spec = _d(obj.raw.get("spec"))
        tls = _l(spec.get("tls"))
        if not tls:
            return  # NET005
        hosts: set[str] = set()
        default_cert = False
        for t in tls:
            th = _l(_d(t).get("hosts"))
            if not th:
                default_cert = True
            hosts.update(str(h).lower() for h in th)
        for i, rule in enumerate(_l(spec.get("rules"))):
            host = _d(rule).get("host")
            if not host:
                if not default_cert:
                    yield self.finding(obj, ("spec", "rules", i),
                                       f"Ingress {obj.name!r}: rules[{i}] has no host and no "
                                       "tls entry without hosts covers it")
                continue
            if not _host_covered(str(host).lower(), hosts):
                yield self.finding(obj, ("spec", "rules", i, "host"),
                                   f"Ingress {obj.name!r}: host {host} is not listed in spec.tls",
                                   value=host)


_SNIPPET_ANNOTATIONS = (
    "nginx.ingress.kubernetes.io/configuration-snippet",
    "nginx.ingress.kubernetes.io/server-snippet",
    "nginx.ingress.kubernetes.io/auth-snippet",
    "nginx.ingress.kubernetes.io/stream-snippet",
    "nginx.ingress.kubernetes.io/modsecurity-snippet",
)


class IngressNginxSnippet(Check):
    """
    ## What it does
    Reports Ingresses with ingress-nginx snippet annotations
    (`configuration-snippet`, `server-snippet`, `auth-snippet`,
    `stream-snippet`, `modsecurity-snippet`).

    ## Why is this bad?
    Snippets are raw nginx configuration injected into the controller,
    which holds a token that reads every Secret of the cluster: they have
    been used to read those Secrets and the controller's token
    (CVE-2021-25742, CVE-2023-5043, CVE-2025-1974 family). Recent
    controller versions disable them by default.

    ## Example
    ```yaml
    kind: Ingress
    metadata:
      annotations:
        nginx.ingress.kubernetes.io/configuration-snippet: |
          more_set_headers "X-Frame-Options: DENY";
    ```

    ## Use instead
    ```yaml
    kind: Ingress
    metadata:
      annotations:
        nginx.ingress.kubernetes.io/custom-headers: shop/security-headers
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "NET007"
    name = "ingress-nginx snippet annotation"
    severity = Severity.HIGH
    kinds = frozenset({"Ingress"})
    frameworks = {"nsa": NSA, "mitre": ("MS-TA9025",)}
    remediation = "Use dedicated ingress-nginx annotations or a ConfigMap instead of snippets."

    def check(self, obj, ctx):
        ann = obj.annotations
        for key in _SNIPPET_ANNOTATIONS:
            if key in ann:
                yield self.finding(obj, ("metadata", "annotations", key),
                                   f"Ingress {obj.name!r} injects raw nginx configuration "
                                   f"({key.rpartition('/')[2]})")


# ---------------------------------------------------------------------------
# NetworkPolicies


def _peer_all(peer: dict) -> str | None:
    """Why a peer matches every address, or None."""
    if not peer:
        return "an empty peer {}"
    block = _d(peer.get("ipBlock"))
    if block:
        net = parse_cidr(block.get("cidr", ""))
        if net is not None and net.prefixlen == 0:
            return f"ipBlock {block.get('cidr')}"
    return None


def _policy_types(spec: dict) -> set[str]:
    types = _l(spec.get("policyTypes"))
    if types:
        return {str(t) for t in types}
    out = {"Ingress"}
    if "egress" in spec:
        out.add("Egress")
    return out


class _AllowAllTemplate(Check):
    """Template: an ingress or egress rule that allows every peer on every
    port. A rule restricted to ports is not reported (exposing a port to
    everyone is how public services work)."""

    kinds = frozenset({"NetworkPolicy"})
    direction = ""  # "ingress" / "egress"
    peers_key = ""  # "from" / "to"

    def check(self, obj, ctx):
        spec = _d(obj.raw.get("spec"))
        if self.direction.capitalize() not in _policy_types(spec):
            return
        for i, rule in enumerate(_l(spec.get(self.direction))):
            rule = _d(rule)
            if _l(rule.get("ports")):
                continue
            peers = _l(rule.get(self.peers_key))
            base = ("spec", self.direction, i)
            if not peers:
                yield self.finding(obj, base,
                                   f"NetworkPolicy {obj.name!r}: {self.direction}[{i}] has no "
                                   f"'{self.peers_key}' and no ports: it allows all "
                                   f"{self.direction} traffic")
                continue
            for j, peer in enumerate(peers):
                why = _peer_all(_d(peer))
                if why:
                    yield self.finding(obj, base + (self.peers_key, j),
                                       f"NetworkPolicy {obj.name!r}: {self.direction}[{i}] "
                                       f"allows {why} on every port")
                    break


class NetworkPolicyAllowAllIngress(_AllowAllTemplate):
    """
    ## What it does
    Reports NetworkPolicy ingress rules that allow every source on every
    port: a rule with neither `from` nor `ports` (`ingress: [{}]`), an empty
    peer `{}`, or an `ipBlock` of `0.0.0.0/0` or `::/0`, without a port
    restriction.

    ## Why is this bad?
    Such a rule cancels the isolation the policy's pod selector creates:
    every pod in the cluster, and anything that can route to the pods, can
    connect to every port.

    ## Example
    ```yaml
    kind: NetworkPolicy
    spec:
      podSelector: {matchLabels: {app: db}}
      ingress:
        - {}
    ```

    ## Use instead
    ```yaml
    kind: NetworkPolicy
    spec:
      podSelector: {matchLabels: {app: db}}
      ingress:
        - from:
            - podSelector: {matchLabels: {app: web}}
          ports:
            - port: 5432
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "NET008"
    name = "NetworkPolicy allows all ingress"
    severity = Severity.MEDIUM
    direction = "ingress"
    peers_key = "from"
    frameworks = {"nsa": NSA_NETPOL, "mitre": ("MS-TA9034",)}
    remediation = "Allow only the sources (and ports) that need access."


class NetworkPolicyAllowAllEgress(_AllowAllTemplate):
    """
    ## What it does
    Reports NetworkPolicy egress rules that allow every destination on
    every port: a rule with neither `to` nor `ports` (`egress: [{}]`), an
    empty peer `{}`, or an `ipBlock` of `0.0.0.0/0` or `::/0`, without a
    port restriction. Off by default: many workloads legitimately reach
    the internet; enable it where egress must be controlled.

    ## Why is this bad?
    Unrestricted egress lets a compromised pod reach the cloud metadata
    service, the kubelet, other namespaces and the internet (exfiltration,
    command and control).

    ## Example
    ```yaml
    kind: NetworkPolicy
    spec:
      podSelector: {}
      policyTypes: ["Egress"]
      egress:
        - {}
    ```

    ## Use instead
    ```yaml
    kind: NetworkPolicy
    spec:
      podSelector: {}
      policyTypes: ["Egress"]
      egress:
        - to:
            - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
          ports:
            - {port: 53, protocol: UDP}
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "NET009"
    name = "NetworkPolicy allows all egress"
    severity = Severity.LOW
    default_enabled = False
    direction = "egress"
    peers_key = "to"
    frameworks = {"nsa": NSA_NETPOL, "mitre": ("MS-TA9033", "MS-TA9034")}
    remediation = "Allow only the destinations (and ports) that are needed."


def _port_ranges(rule: dict) -> list[tuple[int, tuple, int, int]] | None:
    """(index, first, last) of the TCP ports of a rule (an entry without
    ``port`` is every port: first = -1); None when the rule has no port
    restriction at all. Named ports cannot be resolved and are skipped."""
    ports = _l(rule.get("ports"))
    if not ports:
        return None
    out = []
    for k, p in enumerate(ports):
        p = _d(p)
        if str(p.get("protocol", "TCP")).upper() != "TCP":
            continue
        port = p.get("port")
        if port is None:
            out.append((k, -1, 65535))  # every TCP port
            continue
        if isinstance(port, bool) or not isinstance(port, int):
            continue  # named ports cannot be resolved here
        end = p.get("endPort")
        last = end if isinstance(end, int) and not isinstance(end, bool) and end >= port else port
        out.append((k, port, last))
    return out


def _block_allows(block: dict, addr) -> bool:
    net = parse_cidr(block.get("cidr", ""))
    if net is None or net.version != addr.version or addr not in net:
        return False
    for ex in _l(block.get("except")):
        exn = parse_cidr(ex)
        if exn is not None and exn.version == addr.version and addr in exn:
            return False
    return True


class EgressToMetadata(Check):
    """
    ## What it does
    Reports NetworkPolicy egress rules that explicitly allow the cloud
    instance metadata service: an `ipBlock` whose `cidr` contains
    `169.254.169.254` (or AWS's IPv6 `fd00:ec2::254`) and whose `except` list does not exclude it, when
    the rule's ports include TCP 80 (or it has no ports). A rule without
    `to` allows every destination, the metadata service included: that is
    NET009's finding (off by default), not repeated here.

    ## Why is this bad?
    The metadata service hands out the node's cloud credentials and
    bootstrap data (kubelet credentials on some platforms): a pod that
    reaches it can act as the node in the cloud account (Capital One
    breach, many cluster takeovers).

    ## Example
    ```yaml
    egress:
      - to:
          - ipBlock:
              cidr: 0.0.0.0/0
              except: ["10.0.0.0/8"]
    ```

    ## Use instead
    ```yaml
    egress:
      - to:
          - ipBlock:
              cidr: 0.0.0.0/0
              except: ["10.0.0.0/8", "169.254.169.254/32"]
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "NET010"
    name = "Egress allowed to the cloud metadata service"
    severity = Severity.HIGH
    kinds = frozenset({"NetworkPolicy"})
    frameworks = {"nsa": ("network/cloud-metadata", "network/network-policies"),
                  "mitre": ("MS-TA9033",)}
    remediation = "Add the metadata address to the ipBlock's except list."

    def check(self, obj, ctx):
        spec = _d(obj.raw.get("spec"))
        if "Egress" not in _policy_types(spec):
            return
        for i, rule in enumerate(_l(spec.get("egress"))):
            rule = _d(rule)
            ports = _port_ranges(rule)
            if ports is not None and not any(a <= METADATA_PORT <= b for _, a, b in ports):
                continue
            base = ("spec", "egress", i)
            for j, peer in enumerate(_l(rule.get("to"))):
                block = _d(_d(peer).get("ipBlock"))
                hit = next((a for a in METADATA_ADDRESSES if _block_allows(block, a)), None) \
                    if block else None
                if hit is not None:
                    yield self.finding(obj, base + ("to", j, "ipBlock", "cidr"),
                                       f"NetworkPolicy {obj.name!r}: egress[{i}] ipBlock "
                                       f"{block.get('cidr')} includes the metadata address {hit} "
                                       "and does not except it", value=block.get("cidr"))
                    break


class EgressToKubelet(Check):
    """
    ## What it does
    Reports NetworkPolicy egress rules whose ports explicitly include the
    kubelet API ports 10250 (HTTPS) or 10255 (read-only HTTP), as a single
    port or inside a `port`-`endPort` range.

    ## Why is this bad?
    The kubelet API of a node runs commands in every container of that
    node for anyone it authorizes, and the read-only port leaks the specs
    (and environment) of every pod. Workloads other than monitoring agents
    have no reason to reach it.

    ## Example
    ```yaml
    egress:
      - ports:
          - port: 10000
            endPort: 11000
    ```

    ## Use instead
    ```yaml
    egress:
      - ports:
          - port: 10000
            endPort: 10249
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "NET011"
    name = "Egress allowed to the kubelet port"
    severity = Severity.MEDIUM
    kinds = frozenset({"NetworkPolicy"})
    frameworks = {"nsa": NSA_NETPOL, "mitre": ("MS-TA9030",)}
    remediation = "Remove 10250/10255 from the egress ports unless the pod is a node agent."

    def check(self, obj, ctx):
        spec = _d(obj.raw.get("spec"))
        if "Egress" not in _policy_types(spec):
            return
        for i, rule in enumerate(_l(spec.get("egress"))):
            for k, a, b in _port_ranges(_d(rule)) or ():
                if a < 0:
                    continue  # a port entry without port: every port (NET009 territory)
                hit = [p for p in KUBELET_PORTS if a <= p <= b]
                if hit:
                    yield self.finding(obj, ("spec", "egress", i, "ports", k, "port"),
                                       f"NetworkPolicy {obj.name!r}: egress[{i}] allows the "
                                       f"kubelet port {hit[0]}", value=a)
