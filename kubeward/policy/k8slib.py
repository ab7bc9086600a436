"""The Kubernetes CEL libraries that ``cel-expr-python`` lacks, with the
semantics of ``k8s.io/apiserver/pkg/cel/library``: regex (``find``,
``findAll``), lists (``isSorted``, ``sum``, ``min``, ``max``, ``indexOf``,
``lastIndexOf``), URLs, quantity, IP and CIDR, format, semver and sets.

The runtime cannot carry Python objects as opaque CEL values, so a URL,
Quantity, IP, CIDR, Semver or format value is a one-key map tagged with its
type (``{"#quantity": "1Gi"}``); its member functions accept only that tag
and every other use is an error, as in Kubernetes. ``format.X().validate(s)``
returns the list of problems (empty when valid) and ``hasValue()``,
``value()`` and ``orValue()`` work on it as on the optional Kubernetes
returns. Each function raises ``ValueError`` for bad input; the runtime turns
that into a CEL error, which ``||`` and ``&&`` absorb exactly like any other.
"""

from __future__ import annotations

import ipaddress
import re
from fractions import Fraction
from functools import lru_cache
from urllib.parse import urlsplit

# -- tagged values --------------------------------------------------------


def _tagged(tag: str, value) -> dict:
    return {tag: value}


def _untag(tag: str, v, what: str):
    if isinstance(v, dict) and len(v) == 1 and tag in v:
        return v[tag]
    raise ValueError(f"no such overload: expected a {what}")


# -- regex ------------------------------------------------------------------

_RE_CACHE: dict[str, re.Pattern] = {}


def _regex(pattern: str) -> re.Pattern:
    r = _RE_CACHE.get(pattern)
    if r is None:
        try:
            r = _RE_CACHE[pattern] = re.compile(pattern)
        except re.error as e:
            raise ValueError(f"invalid regex {pattern!r}: {e}") from None
    return r


def find(s: str, pattern: str) -> str:
    m = _regex(pattern).search(s)
    return m.group(0) if m else ""


def find_all(s: str, pattern: str, limit: int = -1) -> list:
    if limit == 0:
        return []
    out = [m.group(0) for m in _regex(pattern).finditer(s)]
    return out if limit < 0 else out[:limit]


# -- lists --------------------------------------------------------------------


def _comparable(lst: list) -> list:
    if lst and not all(type(x) is type(lst[0]) or (isinstance(x, (int, float)) and isinstance(lst[0], (int, float))
                                                    and not isinstance(x, bool))
                       for x in lst):
        raise ValueError("no such overload: list elements are not comparable")
    return lst


def is_sorted(lst: list) -> bool:
    _comparable(lst)
    return all(lst[i] <= lst[i + 1] for i in range(len(lst) - 1))


def list_sum(lst: list):
    _comparable(lst)
    if not lst:
        return 0
    total = lst[0]
    for x in lst[1:]:
        total = total + x
    return total


def list_min(lst: list):
    if not lst:
        raise ValueError("min called on empty list")
    return min(_comparable(lst))


def list_max(lst: list):
    if not lst:
        raise ValueError("max called on empty list")
    return max(_comparable(lst))


def index_of(lst: list, x) -> int:
    for i, v in enumerate(lst):
        if v == x and type(v) is type(x):
            return i
    return -1


def last_index_of(lst: list, x) -> int:
    for i in range(len(lst) - 1, -1, -1):
        if lst[i] == x and type(lst[i]) is type(x):
            return i
    return -1


# -- sets (cel-go ext.Sets) -------------------------------------------------


def sets_contains(a: list, b: list) -> bool:
    return all(x in a for x in b)


def sets_equivalent(a: list, b: list) -> bool:
    return sets_contains(a, b) and sets_contains(b, a)


def sets_intersects(a: list, b: list) -> bool:
    return any(x in a for x in b)


# -- URLs ---------------------------------------------------------------------

_URL = "#url"


def _parse_url(s: str):
    # url.ParseRequestURI: absolute URI or absolute path, no fragment
    if not s or "#" in s or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in s):
        return None
    parts = urlsplit(s)
    if parts.scheme:
        if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*\Z", parts.scheme):
            return None
        return parts
    return parts if s.startswith("/") else None


