"""The configuration file, ``.kubeward.yaml``.

Found upward from the working directory unless ``--config`` names one.
Unknown keys and bad values are errors that name the file, the line and the
key. See docs/config.md for every key.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import os
from dataclasses import dataclass, field
from typing import Any

from kubeward.findings import Severity

CONFIG_NAME = ".kubeward.yaml"

_SEVERITIES = ["critical", "high", "medium", "low", "info"]
_ID_LIST = {"type": "array", "items": {"type": "string", "pattern": r"^([A-Z]{2,6}\d{3}|\*)$"}}
_GLOBS = {"type": "array", "items": {"type": "string", "minLength": 1}}
_SCOPE = {
    "namespaces": _GLOBS, "kinds": _GLOBS, "names": _GLOBS,
    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "version": {"enum": [1]},
        "k8sVersion": {"type": "string", "pattern": r"^v?1\.\d+$"},
        "failOn": {"enum": _SEVERITIES},
        "frameworks": {"type": "array", "items": {"type": "string"}},
        "namespace": {"type": "string",
                      "pattern": r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"},
        "context": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "checks": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "enable": _ID_LIST,
                "disable": _ID_LIST,
                "severity": {"type": "object",
                             "propertyNames": {"pattern": r"^[A-Z]{2,6}\d{3}$"},
                             "additionalProperties": {"enum": _SEVERITIES}},
                "options": {"type": "object",
                            "propertyNames": {"pattern": r"^[A-Z]{2,6}\d{3}$"},
                            "additionalProperties": {"type": "object"}},
            },
        },
        "exemptions": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["checks", "reason"],
                "properties": dict(_SCOPE, **{
                    "checks": _ID_LIST,
                    "reason": {"type": "string", "minLength": 3},
                    "expires": {"type": "string", "format": "date",
                                "pattern": r"^\d{4}-\d{2}-\d{2}$"},
                }),
            },
        },
        "admission": {
            "type": "object",
            "additionalProperties": False,
            "properties": dict({m: {"type": "string"} for m in ("enforce", "warn", "audit")}, **{
                "exemptNamespaces": _GLOBS, "exemptUsers": _GLOBS, "exemptGroups": _GLOBS,
                "mutate": {"type": "array", "items": {"type": "string",
                                                      "pattern": r"^([A-Z]{2,6}\d{3}|safe)$"}},
            }),
        },
        "overrides": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["severity", "reason"],
                "properties": dict(_SCOPE, **{
                    "severity": {"type": "object",
                                 "propertyNames": {"pattern": r"^([A-Z]{2,6}\d{3}|\*)$"},
                                 "additionalProperties": {"enum": _SEVERITIES}},
                    "reason": {"type": "string", "minLength": 3},
                }),
            },
        },
    },
}


class ConfigError(Exception):
    def __init__(self, file: str, message: str, line: int | None = None):
        super().__init__(message)
        self.file = file
        self.message = message
        self.line = line

    def one_line(self) -> str:
        loc = f"{self.file}:{self.line}" if self.line else self.file
        return f"{loc}: config error: {self.message}"


@dataclass
class Scope:
    namespaces: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    labels: dict = field(default_factory=dict)

    def matches(self, kind: str, namespace: str | None, name: str, labels: dict) -> bool:
        if self.namespaces and not any(fnmatch.fnmatchcase(namespace or "", p) for p in self.namespaces):
            return False
        if self.kinds and kind not in self.kinds:
            return False
        if self.names and not any(fnmatch.fnmatchcase(name, p) for p in self.names):
            return False
        return all(labels.get(k) == v for k, v in self.labels.items())


@dataclass
class Exemption:
    checks: frozenset[str]
    reason: str
    scope: Scope
    expires: _dt.date | None = None
    line: int | None = None

    def covers(self, check_id: str) -> bool:
        return "*" in self.checks or check_id in self.checks


@dataclass
class Override:
    severity: dict[str, Severity]
    reason: str
    scope: Scope


@dataclass
class Config:
    file: str | None = None
    k8s_version: tuple[int, int] | None = None
    fail_on: Severity | None = None
    frameworks: tuple[str, ...] = ()
    namespace: str | None = None  # where objects without metadata.namespace are applied
    context: tuple[str, ...] = ()  # paths read for cross-resource checks (relative to the file)
    enable: frozenset[str] = frozenset()
    disable: frozenset[str] = frozenset()
    severity: dict[str, Severity] = field(default_factory=dict)
    options: dict[str, dict] = field(default_factory=dict)
    exemptions: list[Exemption] = field(default_factory=list)
    overrides: list[Override] = field(default_factory=list)
    admission: dict = field(default_factory=dict)  # the `admission:` section, validated


def find_config(start: str | None = None) -> str | None:
    d = os.path.abspath(start or os.getcwd())
    while True:
        cand = os.path.join(d, CONFIG_NAME)
        if os.path.isfile(cand):
            return cand
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def parse_version(text: str) -> tuple[int, int]:
    t = str(text).strip().lstrip("v")
    parts = t.split(".")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or parts[0] != "1":
        raise ValueError(f"bad Kubernetes version {text!r} (expected X.Y, e.g. 1.35)")
    return int(parts[0]), int(parts[1])


def _scope(d: dict) -> Scope:
    return Scope(tuple(d.get("namespaces", ())), tuple(d.get("kinds", ())),
                 tuple(d.get("names", ())), dict(d.get("labels", {})))


def did_you_mean(word: str, choices) -> str:
    """' (did you mean X?)' for the closest of ``choices``, or ''."""
    import difflib

    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    if not close:
        lowered = {str(c).lower(): str(c) for c in choices}
        if str(word).lower() in lowered:
            close = [lowered[str(word).lower()]]
    return f" (did you mean {close[0]!r}?)" if close else ""


def load_config(path: str, known_ids: set[str] | None = None,
                known_options: dict[str, set[str]] | None = None) -> Config:
    """Read and validate ``path``. ``known_ids`` (check ids and aliases) and
    ``known_options`` (check id -> its option names) make unknown ids and
    options errors, with the closest known name suggested."""
    from kubeward.loading.yamldoc import DocumentError, decode, parse_documents

    try:
        with open(path, "rb") as fh:
            text = decode(fh.read())
    except OSError as e:
        raise ConfigError(path, f"cannot read: {e.strerror or e}") from None
    except DocumentError as e:
        raise ConfigError(path, e.message, e.line) from None
    docs = list(parse_documents(text))
    for d in docs:
        if isinstance(d, DocumentError):
            raise ConfigError(path, d.message, d.line)
    docs = [d for d in docs if d.data is not None]
    if not docs:
        return Config(file=path)
    if len(docs) > 1:
        raise ConfigError(path, "the config must be a single YAML document", docs[1].line)
    doc = docs[0]
    data = doc.data
    if not isinstance(data, dict):
        raise ConfigError(path, "the config must be a mapping", doc.line)

    import jsonschema  # only when a config exists

    validator = jsonschema.Draft202012Validator(SCHEMA)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = _dotted(err.absolute_path)
        line = _line_of(doc, list(err.absolute_path))
        msg = err.message
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            known = list(err.schema.get("properties", {}))
            unknown = [k for k in err.instance if k not in known]
            msg = "; ".join(f"unknown key {k!r}{did_you_mean(k, known) or _option_hint(k, known_options)}"
                            for k in unknown) or \
                msg.replace("Additional properties are not allowed", "unknown key")
            line = _line_of(doc, list(err.absolute_path) + unknown[:1]) or line
        raise ConfigError(path, f"{where + ': ' if where else ''}{msg}", line)

    cfg = Config(file=path)
    try:
        if "k8sVersion" in data:
            cfg.k8s_version = parse_version(data["k8sVersion"])
        if "failOn" in data:
            cfg.fail_on = Severity.parse(data["failOn"])
    except ValueError as e:
        raise ConfigError(path, str(e), _line_of(doc, ["k8sVersion"])) from None
    cfg.frameworks = tuple(data.get("frameworks", ()))
    cfg.namespace = data.get("namespace")
    base = os.path.dirname(os.path.abspath(path))
    cfg.context = tuple(os.path.relpath(os.path.join(base, p)) if not os.path.isabs(p) else p
                        for p in data.get("context", ()))
    cfg.admission = dict(data.get("admission", {}))
    checks = data.get("checks", {})
    if known_ids is not None:
        _check_ids(cfg, known_ids, doc, data)
    if known_options is not None:
        _check_options(cfg, known_options, doc, data)
    # retired ids (kubeward.checks.aliases) mean the check that reports their problem
    from kubeward.checks.aliases import canonical, canonical_ids

    cfg.enable = canonical_ids(checks.get("enable", ()))
    cfg.disable = canonical_ids(checks.get("disable", ()))
    cfg.severity = {canonical(k): Severity.parse(v) for k, v in checks.get("severity", {}).items()}
    cfg.options = {canonical(k): v for k, v in checks.get("options", {}).items()}
    for i, ex in enumerate(data.get("exemptions", ())):
        expires = None
        if "expires" in ex:
            try:
                expires = _dt.date.fromisoformat(ex["expires"])
            except ValueError:
                raise ConfigError(path, f"exemptions[{i}].expires: not a date: {ex['expires']!r}",
                                  _line_of(doc, ["exemptions", i, "expires"])) from None
        cfg.exemptions.append(Exemption(canonical_ids(ex["checks"]), ex["reason"], _scope(ex),
                                        expires, _line_of(doc, ["exemptions", i])))
    for ov in data.get("overrides", ()):
        cfg.overrides.append(Override({canonical(k): Severity.parse(v)
                                       for k, v in ov["severity"].items()},
                                      ov["reason"], _scope(ov)))
    return cfg


def _check_ids(cfg: Config, known: set[str], doc, data) -> None:
    checks = data.get("checks", {})
    for key in ("enable", "disable"):
        for i, cid in enumerate(checks.get(key, ())):
            if cid != "*" and cid not in known:
                raise ConfigError(cfg.file or "", f"checks.{key}[{i}]: unknown check id {cid!r}"
                                  f"{did_you_mean(cid, known)}", _line_of(doc, ["checks", key, i]))
    for key in ("severity", "options"):
        for cid in checks.get(key, {}):
            if cid not in known:
                raise ConfigError(cfg.file or "", f"checks.{key}.{cid}: unknown check id {cid!r}"
                                  f"{did_you_mean(cid, known)}",
                                  _line_of(doc, ["checks", key, cid]))
    for i, ex in enumerate(data.get("exemptions", ())):
        for j, cid in enumerate(ex["checks"]):
            if cid != "*" and cid not in known:
                raise ConfigError(cfg.file or "", f"exemptions[{i}].checks[{j}]: unknown check id "
                                  f"{cid!r}{did_you_mean(cid, known)}",
                                  _line_of(doc, ["exemptions", i, "checks", j]))


def _option_hint(name: str, known_options: dict[str, set[str]] | None) -> str:
    """A key that is (nearly) a check option: where it belongs."""
    if not known_options:
        return ""
    import difflib

    from kubeward.checks.aliases import ALIASES

    owners = {opt: cid for cid, opts in sorted(known_options.items()) for opt in opts
              if cid not in ALIASES}
    close = difflib.get_close_matches(name, list(owners), n=1, cutoff=0.8)
    if not close:
        return ""
    return f" (did you mean checks.options.{owners[close[0]]}.{close[0]}?)"


def _check_options(cfg: Config, known: dict[str, set[str]], doc, data) -> None:
    """Every option of ``checks.options.ID`` must be one the check reads."""
    for cid, opts in data.get("checks", {}).get("options", {}).items():
        names = known.get(cid)
        if names is None:
            continue  # an unknown id is _check_ids' error
        for name in opts:
            if name not in names:
                others = set().union(*known.values())
                hint = did_you_mean(name, names)
                if not hint and name in others:
                    owners = sorted(c for c, n in known.items() if name in n)
                    hint = f" (it is an option of {', '.join(owners)})"
                have = f"; {cid} reads: {', '.join(sorted(names))}" if names else \
                    f"; {cid} has no options"
                raise ConfigError(cfg.file or "", f"checks.options.{cid}: unknown option "
                                  f"{name!r}{hint}{have}",
                                  _line_of(doc, ["checks", "options", cid, name]))


def _dotted(path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _line_of(doc, path: list) -> int | None:
    cur = doc.data
    line = doc.line
    for part in path:
        table = doc.positions.get(id(cur))
        if table is None:
            break
        try:
            line = table[part][0]
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            break
    return line
