"""Secrets and workload identity: literal credentials in manifests, service
account tokens, Secret objects.

Severity rubric (the same in every kubeward check module):

- critical: direct host or cluster takeover;
- high: container escape, privilege escalation or credential exposure likely;
- medium: weakens defence in depth;
- low: hardening / best practice;
- info: hygiene.

Nothing in this module ever puts a secret's value into a message, a
finding's ``value``, a log line or an error: messages name the field and
give the length only (``redacted, 19 characters``) and ``value`` is
``"<redacted>"``.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from typing import Iterator

from kubeward.checks.base import Check, CrossCheck, Edit, FixSafety, Severity

REDACTED = "<redacted>"

NSA_SECRETS = ("network/secrets",)
NSA_TOKENS = ("pod-security/service-account-tokens",)

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
# helpers over pod specs

def _env_literals(pod) -> Iterator[tuple]:
    """(container, env path, name, literal value) for env entries with a
    literal ``value`` (``valueFrom`` entries are skipped)."""
    for c in pod.containers:
        env = c.spec.get("env")
        if not isinstance(env, list):
            continue
        for i, e in enumerate(env):
            if not isinstance(e, dict) or "valueFrom" in e:
                continue
            text = literal_secret_value(e.get("value"))
            if text is not None:
                yield c, c.path + ("env", i), str(e.get("name") or f"env[{i}]"), text


def _d(x) -> dict:
    return x if isinstance(x, dict) else {}


# ---------------------------------------------------------------------------
# container env


class EnvSecretByName(Check):
    """
    ## What it does
    Reports container environment variables whose name says they hold a
    credential (`PASSWORD`, `TOKEN`, `SECRET`, `API_KEY`, `PRIVATE_KEY`,
    `CLIENT_SECRET`, `CONNECTION_STRING`, ...) and that are given a literal
    `value` instead of `valueFrom`. Only the last word of the name counts,
    so `DB_PASSWORD_FILE`, `TOKEN_TTL` and `SECRET_NAME` are not reported;
    empty values, `$(VAR)` references, `${VAR}` templates, placeholders such
    as `<password>` or `****`, booleans and absolute paths are skipped.

    ## Why is this bad?
    A literal value is stored in the manifest, in version control, in the
    pod spec (readable by anyone who can `get` the workload) and in
    `kubectl.kubernetes.io/last-applied-configuration`. Secrets belong in a
    Secret (or an external secret store) referenced with `secretKeyRef`.
    The finding never shows the value, only its length.

    ## Example
    ```yaml
    env:
      - name: DB_PASSWORD
        value: "hunter2-supersecret"
    ```

    ## Use instead
    ```yaml
    env:
      - name: DB_PASSWORD
        valueFrom:
          secretKeyRef:
            name: web-db
            key: password
    ```

    ## Fix safety
    No automatic fix: the value must move to a Secret first.
    """

    id = "SEC001"
    name = "Secret-looking env var with a literal value"
    severity = Severity.HIGH
    workloads_only = True
    frameworks = {"cis": ("5.4.2",), "nsa": NSA_SECRETS, "mitre": ("MS-TA9027",)}
    remediation = "Move the value into a Secret and reference it with valueFrom.secretKeyRef."

    def check(self, obj, ctx):
        for c, path, name, text in _env_literals(obj.pod):
            if is_secret_name(name):
                yield self.finding(
                    obj, path + ("value",),
                    f"container {c.name!r}: env {name} has a literal value ({redacted(text)})",
                    value=REDACTED)


class EnvKnownToken(Check):
    """
    ## What it does
    Reports literal container environment values that contain a known
    credential format, whatever the variable is called: private keys (PEM),
    AWS access key IDs (`AKIA...`), GitHub (`ghp_`, `github_pat_`), GitLab
    (`glpat-`), Slack (`xox?-`, webhook URLs), Google API keys, Stripe live
    keys, SendGrid, npm and OpenAI keys, Azure storage keys, JSON Web Tokens
    and URLs with an embedded password (`postgres://user:pw@db`).

    ## Why is this bad?
    These are real credentials, readable by anyone who can read the manifest
    or the workload object. The finding names the format and the length
    only, never the value.

    ## Example
    ```yaml
    env:
      - name: UPSTREAM
        value: "postgres://app:s3cr3t@db:5432/app"
    ```

    ## Use instead
    ```yaml
    env:
      - name: UPSTREAM
        valueFrom:
          secretKeyRef:
            name: app-db
            key: url
    ```

    ## Fix safety
    No automatic fix: rotate the credential and move it into a Secret.
    """

    id = "SEC002"
    name = "Credential in a literal env value"
    severity = Severity.HIGH
    workloads_only = True
    frameworks = {"cis": ("5.4.2",), "nsa": NSA_SECRETS, "mitre": ("MS-TA9027",)}
    remediation = "Rotate the credential, store it in a Secret and reference it with valueFrom."

    def check(self, obj, ctx):
        for c, path, name, text in _env_literals(obj.pod):
            desc = known_token(text)
            if desc:
                yield self.finding(
                    obj, path + ("value",),
                    f"container {c.name!r}: env {name} holds what looks like {desc} "
                    f"({redacted(text)})", value=REDACTED)


class EnvHighEntropy(Check):
    """
    ## What it does
    Reports literal container environment values that look like random
    tokens: a single word of base64 or hex characters, at least 20
    characters long (32 for hex), mixing letters and digits, whose Shannon
    entropy exceeds 4.5 bits per character (3.0 for hex). UUIDs are not
    reported. The limits can be changed with the options `b64_limit`,
    `hex_limit` and `min_length`. Off by default: random-looking values
    also include build ids, hashes and public identifiers.

    ## Why is this bad?
    Random strings in configuration are very often API keys, signing keys or
    passwords. If it is one, it is exposed to everyone who can read the
    manifest.

    ## Example
    ```yaml
    env:
      - name: UPSTREAM_AUTH
        value: "q8Vz3LmN0pXr7TbK2wYe5HsJ9dGf4AcU"
    ```

    ## Use instead
    ```yaml
    env:
      - name: UPSTREAM_AUTH
        valueFrom:
          secretKeyRef:
            name: upstream
            key: auth
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "SEC003"
    name = "High-entropy literal env value"
    severity = Severity.MEDIUM
    workloads_only = True
    default_enabled = False
    frameworks = {"cis": ("5.4.2",), "nsa": NSA_SECRETS, "mitre": ("MS-TA9027",)}
    options = {"b64_limit": 4.5, "hex_limit": 3.0, "min_length": 20}
    remediation = "If the value is a credential, move it into a Secret."

    def check(self, obj, ctx):
        b64 = float(ctx.option(self.id, "b64_limit", self.options["b64_limit"]))
        hexl = float(ctx.option(self.id, "hex_limit", self.options["hex_limit"]))
        minl = int(ctx.option(self.id, "min_length", self.options["min_length"]))
        for c, path, name, text in _env_literals(obj.pod):
            if high_entropy(text, b64, hexl, minl) and not is_secret_name(name) \
                    and not known_token(text):
                yield self.finding(
                    obj, path + ("value",),
                    f"container {c.name!r}: env {name} has a random-looking literal value "
                    f"(entropy {shannon_entropy(text):.1f} bits/char, {redacted(text)})",
                    value=REDACTED)


_FLAG_RE = re.compile(r"^--?([A-Za-z][A-Za-z0-9_.\-]*)=(.+)$", re.S)
_BARE_FLAG_RE = re.compile(r"^--?([A-Za-z][A-Za-z0-9_.\-]*)$")


class ArgsCredential(Check):
    """
    ## What it does
    Reports container `command` and `args` entries that carry a credential:
    a flag such as `--password=...`, `--token=...` or `--api-key=...` with a
    literal value (also as two entries: `--password`, `<value>`), or any
    entry containing a known credential format (see SEC002). `$(VAR)` references to env vars filled from a Secret are fine.

    ## Why is this bad?
    Command lines are stored in the manifest and in the pod spec, and on the
    node they are visible to every process through `/proc/<pid>/cmdline`.

    ## Example
    ```yaml
    args: ["--db-password=hunter2-supersecret"]
    ```

    ## Use instead
    ```yaml
    env:
      - name: DB_PASSWORD
        valueFrom:
          secretKeyRef: {name: web-db, key: password}
    args: ["--db-password=$(DB_PASSWORD)"]
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "SEC004"
    name = "Credential in command or args"
    severity = Severity.HIGH
    workloads_only = True
    frameworks = {"cis": ("5.4.2",), "nsa": NSA_SECRETS, "mitre": ("MS-TA9027",)}
    remediation = "Pass the credential through a Secret (env valueFrom or a mounted file)."

    def check(self, obj, ctx):
        for c in obj.pod.containers:
            for field in ("command", "args"):
                items = c.spec.get(field)
                if not isinstance(items, list):
                    continue
                for i, item in enumerate(items):
                    if not isinstance(item, str):
                        continue
                    path = c.path + (field, i)
                    # "--password", "literal": the value is the next item
                    flag = _BARE_FLAG_RE.match(item.strip())
                    if flag and is_secret_name(flag.group(1)) and i + 1 < len(items) \
                            and isinstance(items[i + 1], str) \
                            and not items[i + 1].startswith("-"):
                        text = literal_secret_value(items[i + 1])
                        if text is not None:
                            yield self.finding(
                                obj, c.path + (field, i + 1),
                                f"container {c.name!r}: {field}[{i + 1}] is a literal value "
                                f"for {item.strip()} ({redacted(text)})", value=REDACTED)
                            continue
                    m = _FLAG_RE.match(item.strip())
                    if m and is_secret_name(m.group(1)):
                        text = literal_secret_value(m.group(2))
                        if text is not None:
                            yield self.finding(
                                obj, path,
                                f"container {c.name!r}: {field}[{i}] passes --{m.group(1)} "
                                f"a literal value ({redacted(text)})", value=REDACTED)
                            continue
                    desc = known_token(item)
                    if desc:
                        yield self.finding(
                            obj, path,
                            f"container {c.name!r}: {field}[{i}] contains what looks like "
                            f"{desc} ({redacted(item)})", value=REDACTED)