def url(s: str) -> dict:
    if _parse_url(s) is None:
        raise ValueError(f"URL parse error during conversion from string: {s!r}")
    return _tagged(_URL, s)


def is_url(s: str) -> bool:
    return _parse_url(s) is not None


def _url_parts(u):
    return _parse_url(_untag(_URL, u, "URL"))


def get_scheme(u) -> str:
    return _url_parts(u).scheme


def get_host(u) -> str:
    return _url_parts(u).netloc.rpartition("@")[2]


def get_hostname(u) -> str:
    host = get_host(u)
    if host.startswith("["):
        return host[1:host.index("]")] if "]" in host else host[1:]
    return host.rpartition(":")[0] if ":" in host else host


def get_port(u) -> str:
    host = get_host(u)
    if host.startswith("["):
        rest = host[host.index("]") + 1:] if "]" in host else ""
        return rest[1:] if rest.startswith(":") else ""
    return host.rpartition(":")[2] if ":" in host else ""


def get_escaped_path(u) -> str:
    from urllib.parse import quote
    return quote(_url_parts(u).path, safe="/:@!$&'()*+,;=-._~%")


def get_query(u) -> dict:
    from urllib.parse import parse_qs
    return {k: v for k, v in parse_qs(_url_parts(u).query, keep_blank_values=True).items()}


# -- quantity (k8s.io/apimachinery/pkg/api/resource) ------------------------

_Q = "#quantity"
_QRE = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?\Z")
_SUFFIX = {"Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60,
           "n": Fraction(1, 10 ** 9), "u": Fraction(1, 10 ** 6), "m": Fraction(1, 1000), "": 1,
           "k": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12, "P": 10 ** 15, "E": 10 ** 18}
_INT64 = (-(2 ** 63), 2 ** 63 - 1)


@lru_cache(maxsize=4096)
def parse_quantity(s: str) -> Fraction:
    m = _QRE.match(s.strip()) if isinstance(s, str) and s == s.strip() else None
    if not m:
        raise ValueError(f"quantities must match the regular expression "
                         f"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {s!r}")
    num, suffix = m.group(1), m.group(2) or ""
    value = Fraction(num)
    if suffix[:1] in ("e", "E"):
        value *= Fraction(10) ** int(suffix[1:])
    else:
        value *= _SUFFIX[suffix]
    return value


def quantity(s: str) -> dict:
    parse_quantity(s)
    return _tagged(_Q, s)


def is_quantity(s: str) -> bool:
    try:
        parse_quantity(s)
        return True
    except ValueError:
        return False


def _qv(q) -> Fraction:
    return parse_quantity(_untag(_Q, q, "Quantity"))


def _fmt_fraction(v: Fraction) -> str:
    if v.denominator == 1:
        return str(v.numerator)
    for suffix, scale in (("m", 1000), ("u", 10 ** 6), ("n", 10 ** 9)):
        x = v * scale
        if x.denominator == 1:
            return f"{x.numerator}{suffix}"
    return str(float(v))


def q_sign(q) -> int:
    v = _qv(q)
    return (v > 0) - (v < 0)


def q_is_integer(q) -> bool:
    v = _qv(q)
    return v.denominator == 1 and _INT64[0] <= v <= _INT64[1]


def q_as_integer(q) -> int:
    v = _qv(q)
    if v.denominator != 1 or not (_INT64[0] <= v <= _INT64[1]):
        raise ValueError("cannot convert value to integer")
    return int(v)


def q_as_float(q) -> float:
    return float(_qv(q))


def _q_or_int(x) -> Fraction:
    if isinstance(x, int) and not isinstance(x, bool):
        return Fraction(x)
    return _qv(x)


def q_add(a, b) -> dict:
    return _tagged(_Q, _fmt_fraction(_qv(a) + _q_or_int(b)))


def q_sub(a, b) -> dict:
    return _tagged(_Q, _fmt_fraction(_qv(a) - _q_or_int(b)))


