"""Type checks on the fields the checks read.

Kubernetes rejects ``privileged: "yes"`` or ``containers: "x"``; a scanner
that silently reads them as "not privileged" would pass a manifest the API
server refuses and hide a real mistake. Each wrong type becomes one error
with its field path (and so its line). The table covers the pod spec, the
container, the security contexts and metadata; it is data, checked once
per object by one small walker.
"""

from __future__ import annotations

from typing import Any

from kubeward.paths import Path, format_path

STR, BOOL, INT, MAP, LIST = "string", "boolean", "integer", "object", "list"
INT_OR_STR = "integer or string"

_SC_COMMON: dict[str, Any] = {
    "runAsUser": INT, "runAsGroup": INT, "runAsNonRoot": BOOL,
    "seLinuxOptions": {"user": STR, "role": STR, "type": STR, "level": STR},
    "seccompProfile": {"type": STR, "localhostProfile": STR},
    "appArmorProfile": {"type": STR, "localhostProfile": STR},
    "windowsOptions": {"hostProcess": BOOL, "runAsUserName": STR,
                       "gmsaCredentialSpecName": STR, "gmsaCredentialSpec": STR},
}
CONTAINER_SC: dict[str, Any] = dict(_SC_COMMON, **{
    "privileged": BOOL, "allowPrivilegeEscalation": BOOL, "readOnlyRootFilesystem": BOOL,
    "procMount": STR,
    "capabilities": {"add": [STR], "drop": [STR]},
})
POD_SC: dict[str, Any] = dict(_SC_COMMON, **{
    "fsGroup": INT, "supplementalGroups": [INT],
    "sysctls": [{"name": STR, "value": STR}],
})
_HANDLER = {"httpGet": {"host": STR, "port": INT_OR_STR, "path": STR},
            "tcpSocket": {"host": STR, "port": INT_OR_STR},
            "exec": {"command": [STR]}}
CONTAINER: dict[str, Any] = {
    "name": STR, "image": STR, "imagePullPolicy": STR,
    "securityContext": CONTAINER_SC,
    "ports": [{"containerPort": INT, "hostPort": INT, "hostIP": STR, "protocol": STR, "name": STR}],
    "env": [{"name": STR}],
    "envFrom": [MAP],
    "volumeMounts": [{"name": STR, "mountPath": STR, "readOnly": BOOL, "subPath": STR}],
    "resources": {"limits": MAP, "requests": MAP},
    "livenessProbe": _HANDLER, "readinessProbe": _HANDLER, "startupProbe": _HANDLER,
    "lifecycle": {"postStart": _HANDLER, "preStop": _HANDLER},
    "command": [STR], "args": [STR],
}
POD_SPEC: dict[str, Any] = {
    "containers": [CONTAINER], "initContainers": [CONTAINER], "ephemeralContainers": [CONTAINER],
    "hostNetwork": BOOL, "hostPID": BOOL, "hostIPC": BOOL, "hostUsers": BOOL,
    "shareProcessNamespace": BOOL,
    "automountServiceAccountToken": BOOL, "serviceAccountName": STR, "serviceAccount": STR,
    "securityContext": POD_SC,
    "volumes": [{"name": STR, "hostPath": {"path": STR, "type": STR}}],
    "os": {"name": STR},
    "priorityClassName": STR,
}
METADATA: dict[str, Any] = {
    "name": STR, "namespace": STR, "generateName": STR,
    "labels": {"*": STR}, "annotations": {"*": STR},
}

_TYPE_OF = {bool: BOOL, int: INT, str: STR, float: "number", dict: MAP, list: LIST, type(None): "null"}


def _kind_of(value: Any) -> str:
    return _TYPE_OF.get(type(value), type(value).__name__)


#: exact classes a leaf rule accepts without further thought (YAML and JSON
#: give exact dict/list/str/int/bool); anything else takes the full test
_FAST_OK: dict[str, frozenset] = {
    STR: frozenset({str}), BOOL: frozenset({bool}), INT: frozenset({int}),
    MAP: frozenset({dict}), INT_OR_STR: frozenset({int, str}),
}


def _walk(value: Any, schema: Any, path: Path, out: list) -> None:
    if value is None:
        return  # null means "unset" to the API server
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            out.append((path, f"{format_path(path)}: expected an {MAP}, got {_article(value)}"))
            return
        wildcard = schema.get("*")
        fast_ok = _FAST_OK
        for key, sub in value.items():
            rule = schema.get(key, wildcard)
            if rule is None or sub is None:
                continue
            if rule.__class__ is str and sub.__class__ in fast_ok[rule]:
                continue  # a leaf of the right type: nothing to walk
            _walk(sub, rule, path + (key,), out)
        return
    if isinstance(schema, list):
        if not isinstance(value, list):
            out.append((path, f"{format_path(path)}: expected a {LIST}, got {_article(value)}"))
            return
        item_schema = schema[0]
        if item_schema.__class__ is str:
            ok = _FAST_OK[item_schema]
            for i, item in enumerate(value):
                if item is not None and item.__class__ not in ok:
                    _walk(item, item_schema, path + (i,), out)
            return
        for i, item in enumerate(value):
            _walk(item, item_schema, path + (i,), out)
        return
    if schema == MAP:
        ok = isinstance(value, dict)
    elif schema == BOOL:
        ok = value is True or value is False
    elif schema == INT:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif schema == STR:
        ok = isinstance(value, str)
    elif schema == INT_OR_STR:
        ok = isinstance(value, (int, str)) and not isinstance(value, bool)
    else:  # pragma: no cover - table error
        raise AssertionError(schema)
    if not ok:
        out.append((path, f"{format_path(path)}: expected {_an(schema)}, got {_article(value)}"))


def _an(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def _article(value: Any) -> str:
    # Never echo the value itself: it may be a secret.
    return _an(_kind_of(value))


def blank_invalid(raw: dict, paths) -> None:
    """Replace every wrong-typed value at ``paths`` by ``None`` (which the
    API server and every check read as "unset"), so that the rest of the
    object is still checked. The positions of the parents stay valid."""
    for path in paths:
        cur: Any = raw
        for part in path[:-1]:
            try:
                cur = cur[part]
            except (KeyError, IndexError, TypeError):
                cur = None
                break
        if path and isinstance(cur, (dict, list)):
            try:
                cur[path[-1]] = None
            except (IndexError, TypeError):
                pass


def voided_by(path: Path, invalid) -> bool:
    """Whether a finding at ``path`` is about a wrong-typed field: it names
    that field or something inside it. (A finding about a missing field
    names the field it wants set, so a wrong-typed value read as unset is
    caught here too; findings on the parent or siblings still stand.)"""
    return any(path[:len(bad)] == bad for bad in invalid)


def validate_object(obj) -> list[tuple[Path, str]]:
    """(path, message) for every wrong-typed field the checks rely on."""
    out: list = []
    meta = obj.raw.get("metadata")
    if meta is not None:
        _walk(meta, METADATA, ("metadata",), out)
    pod = obj.pod
    if pod is not None:
        _walk(pod.spec, POD_SPEC, pod.path, out)
        if pod.metadata_path != ("metadata",):
            _walk(pod.metadata, METADATA, pod.metadata_path, out)
    elif obj.kind in ("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job",
                      "CronJob", "ReplicationController", "PodTemplate"):
        spec = obj.raw.get("spec")
        if spec is not None and not isinstance(spec, dict):
            out.append((("spec",), f"spec: expected an {MAP}, got {_article(spec)}"))
    return out
