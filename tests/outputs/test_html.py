"""The HTML report: structure and counts against the JSON report of the same
run (realworld-a), self-containment, secrets, and the page opened in
headless Chromium without console errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from kwtest.cli import run

ROOT = Path(__file__).resolve().parents[2]
SEVERITIES = ["critical", "high", "medium", "low", "info"]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def realworld(tmp_path_factory):
    corpus = ROOT.parent / "shared" / "corpus" / "realworld-a"
    if not corpus.exists():
        pytest.skip(f"{corpus} is absent (the shared corpus sits beside the repository as "
                    "../shared)")
    d = tmp_path_factory.mktemp("html")
    html, js = d / "report.html", d / "report.json"
    r = run(["scan", str(corpus), "--attack-paths", "--framework", "cis", "--framework", "nsa",
             "-o", f"html={html}", "-o", f"json={js}"])
    assert r.exit_code == 2, r.output  # the corpus holds 5 files with duplicate keys
    return html, json.loads(js.read_text())


def _doc(path):
    from lxml import html as lhtml
    return lhtml.fromstring(path.read_text(encoding="utf-8"))


def test_structure_and_counts_equal_the_json_report(realworld):
    html, data = realworld
    doc = _doc(html)
    assert doc.get("lang") == "en"
    assert [h.text_content() for h in doc.iter("h1")] == ["kubeward report"]
    assert [h.text_content() for h in doc.iter("h2")] == [
        "Summary", "Attack paths", "Compliance", "Findings by workload"]
    # headings never skip a level (screen-reader outline)
    levels = [int(h.tag[1]) for h in doc.iter("h1", "h2", "h3", "h4")]
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:])) and levels[0] == 1
    summary = data["summary"]
    rows = doc.get_element_by_id("by-severity").xpath("./tbody/tr")
    assert {r.xpath("./th")[0].text: int(r.xpath("./td")[0].text) for r in rows} == \
        summary["findingsBySeverity"]
    assert int(doc.get_element_by_id("total-findings").text) == summary["findings"] == \
        len(data["findings"]) > 2000
    # every finding is a row, in a group per object, with its severity
    findings = doc.xpath("//tr[@class='finding']")
    assert Counter(r.get("data-sev") for r in findings) == Counter(
        f["severity"] for f in data["findings"])
    objects = {(f["object"]["kind"], f["object"]["namespace"] or "", f["object"]["name"], f["file"])
               for f in data["findings"]}
    assert len(doc.xpath("//section[@class='group']")) == len(objects)
    # by namespace
    ns_rows = doc.get_element_by_id("by-namespace").xpath("./tbody/tr")
    got = {r.xpath("./th")[0].text: [int(td.text) for td in r.xpath("./td")] for r in ns_rows}
    want: dict = {}
    for f in data["findings"]:
        ns = f["object"]["namespace"]
        if ns:
            want.setdefault(ns, Counter())[f["severity"]] += 1
    for ns, c in want.items():
        assert got[ns] == [c[s] for s in SEVERITIES] + [sum(c.values())], ns
    assert sum(v[-1] for v in got.values()) == summary["findings"]
    # attack paths: every path of the JSON report, in rank order, with its steps
    paths = data["attackPaths"]["paths"]
    arts = doc.xpath("//article[@class='path']")
    assert [a.get("data-path-id") for a in arts] == [p["id"] for p in paths]
    assert len(arts) == data["attackPaths"]["count"] > 0
    for a, p in zip(arts, paths):
        assert len(a.xpath(".//ol[@class='steps']/li")) == len(p["steps"])
        assert len(a.xpath(".//*[local-name()='svg']")) == 1
    # compliance per framework
    for name, fw in data["compliance"].items():
        h = doc.get_element_by_id(f"compliance-{name}")
        assert h.tag == "h3" and f"score {fw['score']:.1f}%" in h.text_content()
        table = doc.xpath(f"//table[@data-framework='{name}']")[0]
        assert len(table.xpath("./tbody/tr")) == len(fw["controls"])


def test_self_contained_and_usable_without_javascript(realworld):
    html, data = realworld
    doc = _doc(html)
    assert not doc.xpath("//*[@src]") and not doc.xpath("//link") and not doc.xpath("//iframe")
    assert "url(" not in "".join(doc.xpath("//style/text()"))
    # the core tables are plain HTML; only the filter form needs the script
    assert doc.get_element_by_id("filters").get("hidden") is not None
    for tid in ("by-severity", "by-namespace", "cuts"):
        assert doc.get_element_by_id(tid).tag == "table"
    # code excerpts and fixes
    assert len(doc.xpath("//pre[@class='src']")) > 1000
    assert len(doc.xpath("//tr[@class='finding']/td/div/strong")) > 1000


def test_secret_values_never_appear(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: shop}\n"
                 "stringData:\n  password: Sup3rS3cretValue\n---\n"
                 "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
                 "spec:\n  template:\n    spec:\n      containers:\n        - name: web\n"
                 "          image: web:1.0\n          env:\n            - name: DB_PASSWORD\n"
                 "              value: An0therS3cretValue\n")
    out = tmp_path / "r.html"
    r = run(["scan", str(f), "--framework", "all", "-o", f"html={out}", "-o", "text"])
    assert r.exit_code == 1
    text = out.read_text()
    assert "SEC001" in text and "Sup3rS3cretValue" not in text
    assert "An0therS3cretValue" not in text


def test_html_is_a_registered_format(tmp_path):
    r = run(["scan", str(ROOT / "examples" / "hardened-app"), "-o", "html"])
    assert r.exit_code == 0
    assert r.stdout.startswith("<!DOCTYPE html>") and "No findings." in r.stdout


def _chromium(url: str, tmp_path) -> tuple[str, list[str]]:
    """(DOM after the scripts ran, console lines) of ``url`` in headless Chromium."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium); the HTML "
                    "report's browser test needs it")
    profile = tmp_path / f"profile{len(list(tmp_path.iterdir()))}"
    profile.mkdir()
    p = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                        "--enable-logging=stderr", "--v=0", "--dump-dom", url],
                       capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout, [line for line in p.stderr.splitlines() if ":CONSOLE" in line]


