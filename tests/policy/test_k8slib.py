"""Kubernetes' CEL libraries, with the examples of the Kubernetes
documentation (reference/using-api/cel) and the CEL spec's behaviour that
Kubernetes relies on (optionals, macros, string extensions, error
absorption by && and ||)."""

from __future__ import annotations

import pytest

from kubeward.policy.celenv import EvalError, activation, compile_expression, data_size

CASES = [
    # regex
    ("'abc 123'.find('[0-9]+')", "123"),
    ("'123 abc 456'.findAll('[0-9]+')", ["123", "456"]),
    ("'123 abc 456'.findAll('[0-9]+', 1)", ["123"]),
    ("'abc'.find('x')", ""),
    ("'abc'.matches('^a.c$')", True),
    # lists
    ("[1, 2, 3].isSorted()", True),
    ("['b', 'a'].isSorted()", False),
    ("[1, 2, 3].sum()", 6),
    ("[1, 2, 3].min()", 1),
    ("[1, 2, 3].max()", 3),
    ("[1, 2, 2, 3].indexOf(2)", 1),
    ("[1, 2, 2, 3].lastIndexOf(2)", 2),
    ("['a'].indexOf('z')", -1),
    # sets
    ("sets.contains([1, 2, 3, 4], [2, 3])", True),
    ("sets.contains([1, 2], [3])", False),
    ("sets.equivalent([1, 2, 3], [3, 2, 1])", True),
    ("sets.intersects([1, 2], [2, 3])", True),
    ("sets.intersects([1], [2])", False),
    # URLs
    ("isURL('https://example.com/')", True),
    ("isURL('example.com')", False),
    ("url('https://example.com:80/').getHost()", "example.com:80"),
    ("url('https://example.com:80/').getHostname()", "example.com"),
    ("url('https://example.com:80/').getPort()", "80"),
    ("url('https://[::1]:80/').getHostname()", "::1"),
    ("url('https://[::1]:80/').getPort()", "80"),
    ("url('/absolute-path').getScheme()", ""),
    ("url('https://example.com/path with spaces/').getEscapedPath()", "/path%20with%20spaces/"),
    ("url('https://example.com/?k=v&k=v2').getQuery()['k']", ["v", "v2"]),
    # quantity
    ("isQuantity('1.3G')", True),
    ("isQuantity('1.3Gi')", True),
    ("isQuantity('1,3G')", False),
    ("quantity('10000k').asInteger()", 10000000),
    ("quantity('50.703k').isInteger()", True),
    ("quantity('50.7035k').isInteger()", False),
    ("quantity('50k').asApproximateFloat()", 50000.0),
    ("quantity('-50k').sign()", -1),
    ("quantity('200M').compareTo(quantity('0.2G'))", 0),
    ("quantity('50M').isLessThan(quantity('100M'))", True),
    ("quantity('1Gi').isGreaterThan(quantity('1G'))", True),
    ("quantity('50k').add(quantity('20k')).compareTo(quantity('70k'))", 0),
    ("quantity('50k').add(20).compareTo(quantity('50020'))", 0),
    ("quantity('50k').sub(quantity('20k')).compareTo(quantity('30k'))", 0),
    ("quantity('500m').add(quantity('500m')).asInteger()", 1),
    # IP
    ("isIP('192.168.0.1')", True),
    ("isIP('192.168.0.1/24')", False),
    ("isIP('::ffff:1.2.3.4')", False),
    ("ip.isCanonical('127.0.0.1')", True),
    ("ip.isCanonical('2001:db8:0:0:0:0:0:1')", False),
    ("ip('127.0.0.1').isLoopback()", True),
    ("ip('::1').family()", 6),
    ("ip('192.168.0.1').family()", 4),
    ("ip('0.0.0.0').isUnspecified()", True),
    ("ip('224.0.0.1').isLinkLocalMulticast()", True),
    ("ip('ff02::1').isLinkLocalMulticast()", True),
    ("ip('169.254.169.254').isLinkLocalUnicast()", True),
    ("ip('192.168.0.1').isGlobalUnicast()", True),
    ("ip('255.255.255.255').isGlobalUnicast()", False),
    ("string(ip('2001:db8:0:0:0:0:0:1'))", "2001:db8::1"),
    # CIDR
    ("isCIDR('192.168.0.0/16')", True),
    ("isCIDR('192.168.0.0')", False),
    ("cidr('192.168.0.0/16').containsIP(ip('192.168.0.1'))", True),
    ("cidr('192.168.0.0/16').containsIP('192.169.0.1')", False),
    ("cidr('192.168.0.0/16').containsCIDR(cidr('192.168.10.0/24'))", True),
    ("cidr('192.168.0.0/24').containsCIDR('192.168.0.0/16')", False),
    ("cidr('192.168.0.1/24').ip() == ip('192.168.0.1')", True),
    ("cidr('192.168.0.1/24').masked() == cidr('192.168.0.0/24')", True),
    ("cidr('192.168.0.0/16').prefixLength()", 16),
    ("cidr('::1/128').ip().family()", 6),
    # format
    ("format.dns1123Label().validate('my-label-name').hasValue()", False),
    ("format.dns1123Label().validate('Invalid_Label').hasValue()", True),
    ("format.named('dns1123Subdomain').validate('a.b.c').hasValue()", False),
    ("format.qualifiedName().validate('example.com/name').hasValue()", False),
    ("format.labelValue().validate('-bad').hasValue()", True),
    ("format.uuid().validate('6ba7b810-9dad-11d1-80b4-00c04fd430c8').hasValue()", False),
    ("format.dns1035Label().validate('1abc').value().size() > 0", True),
    # semver
    ("isSemver('1.0.0')", True),
    ("isSemver('v1.0')", False),
    ("isSemver('v1.0', true)", True),
    ("semver('1.0.0').isLessThan(semver('1.1.0'))", True),
    ("semver('1.2.3').major()", 1),
    ("semver('1.2.3').minor()", 2),
    ("semver('1.2.3').patch()", 3),
    ("semver('1.0.0-alpha').isLessThan(semver('1.0.0'))", True),
    ("semver('1.2.3').compareTo(semver('2.0.0'))", -1),
    ("semver('v1.0', true) == semver('1.0.0')", True),
    # strings extension, optionals, macros, bindings
    ("'%s=%d'.format(['a', 1])", "a=1"),
    ("'a,b'.split(',')", ["a", "b"]),
    ("'ABC'.lowerAscii()", "abc"),
    ("' x '.trim()", "x"),
    ("['a', 'b'].join('-')", "a-b"),
    ("'hello'.substring(1, 3)", "el"),
    ("'a-b'.replace('-', '_')", "a_b"),
    ("optional.of(1).value()", 1),
    ("optional.none().orValue(2)", 2),
    ("{'a': 1}[?'b'].hasValue()", False),
    ("[1, 2, 3].exists_one(x, x == 2)", True),
    ("[1, 2, 3].map(x, x * 2)", [2, 4, 6]),
    ("[1, 2, 3].filter(x, x > 1)", [2, 3]),
    ("cel.bind(x, 2, x * x)", 4),
    # errors are absorbed by && and || in either order
    ("1 / 0 == 1 || true", True),
    ("true || 1 / 0 == 1", True),
    ("1 / 0 == 1 && false", False),
    ("[0, 1].exists(x, 1 / x == 1)", True),
]


