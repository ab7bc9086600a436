"""Apply edits to YAML and JSON text, changing only the lines of the edited
fields.

Every edit is applied as a *text splice*: the file is composed with libyaml
(the same parser the scanner uses, so node positions are exact), the node at
the edited path is found, and only its text is replaced, or new lines are
inserted right after the last line of the mapping or list that receives the
new entry. Everything else - comments, key order, quoting, indentation,
flow and block style, multi-line strings, document separators, the other
documents, the trailing newline, CRLF line ends, a byte order mark - is the
original text, byte for byte.

New lines follow the layout found in the document: the mapping indent, the
offset of ``-`` under its key and the indent of a mapping inside a list item
are measured per document (falling back to the file, then to 2/0/2). New
scalars are written plain where YAML reads them back unchanged, otherwise
double-quoted; a replaced string keeps its quote style. JSON files get JSON
(new entries on their own line in pretty-printed objects).

Each edit is verified: the new text must parse, the edited document must
equal :func:`kubeward.fix.jsonpatch.apply_edits` of the old one and every
other document must be unchanged. When the splice cannot express an edit
(for example replacing a multi-line string) or its result fails the check,
the edit is retried through ruamel.yaml's round-trip dumper, keeping only
the changed hunks that the data change needs (every other hunk of ruamel's
output is reverted and the result verified again). An edit that still fails
is reported as not fixed and the text is left as it was.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import yaml

from kubeward.findings import Edit
from kubeward.paths import get as get_path
from kubeward.fix.jsonpatch import EditError, apply_edits, edits_needed
from kubeward.paths import Path, format_path

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


class FixError(Exception):
    """An edit that cannot be applied to this text."""


@dataclass
class Layout:
    map_indent: int = 2
    seq_offset: int = 0  # column of "-" relative to its key
    item_indent: int = 2  # column of a list item's mapping keys relative to "-"
    newline: str = "\n"
    json: bool = False
    indent_char: str = " "  # "\t" for JSON indented with tabs

    @property
    def unit(self) -> str:
        return self.indent_char * self.map_indent


@dataclass
class Outcome:
    """What :func:`fix_text` did: the new text, the groups applied and the
    groups that could not be applied (with the reason)."""

    text: str
    applied: list = field(default_factory=list)
    failed: list = field(default_factory=list)  # (group key, reason)
    docs: list | None = None  # the documents' data after the edits

    @property
    def changed(self) -> bool:
        return bool(self.applied)


# -- parsing --------------------------------------------------------------------


def compose_documents(text: str, is_json: bool = False) -> list:
    """Root nodes of every document (None for an empty one), indexed like
    :func:`kubeward.loading.yamldoc.parse_documents`."""
    if is_json:
        text = text.replace("\t", " ")
    loader = _Loader(text)
    out = []
    try:
        while loader.check_node():
            out.append(loader.get_node())
    except yaml.YAMLError as e:
        raise FixError(f"does not parse: {e}") from None
    finally:
        loader.dispose()
    return out


def parse_data(text: str, is_json: bool = False) -> list:
    """Plain data of every document, with the scanner's own parser."""
    from kubeward.loading.yamldoc import DocumentError, parse_documents

    out = []
    for item in parse_documents(text, is_json=is_json):
        if isinstance(item, DocumentError):
            raise FixError(f"does not parse: {item.message}")
        while len(out) < item.index:
            out.append(None)
        out.append(item.data)
    return out


# -- layout ---------------------------------------------------------------------


def detect_layout(roots: Iterable, newline: str = "\n", is_json: bool = False,
                  base: Layout | None = None) -> Layout:
    maps: Counter = Counter()
    seqs: Counter = Counter()
    items: Counter = Counter()

    def walk(node, key=None):
        if isinstance(node, yaml.MappingNode):
            if node.value and key is not None and (is_json or not node.flow_style):
                first_key = node.value[0][0]
                d = first_key.start_mark.column - key.start_mark.column
                if d > 0 and first_key.start_mark.line > key.start_mark.line:
                    maps[d] += 1
            for k, v in node.value:
                walk(v, k)
        elif isinstance(node, yaml.SequenceNode):
            if not node.flow_style and key is not None:
                seqs[node.start_mark.column - key.start_mark.column] += 1
            for item in node.value:
                if isinstance(item, yaml.MappingNode) and not item.flow_style and item.value:
                    d = item.value[0][0].start_mark.column - node.start_mark.column
                    if d > 0 and item.start_mark.line == item.value[0][0].start_mark.line:
                        items[d] += 1
                walk(item, None)

    for root in roots:
        if root is not None:
            walk(root)
    m = maps.most_common(1)[0][0] if maps else (base.map_indent if base else 2)
    if seqs:
        d = seqs.most_common(1)[0][0]
    else:
        d = base.seq_offset if base else m
    it = items.most_common(1)[0][0] if items else (base.item_indent if base else 2)
    return Layout(map_indent=m, seq_offset=max(0, d), item_indent=max(2, it), newline=newline,
                  json=is_json, indent_char=base.indent_char if base else " ")




