"""Redaction: the one place that decides what text may hold a secret and
hides it. Every output (text snippets, ``fix --diff``, JSON, SARIF, JUnit,
Markdown, GitHub, Code Quality) and every error message goes through it;
the secret checks use the same rules to recognise what they report.

It decides by what a value or a line *holds*, never by which findings are
shown:

- :func:`redact_text` hides, inside free text (messages, errors, one source
  line), known credential formats (:data:`TOKEN_PATTERNS`) and the value of
  any ``name=value`` / ``name: value`` / ``"name": "value"`` assignment whose
  name is secret-looking (``--password=...``, ``DB_PASSWORD=...``, JSON);
- :func:`mask_source` hides, in a whole YAML or JSON file, the values of a
  Secret's ``data``/``stringData`` (also when reached through a ``<<`` merge
  key or an alias), env ``value``s whose ``name`` is secret-looking, values
  of secret-looking keys (annotations, ConfigMap keys), the argument after a
  secret-looking bare flag (``["--password", "x"]``), and every scalar whose
  content :func:`redact_text` would change; lines keep their count, so line
  numbers stay valid. Text that does not parse is masked line by line.

This module sits in the lowest layer: it imports nothing from kubeward.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter

REDACTED = "<redacted>"

# ---------------------------------------------------------------------------
# secret-looking names

#: last words of a name that make it secret-looking
_SECRET_LAST_WORDS = frozenset({
    "password", "passwd", "pwd", "pass", "passphrase", "secret", "token", "apikey",
    "accesskey", "secretkey", "privatekey", "credential", "credentials", "creds",
    "authtoken", "bearer", "sessionkey", "masterkey", "signingkey", "encryptionkey",
    "clientsecret", "connectionstring", "connstr", "dsn", "htpasswd",
})
#: words before "key" (``API_KEY``, ``private-key``) that make it secret-looking
_KEY_QUALIFIERS = frozenset({
    "api", "access", "secret", "private", "signing", "encryption", "master", "client",
    "app", "auth", "ssh", "hmac", "jwt", "session", "account", "storage", "license",
    "encrypt", "decryption", "shared", "sign", "webhook", "crypto",
})
#: words before "string" (``CONNECTION_STRING``)
_STRING_QUALIFIERS = frozenset({"connection", "conn"})
#: whole names (after normalisation) that hold secrets although their last word says otherwise
_SECRET_NAMES = frozenset({"secret_key_base", "aws_secret_access_key"})
#: file names that hold key material
_KEY_FILE_RE = re.compile(
    r"(?:^|[/.])(?:id_rsa|id_dsa|id_ecdsa|id_ed25519|\.?htpasswd|\.?pgpass|\.?netrc|"
    r"\.?git-credentials)$|\.(?:key|p12|pfx|jks|keystore|ppk)$", re.I)
_FILE_EXT_RE = re.compile(r"\.(?:txt|conf|cfg|env|properties|yaml|yml|json|ini|toml)$", re.I)
_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT_RE = re.compile(r"[^A-Za-z0-9]+")


def name_words(name: str) -> list[str]:
    """``dbPassword`` -> [db, password]; ``API_KEY`` -> [api, key]."""
    out: list[str] = []
    for part in _SPLIT_RE.split(name):
        if part:
            out.extend(w.lower() for w in _CAMEL_RE.split(part) if w)
    return out


@functools.lru_cache(maxsize=8192)  # a pure function of the name; names repeat
def is_secret_name(name: str) -> bool:
    """True when a variable or key name says it holds a credential. Only the
    last word counts, so ``DB_PASSWORD`` is secret-looking but
    ``DB_PASSWORD_FILE``, ``TOKEN_TTL`` and ``SECRET_NAME`` are not."""
    words = name_words(name)
    if not words:
        return False
    if "_".join(words) in _SECRET_NAMES:
        return True
    last = words[-1]
    if last in _SECRET_LAST_WORDS:
        return True
    prev = words[-2] if len(words) > 1 else ""
    if last == "key" and prev in _KEY_QUALIFIERS:
        return True
    if last == "string" and prev in _STRING_QUALIFIERS:
        return True
    return False


def is_secret_key_name(key: str) -> bool:
    """ConfigMap keys are often file names: ``db-password.txt``, ``tls.key``."""
    if _KEY_FILE_RE.search(key):
        return True
    return is_secret_name(_FILE_EXT_RE.sub("", key))


# ---------------------------------------------------------------------------
# literal values

_PLACEHOLDER_RE = re.compile(
    r"""^(?:\$\([A-Za-z_][A-Za-z0-9_.\-]*\)      # $(VAR) Kubernetes reference
        |\$\{[^}]*\}                             # ${VAR} template
        |\{\{.*\}\}                              # {{ template }}
        |<[^<>]+>                                # <placeholder>
        |%\([^)]*\)s|%[sd]                       # printf placeholders
        |(.)\1*                                  # one repeated character: ****, xxxx
        |true|false|yes|no|on|off|null|none|nil|~
        )$""", re.X | re.I)


def literal_secret_value(value) -> str | None:
    """The value as a string when it is a literal that could be a secret;
    None for empty values, references, templates, placeholders, booleans and
    absolute paths."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    if not text or _PLACEHOLDER_RE.match(text):
        return None
    if text.startswith("/") and " " not in text:
        return None  # a path to a mounted secret
    if "$(" in text or "${" in text or "{{" in text or text.startswith("$"):
        return None  # built from references or shell variables
    return text


