"""Comments and docstrings name things that exist: every Sphinx-style
reference (``:func:``, ``:meth:``, ``:class:``, ``:mod:``) in the package
resolves, and every repository file a module cites (``docs/*.md``,
``kubeward/data/...``) is there."""

from __future__ import annotations

import importlib
import re

import pytest
from kwtest.shared import ROOT

PACKAGE = ROOT / "kubeward"
ROLE = re.compile(r":(func|meth|class|mod):`~?([A-Za-z_.][A-Za-z0-9_.]*)`")
CITED = re.compile(r"(?<![\w/.])((?:docs|kubeward/data)/[\w./-]+\.(?:md|json|yaml))")


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        yield pytest.param(name, path, id=name)


def _resolve(module, target: str) -> bool:
    if target.startswith("."):
        target = module.__name__.rsplit(".", 1)[0] + target if not module.__file__.endswith(
            "__init__.py") else module.__name__ + target
    parts = target.split(".")
    # local name in the module: Name or Name.attr
    obj = module
    for i, part in enumerate(parts):
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        if i == 0:
            break
        return False
    else:
        return True
    for cut in range(len(parts), 0, -1):  # an absolute dotted name
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            if not hasattr(obj, part):
                return False
            obj = getattr(obj, part)
        return True
    return False


def _a_method(module, name: str) -> bool:
    """``:meth:`name``` without its class: a method of some class of the module."""
    import inspect

    return any(inspect.isclass(obj) and obj.__module__ == module.__name__ and hasattr(obj, name)
               for obj in vars(module).values())


@pytest.mark.parametrize("name,path", list(_modules()))
def test_references_resolve(name, path):
    text = path.read_text()
    refs = ROLE.findall(text)
    cited = CITED.findall(text)
    if not refs and not cited:
        return
    try:
        module = importlib.import_module(name)
    except ImportError as e:  # an optional extra that is not installed
        pytest.skip(str(e))
    bad = [f":{role}:`{target}`" for role, target in refs
           if not _resolve(module, target) and not (role == "meth" and _a_method(module, target))]
    bad += [c for c in cited if not (ROOT / c).exists()]
    assert not bad, f"{path.relative_to(ROOT)} names what does not exist: {bad}"


MD_PATH = re.compile(r"`((?:kubeward|tests|tools|bench|docs|examples)/[\w./-]+\.(?:py|md|json|yaml|yml|sh|png))`")


@pytest.mark.parametrize("doc", ["README.md", "CONTRIBUTING.md",
                                 *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))])
def test_markdown_names_files_that_exist(doc):
    path = ROOT / doc
    if not path.exists():
        pytest.skip(f"{doc} is absent")
    missing = [m for m in MD_PATH.findall(path.read_text()) if "<" not in m and "*" not in m
               and not (ROOT / m).exists()]
    assert not missing, f"{doc} names files that do not exist: {missing}"
