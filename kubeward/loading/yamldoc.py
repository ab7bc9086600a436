"""YAML and JSON documents with a field-to-position table.

Parsing uses libyaml (PyYAML's C parser and composer); the node tree is then
turned into plain ``dict``/``list``/scalars by :func:`_construct`, which also
records, for every mapping and list it builds, where each key and item
started. That table (``Document.positions``: ``id(container) -> {key: (line,
col)}`` or ``[(line, col), ...]``) is what turns a field path into a line.

Guards, each reported as one error with file and line, never a crash:
duplicate keys, alias expansion beyond a budget ("billion laughs"), nesting
deeper than ``MAX_DEPTH``, invalid UTF-8, binary data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml


try:  # libyaml is a hard requirement for speed; fall back loudly if absent
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_DEPTH = 200
MAX_EXPANDED_NODES = 1_000_000  # per document, counting alias expansion
_DEPTH_PRECHECK = 5000  # below this bound the C composer's recursion is safe

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_FLOAT = "tag:yaml.org,2002:float"
_MERGE = "tag:yaml.org,2002:merge"
_BINARY = "tag:yaml.org,2002:binary"
_MAP = "tag:yaml.org,2002:map"
_TRUE = frozenset(("yes", "true", "on", "y"))

_int_ctor = yaml.constructor.SafeConstructor.construct_yaml_int
_float_ctor = yaml.constructor.SafeConstructor.construct_yaml_float
_helper = yaml.constructor.SafeConstructor()
_RESOLVE = yaml.resolver.Resolver.resolve
_RESOLVER = yaml.resolver.Resolver()


class DocumentError(Exception):
    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(slots=True)
class Document:
    data: object
    index: int  # 0-based position of the document in its file
    line: int  # 1-based line where the document's content starts
    positions: dict  # id(container) -> {key: (line, col)} | [(line, col), ...]


_SCALAR_NODE = yaml.ScalarNode
_PLAIN_TAGS: dict = {}  # plain scalar text -> resolved tag


def _plain_tag(value: str) -> str:
    """The tag PyYAML's resolver gives a plain (unquoted) scalar: a pure
    function of its text, remembered (manifests repeat keys and values)."""
    tag = _PLAIN_TAGS.get(value)
    if tag is None:
        if len(_PLAIN_TAGS) > 200_000:
            _PLAIN_TAGS.clear()
        tag = _PLAIN_TAGS[value] = _RESOLVE(_RESOLVER, _SCALAR_NODE, value, (True, False))
    return tag


def _scalar(node):
    tag = node.tag
    value = node.value
    if tag.__class__ is slice:  # left unresolved by _FastLoader: resolve here
        if not tag.step[0]:  # quoted or block scalar, or the "!" tag: a string
            return value
        tag = _PLAIN_TAGS.get(value) or _plain_tag(value)
    if tag == _STR:
        return value
    if tag == _INT:
        if value.isdigit() and (value[0] != "0" or len(value) == 1):
            return int(value)
        return _int_ctor(_helper, node)  # YAML 1.1 forms: 0755, 0x1F, 1_000
    if tag == _BOOL:
        return value.lower() in _TRUE
    if tag == _NULL:
        return None
    if tag == _FLOAT:
        return _float_ctor(_helper, node)
    # timestamps, the YAML 1.1 "=" value tag, custom tags: keep the text, as
    # Kubernetes' own YAML-to-JSON conversion does for anything not a number.
    return value


class _Builder:
    __slots__ = ("positions", "sizes", "memo", "anchors", "problems")

    def __init__(self, anchors: bool = True):
        #: errors that do not stop the document (duplicate keys): reported,
        #: and the document is still scanned with the last value winning
        self.problems: list = []
        self.positions: dict = {}
        self.sizes: dict = {}
        self.memo: dict = {}
        #: False when the text has no "&": no node can be shared, so the
        #: alias memo and the expansion budget are skipped
        self.anchors = anchors

    def expanded_size(self, node, depth=0) -> int:
        """Number of nodes after alias expansion, memoised per node."""
        key = id(node)
        size = self.sizes.get(key)
        if size is not None:
            return size
        if depth > MAX_DEPTH:
            raise _depth_error(node.start_mark)
        if isinstance(node, yaml.ScalarNode):
            size = 1
        elif isinstance(node, yaml.SequenceNode):
            size = 1 + sum(self.expanded_size(n, depth + 1) for n in node.value)
        else:
            size = 1 + sum(self.expanded_size(k, depth + 1) + self.expanded_size(v, depth + 1)
                           for k, v in node.value)
        self.sizes[key] = size
        return size

    def build(self, node, depth=0):
        cls = node.__class__
        if cls is _SCALAR_NODE:
            return _scalar(node)
        if self.anchors:
            memo = self.memo.get(id(node))
            if memo is not None:  # an alias: share the object, as YAML does
                return memo
        if depth > MAX_DEPTH:
            raise _depth_error(node.start_mark)
        depth += 1
        build = self.build
        if cls is yaml.SequenceNode:
            out: list = []
            if self.anchors:
                self.memo[id(node)] = out
            pos = []
            for item in node.value:
                m = item.start_mark
                pos.append((m.line + 1, m.column + 1))
                out.append(_scalar(item) if item.__class__ is _SCALAR_NODE
                           else build(item, depth))
            self.positions[id(out)] = pos
            return out
        # mapping
        result: dict = {}
        if self.anchors:
            self.memo[id(node)] = result
        pos = {}
        merges = []
        for key_node, value_node in node.value:
            if key_node.__class__ is not _SCALAR_NODE:
                raise DocumentError("a mapping key must be a scalar",
                                    key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            key = key_node.value
            tag = key_node.tag
            if tag.__class__ is slice:
                if tag.step[0]:  # plain: may resolve to a non-string or the merge key
                    tag = _PLAIN_TAGS.get(key) or _plain_tag(key)
                else:
                    tag = _STR
            if tag != _STR:
                if tag == _MERGE:
                    merges.append(value_node)
                    continue
                key = _scalar(key_node)
                if not isinstance(key, str):
                    key = str(key) if not isinstance(key, bool) else str(key).lower()
            m = key_node.start_mark
            if key in pos:
                self.problems.append(DocumentError(
                    f"duplicate key {key!r} (first defined on line {pos[key][0]}; "
                    "the last value is used, as kubectl would refuse the file)",
                    m.line + 1, m.column + 1))
            pos[key] = (m.line + 1, m.column + 1)
            if value_node.__class__ is _SCALAR_NODE:
                tag = value_node.tag
                if tag.__class__ is slice:  # inline _scalar for plain or quoted text
                    value = value_node.value
                    if not tag.step[0] or (_PLAIN_TAGS.get(value) or _plain_tag(value)) == _STR:
                        result[key] = value
                        continue
                result[key] = _scalar(value_node)
            else:
                result[key] = build(value_node, depth)
        for merge in merges:  # YAML merge keys: explicit keys win
            sources = merge.value if isinstance(merge, yaml.SequenceNode) else [merge]
            for src in sources:
                merged = build(src, depth)
                if not isinstance(merged, dict):
                    raise DocumentError("a merge key (<<) must refer to a mapping",
                                        src.start_mark.line + 1, src.start_mark.column + 1)
                src_pos = self.positions.get(id(merged), {})
                for k, v in merged.items():
                    if k not in result:
                        result[k] = v
                        pos[k] = src_pos.get(k, (merge.start_mark.line + 1, merge.start_mark.column + 1))
        self.positions[id(result)] = pos
        return result


class _FastLoader(_Loader):  # type: ignore[misc, valid-type]
    """The C parser and composer without Python calls per node for tag
    resolution. The composer calls ``resolve(kind, value, implicit)`` and
    ``descend_resolver(parent, index)`` / ``ascend_resolver()`` for every
    node; here they are C callables that do no Python work: ``slice`` keeps
    (kind, value, implicit) as the node's tag, and ``_scalar`` resolves it
    later (only plain scalars need the implicit resolvers). Path resolvers
    are never used, so descend/ascend have nothing to do."""

    resolve = slice
    descend_resolver = slice
    ascend_resolver = tuple


def decode(raw: bytes) -> str:
    """Bytes to text; raises DocumentError naming the line of a bad byte."""
    if b"\x00" in raw[:8192] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DocumentError("binary file (contains NUL bytes), not YAML or JSON")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as e:
            raise DocumentError(f"invalid UTF-16: {e.reason}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise DocumentError(f"invalid UTF-8 (byte 0x{raw[e.start]:02x})", line, col) from None


_LONG_INDENT = re.compile(r"^[ \t-]{%d,}" % 1000, re.M)
#: a document marker: at the start of a line it ends any document, scalar or
#: flow collection (libyaml ends or rejects the document there)
_DOC_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|\Z)", re.M)


def _flow_openers(text: str) -> int:
    return text.count("[") + text.count("{")


def _needs_depth_precheck(text: str) -> bool:
    """Whether nesting could be deep enough to need the event walk: the
    number of flow openers bounds the flow nesting, per document (so many
    small documents in one file do not add up); long indentation bounds the
    block nesting."""
    if _flow_openers(text) >= _DEPTH_PRECHECK and any(
            _flow_openers(part) >= _DEPTH_PRECHECK for part in _DOC_MARKER.split(text)):
        return True
    return _LONG_INDENT.search(text) is not None


def _depth_error(mark) -> DocumentError:
    return DocumentError(f"nesting deeper than {MAX_DEPTH} levels",
                         mark.line + 1 if mark else None, mark.column + 1 if mark else None)


def _syntax_error(e: yaml.MarkedYAMLError) -> DocumentError:
    """One wording for a syntax error, whichever libyaml reports it. Newer
    libyaml builds (PyYAML >= 6.0.4) stop deep nesting themselves; that is
    reported as kubeward's own nesting limit, not as libyaml's words."""
    mark = e.problem_mark or e.context_mark
    if "nesting depth" in (e.problem or ""):
        return _depth_error(mark)
    msg = " ".join(x for x in (e.context, e.problem) if x) or "invalid YAML"
    return DocumentError(f"invalid YAML: {msg}", mark.line + 1 if mark else None,
                         mark.column + 1 if mark else None)


def _check_depth_by_events(text: str) -> None:
    """Walk parser events (no recursion) to reject deep nesting before the
    recursive C composer sees it."""
    depth = 0
    loader = _Loader(text)
    try:
        while True:
            try:
                if not loader.check_event():
                    break
            except yaml.MarkedYAMLError as e:
                err = _syntax_error(e)
                if err.message.startswith("nesting deeper"):
                    raise err from None
                raise
            ev = loader.get_event()
            cls = ev.__class__
            if cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
                depth += 1
                if depth > MAX_DEPTH:
                    raise _depth_error(ev.start_mark)
            elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
                depth -= 1
    finally:
        loader.dispose()


_NEXT_DOC = re.compile(r"^---(?=[ \t\r\n]|\Z)", re.M)


def _resume_after(text: str, line: int | None, start: int):
    """(rest, its first line): ``text`` from the first ``---`` line at or
    after the error's ``line`` (1-based) and past ``start`` (where this text
    began, so parsing always moves on), with the lines before it blanked so
    that every line and column stays where it was; None when no document
    follows."""
    if line is None:
        return None
    offset = 0
    for _ in range(max(line - 1, start)):  # start of the error's line
        nl = text.find("\n", offset)
        if nl == -1:
            return None
        offset = nl + 1
    m = _NEXT_DOC.search(text, offset)
    if m is None:
        return None
    lines_before = text.count("\n", 0, m.start())
    return "\n" * lines_before + text[m.start():], lines_before + 1


#: JSON files from this many characters are built from parser events when
#: they can be (see ``_json_by_events``)
EVENT_BUILD_MIN = 1_000_000


class _NotPlain(Exception):
    """The event builder met something only the composer path handles."""


def _json_by_events(text: str) -> list | None:
    """The documents of a large JSON file (one array or object), built
    straight from libyaml's parser events instead of its node tree: the
    composer holds a node object, with two marks, for every scalar of the
    whole document before the first dict is built (a 16 MB ``kind: List``
    took 600 MiB). The result, positions and duplicate-key problems included,
    is what the composer path gives; None (use that path) for anything
    else: syntax errors, anchors, aliases, tags, merge keys, several
    documents, a scalar document, nesting deeper than MAX_DEPTH."""
    loader = _FastLoader(text)
    problems: list = []
    positions: dict = {}
    try:
        get = loader.get_event
        if get().__class__ is not yaml.StreamStartEvent \
                or get().__class__ is not yaml.DocumentStartEvent:
            return None
        first = get()
        if first.__class__ not in (yaml.MappingStartEvent, yaml.SequenceStartEvent):
            return None
        root = _event_build(first, get, positions, problems)
        if get().__class__ is not yaml.DocumentEndEvent \
                or get().__class__ is not yaml.StreamEndEvent:
            return None
    except (_NotPlain, yaml.YAMLError, ValueError, TypeError):
        return None
    finally:
        loader.dispose()
    for problem in problems:
        problem.doc_index = 0  # type: ignore[attr-defined]
    return [*problems, Document(root, 0, first.start_mark.line + 1, positions)]


def _event_build(first, get, positions: dict, problems: list):
    """Build the collection ``first`` opens, with an explicit stack."""
    MapStart, SeqStart = yaml.MappingStartEvent, yaml.SequenceStartEvent
    MapEnd, SeqEnd, Scalar = yaml.MappingEndEvent, yaml.SequenceEndEvent, yaml.ScalarEvent
    # frame: [container, positions, is_map, key (None: a key comes next)]
    stack: list = []
    ev = first
    while True:
        cls = ev.__class__
        if cls is Scalar:
            if ev.tag is not None or ev.anchor is not None:
                raise _NotPlain
            value = ev.value
            plain = ev.implicit[0]
            frame = stack[-1]
            if frame[2] and frame[3] is None:  # a mapping key
                key = value
                if plain:
                    tag = _PLAIN_TAGS.get(key) or _plain_tag(key)
                    if tag != _STR:
                        if tag == _MERGE:
                            raise _NotPlain
                        key = _scalar(yaml.ScalarNode(slice(None, value, ev.implicit), value))
                        if not isinstance(key, str):
                            key = str(key) if not isinstance(key, bool) else str(key).lower()
                m = ev.start_mark
                pos = frame[1]
                if key in pos:
                    problems.append(DocumentError(
                        f"duplicate key {key!r} (first defined on line {pos[key][0]}; "
                        "the last value is used, as kubectl would refuse the file)",
                        m.line + 1, m.column + 1))
                pos[key] = (m.line + 1, m.column + 1)
                frame[3] = key
            else:
                if plain and (_PLAIN_TAGS.get(value) or _plain_tag(value)) != _STR:
                    value = _scalar(yaml.ScalarNode(slice(None, value, ev.implicit), value))
                if frame[2]:
                    frame[0][frame[3]] = value
                    frame[3] = None
                else:
                    m = ev.start_mark
                    frame[1].append((m.line + 1, m.column + 1))
                    frame[0].append(value)
        elif cls is MapStart or cls is SeqStart:
            if ev.tag is not None or ev.anchor is not None or len(stack) >= MAX_DEPTH:
                raise _NotPlain
            new: dict | list = {} if cls is MapStart else []
            pos: dict | list = {} if cls is MapStart else []
            if stack:
                frame = stack[-1]
                if frame[2]:
                    if frame[3] is None:  # a collection as a mapping key
                        raise _NotPlain
                    frame[0][frame[3]] = new
                    frame[3] = None
                else:
                    m = ev.start_mark
                    frame[1].append((m.line + 1, m.column + 1))
                    frame[0].append(new)
            positions[id(new)] = pos
            stack.append([new, pos, cls is MapStart, None])
        elif cls is MapEnd or cls is SeqEnd:
            done = stack.pop()
            if not stack:
                return done[0]
        else:  # aliases, anything unexpected
            raise _NotPlain
        ev = get()


def parse_documents(text: str, is_json: bool = False, _index: int = 0, _start: int = 0):
    """Yield ``Document`` objects or ``DocumentError`` (for a document that
    failed to build). Later documents still come: after a syntax error,
    parsing resumes at the next ``---`` line, with the same line numbers."""
    if is_json and "\t" in text:
        # Raw tabs can only be whitespace in valid JSON; YAML forbids them
        # in some places. Same width, same positions.
        text = text.replace("\t", " ")
    if is_json and _index == 0 and len(text) >= EVENT_BUILD_MIN:
        built = _json_by_events(text)
        if built is not None:
            yield from built
            return
    if _needs_depth_precheck(text):
        try:
            _check_depth_by_events(text)
        except DocumentError as e:
            yield e
            rest = _resume_after(text, e.line, _start)
            if rest is not None:
                yield from parse_documents(rest[0], is_json, _index + 1, rest[1])
            return
        except yaml.YAMLError:
            pass  # the composer below reports the syntax error with its line
    anchors = "&" in text
    loader = _FastLoader(text)
    index = _index
    try:
        while True:
            try:
                if not loader.check_node():
                    break
                node = loader.get_node()
            except yaml.MarkedYAMLError as e:
                err = _syntax_error(e)
                yield err
                rest = _resume_after(text, err.line, _start)
                if rest is not None:
                    loader.dispose()
                    yield from parse_documents(rest[0], is_json, index + 1, rest[1])
                return
            except yaml.YAMLError as e:
                yield DocumentError(f"invalid YAML: {e}")
                return
            if node is None:
                index += 1
                continue
            builder = _Builder(anchors)
            try:
                if anchors and not isinstance(node, yaml.ScalarNode):
                    size = builder.expanded_size(node)
                    if size > MAX_EXPANDED_NODES:
                        raise DocumentError(
                            f"document expands to more than {MAX_EXPANDED_NODES:,} nodes through "
                            "YAML aliases (an alias bomb?)",
                            node.start_mark.line + 1, node.start_mark.column + 1)
                data = builder.build(node)
            except DocumentError as e:
                e.doc_index = index  # type: ignore[attr-defined]
                yield e
            except (ValueError, TypeError, yaml.YAMLError) as e:
                err = DocumentError(f"invalid value: {e}", node.start_mark.line + 1)
                err.doc_index = index  # type: ignore[attr-defined]
                yield err
            else:
                for problem in builder.problems:
                    problem.doc_index = index  # type: ignore[attr-defined]
                    yield problem
                yield Document(data, index, node.start_mark.line + 1, builder.positions)
            index += 1
    finally:
        loader.dispose()