# ---------------------------------------------------------------------------
# ConfigMaps

_ASSIGN_RE = re.compile(r"""^\s*(?:export\s+)?["']?([A-Za-z_][A-Za-z0-9_.\-]*)["']?\s*[:=]\s*(.*?)\s*$""")


#: every secret-looking name contains one of these (a cheap line filter)
_STEM_RE = re.compile(r"pass|pwd|secret|token|key|cred|dsn|string|bearer|conn", re.I)


def _assignments(text: str) -> Iterator[tuple[int, str, str]]:
    """(1-based line, name, value) of `name = value` / `name: value` lines
    whose name may be secret-looking."""
    if not _STEM_RE.search(text):
        return
    for n, line in enumerate(text.splitlines(), 1):
        if not _STEM_RE.search(line) or line.lstrip().startswith(("#", ";", "//")):
            continue
        m = _ASSIGN_RE.match(line)
        if m:
            val = m.group(2)
            if val.startswith(("#", "//")):
                continue
            yield n, m.group(1), val


class ConfigMapSecretKey(Check):
    """
    ## What it does
    Reports ConfigMap entries that look like credentials: a `data` or
    `binaryData` key named like a secret (`password`, `api-key`,
    `db-password.txt`, `client_secret`) or a key-material file (`tls.key`,
    `id_rsa`, `.htpasswd`, `*.p12`, `*.jks`), and lines of embedded
    configuration files that assign a literal to a secret-looking setting
    (`spring.datasource.password=...`, `admin_password: ...`). Templates
    (`${VAR}`, `{{ }}`), empty values and placeholders are skipped; keys
    with an empty value are skipped too.

    ## Why is this bad?
    ConfigMaps are not meant for confidential data: they are readable by
    many more principals than Secrets, are usually not encrypted at rest
    (encryption at rest is configured for Secrets) and are printed by
    `kubectl describe`.

    ## Example
    ```yaml
    kind: ConfigMap
    data:
      db-password: "hunter2"
    ```

    ## Use instead
    ```yaml
    kind: Secret
    type: Opaque
    stringData:
      db-password: "..."  # better: created out of band or by an external secret operator
    ```

    ## Fix safety
    No automatic fix: the data must move to a Secret.
    """

    id = "SEC005"
    name = "Secret-looking key in a ConfigMap"
    severity = Severity.MEDIUM
    kinds = frozenset({"ConfigMap"})
    frameworks = {"cis": ("5.4.2",), "nsa": NSA_SECRETS, "mitre": ("MS-TA9027",)}
    remediation = "Store credentials in a Secret, not a ConfigMap."

    def check(self, obj, ctx):
        for section in ("data", "binaryData"):
            data = obj.raw.get(section)
            if not isinstance(data, dict):
                continue
            for key, val in data.items():
                key = str(key)
                path = (section, key)
                if val is None or val == "":
                    continue
                if is_secret_key_name(key):
                    n = len(str(val))
                    yield self.finding(
                        obj, path,
                        f"{section} key {key!r} looks like a credential "
                        f"(redacted, {n} character{'s' if n != 1 else ''})", value=REDACTED)
                    continue
                if section != "data" or not isinstance(val, str):
                    continue
                for line, name, raw in _assignments(val):
                    if not is_secret_name(name):
                        continue
                    text = literal_secret_value(raw.rstrip(",;"))
                    if text is not None and not code_like(text):
                        yield self.finding(
                            obj, path,
                            f"data key {key!r}, line {line} of its value: {name} is set to a "
                            f"literal ({redacted(text)})", value=REDACTED)


