"""Helm charts: a directory holding ``Chart.yaml`` is rendered as Helm does it
and the rendered objects are scanned.

Renderer, in order of preference:

1. the ``helm-python-sdk`` package (``pip install 'kubeward[helm]'``), which
   binds Helm's own Go library (Helm v4): ``Chart.load(dir).render(values,
   name=..., namespace=...)`` returns the rendered text of every template,
   keyed ``<chart name>/templates/<file>``;
2. a ``helm`` binary on PATH: ``helm template``, split on its ``# Source:``
   comments.

With neither, the chart is reported as an error (exit 2) and every other
input is still scanned. Values: the chart's ``values.yaml``, then each
``--values FILE`` in order, then each ``--set key=value`` (deep-merged, the
last one winning, as Helm does).

Namespaces: objects without ``metadata.namespace`` are placed in the
release namespace (``--namespace``, else ``default``), as ``helm install``
applies them.

Locations: findings name the template file that produced the object
(``mychart/templates/deployment.yaml``). Lines are mapped from the rendered
text back to the template by matching each rendered line against the
template's lines, where every ``{{ ... }}`` action may stand for any text
(searched forward from the previous match, then from the top, which
handles ``range`` loops). A rendered line that matches no template line
(output of ``include``/``toYaml``) takes the line of the nearest matched line
above it, usually its parent key (``securityContext:`` for a block that
``toYaml`` produced). When the template file cannot be read, the line in the
rendered output is used.

Hostile charts (see docs/security.md): the chart is first copied into a
private temporary directory; a symbolic link that leaves the chart, a link
to a directory and anything that is not a regular file (FIFO, device) are
left out, each with an error naming it, so ``.Files.Get`` cannot read a
host file such as ``/proc/self/environ``. Helm then runs in a child
process with an empty environment (no CI token to read), a memory limit
(``MEMORY_LIMIT``), a time limit (``TIMEOUT``) and a cap on the rendered
size (``MAX_RENDERED``); past any of them the chart is one error. Mapping
rendered lines back to template lines uses a matcher without backtracking
and a budget of line comparisons (``MAP_BUDGET``): past it, the remaining
lines take the nearest mapped line above them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

from kubeward.findings import LoadError

RELEASE_NAME = "release-name"  # what `helm template` calls the release by default
NAMESPACE = "default"
_SOURCE = re.compile(r"^# Source: (.+)$", re.M)

MISSING = ("cannot render the Helm chart: install the Helm support with "
           "`pip install 'kubeward[helm]'` (helm-python-sdk) or put the `helm` binary on PATH")


#: limits of one chart's rendering (a hostile chart may loop or balloon)
TIMEOUT = 120.0  # seconds
MEMORY_LIMIT = 1024 * 1024 * 1024  # bytes of writable memory (RLIMIT_DATA) of the renderer
MAX_RENDERED = 64 * 1024 * 1024  # characters of rendered output
MAX_CHART_BYTES = 64 * 1024 * 1024  # bytes of chart files copied
MAX_CHART_FILES = 20_000
#: line comparisons ``map_lines`` may spend on one template
MAP_BUDGET = 2_000_000


class RenderFailure(Exception):
    pass


# -- values ---------------------------------------------------------------------
def merge(base: dict, over: dict) -> dict:
    """Helm-style coalescing: maps merge deeply, anything else replaces."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def _values(options: dict, sdk) -> dict:
    values: dict = {}
    for path in options.get("values") or ():
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as e:
            raise RenderFailure(f"--values {path}: cannot read: {e.strerror or e}") from None
        try:
            if sdk is not None:
                data = sdk.values_from_yaml(text)
            else:
                import yaml
                data = yaml.safe_load(text) or {}
        except Exception as e:  # noqa: BLE001 - HelmValuesError or YAMLError
            raise RenderFailure(f"--values {path}: not valid YAML: {_first_line(str(e))}") from None
        if not isinstance(data, dict):
            raise RenderFailure(f"--values {path}: must hold a mapping")
        values = merge(values, data)
    for expr in options.get("set") or ():
        if "=" not in expr:
            raise RenderFailure(f"--set {expr}: expected key=value")
        values = merge(values, _parse_set(expr, sdk))
    return values


def _parse_set(expr: str, sdk) -> dict:
    if sdk is not None:
        try:
            return sdk.parse_set_string(expr)
        except Exception as e:  # noqa: BLE001 - HelmValuesError
            raise RenderFailure(f"--set {expr}: {_first_line(str(e))}") from None
    raise RenderFailure("--set needs the Helm SDK or binary")  # pragma: no cover