def q_compare(a, b) -> int:
    x, y = _qv(a), _qv(b)
    # cross-multiplied integers: what Fraction's comparison does, without
    # its dispatch (a rule may compare a quantity per container per object)
    lhs, rhs = x.numerator * y.denominator, y.numerator * x.denominator
    return (lhs > rhs) - (lhs < rhs)


# -- IP and CIDR (k8s library.IP, library.CIDR) -----------------------------

_IP, _CIDR = "#ip", "#cidr"


def _parse_ip(s: str):
    if not isinstance(s, str) or "%" in s:
        return None
    try:
        addr = ipaddress.ip_address(s)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return None  # IPv4-mapped IPv6 addresses are rejected, as in Kubernetes
    return addr


def ip(s: str) -> dict:
    if _parse_ip(s) is None:
        raise ValueError(f"IP Address {s!r} parse error during conversion from string")
    return _tagged(_IP, s)


def is_ip(s: str) -> bool:
    return _parse_ip(s) is not None


def ip_is_canonical(s: str) -> bool:
    addr = _parse_ip(s)
    if addr is None:
        raise ValueError(f"IP Address {s!r} parse error during conversion from string")
    return str(addr) == s


def _ipv(v):
    if isinstance(v, str):
        a = _parse_ip(v)
        if a is None:
            raise ValueError(f"IP Address {v!r} parse error during conversion from string")
        return a
    return ipaddress.ip_address(_untag(_IP, v, "IP"))


def ip_family(v) -> int:
    return _ipv(v).version


def ip_is_unspecified(v) -> bool:
    return _ipv(v).is_unspecified


def ip_is_loopback(v) -> bool:
    return _ipv(v).is_loopback


def ip_is_link_local_multicast(v) -> bool:
    a = _ipv(v)
    if a.version == 4:
        return a in ipaddress.ip_network("224.0.0.0/24")
    return a.is_multicast and (a.packed[1] & 0x0F) == 2


def ip_is_link_local_unicast(v) -> bool:
    a = _ipv(v)
    return a.is_link_local and not a.is_multicast


def ip_is_global_unicast(v) -> bool:
    # Go's net.IP.IsGlobalUnicast: not unspecified, loopback, multicast,
    # link-local or the IPv4 broadcast address (private ranges count)
    a = _ipv(v)
    if a.version == 4 and str(a) == "255.255.255.255":
        return False
    return not (a.is_unspecified or a.is_loopback or a.is_multicast or a.is_link_local)


def _parse_cidr(s: str):
    if not isinstance(s, str) or "/" not in s:
        return None
    addr, _, _ = s.partition("/")
    if _parse_ip(addr) is None:
        return None
    try:
        return ipaddress.ip_interface(s)
    except ValueError:
        return None


def cidr(s: str) -> dict:
    if _parse_cidr(s) is None:
        raise ValueError(f"network address {s!r} parse error during conversion from string")
    return _tagged(_CIDR, s)


def is_cidr(s: str) -> bool:
    return _parse_cidr(s) is not None


def _cidrv(v):
    if isinstance(v, str):
        c = _parse_cidr(v)
        if c is None:
            raise ValueError(f"network address {v!r} parse error during conversion from string")
        return c
    return ipaddress.ip_interface(_untag(_CIDR, v, "CIDR"))


def cidr_contains_ip(c, a) -> bool:
    net, addr = _cidrv(c).network, _ipv(a)
    return addr.version == net.version and addr in net


def cidr_contains_cidr(c, other) -> bool:
    net, sub = _cidrv(c).network, _cidrv(other).network
    return sub.version == net.version and sub.subnet_of(net)


def cidr_ip(c) -> dict:
    return _tagged(_IP, str(_cidrv(c).ip))


def cidr_masked(c) -> dict:
    return _tagged(_CIDR, str(_cidrv(c).network))


def cidr_prefix_length(c) -> int:
    return _cidrv(c).network.prefixlen


def to_string(v) -> str:
    if isinstance(v, dict) and len(v) == 1:
        (tag, val), = v.items()
        if tag in (_IP, _CIDR, _URL, _Q, _SEMVER):
            if tag == _IP:
                return str(ipaddress.ip_address(val))
            if tag == _CIDR:
                return str(ipaddress.ip_interface(val))
            return str(val)
    raise ValueError("no such overload: string()")