class ConfigMapKnownToken(Check):
    """
    ## What it does
    Reports ConfigMap `data` values that contain a known credential format:
    a PEM private key, cloud provider or SaaS tokens (AWS, GitHub, GitLab,
    Slack, Google, Stripe, SendGrid, npm, OpenAI, Azure storage), JSON Web
    Tokens and URLs with an embedded password.

    ## Why is this bad?
    A real credential in a ConfigMap is readable by everyone who can read
    ConfigMaps in the namespace and is usually stored unencrypted in etcd.

    ## Example
    ```yaml
    kind: ConfigMap
    data:
      settings.ini: |
        upstream = https://deploy:s3cr3t-pw@git.example.com/repo.git
    ```

    ## Use instead
    ```yaml
    kind: ConfigMap
    data:
      settings.ini: |
        upstream = https://git.example.com/repo.git
    # and the credential in a Secret mounted as a file
    ```

    ## Fix safety
    No automatic fix: rotate the credential and move it into a Secret.
    """

    id = "SEC006"
    name = "Credential in a ConfigMap value"
    severity = Severity.HIGH
    kinds = frozenset({"ConfigMap"})
    frameworks = {"cis": ("5.4.2",), "nsa": NSA_SECRETS, "mitre": ("MS-TA9027",)}
    remediation = "Rotate the credential and store it in a Secret."

    def check(self, obj, ctx):
        data = obj.raw.get("data")
        if not isinstance(data, dict):
            return
        for key, val in data.items():
            if isinstance(val, str):
                desc = known_token(val)
                if desc:
                    yield self.finding(obj, ("data", str(key)),
                                       f"data key {str(key)!r} holds what looks like {desc} "
                                       f"(value not shown)", value=REDACTED)