_CODE_RE = re.compile(r"[()\[\]]|^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$")


def code_like(text: str) -> bool:
    """A right-hand side of an assignment in an embedded script or config
    that is an expression (``os.environ["PW"]``, ``get_pw()``,
    ``settings.db.password``), not a literal."""
    return bool(_CODE_RE.search(text))


def redacted(value: str) -> str:
    n = len(value)
    return f"redacted, {n} character{'s' if n != 1 else ''}"


#: (description, compiled pattern) of credential formats recognised by content
TOKEN_PATTERNS: tuple[tuple[str, re.Pattern], ...] = tuple(
    (desc, re.compile(rx)) for desc, rx in (
        ("a private key (PEM)",
         r"-----BEGIN (?:RSA |DSA |EC |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----"),
        ("an AWS access key ID", r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
        ("a GitHub token", r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}\b"),
        ("a GitHub fine-grained token", r"\bgithub_pat_[A-Za-z0-9_]{60,}\b"),
        ("a GitLab token", r"\bglpat-[A-Za-z0-9_\-]{20,}"),
        ("a Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
        ("a Slack webhook URL", r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+"),
        ("a Google API key", r"\bAIza[0-9A-Za-z_\-]{35}\b"),
        ("a Stripe live key", r"\b(?:sk|rk)_live_[0-9A-Za-z]{20,}\b"),
        ("a SendGrid API key", r"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}\b"),
        ("an npm token", r"\bnpm_[A-Za-z0-9]{36}\b"),
        ("an OpenAI API key", r"\bsk-(?:proj-)?[A-Za-z0-9_\-]{20,}T3BlbkFJ[A-Za-z0-9_\-]{20,}"),
        ("an Azure storage account key", r"AccountKey=[A-Za-z0-9+/]{80,}={0,2}"),
        ("a JSON Web Token", r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
        ("a URL with an embedded password",
         r"\b[a-zA-Z][a-zA-Z0-9+.\-]{1,20}://[^\s:/@$]{0,64}:(?!\$|\{\{|<|\*+@)[^\s/@]{1,128}@[^\s@]"),
    ))


#: a literal every match of the pattern of the same index contains: a cheap
#: substring test decides which patterns are worth running on a (large) text
_TOKEN_ANCHORS: tuple[tuple[str, ...], ...] = (
    ("PRIVATE KEY",), ("AKIA", "ASIA", "ABIA", "ACCA"), ("gh",), ("github_pat_",), ("glpat-",),
    ("xox",), ("hooks.slack.com",), ("AIza",), ("_live_",), ("SG.",), ("npm_",), ("T3BlbkFJ",),
    ("AccountKey=",), ("eyJ",), ("://",),
)
assert len(_TOKEN_ANCHORS) == len(TOKEN_PATTERNS)


@functools.lru_cache(maxsize=8192)  # a pure function of the text; values repeat
def known_token(text: str) -> str | None:
    """The description of the first known credential format found in text."""
    for (desc, rx), anchors in zip(TOKEN_PATTERNS, _TOKEN_ANCHORS):
        if any(a in text for a in anchors) and rx.search(text):
            return desc
    return None




_B64_RE = re.compile(r"[A-Za-z0-9+/=_\-]+\Z")
_HEX_RE = re.compile(r"[0-9a-fA-F]+\Z")
_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")


def shannon_entropy(text: str) -> float:
    """Bits per character."""
    n = len(text)
    if not n:
        return 0.0
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def high_entropy(text: str, b64_limit: float = 4.5, hex_limit: float = 3.0,
                 min_length: int = 20) -> bool:
    """A random-looking token: one word of base64/hex characters, long
    enough, mixing character classes, with Shannon entropy above the limit
    (the limits of the detect-secrets project: 4.5 bits for base64, 3.0 for
    hex). UUIDs are identifiers, not secrets."""
    if len(text) < min_length or _UUID_RE.match(text):
        return False
    if _HEX_RE.match(text):
        return (len(text) >= 32 and any(c.isdigit() for c in text)
                and any(c.isalpha() for c in text) and shannon_entropy(text) > hex_limit)
    if not _B64_RE.match(text):
        return False
    if not (any(c.isdigit() for c in text) and any(c.islower() for c in text)
            and any(c.isupper() for c in text)):
        return False
    return shannon_entropy(text) > b64_limit


# ---------------------------------------------------------------------------
# free text

_ASSIGN_RE = re.compile(
    r"""(?P<key>(?<![A-Za-z0-9_.\-])(?:--?)?["']?[A-Za-z_][A-Za-z0-9_.\-]{0,80}["']?)
        (?P<sep>[ \t]*[:=][ \t]*)
        (?P<val>"(?:[^"\\\n]|\\.){0,4096}"|'[^'\n]{0,4096}'|[^\s,;&}\]()"']{1,4096})""", re.X)


#: a word every secret-looking name holds (see is_secret_name): a cheap test
#: that lets most text skip the assignment pattern
_STEMS = re.compile(r"pass|pwd|secret|token|key|cred|bearer|conn|dsn", re.I)
_STEM_WORDS = ("pass", "pwd", "secret", "token", "key", "cred", "bearer", "conn", "dsn")
_ANCHOR_WORDS = tuple(sorted({a for anchors in _TOKEN_ANCHORS for a in anchors}))


def _maybe(text: str) -> bool:
    """May ``text`` hold anything redact_text hides (a stem of a
    secret-looking name, or a token format's anchor)? Substring tests only:
    much faster than a case-insensitive pattern on every line."""
    low = text.lower()
    return any(w in low for w in _STEM_WORDS) or any(a in text for a in _ANCHOR_WORDS)


def _candidate_lines(text: str, starts: list[int]) -> set[int]:
    """Indexes of the lines of ``text`` (starting at ``starts``) that hold a
    stem or an anchor, found with ``str.find`` over the whole text."""
    import bisect

    found: set[int] = set()
    for hay, words in ((text.lower(), _STEM_WORDS), (text, _ANCHOR_WORDS)):
        for w in words:
            pos = hay.find(w)
            while pos != -1:
                found.add(bisect.bisect_right(starts, pos) - 1)
                pos = hay.find(w, pos + 1)
    return found


def _assignment(m: re.Match) -> str:
    key = m.group("key").lstrip("-").strip("\"'")
    if not is_secret_name(key) or literal_secret_value(m.group("val").rstrip(".:!?")) is None:
        return m.group(0)
    return m.group("key") + m.group("sep") + REDACTED


def redact_text(text):
    """``text`` with known credential formats and the values of
    secret-looking assignments replaced by ``<redacted>``. Anything that is
    not a string is returned as it is."""
    if not isinstance(text, str) or not text or not _maybe(text):
        return text
    for (_desc, rx), anchors in zip(TOKEN_PATTERNS, _TOKEN_ANCHORS):
        if any(a in text for a in anchors):
            text = rx.sub(REDACTED, text)
    if ("=" in text or ":" in text) and _STEMS.search(text) is not None:
        text = _ASSIGN_RE.sub(_assignment, text)
    return text


def holds_secret(text: str) -> bool:
    """True when :func:`redact_text` would hide part of ``text``."""
    return isinstance(text, str) and redact_text(text) != text


# ---------------------------------------------------------------------------
# whole files

_BREAKS = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")
_FLAG = re.compile(r"^--?([A-Za-z][A-Za-z0-9_.\-]*)$")
#: a flow mapping on one line: ``{name: API_TOKEN, value: x}``
_FLOW_ENV = re.compile(r"""(["']?name["']?\s*:\s*["']?(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)["']?\s*,"""
                       r"""\s*["']?value["']?\s*:\s*)(?P<value>"(?:[^"\\]|\\.)*"|'[^']*'|[^,}\]]+)""")
_ENV_NAME = re.compile(r"""^\s*-?\s*["']?name["']?\s*:\s*["']?([A-Za-z_][A-Za-z0-9_.\-]*)["']?\s*,?\s*$""")
_ENV_VALUE = re.compile(r"""^(\s*["']?value["']?\s*:\s*)(.+?)(\s*,?\s*)$""")
_MAX_COMPOSE = 20 * 1024 * 1024  # larger texts are masked line by line only


def mask_source(text: str, lines=None) -> str:
    """``text`` (a YAML or JSON file) with every value that may hold a
    secret replaced by ``<redacted>``; the result has as many lines as the
    input (every kind of line break kept). With ``lines`` (1-based line
    numbers, as ``str.splitlines`` counts them) only those lines are
    guaranteed masked: documents holding none of them are not parsed (the
    text output shows a few lines of large files)."""
    spans = _yaml_spans(text, lines) if len(text) <= _MAX_COMPOSE else []
    out = _apply_spans(text, spans) if spans else text
    return _mask_lines(out)


def masked_lines(text: str, keepends: bool = False, lines=None) -> list[str]:
    """:func:`mask_source` split into lines like ``str.splitlines``."""
    return mask_source(text, lines).splitlines(keepends)


def _mask_lines(text: str) -> str:
    """Line-by-line masking for what the YAML walk cannot see (text that does
    not parse, block-style ``name:``/``value:`` pairs after a parse error)."""
    parts = re.split(r"(\r\n|\n|\r)", text)
    starts = []
    pos = 0
    for i in range(0, len(parts), 2):
        starts.append(pos)
        pos += len(parts[i]) + (len(parts[i + 1]) if i + 1 < len(parts) else 0)
    candidates = _candidate_lines(text, starts)
    prev_secret_name = False
    for i in range(0, len(parts), 2):
        line = parts[i]
        new = redact_text(line) if i // 2 in candidates else line
        if "name" in new and "value" in new:
            new = _FLOW_ENV.sub(_flow_env, new)
        if prev_secret_name:
            m = _ENV_VALUE.match(new)
            if m and literal_secret_value(m.group(2)) is not None:
                new = m.group(1) + REDACTED + m.group(3)
        m = _ENV_NAME.match(line) if "name" in line else None
        prev_secret_name = bool(m and is_secret_name(m.group(1)))
        parts[i] = new
    return "".join(parts)


def _flow_env(m: re.Match) -> str:
    value = m.group("value").strip()
    if (is_secret_name(m.group("name")) or high_entropy(value.strip("\"'"))) \
            and literal_secret_value(value) is not None:
        return m.group(1) + REDACTED
    return m.group(0)


def _apply_spans(text: str, spans) -> str:
    out = []
    pos = 0
    for start, end in sorted(set(spans)):
        if start < pos:  # nested in or overlapping the previous span
            start = pos
            if start >= end:
                continue
        out.append(text[pos:start])
        segs = re.split(r"(\r\n|\n|\r|\x85|\u2028|\u2029)", text[start:end])
        masked = [REDACTED]
        for j in range(1, len(segs), 2):
            seg = segs[j + 1]
            indent = seg[:len(seg) - len(seg.lstrip(" \t"))]
            masked += [segs[j], indent + (REDACTED if seg.strip() else "")]
        out.append("".join(masked))
        pos = end
    out.append(text[pos:])
    return "".join(out)


#: line breaks as str.splitlines counts them (the text output's line numbers)
_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_DOC_START = re.compile(r"^---(?=[ \t\r\n]|\Z)", re.M)
#: characters YAML forbids: read as spaces (same length) so that the rest
#: of the document can still be walked
_NON_PRINTABLE = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD"
                            "\U00010000-\U0010FFFF]")


def _fast_loader():
    """A C loader that leaves tags unresolved (``slice(kind, value,
    implicit)``): no Python call per node; the walk needs no types."""
    global _LOADER
    if _LOADER is None:
        import yaml

        class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
            resolve = slice
            descend_resolver = slice
            ascend_resolver = tuple

        _LOADER = Loader
    return _LOADER


_LOADER = None


def _is_merge(key) -> bool:
    """A ``<<`` merge key (plain, or tagged !!merge), not a quoted ``"<<"``."""
    if key.value != "<<":
        return False
    tag = key.tag
    if isinstance(tag, slice):
        return bool(tag.step and tag.step[0])
    return tag != "tag:yaml.org,2002:str"


def _yaml_spans(text: str, lines=None) -> list[tuple[int, int]]:
    """Spans of secret values, document by document: a document that does
    not parse is left to the line-by-line masking, the others are walked."""
    import bisect

    import yaml

    loader = _fast_loader()
    spans: list[tuple[int, int]] = []
    clean = _NON_PRINTABLE.sub(" ", text)
    starts = [0] + [m.start() for m in _DOC_START.finditer(clean) if m.start() > 0]
    wanted = None
    if lines is not None:  # the documents that hold a wanted line
        line_starts = [0] + [m.end() for m in _LINE_BREAK.finditer(text)]
        wanted = {bisect.bisect_right(starts, line_starts[n - 1]) - 1
                  for n in lines if 0 < n <= len(line_starts)}
    for i, start in enumerate(starts):
        if wanted is not None and i not in wanted:
            continue
        end = starts[i + 1] if i + 1 < len(starts) else len(clean)
        chunk = clean[start:end]
        found: list[tuple[int, int]] = []
        try:
            for root in yaml.compose_all(chunk, Loader=loader):
                # a fresh set per document: ids of freed nodes are reused
                _walk(root, found, set(), chunk)
        except (yaml.YAMLError, RecursionError, ValueError, MemoryError):
            pass  # what did parse is kept; the rest is masked line by line
        spans.extend((a + start, b + start) for a, b in found)
    return spans


def _scalar_literal(node) -> bool:
    import yaml

    return isinstance(node, yaml.ScalarNode) and literal_secret_value(node.value) is not None


def _mask_all(node, spans, seen) -> None:
    """Every scalar under ``node`` (a Secret's data)."""
    import yaml

    stack = [node]
    while stack:
        n = stack.pop()
        if id(n) in seen and not isinstance(n, yaml.ScalarNode):
            continue
        seen.add(id(n))
        if isinstance(n, yaml.ScalarNode):
            if n.value:
                spans.append((n.start_mark.index, n.end_mark.index))
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                if isinstance(k, yaml.ScalarNode) and k.value == "<<":
                    stack.append(v)  # merged keys and values both hidden
                else:
                    stack.append(v)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)


def _mapping_items(node, seen_merge=None):
    """(key node, value node) pairs of a mapping, ``<<`` merges resolved."""
    import yaml

    seen_merge = seen_merge if seen_merge is not None else set()
    if id(node) in seen_merge:
        return
    seen_merge.add(id(node))
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and _is_merge(k):
            for m in (v.value if isinstance(v, yaml.SequenceNode) else (v,)):
                if isinstance(m, yaml.MappingNode):
                    yield from _mapping_items(m, seen_merge)
        else:
            yield k, v


def _walk(root, spans, seen, text) -> None:
    import yaml

    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if node.value and holds_secret(node.value):
                _scalar_span(node, spans, text)
            continue
        if isinstance(node, yaml.SequenceNode):
            items = node.value
            for i, item in enumerate(items):
                if isinstance(item, yaml.ScalarNode) and i + 1 < len(items):
                    flag = _FLAG.match(item.value.strip())
                    if flag and is_secret_name(flag.group(1)) and _scalar_literal(items[i + 1]):
                        nxt = items[i + 1]
                        spans.append((nxt.start_mark.index, nxt.end_mark.index))
                stack.append(item)
            continue
        if not isinstance(node, yaml.MappingNode):
            continue
        kv = {}
        for k, v in _mapping_items(node):
            if isinstance(k, yaml.ScalarNode):
                kv[k.value] = v
            stack.append(v)
        kind = kv.get("kind")
        if isinstance(kind, yaml.ScalarNode) and kind.value == "Secret":
            for name in ("data", "stringData"):
                if name in kv:
                    _mask_all(kv[name], spans, set())
        name = kv.get("name")
        value = kv.get("value")
        if isinstance(name, yaml.ScalarNode) and _scalar_literal(value) \
                and (is_secret_name(name.value) or high_entropy(value.value.strip())):
            spans.append((value.start_mark.index, value.end_mark.index))
        for key, v in kv.items():
            if isinstance(key, str) and _scalar_literal(v) and is_secret_key_name(key):
                spans.append((v.start_mark.index, v.end_mark.index))


def _scalar_span(node, spans, text) -> None:
    """A scalar whose content holds a secret: a one-line scalar is hidden
    whole; in a block scalar only the secrets of the lines that hold one
    (``"k8s_auth_token": <redacted>``), all of it for a private key."""
    start, end = node.start_mark.index, node.end_mark.index
    if node.start_mark.line == node.end_mark.line or "PRIVATE KEY" in node.value \
            or node.style not in ("|", ">"):
        spans.append((start, end))
        return
    pos = start
    for m in _BREAKS.finditer(text, start, end):
        spans.extend(_spans_in(text, pos, m.start()))
        pos = m.end()
    spans.extend(_spans_in(text, pos, end))


def _spans_in(text: str, a: int, b: int) -> list[tuple[int, int]]:
    """Spans, within ``text[a:b]`` (one line), of what redact_text hides."""
    seg = text[a:b]
    if not seg.strip() or not _maybe(seg):
        return []
    out = []
    for (_desc, rx), anchors in zip(TOKEN_PATTERNS, _TOKEN_ANCHORS):
        if any(x in seg for x in anchors):
            out += [(a + m.start(), a + m.end()) for m in rx.finditer(seg)]
    for m in _ASSIGN_RE.finditer(seg):
        if _assignment(m) != m.group(0):
            out.append((a + m.start("val"), a + m.end("val")))
    return out