# -- rendering ----------------------------------------------------------------------
def _sdk():
    try:
        import helm_python
    except ImportError:
        return None
    except OSError:  # the bundled libhelm_c cannot be loaded on this platform
        return None
    return helm_python


def _child_env(home: str) -> dict:
    """The renderer's whole environment: nothing from ours (no CI token,
    no cloud credentials), only what Python and Helm need to start."""
    paths = [p for p in sys.path if p and os.path.isdir(p)]
    return {"PATH": os.defpath, "HOME": home, "LANG": "C.UTF-8", "TMPDIR": home,
            "PYTHONPATH": os.pathsep.join(paths), "HELM_CACHE_HOME": home,
            "HELM_CONFIG_HOME": home, "HELM_DATA_HOME": home}


def _limit_memory(limit: int):
    def apply():  # runs in the child, before it executes anything
        import resource
        try:
            resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
        except (ValueError, OSError):  # pragma: no cover - a platform without the limit
            pass
    return apply


def _run_child(cmd: list[str], home: str, stdin: str | None, options: dict,
               what: str = "helm") -> str:
    limit = int(options.get("helm_memory_limit") or MEMORY_LIMIT)
    timeout = float(options.get("helm_timeout") or TIMEOUT)
    try:
        proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True,
                              encoding="utf-8", errors="replace", timeout=timeout,
                              env=_child_env(home), cwd=home,
                              preexec_fn=_limit_memory(limit) if os.name == "posix" else None)
    except subprocess.TimeoutExpired:
        raise RenderFailure(f"helm: rendering took longer than {timeout:g} s; stopped") from None
    except OSError as e:
        raise RenderFailure(f"helm: cannot start the renderer: {e.strerror or e}") from None
    if proc.returncode != 0:
        err = proc.stderr or ""
        if proc.returncode < 0 or "out of memory" in err or "MemoryError" in err:
            raise RenderFailure(f"helm: rendering needed more than {limit // (1024 * 1024)} MiB "
                                "of memory; stopped")
        raise RenderFailure(f"{what}: {_first_line(err) or 'failed'}")
    return proc.stdout


def _render_sdk(sdk, chart_dir: str, values: dict, options: dict, home: str) -> dict[str, str]:
    req = json.dumps({"chart": chart_dir, "values": values,
                      "name": options.get("release_name") or RELEASE_NAME,
                      "namespace": options.get("namespace") or NAMESPACE,
                      "max": int(options.get("helm_max_rendered") or MAX_RENDERED)},
                     default=str)
    out = _run_child([sys.executable, "-I", "-c", "from kubeward.loading.helm import _child; "
                      "_child()"], home, req, options)
    try:
        reply = json.loads(out)
    except ValueError:
        raise RenderFailure("helm: the renderer gave no answer") from None
    if "error" in reply:
        raise RenderFailure(reply["error"])
    return reply["rendered"]


def _child() -> None:
    """The renderer process: a JSON request on stdin, a JSON reply on stdout."""
    req = json.load(sys.stdin)
    sdk = _sdk()
    try:
        with sdk.Chart.load(req["chart"]) as chart:
            rendered = chart.render(req["values"], name=req["name"], namespace=req["namespace"])
    except sdk.HelmError as e:
        reply = {"error": f"helm: {_first_line(str(e))}"}
    else:
        size = sum(len(v) for v in rendered.values())
        if size > req["max"]:
            reply = {"error": f"helm: the rendered output has {size} characters, more than the "
                              f"limit of {req['max']}; not scanned"}
        else:
            reply = {"rendered": rendered}
    json.dump(reply, sys.stdout)


def _render_binary(helm: str, chart_dir: str, options: dict, home: str) -> dict[str, str]:
    cmd = [helm, "template", options.get("release_name") or RELEASE_NAME, chart_dir,
           "--namespace", options.get("namespace") or NAMESPACE]
    for path in options.get("values") or ():
        cmd += ["--values", os.path.abspath(path)]
    for expr in options.get("set") or ():
        cmd += ["--set", expr]
    stdout = _run_child(cmd, home, None, options, "helm template")
    limit = int(options.get("helm_max_rendered") or MAX_RENDERED)
    if len(stdout) > limit:
        raise RenderFailure(f"helm: the rendered output has {len(stdout)} characters, more "
                            f"than the limit of {limit}; not scanned")
    out: dict[str, str] = {}
    marks = list(_SOURCE.finditer(stdout))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(stdout)
        body = stdout[m.end() + 1:end]
        name = m.group(1).strip()
        out[name] = out.get(name, "") + ("---\n" if name in out else "") + body
    return out