# ---------------------------------------------------------------------------
# service account tokens


def _sa_index(ctx) -> dict:
    """ServiceAccounts of the scan by (namespace, name), built once per scan."""
    return ctx.memo("secrets.sa_index", lambda: _build_sa_index(ctx))


def _build_sa_index(ctx) -> dict:
    index: dict = {}
    for sa in ctx.by_kind("ServiceAccount"):
        index.setdefault((sa.namespace, sa.name), sa)
    return index


def service_account_name(pod) -> tuple[str, tuple | None]:
    """(name, path) of the pod's service account; ``default`` when unset.
    ``serviceAccountName`` wins over the deprecated ``serviceAccount``."""
    for key in ("serviceAccountName", "serviceAccount"):
        v = pod.spec.get(key)
        if v:
            return str(v), pod.path + (key,)
    return "default", None


class AutomountServiceAccountToken(CrossCheck):
    """
    ## What it does
    Reports pods that get a service account token mounted. Kubernetes
    decides it like this: the pod's `automountServiceAccountToken` wins when
    it is set; otherwise the ServiceAccount's `automountServiceAccountToken`
    applies; otherwise the token is mounted. kubeward looks the
    ServiceAccount up among the scanned objects by namespace and name; when
    it is not in the input, the default (mounted) is assumed and the message
    says so. (A cross-resource check, so that the ServiceAccount is found in
    any file of the scan, also with `--jobs`.) A pod that sets
    `automountServiceAccountToken: true` itself is reported with severity
    low: the opt-in is explicit and reviewable (operators and controllers
    that call the API need it); the implicit default is medium.

    ## Why is this bad?
    Most applications never call the Kubernetes API. A mounted token lets
    anyone who compromises the container act with the service account's
    permissions, from inside the pod or (for the token's lifetime) from
    anywhere.

    ## Example
    ```yaml
    spec:
      serviceAccountName: web
      containers:
        - name: web
          image: registry.example.com/web:1.4.2
    ```

    ## Use instead
    ```yaml
    spec:
      serviceAccountName: web
      automountServiceAccountToken: false
      containers:
        - name: web
          image: registry.example.com/web:1.4.2
    ```

    ## Fix safety
    Unsafe: the fix sets `automountServiceAccountToken: false` on the pod
    spec; workloads that talk to the API server (operators, controllers,
    service meshes) stop working.
    """

    id = "SEC007"
    name = "Service account token mounted"
    severity = Severity.MEDIUM
    workloads_only = True
    frameworks = {"cis": ("5.1.6",), "nsa": NSA_TOKENS, "mitre": ("MS-TA9016",)}
    fix_safety = FixSafety.UNSAFE
    remediation = ("Set automountServiceAccountToken: false on the pod (or its ServiceAccount) "
                   "unless it calls the Kubernetes API.")

    def check_all(self, objects, ctx):
        for obj in objects:
            if obj.pod is not None:
                yield from self.check(obj, ctx)

    def check(self, obj, ctx):
        pod = obj.pod
        path = pod.path + ("automountServiceAccountToken",)
        fix = [Edit("set", path, False)]
        own = pod.spec.get("automountServiceAccountToken")
        if own is False:
            return
        sa_name, _ = service_account_name(pod)
        if own is True:
            # an explicit, reviewable opt-in (controllers that call the API): low
            yield self.finding(obj, path, "the pod spec sets automountServiceAccountToken: true, "
                               f"so the token of ServiceAccount {sa_name!r} is mounted",
                               value=True, edits=fix, severity=Severity.LOW)
            return
        sa = _sa_index(ctx).get((obj.namespace, sa_name))
        if sa is None:
            msg = (f"the pod spec does not set automountServiceAccountToken and ServiceAccount "
                   f"{sa_name!r} is not in the input: Kubernetes mounts its token by default")
        else:
            sa_val = sa.raw.get("automountServiceAccountToken")
            if sa_val is False:
                return
            how = "sets it to true" if sa_val is True else "does not set it"
            msg = (f"the pod spec does not set automountServiceAccountToken and ServiceAccount "
                   f"{sa_name!r} {how}: the token is mounted")
        yield self.finding(obj, path, msg, value=None, edits=fix)


