"""Kustomize: a directory holding ``kustomization.yaml`` (or ``.yml``, or
``Kustomization``) is built and the output scanned.

Builder: ``kubectl kustomize DIR`` or ``kustomize build DIR``, whichever is
on PATH first in that order (override with ``KUBEWARD_KUSTOMIZE``, a command
line such as ``kustomize build``). A failed build is an error for that
directory (exit 2) carrying the builder's own first error line, never a
silent scan of nothing; no builder at all is an error too.

Locations: kubeward builds through a one-line wrapper kustomization in a
temporary directory that asks for ``buildMetadata: [originAnnotations]``, so
every object carries ``config.kubernetes.io/origin`` naming the file it came
from (in the overlay or any base). The finding then names that source file,
and lines come from the same object in it: each field takes its line in the
source; a field the overlay added (a patch) takes the line of its nearest
parent that exists in the source. Objects that cannot be traced (generated
ConfigMaps/Secrets, remote bases) name the overlay's kustomization file,
line 1. The origin annotation is removed again before the checks run,
unless the overlay asked for it itself.

Remote content (docs/security.md): before building, every kustomization
reachable through local bases and components is read, and any entry that
names remote content (a URL, ``git::...``, ``github.com/org/repo//path``,
``?ref=``) in ``resources``, ``bases``, ``components``, patches, generator
files and the like refuses the build with an error naming the kustomization
file and the entry, unless the user allows it (``--allow-remote-bases`` or
``allowRemoteBases: true`` in the config). The builder also runs with an
environment that keeps git off the network and without our credentials.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile

from kubeward.findings import LoadError

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
ORIGIN = "config.kubernetes.io/origin"
MISSING = ("cannot build the Kustomize overlay: neither `kubectl` nor `kustomize` is on PATH "
           "(install one, or set KUBEWARD_KUSTOMIZE to the build command)")


class BuildFailure(Exception):
    pass


def kustomization_file(directory: str) -> str | None:
    for name in KUSTOMIZATION_FILES:
        p = os.path.join(directory, name)
        if os.path.isfile(p):
            return p
    return None


def builder() -> list[str] | None:
    env = os.environ.get("KUBEWARD_KUSTOMIZE")
    if env:
        return shlex.split(env)
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    return None


def _first_error(stderr: str) -> str:
    for line in stderr.splitlines():
        line = line.strip()
        if not line:
            continue
        if 'err="' in line:  # klog: E1127 ... "command failed" err="..."
            line = line.split('err="', 1)[1].rstrip('"')
            line = line.replace('\\"', '"')
        elif line.startswith("Error:"):
            line = line[6:].strip()
        return line
    return ""


# -- remote content ------------------------------------------------------------------
#: a reference Kustomize would fetch: a URL, a go-getter / git form, a hosted repo path
_REMOTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.\-]*://|git::|git@|ssh:|gh:|hg::|s3::|gcs::)"
                     r"|^(?:github\.com|gitlab\.com|bitbucket\.org)[/:]"
                     r"|^[a-zA-Z0-9.\-]+\.[a-zA-Z]{2,}(?::\d+)?/.*//"
                     r"|[?&](?:ref|version|submodules|timeout)=")
_PATH_LISTS = ("resources", "bases", "components", "crds", "patchesStrategicMerge",
               "transformers", "generators", "validators", "configurations")
_PATH_ITEMS = ("patches", "patchesJson6902", "replacements")


def is_remote(entry) -> bool:
    return isinstance(entry, str) and bool(_REMOTE.search(entry.strip()))


def _entries(data: dict):
    """(field, entry) of every path-like entry of a kustomization."""
    for key in _PATH_LISTS:
        items = data.get(key)
        for e in items if isinstance(items, list) else ():
            if isinstance(e, str):
                yield key, e
    for key in _PATH_ITEMS:
        items = data.get(key)
        for e in items if isinstance(items, list) else ():
            if isinstance(e, dict) and isinstance(e.get("path"), str):
                yield f"{key}.path", e["path"]
    for key in ("configMapGenerator", "secretGenerator"):
        items = data.get(key)
        for e in items if isinstance(items, list) else ():
            if not isinstance(e, dict):
                continue
            for field in ("files", "envs"):
                for f in e.get(field) or () if isinstance(e.get(field), list) else ():
                    if isinstance(f, str):
                        yield f"{key}.{field}", f.split("=", 1)[-1]
            if isinstance(e.get("env"), str):
                yield f"{key}.env", e["env"]
    openapi = data.get("openapi")
    if isinstance(openapi, dict) and isinstance(openapi.get("path"), str):
        yield "openapi.path", openapi["path"]
    charts = data.get("helmCharts")
    for c in charts if isinstance(charts, list) else ():
        if isinstance(c, dict) and isinstance(c.get("repo"), str):
            yield "helmCharts.repo", c["repo"]


def remote_references(directory: str, limit: int = 1000) -> list[tuple[str, str, str]]:
    """(kustomization file, field, entry) of every remote reference in the
    kustomization of ``directory`` and the local bases and components it
    reaches (at most ``limit`` kustomizations; each read once)."""
    import yaml

    found: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    todo = [os.path.realpath(directory)]
    while todo and len(seen) < limit:
        d = todo.pop()
        if d in seen:
            continue
        seen.add(d)
        kfile = kustomization_file(d)
        if kfile is None:
            continue
        try:
            with open(kfile, encoding="utf-8", errors="replace") as fh:
                data = yaml.safe_load(fh.read(4 * 1024 * 1024))
        except (OSError, yaml.YAMLError, RecursionError):
            continue  # the builder reports it
        if not isinstance(data, dict):
            continue
        for field, entry in _entries(data):
            if field == "helmCharts.repo" or is_remote(entry):
                found.append((kfile, field, entry))
            elif field in ("resources", "bases", "components"):
                sub = os.path.realpath(os.path.join(d, entry))
                if os.path.isdir(sub):
                    todo.append(sub)
    return found


def _builder_env() -> dict:
    """The builder's environment: ours minus credentials-looking variables,
    with git unable to reach the network (defence in depth: remote
    references are refused before the build)."""
    from kubeward.redact import is_secret_name

    env = {k: v for k, v in os.environ.items() if not is_secret_name(k)}
    env.update({"GIT_ALLOW_PROTOCOL": "file", "GIT_TERMINAL_PROMPT": "0",
                "GIT_CONFIG_NOSYSTEM": "1"})
    return env


def _run(cmd: list[str], directory: str, env: dict | None = None) -> str:
    try:
        proc = subprocess.run([*cmd, directory], capture_output=True, text=True, timeout=300,
                              env=env)
    except FileNotFoundError:
        raise BuildFailure(MISSING) from None
    except subprocess.TimeoutExpired:
        raise BuildFailure(f"{' '.join(cmd)} timed out") from None
    if proc.returncode != 0:
        raise BuildFailure(f"{' '.join(cmd)} failed: "
                           f"{_first_error(proc.stderr) or f'exit status {proc.returncode}'}")
    return proc.stdout


def build(directory: str, allow_remote: bool = False) -> tuple[str, str | None]:
    """(rendered YAML, wrapper dir the origin paths are relative to or None).
    Raises BuildFailure, also for remote references unless ``allow_remote``."""
    cmd = builder()
    if cmd is None:
        raise BuildFailure(MISSING)
    env = None if allow_remote else _builder_env()
    if not allow_remote:
        remote = remote_references(directory)
        if remote:
            kfile, field, entry = remote[0]
            more = f" (and {len(remote) - 1} more)" if len(remote) > 1 else ""
            raise BuildFailure(f"remote {field} entry {entry!r} in {kfile} refused: kubeward does "
                               f"not fetch from the network unless asked{more}; pass "
                               "--allow-remote-bases or set allowRemoteBases: true")
    with tempfile.TemporaryDirectory(prefix="kubeward-kz-") as tmp:
        rel = os.path.relpath(os.path.realpath(directory), os.path.realpath(tmp))
        with open(os.path.join(tmp, "kustomization.yaml"), "w", encoding="utf-8") as fh:
            fh.write("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                     f"resources:\n  - {rel}\nbuildMetadata: [originAnnotations]\n")
        try:
            return _run(cmd, tmp, env), os.path.realpath(tmp)
        except BuildFailure:
            pass  # build directly: its message names the user's own files
    return _run(cmd, directory, env), None


def _asks_for_origin(directory: str) -> bool:
    kfile = kustomization_file(directory)
    try:
        import yaml
        with open(kfile, encoding="utf-8") as fh:  # type: ignore[arg-type]
            data = yaml.safe_load(fh)
    except Exception:  # noqa: BLE001 - the builder already accepted it; best effort
        return False
    meta = data.get("buildMetadata") if isinstance(data, dict) else None
    return isinstance(meta, list) and "originAnnotations" in meta


# -- tracing objects back to their source file -----------------------------------
def _origin_path(obj: dict, base_dir: str | None, directory: str) -> str | None:
    meta = obj.get("metadata")
    ann = meta.get("annotations") if isinstance(meta, dict) else None
    value = ann.get(ORIGIN) if isinstance(ann, dict) else None
    if not isinstance(value, str):
        return None
    try:
        import yaml
        origin = yaml.safe_load(value)
    except Exception:  # noqa: BLE001
        return None
    if not isinstance(origin, dict) or not isinstance(origin.get("path"), str) or origin.get("repo"):
        return None
    root = base_dir or os.path.realpath(directory)
    path = os.path.normpath(os.path.join(root, origin["path"]))
    return path if os.path.isfile(path) else None


def _strip_origin(obj: dict) -> None:
    ann = obj.get("metadata", {}).get("annotations")
    if isinstance(ann, dict):
        ann.pop(ORIGIN, None)
        if not ann:
            del obj["metadata"]["annotations"]


def _source_doc(path: str, obj: dict, cache: dict):
    """The document of ``path`` holding the same object (kind, then name)."""
    from kubeward.loading.yamldoc import Document, parse_documents

    docs = cache.get(path)
    if docs is None:
        try:
            with open(path, encoding="utf-8") as fh:
                docs = [d for d in parse_documents(fh.read()) if isinstance(d, Document)
                        and isinstance(d.data, dict)]
        except (OSError, UnicodeDecodeError):
            docs = []
        cache[path] = docs
    kind = obj.get("kind")
    name = (obj.get("metadata") or {}).get("name")
    same_kind = [d for d in docs if d.data.get("kind") == kind]
    best, best_len = None, -1
    for d in same_kind:
        meta = d.data.get("metadata")
        dname = meta.get("name") if isinstance(meta, dict) else None
        if not (isinstance(dname, str) and isinstance(name, str) and dname):
            continue
        if dname == name:
            return d
        # namePrefix / nameSuffix keep the original name inside; the longest wins
        if dname in name and len(dname) > best_len:
            best, best_len = d, len(dname)
    if best is not None:
        return best
    return same_kind[0] if len(same_kind) == 1 else None


def _match_item(item, source_list: list, index: int):
    if isinstance(item, dict) and "name" in item:
        for j, s in enumerate(source_list):
            if isinstance(s, dict) and s.get("name") == item["name"]:
                return j
    return index if index < len(source_list) else None


def traced_positions(rendered, source, src_pos: dict, at: tuple[int, int], out: dict) -> None:
    """Fill ``out`` (a positions table for ``rendered``) with lines of
    ``source``; fields missing there take the parent's position ``at``."""
    s_table = src_pos.get(id(source)) if source is not None else None
    if isinstance(rendered, dict):
        table = {}
        for k, v in rendered.items():
            if isinstance(source, dict) and s_table is not None and k in source and k in s_table:
                pos, child = s_table[k], source[k]
            else:
                pos, child = at, None
            table[k] = pos
            if isinstance(v, (dict, list)):
                traced_positions(v, child, src_pos, pos, out)
        out[id(rendered)] = table
    elif isinstance(rendered, list):
        items = []
        for i, v in enumerate(rendered):
            j = _match_item(v, source, i) if isinstance(source, list) and s_table is not None \
                else None
            if j is not None and j < len(s_table):
                pos, child = s_table[j], source[j]
            else:
                pos, child = at, None
            items.append(pos)
            if isinstance(v, (dict, list)):
                traced_positions(v, child, src_pos, pos, out)
        out[id(rendered)] = items