# -- semver (k8s library.Semver, blang/semver) ------------------------------

_SEMVER = "#semver"
_SEMVER_RE = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
                        r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)"
                        r"(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
                        r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?\Z")


def _normalize_semver(s: str) -> str:
    s = s[1:] if s.startswith("v") else s
    core, sep, rest = re.match(r"([^-+]*)(.*)", s).groups() + ("",)
    core, rest = re.match(r"([^-+]*)(.*)", s).groups()
    parts = core.split(".")
    while len(parts) < 3:
        parts.append("0")
    parts = [p.lstrip("0") or "0" if p.isdigit() else p for p in parts]
    return ".".join(parts) + rest


def _parse_semver(s: str, normalize: bool = False):
    if not isinstance(s, str):
        return None
    if normalize:
        s = _normalize_semver(s)
    m = _SEMVER_RE.match(s)
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4))


def semver(s: str, normalize: bool = False) -> dict:
    if _parse_semver(s, normalize) is None:
        raise ValueError(f"could not parse {s!r} as semver")
    return _tagged(_SEMVER, _normalize_semver(s) if normalize else s)


def is_semver(s: str, normalize: bool = False) -> bool:
    return _parse_semver(s, normalize) is not None


def _sv(v):
    return _parse_semver(_untag(_SEMVER, v, "Semver"))


def sv_major(v) -> int:
    return _sv(v)[0]


def sv_minor(v) -> int:
    return _sv(v)[1]


def sv_patch(v) -> int:
    return _sv(v)[2]


def _pre_key(pre):
    if pre is None:
        return (1,)
    out = []
    for p in pre.split("."):
        out.append((0, int(p), "") if p.isdigit() else (1, 0, p))
    return (0, tuple(out))


def sv_compare(a, b) -> int:
    x, y = _sv(a), _sv(b)
    kx, ky = (x[:3], _pre_key(x[3])), (y[:3], _pre_key(y[3]))
    return (kx > ky) - (kx < ky)


# -- shared comparison members (quantity and semver) ------------------------


def compare_to(a, b) -> int:
    if isinstance(a, dict) and _Q in a:
        return q_compare(a, b)
    return sv_compare(a, b)


def is_greater_than(a, b) -> bool:
    return compare_to(a, b) > 0


def is_less_than(a, b) -> bool:
    return compare_to(a, b) < 0


def sign_of(a) -> int:
    return q_sign(a)


# -- format (k8s library.Format) ----------------------------------------------

_FMT = "#format"
_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS1123_SUB = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_DNS1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?\Z")
_QUALIFIED = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")
_CIDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_URI_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S*\Z")
_BYTE = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})\Z")


def _dns_label(s, max_len=63, rx=_DNS1123_LABEL, what="a lowercase RFC 1123 label") -> list:
    errs = []
    if len(s) > max_len:
        errs.append(f"must be no more than {max_len} characters")
    if not rx.match(s):
        errs.append(f"{what} must consist of lower case alphanumeric characters or '-', and "
                    f"must start and end with an alphanumeric character")
    return errs