# -- a private copy of the chart ------------------------------------------------
def copy_chart(chart_dir: str, dest: str, display: str) -> list[LoadError]:
    """Copy the chart's regular files into ``dest``. Left out, each with an
    error: symbolic links that leave the chart or point at a directory, and
    anything that is not a regular file. A link to a file inside the chart is
    copied as that file. Raises RenderFailure past the size budget."""
    errors: list[LoadError] = []
    root = os.path.realpath(chart_dir)
    total = files = 0

    def refuse(rel: str, why: str) -> None:
        errors.append(LoadError(os.path.normpath(os.path.join(display, rel)), why,
                                kind="render"))

    for dirpath, dirnames, filenames in os.walk(chart_dir, followlinks=False):
        rel_dir = os.path.relpath(dirpath, chart_dir)
        os.makedirs(os.path.join(dest, rel_dir), exist_ok=True)
        for d in list(dirnames):
            if os.path.islink(os.path.join(dirpath, d)):
                dirnames.remove(d)
                refuse(os.path.join(rel_dir, d), "symbolic link to a directory: not followed "
                       "when rendering the chart")
        for name in filenames:
            src = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            try:
                if os.path.islink(src):
                    target = os.path.realpath(src)
                    if os.path.commonpath([root, target]) != root:
                        refuse(rel, "symbolic link leaves the chart: left out of the rendering")
                        continue
                st = os.stat(src) if os.path.islink(src) else os.lstat(src)
                if not stat.S_ISREG(st.st_mode):
                    refuse(rel, "not a regular file (FIFO, socket, device or directory link): "
                           "left out of the rendering")
                    continue
                total += st.st_size
                files += 1
                if total > MAX_CHART_BYTES or files > MAX_CHART_FILES:
                    raise RenderFailure(f"the chart is larger than {MAX_CHART_BYTES} bytes or "
                                        f"{MAX_CHART_FILES} files; not rendered")
                with open(src, "rb") as fi, open(os.path.join(dest, rel), "wb") as fo:
                    shutil.copyfileobj(fi, fo)
            except OSError as e:
                refuse(rel, f"cannot read: {e.strerror or e}")
    return errors


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line[6:].strip() if line.startswith("Error:") else line
    return ""


def render_chart(chart_dir: str, options: dict, errors: list | None = None) -> dict[str, str]:
    """Template path -> rendered text, rendered from a private copy of the
    chart (:func:`copy_chart`; what it leaves out is added to ``errors``).
    Raises RenderFailure."""
    with tempfile.TemporaryDirectory(prefix="kubeward-helm-") as tmp:
        return _render_copy(chart_dir, options, errors if errors is not None else [], tmp)


def _render_copy(chart_dir: str, options: dict, errors: list, tmp: str) -> dict[str, str]:
    sdk = None if options.get("helm_binary_only") else _sdk()
    helm = None if sdk is not None else shutil.which("helm")
    if sdk is None and helm is None:
        raise RenderFailure(MISSING)
    values = _values(options, sdk) if sdk is not None else \
        _values({**options, "set": ()}, None)  # report unreadable values files the same way
    copy = os.path.join(tmp, "chart")
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    errors.extend(copy_chart(chart_dir, copy, options.get("_display") or chart_dir))
    rendered = _render_sdk(sdk, copy, values, options, home) if sdk is not None \
        else _render_binary(helm, copy, options, home)
    templates = options.get("_templates")
    if isinstance(templates, dict):  # the copied template texts, for line mapping
        for key in rendered:
            rel = key.split("/", 1)[1] if "/" in key else key
            try:
                with open(os.path.join(copy, rel), encoding="utf-8") as fh:
                    templates[rel] = fh.read()
            except (OSError, UnicodeDecodeError):
                pass
    return rendered


# -- line mapping -----------------------------------------------------------------
def split_actions(line: str) -> list[str]:
    """The literal parts of a template line around its ``{{ ... }}``
    actions (one part more than actions). Linear: an unclosed ``{{`` is
    literal text."""
    parts: list[str] = []
    pos = 0
    while True:
        i = line.find("{{", pos)
        j = line.find("}}", i + 2) if i != -1 else -1
        if i == -1 or j == -1:
            parts.append(line[pos:])
            return parts
        parts.append(line[pos:i])
        pos = j + 2


