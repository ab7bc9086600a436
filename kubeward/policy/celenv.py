"""The CEL environment of kubeward: the variables of a
ValidatingAdmissionPolicy, Kubernetes' CEL libraries, a cost limit, and
programs compiled once.

The runtime is ``cel-expr-python`` (Google's C++ CEL, see docs/policies.md
for why), imported on first use: a scan without rules or policies never
loads it. Without it, ``CelUnavailable`` says what to install.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubeward.policy import celast

#: variables of a ValidatingAdmissionPolicy expression
VARIABLES = ("object", "oldObject", "request", "params", "namespaceObject", "variables")
#: Kubernetes' per-expression runtime cost limit (celconfig.PerCallLimit)
PER_CALL_LIMIT = 1_000_000
#: Kubernetes' runtime cost budget for one policy evaluation (celconfig.RuntimeCELCostBudget)
POLICY_BUDGET = 10_000_000

INSTALL_HINT = ("custom CEL rules and ValidatingAdmissionPolicies need the CEL runtime: "
                "pip install 'kubeward[cel]' (it installs cel-expr-python)")


class CelUnavailable(Exception):
    """The CEL runtime is not installed."""


class PoliciesNotEvaluated(Exception):
    """ValidatingAdmissionPolicies in the input, but no CEL runtime: the
    scan goes on and says so in a note."""

    note_only = True


class CompileError(Exception):
    """An expression does not compile; the message is the runtime's,
    as the API server reports it in a policy's status."""


class EvalError(Exception):
    """An expression did not produce a value (a missing key, a division by
    zero, a type mismatch, or the cost limit)."""


_ENV = None
_cel = None


def runtime():
    """The ``cel_expr_python.cel`` module (raises CelUnavailable)."""
    global _cel
    if _cel is None:
        try:
            from cel_expr_python import cel
        except ImportError:
            raise CelUnavailable(INSTALL_HINT) from None
        _cel = cel
    return _cel


def env():
    """The shared environment (built once per process)."""
    global _ENV
    if _ENV is None:
        cel = runtime()
        from cel_expr_python.ext import ext_bindings, ext_optional, ext_strings

        from kubeward.policy import k8slib

        _ENV = cel.NewEnv(
            variables={name: cel.Type.DYN for name in VARIABLES},
            extensions=[ext_strings.ExtStrings(), ext_optional.ExtOptional(),
                        ext_bindings.ExtBindings(),
                        cel.CelExtension("kubernetes", k8slib.declarations(cel))])
    return _ENV