def _dns_subdomain(s) -> list:
    errs = []
    if len(s) > 253:
        errs.append("must be no more than 253 characters")
    if not _DNS1123_SUB.match(s):
        errs.append("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                    "characters, '-' or '.', and must start and end with an alphanumeric character")
    return errs


def _qualified_name(s) -> list:
    prefix, sep, name = s.rpartition("/")
    errs = []
    if sep and not prefix:
        errs.append("prefix part must be non-empty")
    elif sep:
        errs += ["prefix part " + e for e in _dns_subdomain(prefix)]
    if not name:
        errs.append("name part must be non-empty")
    else:
        if len(name) > 63:
            errs.append("name part must be no more than 63 characters")
        if not _QUALIFIED.match(name):
            errs.append("name part must consist of alphanumeric characters, '-', '_' or '.', "
                        "and must start and end with an alphanumeric character")
    return errs


def _label_value(s) -> list:
    errs = []
    if len(s) > 63:
        errs.append("must be no more than 63 characters")
    if not _LABEL_VALUE.match(s):
        errs.append("a valid label must be an empty string or consist of alphanumeric "
                    "characters, '-', '_' or '.', and must start and end with an alphanumeric "
                    "character")
    return errs


def _rx_check(rx, msg):
    return lambda s: [] if rx.match(s) else [msg]


FORMATS = {
    "dns1123Label": _dns_label,
    "dns1123Subdomain": _dns_subdomain,
    "dns1035Label": lambda s: _dns_label(s, rx=_DNS1035, what="a DNS-1035 label"),
    "qualifiedName": _qualified_name,
    "dns1123LabelPrefix": lambda s: _dns_label(s.rstrip("-") if s.endswith("-") else s),
    "dns1123SubdomainPrefix": lambda s: _dns_subdomain(s.rstrip("-") if s.endswith("-") else s),
    "dns1035LabelPrefix": lambda s: _dns_label(s.rstrip("-") if s.endswith("-") else s,
                                               rx=_DNS1035, what="a DNS-1035 label"),
    "labelValue": _label_value,
    "uri": _rx_check(_URI_RE, "must be a URI"),
    "uuid": _rx_check(_UUID, "does not match the UUID format"),
    "byte": _rx_check(_BYTE, "invalid base64"),
    "date": _rx_check(_DATE, "does not match the date format"),
    "datetime": _rx_check(_DATETIME, "does not match the datetime format"),
}


def format_named(name: str) -> dict:
    if name not in FORMATS:
        raise ValueError(f"unknown format {name!r}")
    return _tagged(_FMT, name)


def format_validate(fmt, s: str) -> list:
    return FORMATS[_untag(_FMT, fmt, "format")](s)


def errors_has_value(errs: list) -> bool:
    return bool(errs)


def errors_value(errs: list) -> list:
    if not errs:
        raise ValueError("optional.none() dereference")
    return errs


def errors_or_value(errs: list, default: list) -> list:
    return errs if errs else default


def declarations(cel) -> list:
    """The function declarations for ``cel_expr_python.cel.CelExtension``."""
    T = cel.Type
    S, B, I, D = T.STRING, T.BOOL, T.INT, T.DYN
    LD, LS = T.List(D), T.List(S)
    M = T.Map(S, D)  # a tagged value
    F = cel.FunctionDecl

    def o(oid, ret, params, impl, member=False):
        return cel.Overload(oid, ret, params, is_member=member, impl=impl)

    decls = [
        F("find", [o("string_find_string", S, [S, S], find, True)]),
        F("findAll", [o("string_find_all_string", LS, [S, S], find_all, True),
                      o("string_find_all_string_int", LS, [S, S, I], find_all, True)]),
        F("isSorted", [o("list_is_sorted", B, [LD], is_sorted, True)]),
        F("sum", [o("list_sum", D, [LD], list_sum, True)]),
        F("min", [o("list_min", D, [LD], list_min, True)]),
        F("max", [o("list_max", D, [LD], list_max, True)]),
        F("indexOf", [o("list_index_of", I, [LD, D], index_of, True)]),
        F("lastIndexOf", [o("list_last_index_of", I, [LD, D], last_index_of, True)]),
        F("sets.contains", [o("list_sets_contains_list", B, [LD, LD], sets_contains)]),
        F("sets.equivalent", [o("list_sets_equivalent_list", B, [LD, LD], sets_equivalent)]),
        F("sets.intersects", [o("list_sets_intersects_list", B, [LD, LD], sets_intersects)]),
        F("url", [o("string_to_url", M, [S], url)]),
        F("isURL", [o("is_url_string", B, [S], is_url)]),
        F("getScheme", [o("url_get_scheme", S, [M], get_scheme, True)]),
        F("getHost", [o("url_get_host", S, [M], get_host, True)]),
        F("getHostname", [o("url_get_hostname", S, [M], get_hostname, True)]),
        F("getPort", [o("url_get_port", S, [M], get_port, True)]),
        F("getEscapedPath", [o("url_get_escaped_path", S, [M], get_escaped_path, True)]),
        F("getQuery", [o("url_get_query", T.Map(S, LS), [M], get_query, True)]),
        F("quantity", [o("string_to_quantity", M, [S], quantity)]),
        F("isQuantity", [o("is_quantity_string", B, [S], is_quantity)]),
        F("sign", [o("quantity_sign", I, [M], sign_of, True)]),
        F("isInteger", [o("quantity_is_integer", B, [M], q_is_integer, True)]),
        F("asInteger", [o("quantity_as_integer", I, [M], q_as_integer, True)]),
        F("asApproximateFloat", [o("quantity_as_float", T.DOUBLE, [M], q_as_float, True)]),
        F("add", [o("quantity_add", M, [M, M], q_add, True),
                  o("quantity_add_int", M, [M, I], q_add, True)]),
        F("sub", [o("quantity_sub", M, [M, M], q_sub, True),
                  o("quantity_sub_int", M, [M, I], q_sub, True)]),
        F("compareTo", [o("tagged_compare_to", I, [M, M], compare_to, True)]),
        F("isGreaterThan", [o("tagged_is_greater_than", B, [M, M], is_greater_than, True)]),
        F("isLessThan", [o("tagged_is_less_than", B, [M, M], is_less_than, True)]),
        F("ip", [o("string_to_ip", M, [S], ip), o("cidr_ip", M, [M], cidr_ip, True)]),
        F("isIP", [o("is_ip", B, [S], is_ip)]),
        F("ip.isCanonical", [o("ip_is_canonical", B, [S], ip_is_canonical)]),
        F("family", [o("ip_family", I, [M], ip_family, True)]),
        F("isUnspecified", [o("ip_is_unspecified", B, [M], ip_is_unspecified, True)]),
        F("isLoopback", [o("ip_is_loopback", B, [M], ip_is_loopback, True)]),
        F("isLinkLocalMulticast", [o("ip_is_link_local_multicast", B, [M],
                                     ip_is_link_local_multicast, True)]),
        F("isLinkLocalUnicast", [o("ip_is_link_local_unicast", B, [M],
                                   ip_is_link_local_unicast, True)]),
        F("isGlobalUnicast", [o("ip_is_global_unicast", B, [M], ip_is_global_unicast, True)]),
        F("cidr", [o("string_to_cidr", M, [S], cidr)]),
        F("isCIDR", [o("is_cidr", B, [S], is_cidr)]),
        F("containsIP", [o("cidr_contains_ip_string", B, [M, S], cidr_contains_ip, True),
                         o("cidr_contains_ip_ip", B, [M, M], cidr_contains_ip, True)]),
        F("containsCIDR", [o("cidr_contains_cidr_string", B, [M, S], cidr_contains_cidr, True),
                           o("cidr_contains_cidr", B, [M, M], cidr_contains_cidr, True)]),
        F("masked", [o("cidr_masked", M, [M], cidr_masked, True)]),
        F("prefixLength", [o("cidr_prefix_length", I, [M], cidr_prefix_length, True)]),
        F("semver", [o("string_to_semver", M, [S], semver),
                     o("string_bool_to_semver", M, [S, B], semver)]),
        F("isSemver", [o("is_semver", B, [S], is_semver),
                       o("is_semver_normalize", B, [S, B], is_semver)]),
        F("major", [o("semver_major", I, [M], sv_major, True)]),
        F("minor", [o("semver_minor", I, [M], sv_minor, True)]),
        F("patch", [o("semver_patch", I, [M], sv_patch, True)]),
        F("format.named", [o("format_named", M, [S], format_named)]),
        F("validate", [o("format_validate", LS, [M, S], format_validate, True)]),
        F("hasValue", [o("format_errors_has_value", B, [LS], errors_has_value, True)]),
        F("value", [o("format_errors_value", LS, [LS], errors_value, True)]),
        F("orValue", [o("format_errors_or_value", LS, [LS, LS], errors_or_value, True)]),
        F("string", [o("tagged_to_string", S, [M], to_string)]),
    ]
    for name in FORMATS:
        decls.append(F(f"format.{name}", [o(f"format_{name}", M, [], lambda n=name: format_named(n))]))
    return decls