# -- the RENDERERS entry ----------------------------------------------------------
def load_overlay(directory: str, options: dict):
    from kubeward.loading.files import LoadResult, add_document, display_path
    from kubeward.loading.yamldoc import Document, DocumentError, parse_documents

    result = LoadResult()
    name = display_path(directory)
    kfile = kustomization_file(directory) or os.path.join(directory, KUSTOMIZATION_FILES[0])
    kname = os.path.join(name, os.path.basename(kfile))
    try:
        text, wrapper = build(directory, bool(options.get("allow_remote_bases")))
    except BuildFailure as e:
        result.errors.append(LoadError(kname, str(e), kind="render"))
        return result
    keep_origin = wrapper is None or _asks_for_origin(directory)
    result.files += 1
    cache: dict = {}
    real_dir = os.path.realpath(directory)
    for item in parse_documents(text):
        if isinstance(item, DocumentError):
            result.errors.append(LoadError(kname, f"build output: {item.message}", kind="render"))
            continue
        data = item.data
        src_path = _origin_path(data, wrapper, directory) if isinstance(data, dict) else None
        if not keep_origin and isinstance(data, dict):
            _strip_origin(data)
        src = _source_doc(src_path, data, cache) if src_path else None
        if src is not None:
            positions: dict = {}
            traced_positions(data, src.data, src.positions, (src.line, 1), positions)
            item = Document(data, src.index, src.line, positions)
            add_document(item, os.path.normpath(os.path.join(
                name, os.path.relpath(src_path, real_dir))), result)
        else:
            positions = {}
            traced_positions(data, None, {}, (1, 1), positions)
            add_document(Document(data, item.index, 1, positions), kname, result)
    return result


__all__ = ["load_overlay", "build", "builder", "kustomization_file", "traced_positions",
           "KUSTOMIZATION_FILES", "MISSING"]
