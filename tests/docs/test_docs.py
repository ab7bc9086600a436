"""The check reference is generated from the checks: every docstring has
the required sections, and docs/ is current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from kwtest.shared import require

from kubeward import docgen
from kubeward.checks.base import DOC_SECTIONS, registry
from kubeward.compliance import framework, framework_names


@pytest.mark.parametrize("check_id", sorted(registry()))
def test_docstring_sections(check_id):
    cls = registry()[check_id]
    headings = re.findall(r"^## (.+)$", cls.doc(), re.M)
    assert headings == list(DOC_SECTIONS), f"{check_id}: headings {headings}"
    sections = cls.doc_sections()
    for name in DOC_SECTIONS:
        assert sections[name].strip(), f"{check_id}: empty section {name!r}"
    assert "```yaml" in sections["Example"] and "```yaml" in sections["Use instead"]
    assert cls.name and cls.remediation, f"{check_id}: name and remediation are required"


@pytest.mark.parametrize("rel", sorted(docgen.OUTPUTS))
def test_generated_docs_are_current(rel):
    with open(f"{docgen.ROOT}/{rel}", encoding="utf-8") as fh:
        assert fh.read() == docgen.OUTPUTS[rel](), f"{rel} is stale: run python -m kubeward.docgen"


def test_framework_controls_referenced_by_checks_exist():
    names = set(framework_names())
    bad = []
    for cid, cls in registry().items():
        for fw, controls in cls.frameworks.items():
            if fw not in names:
                bad.append(f"{cid}: unknown framework {fw}")
                continue
            known = {str(c["id"]) for c in framework(fw)["controls"]}
            bad += [f"{cid}: {fw} has no control {c!r}" for c in controls if c not in known]
    assert not bad, "\n".join(bad)


def test_every_framework_control_is_covered_or_explained():
    from kubeward.compliance import mapping
    for name in framework_names():
        data = framework(name)
        assert data["controls"], name
        ids = [str(c["id"]) for c in data["controls"]]
        assert len(ids) == len(set(ids)), f"{name}: duplicate control ids"
        covered = mapping(name)
        assert covered, f"framework {name} has no check at all"


def test_readme_realworld_table_is_current():
    import importlib.util
    import os

    spec = importlib.util.spec_from_file_location("realworld_counts",
                                                  os.path.join(docgen.ROOT, "tools", "realworld_counts.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    require(Path(mod.CORPUS))
    readme = open(os.path.join(docgen.ROOT, "README.md"), encoding="utf-8").read()
    current = readme.split(mod.BEGIN, 1)[1].split(mod.END, 1)[0]
    assert current == "\n" + mod.table(), "README realworld table is stale: run python tools/realworld_counts.py --write"