@pytest.mark.parametrize("expr,expected", CASES, ids=[c[0] for c in CASES])
def test_library(expr, expected):
    got = compile_expression(expr).eval(activation({}), {}, 1)
    if isinstance(expected, list):
        got = [x.value() if hasattr(x, "value") else x for x in got]
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("expr,error", [
    ("quantity('1,3G')", "quantities must match the regular expression"),
    ("quantity('50.5').asInteger()", "cannot convert value to integer"),
    ("ip('1.2.3')", "parse error during conversion from string"),
    ("cidr('1.2.3.4')", "parse error during conversion from string"),
    ("url('example.com')", "URL parse error"),
    ("semver('1.0')", "could not parse"),
    ("[].min()", "min called on empty list"),
    ("1 / 0 == 1", "divide by zero"),
    ("{'a': 1}.b == 1", "Key not found in map"),
    ("9223372036854775807 + 1 > 0", "overflow"),
    ("[1, 'a'].isSorted()", "no such overload"),
])
def test_errors(expr, error):
    with pytest.raises(EvalError, match=error):
        compile_expression(expr).eval(activation({}), {}, 1)


def test_type_errors_are_compile_errors():
    from kubeward.policy.celenv import CompileError
    with pytest.raises(CompileError, match="found no matching overload for '_\\+_'"):
        compile_expression("1 + 'a'")
    with pytest.raises(CompileError, match="undeclared reference to 'nope.x'"):
        compile_expression("nope.x == 1")


def test_programs_are_compiled_once():
    a = compile_expression("object.metadata.name == 'x'")
    assert compile_expression("object.metadata.name == 'x'") is a


def test_cost_uses_real_sizes():
    prog = compile_expression("object.items.all(a, object.items.all(b, a != b || a == b))")
    small = {"object": {"items": list(range(10))}}
    big = {"object": {"items": list(range(2000))}}
    assert prog.cost(small, data_size(small)) < 2000
    assert prog.cost(big, data_size(big)) > 1_000_000
    with pytest.raises(EvalError, match="cost limit exceeded"):
        prog.eval(activation(big), big, data_size(big))
    assert prog.eval(activation(small), small, data_size(small)) is True
