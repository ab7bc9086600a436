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
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

from kubeward.findings import LoadError

RELEASE_NAME = "release-name"  # what `helm template` calls the release by default
NAMESPACE = "default"
_ACTION = re.compile(r"\{\{.*?\}\}")
_SOURCE = re.compile(r"^# Source: (.+)$", re.M)

MISSING = ("cannot render the Helm chart: install the Helm support with "
           "`pip install 'kubeward[helm]'` (helm-python-sdk) or put the `helm` binary on PATH")


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


def _render_sdk(sdk, chart_dir: str, values: dict, options: dict) -> dict[str, str]:
    try:
        with sdk.Chart.load(chart_dir) as chart:
            return chart.render(values, name=options.get("release_name") or RELEASE_NAME,
                                namespace=options.get("namespace") or NAMESPACE)
    except sdk.HelmError as e:
        raise RenderFailure(f"helm: {_first_line(str(e))}") from None


def _render_binary(helm: str, chart_dir: str, options: dict) -> dict[str, str]:
    cmd = [helm, "template", options.get("release_name") or RELEASE_NAME, chart_dir,
           "--namespace", options.get("namespace") or NAMESPACE]
    for path in options.get("values") or ():
        cmd += ["--values", path]
    for expr in options.get("set") or ():
        cmd += ["--set", expr]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise RenderFailure(f"helm template failed: {e}") from None
    if proc.returncode != 0:
        raise RenderFailure(f"helm template: {_first_line(proc.stderr) or 'failed'}")
    out: dict[str, str] = {}
    marks = list(_SOURCE.finditer(proc.stdout))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(proc.stdout)
        body = proc.stdout[m.end() + 1:end]
        name = m.group(1).strip()
        out[name] = out.get(name, "") + ("---\n" if name in out else "") + body
    return out


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line[6:].strip() if line.startswith("Error:") else line
    return ""


def render_chart(chart_dir: str, options: dict) -> dict[str, str]:
    """Template path -> rendered text. Raises RenderFailure."""
    sdk = None if options.get("helm_binary_only") else _sdk()
    if sdk is not None:
        values = _values(options, sdk)
        return _render_sdk(sdk, chart_dir, values, options)
    helm = shutil.which("helm")
    if helm is None:
        raise RenderFailure(MISSING)
    _values({**options, "set": ()}, None)  # report unreadable values files the same way
    return _render_binary(helm, chart_dir, options)


# -- line mapping -----------------------------------------------------------------
def _line_pattern(line: str) -> re.Pattern | None:
    """A template line as a regex: literal text, each action any text. None
    for lines with no literal content (pure control actions)."""
    stripped = line.rstrip()
    literal = _ACTION.sub("", stripped)
    if not literal.strip():
        return None
    parts = _ACTION.split(stripped)
    return re.compile(".*?".join(re.escape(p) for p in parts) + r"\Z")


def map_lines(template: str, rendered: str) -> dict[int, tuple[int, int]]:
    """Rendered line number -> (template line, column of its first text)."""
    tlines = template.splitlines()
    pats = [_line_pattern(t) for t in tlines]
    out: dict[int, tuple[int, int]] = {}
    cursor = 0
    last: tuple[int, int] | None = None
    for rno, rline in enumerate(rendered.splitlines(), 1):
        text = rline.rstrip()
        hit = None
        if text.strip():
            for j in (*range(cursor, len(pats)), *range(0, cursor)):
                p = pats[j]
                if p is not None and p.match(text):
                    hit = j
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
    try:
        rendered = render_chart(chart_dir, options)
    except RenderFailure as e:
        result.errors.append(LoadError(os.path.join(name, "Chart.yaml"), str(e), kind="render"))
        return result
    for key in sorted(rendered):
        text = rendered[key]
        if key.endswith("NOTES.txt") or not text.strip():
            continue
        rel = key.split("/", 1)[1] if "/" in key else key
        file = os.path.normpath(os.path.join(name, rel))
        mapping = None
        try:
            with open(os.path.join(chart_dir, rel), encoding="utf-8") as fh:
                mapping = map_lines(fh.read(), text)
        except (OSError, UnicodeDecodeError):
            pass
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