class ServiceAccountAutomount(Check):
    """
    ## What it does
    Reports ServiceAccounts that do not set `automountServiceAccountToken:
    false`. Every pod using such a ServiceAccount gets its token unless the
    pod opts out. Off by default: SEC007 already reports the pods that
    actually get a token.

    ## Why is this bad?
    Opting out at the ServiceAccount is the safe default: pods that need the
    API can opt in with `automountServiceAccountToken: true`.

    ## Example
    ```yaml
    apiVersion: v1
    kind: ServiceAccount
    metadata:
      name: web
    ```

    ## Use instead
    ```yaml
    apiVersion: v1
    kind: ServiceAccount
    metadata:
      name: web
    automountServiceAccountToken: false
    ```

    ## Fix safety
    Unsafe: pods of this ServiceAccount that rely on the token and do not
    set `automountServiceAccountToken: true` themselves lose API access.
    """

    id = "SEC008"
    name = "ServiceAccount mounts its token by default"
    severity = Severity.LOW
    kinds = frozenset({"ServiceAccount"})
    default_enabled = False
    frameworks = {"cis": ("5.1.5", "5.1.6"), "nsa": NSA_TOKENS, "mitre": ("MS-TA9016",)}
    fix_safety = FixSafety.UNSAFE
    remediation = "Set automountServiceAccountToken: false on the ServiceAccount."

    def check(self, obj, ctx):
        val = obj.raw.get("automountServiceAccountToken")
        if val is False:
            return
        path = ("automountServiceAccountToken",)
        how = "sets automountServiceAccountToken: true" if val is True else \
            "does not set automountServiceAccountToken: false"
        yield self.finding(obj, path, f"ServiceAccount {obj.name!r} {how}",
                           value=val, edits=[Edit("set", path, False)])


