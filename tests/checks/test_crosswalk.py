"""The crosswalk (kubeward/data/crosswalk.yaml) is a promise to users of
other tools: every entry names a relation, every non-equivalence says how it
differs, and every `equivalent` entry is backed by a pass and a fail fixture
in tests/checks/<ID>/ (run by test_fixtures.py with exact id, path and line;
tools/crosswalk_peers.py runs Checkov and Trivy on the same files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubeward.checks import crosswalk
from kubeward.checks.base import registry
from kubeward.cli.main import cli

HERE = Path(__file__).parent
MAPPINGS = crosswalk.mappings()


def test_every_entry_has_a_known_tool_relation_and_check():
    reg = registry()
    assert len(MAPPINGS) > 200
    for m in MAPPINGS:
        assert m.tool in crosswalk.TOOLS, m
        assert m.relation in crosswalk.RELATIONS, m
        assert m.check in reg, m
        assert m.title, m
        assert m.checked, m


def test_every_difference_is_explained():
    for m in MAPPINGS:
        if m.relation != "equivalent":
            assert m.note, m
            assert not m.fixture, m
        # an equivalence that differs only where Kubernetes itself exempts an
        # object (Windows or user-namespace pods) says so in its note
        assert not (m.kubernetes and not m.note), m


@pytest.mark.parametrize("m", [m for m in MAPPINGS if m.relation == "equivalent"],
                         ids=lambda m: f"{m.tool}:{m.rule}:{m.check}")
def test_equivalents_have_pass_and_fail_fixtures(m):
    d = HERE / m.check
    fail = d / f"fail-xw-{m.fixture}.yaml"
    passing = d / f"pass-xw-{m.fixture}.yaml"
    assert fail.is_file() and passing.is_file(), m
    expects = [line for line in fail.read_text().splitlines() if line.startswith("# expect:")]
    assert expects and all(f"# expect: {m.check} " in e for e in expects)


def test_no_orphan_crosswalk_fixtures():
    used = {(m.check, m.fixture) for m in MAPPINGS if m.relation == "equivalent"}
    found = {(p.parent.name, p.stem.split("-xw-", 1)[1]) for p in HERE.glob("*/*-xw-*.yaml")}
    assert found == used


def test_wrong_mappings_named_in_the_issue_are_corrected():
    def rel(tool, rule):
        return {m.check: m.relation for m in crosswalk.for_tool(tool, rule)}

    assert rel("kubescape", "C-0211") == {"CTR009": "related"}
    assert set(rel("kubescape", "C-0055").values()) == {"related"}
    assert rel("kubescape", "C-0021") == {"NET012": "related"}
    assert rel("checkov", "CKV_K8S_23")["PSS015"] == "broader"
    # CTR004 and CTR003 are retired into PSS015 and PSS016 (issue 13: one problem, one finding)
    assert rel("checkov", "CKV_K8S_23")["PSS016"] == "related"
    assert rel("checkov", "CKV_K8S_41") == {"SEC008": "broader"}
    assert "RBAC001" in rel("checkov", "CKV_K8S_49")  # RBAC003 is RBAC001 now
    assert "SEC008" in rel("kubescape", "C-0189")
    assert "SEC012" in rel("kubescape", "C-0012")
    assert set(rel("kube-score", "pod-probes").values()) == {"related"}
    assert rel("polaris", "linuxHardening")["PSS017"] == "related"  # CTR010 is PSS017 now
    # insecureCapabilities is about dropped capabilities, not added ones (CTR002: PSS018)
    assert rel("polaris", "insecureCapabilities") == {"PSS018": "broader"}


def test_trivy_ids_in_either_spelling():
    assert crosswalk.normalise_rule("KSV-0017") == "KSV017"
    assert crosswalk.normalise_rule("ksv17") == "KSV017"
    assert crosswalk.normalise_rule("C-0017") == "C-0017"
    assert [m.check for m in crosswalk.for_tool("trivy", "KSV-0017")] == ["PSS002"]


def test_checks_tool_lists_rules_with_relation():
    r = CliRunner().invoke(cli, ["checks", "--tool", "trivy"])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert any(line.split()[:3] == ["KSV017", "PSS002", "equivalent"] for line in lines)
    assert any(line.split()[:3] == ["KSV045", "RBAC001", "broader"] for line in lines)
    r = CliRunner().invoke(cli, ["checks", "--tool", "polaris", "-o", "json"])
    rows = json.loads(r.stdout)
    assert {"tool": "polaris", "rule": "runAsPrivileged", "title": "should not be running as privileged",
            "relation": "equivalent", "check": "PSS002"} in rows


def test_checks_json_and_explain_carry_relations():
    r = CliRunner().invoke(cli, ["checks", "-o", "json"])
    info = {i["id"]: i for i in json.loads(r.stdout)}
    assert "KSV017" in info["PSS002"]["crosswalk"]["trivy"]
    eq = [e for e in info["RES001"]["equivalents"] if e["tool"] == "checkov"]
    assert eq == [{"tool": "checkov", "rule": "CKV_K8S_10", "title": "CPU requests should be set",
                   "relation": "narrower", "note": eq[0]["note"], "kubernetesSemantics": True}]
    r = CliRunner().invoke(cli, ["explain", "CTR009"])
    assert "kubescape C-0211: related: C-0211 is a composite of 16 conditions" in r.stdout