def test_opens_in_headless_chromium_without_console_errors(realworld, tmp_path):
    html, data = realworld
    dom, console = _chromium(html.as_uri(), tmp_path)
    assert console == []
    import re
    html_tag = re.search(r"<html[^>]*>", dom).group(0)
    assert 'data-js-ready="1"' in html_tag and "data-js-error" not in html_tag
    # the script ran over every row: the filter shows all findings
    assert f'{len(data["findings"])} findings shown' in dom
    assert '<form id="filters" aria-label="Filters">' in dom


def test_paths_beyond_the_limit_are_counted_not_drawn(tmp_path, monkeypatch):
    from kubeward.outputs import html as html_out

    monkeypatch.setattr(html_out, "PATH_LIMIT", 0)
    out = tmp_path / "r.html"
    run(["scan", str(ROOT / "examples" / "attack-path"), "-o", f"html={out}", "-o", "text"])
    doc = _doc(out)
    assert not doc.xpath("//article[@class='path']")
    assert doc.get_element_by_id("more-paths").text_content().startswith(
        "1 more paths are not drawn here")


def test_filters_run_in_chromium(realworld, tmp_path):
    """The filter script, driven by a link (#filter?sev=...&ns=...): the
    count it shows equals the JSON report's."""
    html, data = realworld
    want = sum(1 for f in data["findings"] if f["severity"] in ("critical", "high")
               and f["object"]["namespace"] == "monitoring")
    assert want > 0
    dom, console = _chromium(html.as_uri() + "#filter?sev=critical,high&ns=monitoring", tmp_path)
    assert console == []
    assert f"{want} findings shown" in dom


def test_values_are_escaped(tmp_path):
    f = tmp_path / "x.yaml"
    f.write_text('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n'
                 'spec:\n  template:\n    spec:\n      containers:\n'
                 '        - {name: c, image: "<script>alert(1)</script>"}\n')
    out = tmp_path / "r.html"
    run(["scan", str(f), "-o", f"html={out}", "-o", "text"])
    text = out.read_text()
    assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)" in text
    assert text.count("<script>") == 1  # the report's own