def _line_pattern(line: str) -> tuple[str, ...] | None:
    """A template line as its literal parts, each action standing for any
    text. None for lines with no literal content (pure control actions)."""
    parts = split_actions(line.rstrip())
    if not "".join(parts).strip():
        return None
    return tuple(parts)


def line_matches(parts: tuple[str, ...], text: str) -> bool:
    """Does ``text`` match literal parts joined by wildcards? Leftmost
    matching of every middle part is exact for wildcard-only patterns, so
    no backtracking: at most one pass over ``text`` per part."""
    if len(parts) == 1:
        return text == parts[0]
    first, last = parts[0], parts[-1]
    if len(text) < len(first) + len(last) or not text.startswith(first) \
            or not text.endswith(last):
        return False
    pos, end = len(first), len(text) - len(last)
    for mid in parts[1:-1]:
        i = text.find(mid, pos, end)
        if i == -1:
            return False
        pos = i + len(mid)
    return True


def map_lines(template: str, rendered: str, budget: int | None = None) -> dict[int, tuple[int, int]]:
    """Rendered line number -> (template line, column of its first text).
    At most ``budget`` line comparisons (``MAP_BUDGET``); past it, lines
    take the nearest mapped line above them."""
    budget = MAP_BUDGET if budget is None else budget
    tlines = template.splitlines()
    pats = [_line_pattern(t) for t in tlines]
    out: dict[int, tuple[int, int]] = {}
    cursor = 0
    last: tuple[int, int] | None = None
    for rno, rline in enumerate(rendered.splitlines(), 1):
        text = rline.rstrip()
        hit = None
        if text.strip() and budget > 0:
            for j in (*range(cursor, len(pats)), *range(0, cursor)):
                p = pats[j]
                if p is None:
                    continue
                budget -= 1 + len(p)
                if line_matches(p, text):
                    hit = j
                    break
                if budget <= 0:
                    break
        if hit is not None:
            cursor = hit + 1
            t = tlines[hit]
            last = (hit + 1, len(t) - len(t.lstrip()) + 1)
            out[rno] = (hit + 1, 0)  # 0: keep the rendered column
        elif last is not None:
            out[rno] = last
    return out


def _remap(positions: dict, mapping: dict[int, tuple[int, int]]) -> None:
    def fix(pos):
        line, col = pos
        m = mapping.get(line)
        if m is None:
            return pos
        return (m[0], m[1] or col)

    for key, table in positions.items():
        if isinstance(table, dict):
            positions[key] = {k: fix(v) for k, v in table.items()}
        elif isinstance(table, list):
            positions[key] = [fix(v) for v in table]


# -- the RENDERERS entry ----------------------------------------------------------
def load_chart(chart_dir: str, options: dict):
    from kubeward.loading.files import LoadResult, add_document, display_path
    from kubeward.loading.yamldoc import DocumentError, parse_documents

    result = LoadResult()
    name = display_path(chart_dir)
    templates: dict[str, str] = {}
    try:
        rendered = render_chart(chart_dir, {**options, "_display": name, "_templates": templates},
                                result.errors)
    except RenderFailure as e:
        result.errors.append(LoadError(os.path.join(name, "Chart.yaml"), str(e), kind="render"))
        return result
    for key in sorted(rendered):
        text = rendered[key]
        if key.endswith("NOTES.txt") or not text.strip():
            continue
        rel = key.split("/", 1)[1] if "/" in key else key
        file = os.path.normpath(os.path.join(name, rel))
        mapping = map_lines(templates[rel], text) if rel in templates else None
        result.files += 1
        for item in parse_documents(text):
            if isinstance(item, DocumentError):
                line = mapping.get(item.line, (item.line, 0))[0] if mapping and item.line \
                    else item.line
                result.errors.append(LoadError(file, f"rendered output: {item.message}", line,
                                               kind="render"))
                continue
            if mapping:
                _remap(item.positions, mapping)
                item.line = mapping.get(item.line, (item.line, 0))[0]
            add_document(item, file, result)
    # Helm applies objects without a namespace to the release namespace
    from kubeward.model.placement import place_in_namespace
    place_in_namespace(result.objects, options.get("namespace") or NAMESPACE)
    return result


def helm_available() -> str | None:
    """'sdk', 'binary' or None."""
    if _sdk() is not None:
        return "sdk"
    return "binary" if shutil.which("helm") else None


__all__ = ["load_chart", "render_chart", "map_lines", "merge", "helm_available", "MISSING"]
