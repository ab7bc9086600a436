"""The checked CEL syntax tree, read from the runtime's serialized form.

``cel-expr-python`` hands a compiled expression back as a protobuf
``google.protobuf.Any`` holding a ``cel.expr.CheckedExpr`` (or
``ParsedExpr``). Two things need its tree: the cost estimate (how many
times each comprehension iterates) and the field a failing expression read
(``object.spec.replicas``). Only the few messages of ``cel/expr/syntax.proto``
that describe expressions are decoded, with a 40-line wire-format reader
rather than the protobuf runtime.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7


def _fields(buf: bytes):
    """(field number, wire type, value) of one message; value is an int
    for varint and fixed types, bytes for length-delimited ones."""
    i, n = 0, len(buf)
    while i < n:
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(buf, i)
        elif wt == 1:
            v, i = int.from_bytes(buf[i:i + 8], "little"), i + 8
        elif wt == 2:
            ln, i = _varint(buf, i)
            v, i = buf[i:i + ln], i + ln
        elif wt == 5:
            v, i = int.from_bytes(buf[i:i + 4], "little"), i + 4
        else:  # groups are not used by cel.expr
            raise ValueError(f"unsupported wire type {wt}")
        yield num, wt, v


@dataclass(slots=True)
class Node:
    """One expression node. ``kind`` is ``const``, ``ident``, ``select``,
    ``call``, ``list``, ``struct`` or ``comprehension``."""

    kind: str
    name: str = ""  # ident name, selected field, called function, iteration variable
    value: object = None  # constant value
    test_only: bool = False  # has(...)
    args: list = field(default_factory=list)  # call: [target?] + args; list elements; map values
    # comprehension parts
    iter_range: "Node | None" = None
    accu_init: "Node | None" = None
    loop_condition: "Node | None" = None
    loop_step: "Node | None" = None
    result: "Node | None" = None
    accu_var: str = ""
    iter_var2: str = ""
    has_target: bool = False
    #: node count of this subtree when it holds no comprehension, else -1
    cost0: int = -1


def _const(buf: bytes):
    for num, _wt, v in _fields(buf):
        if num == 1:
            return None
        if num == 2:
            return bool(v)
        if num == 3:
            return v - (1 << 64) if v >= 1 << 63 else v
        if num == 4:
            return v
        if num == 5:
            import struct
            return struct.unpack("<d", v.to_bytes(8, "little"))[0]
        if num == 6:
            return v.decode("utf-8", "replace")
        if num == 7:
            return bytes(v)
    return None


def _expr(buf: bytes) -> Node:
    for num, _wt, v in _fields(buf):
        if num == 3:
            return Node("const", value=_const(v))
        if num == 4:
            name = next((x.decode() for n, _, x in _fields(v) if n == 1), "")
            return Node("ident", name=name)
        if num == 5:
            node = Node("select")
            for n, _, x in _fields(v):
                if n == 1:
                    node.args = [_expr(x)]
                elif n == 2:
                    node.name = x.decode()
                elif n == 3:
                    node.test_only = bool(x)
            return node
        if num == 6:
            node = Node("call")
            target = None
            args = []
            for n, _, x in _fields(v):
                if n == 1:
                    target = _expr(x)
                elif n == 2:
                    node.name = x.decode()
                elif n == 3:
                    args.append(_expr(x))
            node.has_target = target is not None
            node.args = ([target] if target is not None else []) + args
            return node
        if num == 7:
            return Node("list", args=[_expr(x) for n, _, x in _fields(v) if n == 1])
        if num == 8:
            node = Node("struct")
            for n, _, x in _fields(v):
                if n == 2:
                    for en, _, ex in _fields(x):
                        if en in (3, 4):
                            node.args.append(_expr(ex))
            return node
        if num == 9:
            node = Node("comprehension")
            for n, _, x in _fields(v):
                if n == 1:
                    node.name = x.decode()
                elif n == 2:
                    node.iter_range = _expr(x)
                elif n == 3:
                    node.accu_var = x.decode()
                elif n == 4:
                    node.accu_init = _expr(x)
                elif n == 5:
                    node.loop_condition = _expr(x)
                elif n == 6:
                    node.loop_step = _expr(x)
                elif n == 7:
                    node.result = _expr(x)
                elif n == 8:
                    node.iter_var2 = x.decode()
            return node
    return Node("const")


def decode(serialized: bytes) -> Node:
    """The root expression of a serialized ``Any`` (CheckedExpr or ParsedExpr)."""
    inner = b""
    type_url = ""
    for num, _, v in _fields(serialized):
        if num == 1:
            type_url = v.decode()
        elif num == 2:
            inner = v
    expr_field = 4 if type_url.endswith("CheckedExpr") else 2
    for num, _, v in _fields(inner):
        if num == expr_field:
            return _expr(v)
    return Node("const")


def children(node: Node):
    if node.kind == "comprehension":
        return [n for n in (node.iter_range, node.accu_init, node.loop_condition,
                            node.loop_step, node.result) if n is not None]
    return node.args


def size(node: Node) -> int:
    return 1 + sum(size(c) for c in children(node))


def annotate(node: Node) -> int:
    """Set ``cost0`` on every node; returns the root's."""
    inner = [annotate(c) for c in children(node)]
    if node.kind == "comprehension" or any(c < 0 for c in inner):
        node.cost0 = -1
    else:
        node.cost0 = 1 + sum(inner)
    return node.cost0