class DefaultServiceAccount(Check):
    """
    ## What it does
    Reports pods that run as the `default` ServiceAccount of their
    namespace: `serviceAccountName` (and the deprecated `serviceAccount`)
    unset or `default`.

    ## Why is this bad?
    Every pod of the namespace that does not name a ServiceAccount shares
    the `default` one. Permissions granted to it for one workload are
    granted to all, and its identity says nothing about the workload in
    audit logs. Give each workload its own ServiceAccount.

    ## Example
    ```yaml
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.4.2
    ```

    ## Use instead
    ```yaml
    spec:
      serviceAccountName: web
      automountServiceAccountToken: false
      containers:
        - name: web
          image: registry.example.com/web:1.4.2
    ```

    ## Fix safety
    No automatic fix: a ServiceAccount must be created for the workload.
    """

    id = "SEC009"
    name = "Pod uses the default ServiceAccount"
    severity = Severity.LOW
    workloads_only = True
    frameworks = {"cis": ("5.1.5",), "nsa": ("authn/rbac",), "mitre": ("MS-TA9016",)}
    remediation = "Create a ServiceAccount for the workload and set serviceAccountName."

    def check(self, obj, ctx):
        pod = obj.pod
        name, path = service_account_name(pod)
        if name != "default":
            return
        if path is None:
            yield self.finding(obj, pod.path + ("serviceAccountName",),
                               "the pod does not set serviceAccountName, so it runs as the "
                               "namespace's default ServiceAccount")
        else:
            yield self.finding(obj, path, f"the pod sets {path[-1]}: default", value="default")


