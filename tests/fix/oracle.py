"""Independent checks of a fix result, for the fix tests.

``line_violations`` answers "does the new text differ from the old one only
in the lines of the edited paths?" from the parser's node positions (not
from the fixer's own bookkeeping): every old line that was replaced or
deleted must lie in the text of a node at an edited path (or of the entry
that was created, or of the null / flow value that received it), and so
must every new line.
"""

from __future__ import annotations

import difflib

import yaml

from kubeward.fix.jsonpatch import apply_edits
from kubeward.fix.rewrite import parse_data


def _roots(text: str, is_json: bool = False) -> list:
    if is_json:
        text = text.replace("\t", " ")
    return list(yaml.compose_all(text, Loader=yaml.CSafeLoader))


def _last_line(node) -> int:
    if isinstance(node, yaml.ScalarNode):
        end = node.end_mark
        if node.style in ("|", ">") and end.column == 0:
            return end.line - 1
        return end.line
    if node.flow_style or not node.value:
        return node.end_mark.line
    last = node.value[-1]
    return _last_line(last[1] if isinstance(node, yaml.MappingNode) else last)


def _walk(root, path):
    """[(node, key node or None)] along the existing prefix of ``path``."""
    chain = [(root, None)]
    node = root
    for part in path:
        nxt = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == part:
                    nxt = (v, k)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                nxt = (node.value[part], None)
        if nxt is None:
            break
        chain.append(nxt)
        node = nxt[0]
    return chain


def _span(node, key) -> range:
    first = key.start_mark.line if key is not None else node.start_mark.line
    return range(first, _last_line(node) + 1)


def _allowed(root, path, created_at: int | None, op: str, old: bool,
             parent_rewritten: bool = False) -> set[int]:
    out: set[int] = set()
    chain = _walk(root, path)
    j = len(chain) - 1
    if j == len(path):
        out.update(_span(*chain[-1]))
    if not old and created_at is not None and created_at < len(chain):
        out.update(_span(*chain[created_at]))
        if parent_rewritten:
            out.update(_span(*chain[created_at - 1]))
    deepest, dkey = chain[-1] if j < len(path) else chain[-2] if len(chain) > 1 else chain[-1]
    if j < len(path) and (isinstance(deepest, yaml.ScalarNode) or getattr(deepest, "flow_style", False)):
        out.update(_span(deepest, dkey))
    for node, key in chain:  # a flow collection on the way is rewritten on its own lines
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.flow_style:
            out.update(_span(node, key))
            break
    if op == "remove" and len(chain) >= 2:
        # emptying a block collection writes {} / [] on its key's line
        _pnode, pkey = chain[-2] if j == len(path) else chain[-1]
        if pkey is not None:
            out.add(pkey.start_mark.line)
    return out


def line_violations(old: str, new: str, edits_by_doc: dict, is_json: bool = False) -> list[str]:
    old_roots, new_roots = _roots(old, is_json), _roots(new, is_json)
    allowed_old: set[int] = set()
    allowed_new: set[int] = set()
    for d, edits in edits_by_doc.items():
        for e in edits:
            path = tuple(e.path)
            old_chain = _walk(old_roots[d], path)
            created = len(old_chain) if len(old_chain) - 1 < len(path) else None
            if e.op == "remove" and created is not None:
                continue
            deepest = old_chain[-1][0]
            rewritten = created is not None and (isinstance(deepest, yaml.ScalarNode) or bool(
                getattr(deepest, "flow_style", False)))
            allowed_old |= _allowed(old_roots[d], path, created, e.op, True)
            allowed_new |= _allowed(new_roots[d], path, created, e.op, False, rewritten)
    a, b = old.splitlines(), new.splitlines()
    if is_json:  # a new last entry puts a comma after the entry before it
        a = [x.rstrip().rstrip(",") for x in a]
        b = [x.rstrip().rstrip(",") for x in b]
    problems = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        for i in range(i1, i2):
            if i not in allowed_old:
                problems.append(f"old line {i + 1} changed: {a[i]!r}")
        for j in range(j1, j2):
            if j not in allowed_new:
                problems.append(f"new line {j + 1} outside the edited paths: {b[j]!r}")
    return problems


def expected_data(old: str, edits_by_doc: dict, is_json: bool = False) -> list:
    docs = parse_data(old, is_json)
    for d, edits in edits_by_doc.items():
        docs[d] = apply_edits(docs[d], edits)
    return docs


def applied_edits(run) -> dict:
    """file -> {doc index: [edits of the applied findings, in order]} of a FixRun,
    with List item paths already prefixed. Fixes of every round count: a fix
    offered only once another is applied (allowPrivilegeEscalation: false
    once privileged: true is fixed) is applied in a later round."""
    from kubeward.fix.run import _obj_index, _prefixed

    index = _obj_index(run.before)
    out: dict = {}
    for ff in run.files:
        first = {id(f) for f in run.before.findings}
        applied = sorted(ff.applied, key=lambda f: id(f) not in first)  # stable: rounds in order
        for f in applied:
            out.setdefault(ff.path, {}).setdefault(f.doc_index, []).extend(_prefixed(f, index))
    return out
