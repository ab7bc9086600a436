"""-o junit: valid against the Ant JUnit XSD (tests/data/junit.xsd), one
test case per (object, applicable check), failures with message, file, line."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from kwtest.cli import DATA, PINNED, deployment, run


@pytest.fixture(scope="module")
def xsd():
    etree = pytest.importorskip("lxml.etree", reason="lxml (dev extra) validates JUnit XML")
    return etree.XMLSchema(etree.parse(str(DATA / "junit.xsd")))


def _validate(xsd, text: str):
    from lxml import etree
    doc = etree.fromstring(text.encode())
    assert xsd.validate(doc), xsd.error_log.last_error
    return ET.fromstring(text)


def test_cases_failures_and_validity(tmp_path, monkeypatch, xsd):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(deployment(host_pid=True) + "---\n" + deployment(
        name="ok", privileged=False, annotations={"kubeward.io/ignore": "PSS002: legacy"}))
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n")
    (tmp_path / "broken.yaml").write_text("a: [\n")
    r = run(["scan", *PINNED, "-o", "junit", "a.yaml", "cm.yaml", "broken.yaml"])
    assert r.exit_code == 2
    root = _validate(xsd, r.stdout)
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert sorted(suites) == ["a.yaml", "broken.yaml", "cm.yaml"]
    a = suites["a.yaml"]
    cases = [(c.get("classname"), c.get("name"), [x.tag for x in c]) for c in a.findall("testcase")]
    assert cases == [
        ("a.yaml::Deployment shop/web", "PSS001 Host namespaces shared", ["failure"]),
        ("a.yaml::Deployment shop/web", "PSS002 Privileged container", ["failure"]),
        ("a.yaml::Deployment shop/web", "SUP001 Suppression without a reason", []),
        ("a.yaml::Deployment shop/ok", "PSS001 Host namespaces shared", []),
        ("a.yaml::Deployment shop/ok", "PSS002 Privileged container", []),
        ("a.yaml::Deployment shop/ok", "SUP001 Suppression without a reason", []),
    ]
    assert (a.get("tests"), a.get("failures"), a.get("errors"), a.get("skipped")) == ("6", "2", "0", "0")
    fail = a.find("testcase[@name='PSS002 Privileged container']/failure")
    assert fail.get("type") == "PSS002 critical"
    assert fail.get("message").startswith("a.yaml:14: ")
    assert fail.text.startswith("a.yaml:14:13: critical PSS002 ")
    assert "(field spec.template.spec.containers[0].securityContext.privileged)" in fail.text
    # the ConfigMap: only SUP001 applies to it (PSS checks are for workloads)
    assert [c.get("name") for c in suites["cm.yaml"].findall("testcase")] == [
        "SUP001 Suppression without a reason"]
    err = suites["broken.yaml"].find("testcase/error")
    assert err.get("message").startswith("broken.yaml:") and suites["broken.yaml"].get("errors") == "1"


def test_suppressed_is_skipped(tmp_path, monkeypatch, xsd):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(deployment(annotations={"kubeward.io/ignore": "PSS002: legacy"}))
    r = run(["scan", *PINNED, "-o", "junit", "--show-suppressed", "a.yaml"])
    assert r.exit_code == 0
    root = _validate(xsd, r.stdout)
    skipped = root.find("testsuite/testcase[@name='PSS002 Privileged container']/skipped")
    assert skipped.get("message") == "suppressed (annotation): legacy"
    assert root.find("testsuite").get("skipped") == "1"


def test_parallel_scan_still_lists_failures(tmp_path, monkeypatch, xsd):
    monkeypatch.chdir(tmp_path)
    for i in range(3):
        (tmp_path / f"f{i}.yaml").write_text(deployment(name=f"w{i}"))
    from kubeward.engine import ScanOptions, scan
    from kubeward.outputs import RenderContext
    from kubeward.outputs.junit import render
    import io
    rep = scan(["."], ScanOptions(checks=("PSS002",), jobs=2))
    buf = io.StringIO()
    render(rep, buf, RenderContext())
    root = _validate(xsd, buf.getvalue())
    assert len(root.findall("testsuite/testcase/failure")) == 3