class LegacyServiceAccountTokenSecret(Check):
    """
    ## What it does
    Reports Secrets of type `kubernetes.io/service-account-token`, the
    legacy long-lived service account tokens.

    ## Why is this bad?
    These tokens never expire and are not bound to a pod: whoever reads the
    Secret once keeps the service account's access until the Secret is
    deleted. Since Kubernetes 1.24 pods get short-lived, audience-bound
    tokens from the TokenRequest API, and 1.29+ clean up unused legacy
    tokens.

    ## Example
    ```yaml
    apiVersion: v1
    kind: Secret
    type: kubernetes.io/service-account-token
    metadata:
      name: ci-token
      annotations:
        kubernetes.io/service-account.name: ci
    ```

    ## Use instead
    ```yaml
    # request a short-lived token when needed
    # kubectl create token ci --duration=1h
    # or mount a projected serviceAccountToken volume with an expirationSeconds
    ```

    ## Fix safety
    No automatic fix: consumers of the token must move to TokenRequest.
    """

    id = "SEC010"
    name = "Legacy service account token Secret"
    severity = Severity.MEDIUM
    kinds = frozenset({"Secret"})
    frameworks = {"nsa": NSA_TOKENS + ("authn/authentication",), "mitre": ("MS-TA9016",)}
    remediation = "Use short-lived tokens (TokenRequest API, projected volumes) instead."

    def check(self, obj, ctx):
        if obj.raw.get("type") == "kubernetes.io/service-account-token":
            sa = obj.annotations.get("kubernetes.io/service-account.name")
            who = f" for ServiceAccount {sa!r}" if sa else ""
            yield self.finding(obj, ("type",),
                               f"Secret {obj.name!r} is a long-lived service account token{who}",
                               value="kubernetes.io/service-account-token")