def _clean(message: str) -> str:
    for prefix in ("INVALID_ARGUMENT: ", "NOT_FOUND: ", "OUT_OF_RANGE: ", "UNKNOWN: ",
                   "FAILED_PRECONDITION: ", "UNIMPLEMENTED: "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    return message.replace(" [INVALID_ARGUMENT]", "").strip()


# -- cost -------------------------------------------------------------------

_ITER = object()  # "each element" in a field chain


def _depth(node) -> int:
    inner = max((_depth(c) for c in celast.children(node)), default=0)
    return inner + 1 if node.kind == "comprehension" else inner


def data_size(value, _limit: int = 1 << 20) -> int:
    """How many values ``value`` holds (itself included), capped."""
    n = 1
    stack = [value]
    while stack and n < _limit:
        v = stack.pop()
        if isinstance(v, dict):
            n += len(v)
            stack.extend(v.values())
        elif isinstance(v, list):
            n += len(v)
            stack.extend(v)
        elif isinstance(v, str):
            n += len(v) // 10
    return n


def _chain(node, bindings: dict):
    """The field chain ``node`` reads: (root variable, path) or None."""
    if node.kind == "ident":
        if node.name in bindings:
            return bindings[node.name]
        return (node.name, ()) if node.name in VARIABLES else None
    if node.kind == "select" and node.args:
        base = _chain(node.args[0], bindings)
        return (base[0], base[1] + (node.name,)) if base else None
    if node.kind == "call" and node.name in ("_[_]", "_?._", "_[?_]") and len(node.args) == 2:
        key = node.args[1]
        base = _chain(node.args[0], bindings)
        if base and key.kind == "const" and isinstance(key.value, (str, int)) \
                and not isinstance(key.value, bool):
            return (base[0], base[1] + (key.value,))
    return None


def _resolve_sizes(value, path: tuple) -> int:
    """The largest size of the collection at ``path`` (``_ITER``: every element)."""
    if not path:
        return len(value) if isinstance(value, (list, dict, str)) else 0
    head, rest = path[0], path[1:]
    if head is _ITER:
        items = value if isinstance(value, list) else list(value) if isinstance(value, dict) else []
        return max((_resolve_sizes(v, rest) for v in items), default=0)
    if isinstance(value, dict):
        return _resolve_sizes(value[head], rest) if head in value else 0
    if isinstance(value, list) and isinstance(head, int) and 0 <= head < len(value):
        return _resolve_sizes(value[head], rest)
    return 0


def estimate_cost(node, data: dict, fallback, bindings: dict | None = None) -> int:
    """Kubernetes-like runtime cost: one per node, comprehensions times the
    size of what they iterate (the real size where the range is a field of
    the input or a list literal, else ``fallback``, an int or a function
    giving the size of the whole input)."""
    if node.cost0 >= 0:
        return node.cost0
    bindings = bindings or {}
    if node.kind != "comprehension":
        return 1 + sum(estimate_cost(c, data, fallback, bindings) for c in celast.children(node))
    rng = node.iter_range
    cost = estimate_cost(rng, data, fallback, bindings)
    ch = _chain(rng, bindings)
    if ch is not None and ch[0] in data:
        n = _resolve_sizes(data[ch[0]], ch[1])
        inner = dict(bindings)
        inner[node.name] = (ch[0], ch[1] + (_ITER,))
    else:
        n = len(rng.args) if rng.kind == "list" else (fallback() if callable(fallback)
                                                       else fallback)
        inner = {k: v for k, v in bindings.items() if k != node.name}
    body = sum(estimate_cost(c, data, fallback, inner)
               for c in (node.loop_condition, node.loop_step) if c is not None)
    return cost + n * body + estimate_cost(node.result, data, fallback, bindings) + 1


def _max_literal(node) -> int:
    own = len(node.args) if node.kind in ("list", "struct") else 0
    return max([own, *(_max_literal(c) for c in celast.children(node))])


def longest_collection(value) -> int:
    """The length of the longest list or map in ``value``."""
    best = 0
    stack = [value]
    while stack:
        v = stack.pop()
        if v.__class__ is dict:
            if len(v) > best:
                best = len(v)
            stack.extend(x for x in v.values() if x.__class__ in (dict, list))
        elif v.__class__ is list:
            if len(v) > best:
                best = len(v)
            stack.extend(x for x in v if x.__class__ in (dict, list))
    return best


def _resolvable(node, bound: frozenset = frozenset()) -> bool:
    """Whether every comprehension iterates a field of the input (or of an
    element of one) or a list literal: its cost needs no walk of the input."""
    if node.kind == "comprehension":
        rng = node.iter_range
        ok_range = rng.kind == "list" or _chain(rng, {v: ("object", ()) for v in bound}) is not None
        inner = bound | {node.name} if ok_range and rng.kind != "list" else bound - {node.name}
        return (ok_range and _resolvable(rng, bound)
                and all(_resolvable(c, inner) for c in (node.loop_condition, node.loop_step)
                        if c is not None)
                and _resolvable(node.result, bound) and _resolvable(node.accu_init, bound))
    return all(_resolvable(c, bound) for c in celast.children(node))


# -- field chains for finding locations -----------------------------------------


def object_chains(node, bindings: dict | None = None, out: list | None = None) -> list:
    """Every field path of ``object`` the expression reads, in source order;
    ``None`` stands for "an element of this list"."""
    bindings = bindings if bindings is not None else {}
    out = out if out is not None else []
    ch = _chain(node, bindings)
    if ch is not None and ch[0] == "object" and ch[1]:
        out.append(tuple(None if p is _ITER else p for p in ch[1]))
    if node.kind == "comprehension":
        object_chains(node.iter_range, bindings, out)
        rc = _chain(node.iter_range, bindings)
        inner = dict(bindings)
        if rc is not None:
            inner[node.name] = (rc[0], rc[1] + (_ITER,))
        else:
            inner.pop(node.name, None)
        for c in (node.loop_condition, node.loop_step):
            if c is not None:
                object_chains(c, inner, out)
        return out
    if ch is not None and node.kind != "call":
        return out  # a plain chain: its parts are prefixes already reported
    for c in celast.children(node):
        object_chains(c, bindings, out)
    return out


@dataclass
class Program:
    """One compiled expression."""

    source: str
    compiled: Any
    ast: Any
    static_cost: int
    depth: int
    chains: list
    resolvable: bool = True
    max_literal: int = 0  # the longest list literal

    def cost(self, data: dict, size, longest=None, limit: int = PER_CALL_LIMIT) -> int:
        """The estimated cost on ``data``; ``size`` is data_size of it, or a
        function computing it (called only when needed); ``longest``, a
        function giving the longest list or map of the input, allows a
        cheap bound first."""
        if self.depth == 0:
            return self.static_cost
        if self.resolvable:
            if longest is not None:
                bound = self.static_cost * (max(longest(), self.max_literal) + 1) ** self.depth
                if bound <= limit:
                    return bound
            return estimate_cost(self.ast, data, size)
        n = size() if callable(size) else size
        bound = self.static_cost * (n + 1) ** self.depth
        if bound <= limit:
            return bound
        return estimate_cost(self.ast, data, n)

    def eval(self, activation, data: dict, size, limit: int | None = PER_CALL_LIMIT,
             as_list: bool = False) -> Any:
        """The value, or EvalError. ``size``: data_size of the input (or a
        function computing it); ``limit`` None: the caller checked the cost;
        ``as_list``: the expression builds a list (one conversion)."""
        if limit is not None and self.depth and self.cost(data, size) > limit:
            raise EvalError("operation cancelled: actual cost limit exceeded")
        r = self.compiled.eval(activation)
        if as_list:
            v = r.plain_value()
            if v.__class__ is list:
                return v
            raise EvalError(_clean(str(v)))
        v = r.value()
        if v.__class__ in (list, dict):
            return r.plain_value()
        if r.type() == _cel.Type.ERROR:
            raise EvalError(_clean(str(v)))
        return v

    def plain(self, activation, data: dict, size) -> Any:
        """The value as plain Python data (for variables)."""
        if self.depth and self.cost(data, size) > PER_CALL_LIMIT:
            raise EvalError("operation cancelled: actual cost limit exceeded")
        r = self.compiled.eval(activation)
        if r.type() == _cel.Type.ERROR:
            raise EvalError(_clean(str(r.value())))
        return r.plain_value()


_CACHE: dict[str, Program] = {}


def compile_expression(source: str, locate: bool = True) -> Program:
    """Compile (type-checked) once per process; raises CompileError.
    ``locate`` False: no field chains (a batch of rules never locates)."""
    got = _CACHE.get(source)
    if got is not None:
        return got
    compiled = _compile(source)
    root = celast.decode(compiled.serialize())
    celast.annotate(root)
    prog = Program(source, compiled, root, celast.size(root), _depth(root),
                   object_chains(root) if locate else [], _resolvable(root), _max_literal(root))
    _CACHE[source] = prog
    return prog


def _compile(source: str):
    """The runtime's compiled expression; raises CompileError."""
    e = env()
    if not isinstance(source, str) or not source.strip():
        raise CompileError("expression is empty")
    try:
        return e.compile(source)
    except RuntimeError as exc:
        message = _clean(str(exc))
        # cel-go (Kubernetes) types `cond ? 'text' : null` as dyn; the C++
        # checker rejects it: such an expression is compiled without the
        # type check, as the API server accepts it
        if "no matching overload for '_?_:_'" not in message or "null_type" not in message:
            raise CompileError(message) from None
        try:
            return e.compile(source, disable_check=True)
        except RuntimeError:
            raise CompileError(message) from None


def check_compiles(source: str) -> None:
    """Raise CompileError when ``source`` does not compile (nothing is kept:
    a validity check, e.g. of many rules joined in one expression)."""
    _compile(source)


def activation(data: dict):
    """A runtime activation of ``data`` (variable name -> plain value)."""
    try:
        return env().Activation(data=data)
    except Exception as exc:  # a value CEL cannot hold (e.g. a YAML date)
        raise EvalError(f"input cannot be converted to CEL: {_clean(str(exc))}") from None


def plain_data(value):
    """Input data with values CEL cannot hold (YAML dates, sets, ints
    beyond 64 bits) turned into strings, as JSON would carry them."""
    if isinstance(value, dict):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_data(v) for v in value]
    if value is None or isinstance(value, (str, bool, float)):
        return value
    if isinstance(value, int):
        return value if -(1 << 63) <= value < (1 << 63) else float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