# -- rendering ------------------------------------------------------------------

_PLAIN_RE = re.compile(r"[A-Za-z0-9_/.][A-Za-z0-9_/.=@+ -]*(:[A-Za-z0-9_/.=@+-]+)*\Z")


def _plain_ok(s: str) -> bool:
    if not s or s != s.strip() or not _PLAIN_RE.match(s):
        return False
    try:
        return yaml.load(s, Loader=_Loader) == s
    except yaml.YAMLError:
        return False


def render_key(key: str, layout: Layout) -> str:
    if layout.json or not _plain_ok(key):
        return json.dumps(key, ensure_ascii=False)
    return key


def render_scalar(value: Any, layout: Layout, style: str | None = None) -> str:
    if layout.json:
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    text = str(value)
    if style == "'" and "\n" not in text:
        return "'" + text.replace("'", "''") + "'"
    if style == '"':
        return json.dumps(text, ensure_ascii=False)
    return text if _plain_ok(text) else json.dumps(text, ensure_ascii=False)


def render_flow(value: Any, layout: Layout) -> str:
    if layout.json:
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{render_key(k, layout)}: {render_flow(v, layout)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(render_flow(v, layout) for v in value) + "]"
    return render_scalar(value, layout)


def render_entry(key: str, value: Any, col: int, layout: Layout) -> list[str]:
    """Lines of a block mapping entry ``key: value`` whose key is at ``col``."""
    pad = " " * col
    k = render_key(key, layout)
    if isinstance(value, dict) and value:
        out = [f"{pad}{k}:"]
        for ck, cv in value.items():
            out += render_entry(ck, cv, col + layout.map_indent, layout)
        return out
    if isinstance(value, list) and value:
        return [f"{pad}{k}:"] + render_items(value, col + layout.seq_offset, layout)
    return [f"{pad}{k}: {render_flow(value, layout)}"]


def render_items(items: Sequence, dash_col: int, layout: Layout) -> list[str]:
    out = []
    pad = " " * dash_col
    for item in items:
        if isinstance(item, dict) and item:
            lines = []
            for ck, cv in item.items():
                lines += render_entry(ck, cv, dash_col + layout.item_indent, layout)
            first = lines[0][dash_col + layout.item_indent:]
            lines[0] = pad + "-" + " " * (layout.item_indent - 1) + first
            out += lines
        else:
            out.append(f"{pad}- {render_flow(item, layout)}")
    return out


def render_json_value(value: Any, prefix: str, layout: Layout) -> str:
    """A pretty JSON value for an entry on a line indented by ``prefix``."""
    text = json.dumps(value, indent=layout.unit, ensure_ascii=False)
    return text.replace("\n", layout.newline + prefix)


# -- the splicer ----------------------------------------------------------------


@dataclass
class _Step:
    node: Any
    key: Any  # the key node (mapping parent), the int index (list parent) or None (root)
    parent: Any


class _Text:
    def __init__(self, text: str):
        self.text = text
        self.starts = [0]
        for m in re.finditer(r"\r\n|[\n\r\x85\u2028\u2029]", text):
            self.starts.append(m.end())

    def off(self, mark) -> int:
        if mark.line >= len(self.starts):  # libyaml's mark past a last line without a break
            return len(self.text)
        return min(self.starts[mark.line] + mark.column, len(self.text))

    def line_start(self, line: int) -> int:
        return self.starts[line] if line < len(self.starts) else len(self.text)

    def line_end(self, line: int) -> int:
        """Offset of the end of ``line``, before its line break."""
        if line + 1 < len(self.starts):
            end = self.starts[line + 1]
            if self.text[end - 2:end] == "\r\n":
                return end - 2
            return end - 1
        return len(self.text)

    def line_text(self, line: int) -> str:
        return self.text[self.line_start(line):self.line_end(line)]


def _key_matches(key_node, part) -> bool:
    return isinstance(key_node, yaml.ScalarNode) and isinstance(part, str) and key_node.value == part


def _navigate(root, path: Path) -> list[_Step]:
    chain = [_Step(root, None, None)]
    node = root
    for part in path:
        nxt = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for k, v in node.value:
                if _key_matches(k, part):
                    nxt = _Step(v, k, node)
            # the last duplicate would win; duplicates are load errors anyway
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                nxt = _Step(node.value[part], part, node)
        if nxt is None:
            break
        chain.append(nxt)
        node = nxt.node
    return chain


def _is_null(node) -> bool:
    return (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null")


class Splicer:
    def __init__(self, text: str, root, layout: Layout):
        self.t = _Text(text)
        self.root = root
        self.layout = layout

    @property
    def text(self) -> str:
        return self.t.text

    # -- helpers
    def _last_line(self, node) -> int:
        if isinstance(node, yaml.ScalarNode):
            if node.style in ("|", ">"):
                end = node.end_mark
                line = end.line
                if end.column == 0 or not self.t.text[self.t.line_start(end.line):self.t.off(end)].strip():
                    line -= 1
                while line > node.start_mark.line and not self.t.line_text(line).strip():
                    line -= 1
                return line
            return node.end_mark.line
        if node.flow_style or not node.value:
            return node.end_mark.line
        last = node.value[-1]
        return self._last_line(last[1] if isinstance(node, yaml.MappingNode) else last)

    def _splice(self, start: int, end: int, new: str) -> str:
        return self.t.text[:start] + new + self.t.text[end:]

    def _insert_lines_after(self, line: int, lines: list[str]) -> str:
        nl = self.layout.newline
        pos = self.t.line_end(line)
        if pos == len(self.t.text):
            # the file ends here without a line break: a block scalar ending on
            # this line would gain a final line break unless it is stripped
            node = self._block_scalar_ending_at(self.root, line)
            if node is not None:
                head = self.t.off(node.start_mark)
                header = self.t.text[head:self.t.line_end(node.start_mark.line)].split("#")[0]
                if "+" in header:
                    raise FixError("a kept block scalar ends the file without a line break")
                if "-" not in header:
                    text = self.t.text
                    return text[:head + 1] + "-" + text[head + 1:pos] + nl + nl.join(lines)
        return self._splice(pos, pos, nl + nl.join(lines))

    def _block_scalar_ending_at(self, node, line: int):
        if isinstance(node, yaml.ScalarNode):
            if node.style in ("|", ">") and self._last_line(node) == line:
                return node
            return None
        if isinstance(node, yaml.MappingNode):
            children = [v for _k, v in node.value]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            return None
        for child in reversed(children[-1:]):
            return self._block_scalar_ending_at(child, line)
        return None

    def _delete_lines(self, first: int, last: int) -> str:
        text = self.t.text
        start = self.t.line_start(first)
        if last + 1 < len(self.t.starts):
            return text[:start] + text[self.t.starts[last + 1]:]
        # the last line of the file: also drop the break before it
        return text[:self.t.line_end(first - 1) if first > 0 else 0] + ""

    def _colon_after(self, key_node) -> int:
        """Offset just after the ``:`` that follows ``key_node``."""
        pos = self.t.off(key_node.end_mark)
        text = self.t.text
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos >= len(text) or text[pos] != ":":
            raise FixError("unexpected text after a key")
        return pos + 1

    def _only_blank_before(self, node) -> bool:
        m = node.start_mark
        return not self.t.text[self.t.line_start(m.line):self.t.off(m)].strip()

    def _in_flow(self, chain: list[_Step]) -> bool:
        return self.layout.json or any(
            isinstance(s.node, (yaml.MappingNode, yaml.SequenceNode)) and s.node.flow_style
            for s in chain[:-1])

    # -- operations
    def set(self, path: Path, value: Any) -> str:
        chain = _navigate(self.root, path)
        k = len(chain) - 1
        if k == len(path):
            return self._replace(chain, value)
        rest = path[k:]
        if any(isinstance(p, int) for p in rest):
            raise FixError(f"{format_path(path[:k + 1])} does not exist")
        nested = value
        for part in reversed(rest[1:]):
            nested = {part: nested}
        return self._add_entry(chain, rest[0], nested)

    def append(self, path: Path, value: Any) -> str:
        chain = _navigate(self.root, path)
        if len(chain) - 1 < len(path):
            return self.set(path, [value])
        node = chain[-1].node
        if isinstance(node, yaml.SequenceNode):
            if node.flow_style or self.layout.json:
                return self._flow_insert(node, value=value)
            lines = render_items([value], node.start_mark.column, self.layout)
            return self._insert_lines_after(self._last_line(node), lines)
        return self._replace(chain, [value])

    def remove(self, path: Path) -> str:
        chain = _navigate(self.root, path)
        if len(chain) - 1 < len(path) or len(chain) < 2:
            return self.t.text  # nothing to remove
        step = chain[-1]
        parent = step.parent
        if isinstance(parent, yaml.MappingNode):
            entries = [(k, v) for k, v in parent.value]
            idx = next(i for i, (k, _v) in enumerate(entries) if k is step.key)
            starts = [k for k, _v in entries]
            ends = [v for _k, v in entries]
        else:
            idx = step.key
            starts = list(parent.value)
            ends = list(parent.value)
        n = len(starts)
        if parent.flow_style or self.layout.json:
            if n == 1:
                return self._splice(self.t.off(parent.start_mark) + 1,
                                    self.t.off(parent.end_mark) - 1, "")
            if idx < n - 1:
                return self._splice(self.t.off(starts[idx].start_mark),
                                    self.t.off(starts[idx + 1].start_mark), "")
            return self._splice(self.t.off(ends[idx - 1].end_mark),
                                self.t.off(ends[idx].end_mark), "")
        # block collections
        first_node = starts[idx]
        last = self._last_line(ends[idx])
        if n == 1:
            grand = chain[-2]
            if not isinstance(grand.key, yaml.Node) or grand.parent.flow_style:
                raise FixError("cannot empty a collection that is not a mapping value")
            empty = "{}" if isinstance(parent, yaml.MappingNode) else "[]"
            first = first_node.start_mark.line
            if first <= grand.key.start_mark.line or not self._only_blank_before(
                    first_node if isinstance(parent, yaml.MappingNode) else parent):
                raise FixError("cannot empty a collection that starts on its key's line")
            text = self._delete_lines(first, last)
            colon = self._colon_after(grand.key)
            return text[:colon] + " " + empty + text[colon:]
        if isinstance(parent, yaml.SequenceNode):
            line = first_node.start_mark.line
            before = self.t.text[self.t.line_start(line):self.t.off(first_node.start_mark)]
            if before.strip() != "-":
                raise FixError("list item shares its line with other content")
            return self._delete_lines(line, last)
        if self._only_blank_before(first_node):
            return self._delete_lines(first_node.start_mark.line, last)
        if idx + 1 < n:  # the first key of a list item ("- name: x")
            return self._splice(self.t.off(first_node.start_mark),
                                self.t.off(starts[idx + 1].start_mark), "")
        raise FixError("cannot remove this entry without touching other lines")

    # -- internals
    def _replace(self, chain: list[_Step], value: Any) -> str:
        step = chain[-1]
        node = step.node
        layout = self.layout
        in_flow = self._in_flow(chain)
        collection = isinstance(value, (dict, list)) and value
        if isinstance(node, yaml.ScalarNode):
            start, end = self.t.off(node.start_mark), self.t.off(node.end_mark)
            if node.style in ("|", ">"):  # up to the end of its last content line
                end = self.t.line_end(self._last_line(node))
                if collection:
                    raise FixError("replacing a multi-line string by a collection")
            if in_flow:
                if layout.json and collection and self._pretty():
                    new = render_json_value(value, self._indent_of(node.start_mark.line), layout)
                else:
                    new = render_flow(value, layout) if collection else render_scalar(
                        value, layout, node.style if isinstance(value, str) else None)
                return self._splice(start, end, new)
            if not collection:
                new = render_scalar(value, layout, node.style if isinstance(value, str) else None)
                if start == end and isinstance(step.key, yaml.Node):
                    return self._splice(start, end, " " + new)
                return self._splice(start, end, new)
            if not isinstance(step.key, yaml.Node):
                raise FixError("replacing a list item by a collection")
            # "key: null" / "key:" -> block content below the key line
            if node.start_mark.line != step.key.start_mark.line:
                raise FixError("value on its own line")
            text = self._splice(start, end, "")
            col = step.key.start_mark.column
            lines = self._block_lines(value, col)
            sub = Splicer(text, self.root, layout)
            out = sub._insert_lines_after(step.key.start_mark.line, lines)
            # drop the blanks left where the scalar was (when no comment follows)
            return _strip_line_end(out, step.key.start_mark.line)
        # an existing collection
        if node.flow_style or in_flow:
            new = render_flow(value, layout)
            if layout.json and collection:
                new = (render_json_value(value, self._indent_of(node.start_mark.line), layout)
                       if self._pretty() else json.dumps(value, ensure_ascii=False))
            return self._splice(self.t.off(node.start_mark), self.t.off(node.end_mark), new)
        if not isinstance(step.key, yaml.Node) or step.parent.flow_style:
            raise FixError("replacing a list item that is a collection")
        first, last = node.start_mark.line, self._last_line(node)
        if first <= step.key.start_mark.line or not self._only_blank_before(
                node.value[0][0] if isinstance(node, yaml.MappingNode) else node):
            raise FixError("collection starts on its key's line")
        if not collection:
            text = self._delete_lines(first, last)
            colon = self._colon_after(step.key)
            return text[:colon] + " " + render_flow(value, layout) + text[colon:]
        if isinstance(node, yaml.MappingNode) and isinstance(value, dict):
            col = node.value[0][0].start_mark.column
            lines = []
            for k, v in value.items():
                lines += render_entry(k, v, col, layout)
        elif isinstance(node, yaml.SequenceNode) and isinstance(value, list):
            lines = render_items(value, node.start_mark.column, layout)
        else:
            lines = self._block_lines(value, step.key.start_mark.column)
        nl = layout.newline
        start = self.t.line_start(first)
        end = self.t.line_end(last)
        return self._splice(start, end, nl.join(lines))

    def _block_lines(self, value: Any, key_col: int) -> list[str]:
        if isinstance(value, dict):
            out = []
            for k, v in value.items():
                out += render_entry(k, v, key_col + self.layout.map_indent, self.layout)
            return out
        return render_items(value, key_col + self.layout.seq_offset, self.layout)

    def _add_entry(self, chain: list[_Step], key: str, value: Any) -> str:
        step = chain[-1]
        node = step.node
        layout = self.layout
        if isinstance(node, yaml.MappingNode):
            if node.flow_style or layout.json:
                return self._flow_insert(node, key=key, value=value)
            col = node.value[0][0].start_mark.column
            return self._insert_lines_after(self._last_line(node),
                                            render_entry(key, value, col, layout))
        if _is_null(node):
            return self._replace(chain, {key: value})
        raise FixError(f"{format_path(())} is not a mapping")

    def _flow_insert(self, node, *, key: str | None = None, value: Any = None) -> str:
        """Add an entry (``key`` given) or an item to a flow collection."""
        layout = self.layout
        is_map = key is not None
        multi = node.start_mark.line != node.end_mark.line and node.value
        if node.value:
            last = node.value[-1]
            last_end = (last[1] if is_map else last).end_mark
            last_start = (last[0] if is_map else last).start_mark
            if multi and last_start.line != node.start_mark.line:
                prefix = self._indent_of(last_start.line)
                if layout.json:
                    body = render_json_value(value, prefix, layout)
                else:
                    body = render_flow(value, layout)
                entry = (f"{render_key(key, layout)}: {body}" if is_map else body)
                pos = self.t.off(last_end)
                return self._splice(pos, pos, "," + layout.newline + prefix + entry)
            body = json.dumps(value, ensure_ascii=False) if layout.json else render_flow(value, layout)
            entry = f"{render_key(key, layout)}: {body}" if is_map else body
            pos = self.t.off(last_end)
            return self._splice(pos, pos, ", " + entry)
        start = self.t.off(node.start_mark) + 1
        end = self.t.off(node.end_mark) - 1
        inner = self.t.text[start:end]
        if inner.strip():
            raise FixError("unexpected content in an empty flow collection")
        if layout.json and self._pretty():  # {} -> an expanded object, as json.dumps(indent)
            base = self._indent_of(node.start_mark.line)
            prefix = base + layout.unit
            body = render_json_value(value, prefix, layout)
            entry = f"{render_key(key, layout)}: {body}" if is_map else body
            return self._splice(start, end, layout.newline + prefix + entry + layout.newline + base)
        body = json.dumps(value, ensure_ascii=False) if layout.json else render_flow(value, layout)
        entry = f"{render_key(key, layout)}: {body}" if is_map else body
        return self._splice(start, end, entry)

    def _indent_of(self, line: int) -> str:
        text = self.t.line_text(line)
        return text[:len(text) - len(text.lstrip(" \t"))]

    def _pretty(self) -> bool:
        """A JSON document written over several lines (json.dumps with indent)."""
        return self.root.start_mark.line != self.root.end_mark.line


def _strip_line_end(text: str, line: int) -> str:
    """Remove trailing blanks of ``line`` (left where a ``null`` was)."""
    t = _Text(text)
    s, e = t.line_start(line), t.line_end(line)
    content = text[s:e]
    return text[:s] + content.rstrip(" \t") + text[e:]


# -- edits on data, expanded to small edits -------------------------------------


def expand(data: Any, edit: Edit) -> list[Edit]:
    """Split a ``set`` of a mapping onto an existing mapping (or of a list
    that extends an existing list) into per-field edits, so the text change
    stays at the fields that differ."""
    if edit.op != "set":
        return [edit]
    cur = get_path(data, edit.path, _MISSING)
    if isinstance(cur, dict) and cur and isinstance(edit.value, dict) and edit.value:
        out = [Edit("remove", tuple(edit.path) + (k,)) for k in cur if k not in edit.value]
        for k, v in edit.value.items():
            if k in cur and cur[k] == v and type(cur[k]) is type(v):
                continue
            out += expand(data, Edit("set", tuple(edit.path) + (k,), v))
        return out
    if isinstance(cur, list) and cur and isinstance(edit.value, list) and \
            len(edit.value) > len(cur) and edit.value[:len(cur)] == cur:
        return [Edit("append", tuple(edit.path), v) for v in edit.value[len(cur):]]
    return [edit]


_MISSING = object()


# -- the driver -----------------------------------------------------------------


def _newline(text: str) -> str:
    i = text.find("\n")
    if i > 0 and text[i - 1] == "\r":
        return "\r\n"
    return "\n"


def _splice_edit(text: str, doc_index: int, edit: Edit, is_json: bool, file_layout: Layout) -> str:
    roots = compose_documents(text, is_json)
    if doc_index >= len(roots) or roots[doc_index] is None:
        raise FixError(f"document {doc_index + 1} not found")
    root = roots[doc_index]
    layout = detect_layout([root], file_layout.newline, is_json, base=file_layout)
    sp = Splicer(text, root, layout)
    if edit.op == "set":
        return sp.set(tuple(edit.path), edit.value)
    if edit.op == "append":
        return sp.append(tuple(edit.path), edit.value)
    if edit.op == "remove":
        return sp.remove(tuple(edit.path))
    raise FixError(f"unknown edit op {edit.op!r}")


def _verify(new_text: str, old_docs: list, doc_index: int, expected: Any, is_json: bool) -> list:
    new_docs = parse_data(new_text, is_json)
    if len(new_docs) != len(old_docs):
        raise FixError("the number of documents changed")
    for i, (a, b) in enumerate(zip(old_docs, new_docs)):
        want = expected if i == doc_index else a
        if not _same(want, b):
            raise FixError("the result does not match the intended change"
                           if i == doc_index else f"document {i + 1} would change")
    return new_docs


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _ruamel_edit(text: str, doc_index: int, edits: list[Edit], old_docs: list,
                 expected: Any, is_json: bool, layout: Layout) -> str:
    """ruamel.yaml round trip of the file with ``edits`` applied to one
    document, then every changed hunk that the data change does not need is
    reverted."""
    if is_json:
        raise FixError("JSON layout cannot be kept for this change")
    try:
        from ruamel.yaml import YAML
    except ImportError:  # pragma: no cover
        raise FixError("ruamel.yaml is not installed") from None
    import io

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 1 << 16
    y.indent(mapping=layout.map_indent, sequence=layout.seq_offset + layout.item_indent,
             offset=layout.seq_offset)
    try:
        docs = list(y.load_all(text.replace("\r\n", "\n")))
    except Exception as e:  # ruamel raises many types
        raise FixError(f"ruamel.yaml cannot read it: {e}") from None
    if doc_index >= len(docs):
        raise FixError("document not found by ruamel.yaml")
    target = docs[doc_index]
    for e in edits:
        _ruamel_apply(target, e)
    buf = io.StringIO()
    try:
        y.dump_all(docs, buf)
    except Exception as e:
        raise FixError(f"ruamel.yaml cannot write it: {e}") from None
    out = buf.getvalue()
    if not text.endswith(("\n", "\r")) and out.endswith("\n"):
        out = out[:-1]  # keep a missing final line break missing
    if layout.newline != "\n":
        out = out.replace("\n", layout.newline)
    return minimize_hunks(text, out, lambda t: _verify(t, old_docs, doc_index, expected, is_json))


def _ruamel_apply(doc, edit: Edit) -> None:
    from ruamel.yaml.comments import CommentedMap

    path = tuple(edit.path)
    cur = doc
    for i, part in enumerate(path[:-1]):
        nxt = None
        if isinstance(part, int):
            nxt = cur[part] if isinstance(cur, list) and 0 <= part < len(cur) else None
            if nxt is None:
                raise FixError(f"{format_path(path[:i + 1])} does not exist")
        else:
            nxt = cur.get(part) if isinstance(cur, dict) else None
            if not isinstance(nxt, (dict, list)) or (isinstance(path[i + 1], str)
                                                     and not isinstance(nxt, dict)):
                if edit.op == "remove":
                    return
                nxt = CommentedMap()
                cur[part] = nxt
        cur = nxt
    key = path[-1]
    if edit.op == "remove":
        try:
            del cur[key]
        except (KeyError, IndexError):
            pass
    elif edit.op == "set":
        cur[key] = copy.deepcopy(edit.value)
    else:
        lst = cur.get(key) if isinstance(cur, dict) else cur[key]
        if isinstance(lst, list):
            if edit.value not in lst:
                lst.append(copy.deepcopy(edit.value))
        else:
            cur[key] = [copy.deepcopy(edit.value)]


def minimize_hunks(old: str, new: str, ok) -> str:
    """``new`` with every changed hunk that ``ok`` does not need reverted to
    ``old``. ``ok(text)`` raises FixError when ``text`` is not acceptable."""
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    ops = []
    for op in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        tag, i1, i2, j1, j2 = op
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:  # line by line, to revert finely
            ops += [("replace", i1 + n, i1 + n + 1, j1 + n, j1 + n + 1) for n in range(i2 - i1)]
        else:
            ops.append(op)
    keep = [True] * len(ops)

    def build() -> str:
        out, pos = [], 0
        for (_tag, i1, i2, j1, j2), k in zip(ops, keep):
            out += a[pos:i1]
            out += b[j1:j2] if k else a[i1:i2]
            pos = i2
        out += a[pos:]
        return "".join(out)

    ok(build())
    # revert single hunks, then runs of up to four neighbouring hunks that
    # only make sense together (a block scalar re-indented line by line)
    for width in (1, 2, 3, 4):
        for i in range(len(ops) - width + 1):
            if not all(keep[i:i + width]):
                continue
            keep[i:i + width] = [False] * width
            try:
                ok(build())
            except FixError:
                keep[i:i + width] = [True] * width
    text = build()
    ok(text)
    return text


def document_spans(text: str) -> list:
    """``(start, end)`` offsets of each document's own text: from the start
    of the line where its content begins to the start of the line where the
    next document begins. None for a document that shares its first line
    with a ``---`` (it is then edited within the whole file)."""
    t = _Text(text)
    loader = _Loader(text)
    spans: list = []
    pending = None  # index of the document whose end is not known yet
    want_root = False
    try:
        while loader.check_event():
            ev = loader.get_event()
            if isinstance(ev, (yaml.DocumentStartEvent, yaml.StreamEndEvent)):
                if pending is not None and spans[pending] is not None:
                    m = ev.start_mark
                    end = t.starts[m.line] if m.line < len(t.starts) else len(text)
                    if isinstance(ev, yaml.StreamEndEvent):
                        end = len(text)
                    elif m.column != 0:
                        spans[pending] = None
                        end = None
                    if end is not None:
                        spans[pending] = (spans[pending][0], end)
                if isinstance(ev, yaml.DocumentStartEvent):
                    spans.append((0, 0))
                    pending = len(spans) - 1
                    want_root = True
            elif want_root and isinstance(ev, yaml.NodeEvent):
                want_root = False
                m = ev.start_mark
                line_start = t.line_start(m.line)
                if text[line_start:t.off(m)].strip():
                    spans[pending] = None
                else:
                    spans[pending] = (line_start, 0)
    except yaml.YAMLError as e:
        raise FixError(f"does not parse: {e}") from None
    finally:
        loader.dispose()
    return spans


_DIRECTIVE = re.compile(r"^%", re.M)


def fix_text(text: str, groups: Sequence[tuple[Any, int, Sequence[Edit]]], *,
             is_json: bool = False) -> Outcome:
    """Apply ``groups`` of edits to ``text``. Each group is ``(key,
    doc_index, edits)`` (edit paths relative to the document); a group is
    applied whole or not at all. Groups whose edits are already in place
    count as neither applied nor failed.

    Each document is edited as its own piece of text (so the cost of an
    edit does not grow with the file; documents are independent in YAML
    when the file has no ``%`` directives), then the whole file is parsed
    once more: it must hold as many documents as before and the edited ones
    must be exactly what their pieces gave."""
    outcome = Outcome(text)
    by_doc: dict[int, list] = {}
    for g in groups:
        by_doc.setdefault(g[1], []).append(g)
    try:
        spans = None if is_json or _DIRECTIVE.search(text) else document_spans(text)
    except FixError as e:
        outcome.failed = [(g[0], str(e)) for g in groups]
        return outcome
    if spans is None or any(d >= len(spans) or spans[d] is None for d in by_doc):
        return _fix_whole(text, groups, is_json)
    newline = _newline(text)
    pieces, pos = [], 0
    results: dict[int, Any] = {}
    for d in sorted(by_doc):
        a, b = spans[d]
        seg = text[a:b]
        try:
            seg_docs = parse_data(seg, is_json)
            roots = compose_documents(seg, is_json)
        except FixError:
            return _fix_whole(text, groups, is_json)
        if len(seg_docs) != 1 or len(roots) != 1:
            return _fix_whole(text, groups, is_json)
        sub = Outcome(seg)
        _fix_unit(seg, seg_docs, [(k, 0, e) for k, _d, e in by_doc[d]], is_json,
                  detect_layout(roots, newline, is_json), sub)
        outcome.applied += sub.applied
        outcome.failed += sub.failed
        pieces += [text[pos:a], sub.text]
        results[d] = sub.docs[0] if sub.docs else None
        pos = b
    pieces.append(text[pos:])
    new_text = "".join(pieces)
    if new_text != text:
        try:  # the pieces put together must give the same documents
            new_docs = parse_data(new_text, is_json)
            if len(new_docs) != len(spans) or not all(
                    _same(results[d], new_docs[d]) for d in results):
                raise FixError("documents changed when put together")
        except FixError:
            return _fix_whole(text, groups, is_json)
    outcome.text = new_text
    return outcome


def _fix_whole(text: str, groups, is_json: bool) -> Outcome:
    """Every edit within the whole file (JSON, files with directives, and
    documents that start on a ``---`` line)."""
    outcome = Outcome(text)
    try:
        docs = parse_data(text, is_json)
        roots = compose_documents(text, is_json)
    except FixError as e:
        outcome.failed = [(g[0], str(e)) for g in groups]
        return outcome
    layout = detect_layout(roots, _newline(text), is_json)
    if is_json and re.search(r"^\t", text, re.M):
        layout.indent_char = "\t"
    return _fix_unit(text, docs, groups, is_json, layout, outcome)


def _fix_unit(text: str, docs: list, groups, is_json: bool, file_layout: Layout,
              outcome: Outcome) -> Outcome:
    for key, doc_index, edits in groups:
        if doc_index >= len(docs) or not isinstance(docs[doc_index], dict):
            outcome.failed.append((key, f"document {doc_index + 1} not found"))
            continue
        try:
            needed = edits_needed(docs[doc_index], edits)
        except EditError as e:
            outcome.failed.append((key, str(e)))
            continue
        if not needed:
            continue
        current, cur_docs = text, docs
        try:
            expected_all = apply_edits(docs[doc_index], edits)
            for edit in needed:
                for small in expand(cur_docs[doc_index], edit):
                    want = apply_edits(cur_docs[doc_index], [small])
                    if _same(want, cur_docs[doc_index]):
                        continue
                    try:
                        new = _splice_edit(current, doc_index, small, is_json, file_layout)
                        cur_docs_new = _verify(new, cur_docs, doc_index, want, is_json)
                    except (FixError, yaml.YAMLError, EditError):
                        new = _ruamel_edit(current, doc_index, [small], cur_docs, want,
                                           is_json, file_layout)
                        cur_docs_new = parse_data(new, is_json)
                    current, cur_docs = new, cur_docs_new
            if not _same(cur_docs[doc_index], expected_all):
                raise FixError("the result does not match the intended change")
        except (FixError, EditError) as e:
            outcome.failed.append((key, str(e)))
            continue
        text, docs = current, cur_docs
        outcome.applied.append(key)
    outcome.text = text
    outcome.docs = docs
    return outcome


__all__ = ["FixError", "Layout", "Outcome", "compose_documents", "detect_layout", "expand",
           "document_spans", "fix_text", "minimize_hunks", "parse_data", "render_entry", "render_items"]