class SecretDataInManifest(Check):
    """
    ## What it does
    Reports Secret objects with non-empty `data` or `stringData` in the
    scanned manifests. Off by default: some pipelines render Secrets at
    deploy time on purpose (and then do not keep the rendered files).

    ## Why is this bad?
    Base64 is an encoding, not encryption: a Secret manifest in a
    repository exposes its values to everyone with read access, for ever
    (git history). Use sealed or encrypted secrets (SOPS, Sealed Secrets) or
    an external secret store.

    ## Example
    ```yaml
    apiVersion: v1
    kind: Secret
    metadata:
      name: web-db
    stringData:
      password: "..."
    ```

    ## Use instead
    ```yaml
    apiVersion: external-secrets.io/v1beta1
    kind: ExternalSecret
    metadata:
      name: web-db
    spec:
      secretStoreRef: {name: vault, kind: ClusterSecretStore}
      target: {name: web-db}
      data:
        - secretKey: password
          remoteRef: {key: web/db, property: password}
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "SEC011"
    name = "Secret values in a plain manifest"
    severity = Severity.INFO
    kinds = frozenset({"Secret"})
    default_enabled = False
    frameworks = {"cis": ("5.4.2",), "nsa": NSA_SECRETS, "mitre": ("MS-TA9027",)}
    remediation = "Keep Secret values out of manifests (SOPS, Sealed Secrets, External Secrets)."

    def check(self, obj, ctx):
        if obj.raw.get("type") == "kubernetes.io/service-account-token":
            return  # SEC010
        for section in ("data", "stringData"):
            data = obj.raw.get(section)
            if isinstance(data, dict):
                keys = [k for k, v in data.items() if v not in (None, "")]
                if keys:
                    n = len(keys)
                    yield self.finding(
                        obj, (section,),
                        f"Secret {obj.name!r} holds {n} value{'s' if n != 1 else ''} in "
                        f"{section} (keys: {', '.join(map(str, keys[:5]))}"
                        f"{', ...' if n > 5 else ''}; values not shown)", value=REDACTED)


class SecretInEnv(Check):
    """
    ## What it does
    Reports containers that read Secrets into environment variables:
    `env[].valueFrom.secretKeyRef` and `envFrom[].secretRef`. Off by
    default: it is common practice and far better than a literal value.

    ## Why is this bad?
    Environment variables leak easily: into crash dumps, debug endpoints,
    child processes and logs of careless applications. Secrets mounted as
    files (with `defaultMode: 0400`) are updated on rotation and are not
    inherited by every child process (CIS 5.4.1).

    ## Example
    ```yaml
    env:
      - name: DB_PASSWORD
        valueFrom:
          secretKeyRef: {name: web-db, key: password}
    ```

    ## Use instead
    ```yaml
    volumeMounts:
      - name: db
        mountPath: /var/run/secrets/db
        readOnly: true
    # volumes: [{name: db, secret: {secretName: web-db, defaultMode: 0400}}]
    ```

    ## Fix safety
    No automatic fix: the application must read the file.
    """

    id = "SEC012"
    name = "Secret exposed as environment variable"
    severity = Severity.LOW
    workloads_only = True
    default_enabled = False
    frameworks = {"cis": ("5.4.1",), "nsa": NSA_SECRETS}
    remediation = "Mount the Secret as a read-only volume instead of env vars."

    def check(self, obj, ctx):
        for c in obj.pod.containers:
            env = c.spec.get("env")
            if isinstance(env, list):
                for i, e in enumerate(env):
                    ref = _d(_d(_d(e).get("valueFrom")).get("secretKeyRef"))
                    if ref:
                        yield self.finding(
                            obj, c.path + ("env", i, "valueFrom", "secretKeyRef"),
                            f"container {c.name!r}: env {_d(e).get('name')} reads key "
                            f"{ref.get('key')!r} of Secret {ref.get('name')!r}")
            env_from = c.spec.get("envFrom")
            if isinstance(env_from, list):
                for i, e in enumerate(env_from):
                    ref = _d(_d(e).get("secretRef"))
                    if ref:
                        yield self.finding(
                            obj, c.path + ("envFrom", i, "secretRef"),
                            f"container {c.name!r}: envFrom loads every key of Secret "
                            f"{ref.get('name')!r} into the environment")


class AnnotationCredential(Check):
    """
    ## What it does
    Reports annotations, on any object and on pod templates, whose value
    contains a known credential format (see SEC002): private keys, cloud
    and SaaS tokens, JSON Web Tokens, URLs with an embedded password. The
    `kubectl.kubernetes.io/last-applied-configuration` annotation of a
    Secret (which repeats the Secret's own data) is not reported.

    ## Why is this bad?
    Annotations are metadata: they are shown by `kubectl describe`, copied
    by controllers, exported by monitoring (kube-state-metrics) and
    readable by everyone who can read the object - far more principals than
    can read Secrets.

    ## Example
    ```yaml
    metadata:
      annotations:
        ci.example.com/webhook: "https://ci:s3cr3t-pw@ci.example.com/hook"
    ```

    ## Use instead
    ```yaml
    metadata:
      annotations:
        ci.example.com/webhook-secret: ci-webhook  # the name of a Secret
    ```

    ## Fix safety
    No automatic fix: rotate the credential and move it into a Secret.
    """

    id = "SEC013"
    name = "Credential in an annotation"
    severity = Severity.HIGH
    frameworks = {"cis": ("5.4.2",), "nsa": NSA_SECRETS, "mitre": ("MS-TA9027",)}
    remediation = "Rotate the credential and keep it in a Secret; annotate with its name only."

    _LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

    def check(self, obj, ctx):
        sources = [(("metadata", "annotations"), obj.annotations)]
        if obj.pod is not None and obj.pod.metadata_path != ("metadata",):
            sources.append((obj.pod.annotations_path, obj.pod.annotations))
        for base, annots in sources:
            for key, val in annots.items():
                if not isinstance(val, str):
                    continue
                if obj.kind == "Secret" and key == self._LAST_APPLIED:
                    continue
                desc = known_token(val)
                if desc:
                    yield self.finding(obj, base + (str(key),),
                                       f"annotation {key} holds what looks like {desc} "
                                       f"({redacted(val)})", value=REDACTED)
