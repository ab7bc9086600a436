"""--history FILE (SQLite): two runs over a change give "introduced" and
"fixed" lists equal to a baseline comparison of the two JSON reports;
``kubeward history``; the HTML trend; one record per interval
(``record_every``; the ``audit --watch`` run is in tests/cluster)."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path

from kwtest.cli import run

ROOT = Path(__file__).resolve().parents[2]
INSECURE = ROOT / "examples" / "insecure-app"


def _key(d) -> tuple:
    obj = d["object"]
    if isinstance(obj, dict):  # a finding of the JSON report
        api = obj["apiVersion"] or ""
        group = api.rpartition("/")[0] if "/" in api else ""
        obj = f"{group}/{obj['kind']} {obj['namespace'] or ''}/{obj['name']}"
    return d["checkId"], obj, d["fieldPath"]


def _changed(tmp_path) -> Path:
    """The insecure app, changed: privileged dropped, hostIPC added."""
    d = tmp_path / "v2"
    d.mkdir()
    dep = (INSECURE / "deployment.yaml").read_text()
    assert "privileged: true" in dep and "hostNetwork: true" in dep and "hostIPC" not in dep
    dep = dep.replace("privileged: true", "privileged: false").replace(
        "hostNetwork: true", "hostNetwork: true\n      hostIPC: true")
    (d / "deployment.yaml").write_text(dep)
    (d / "rbac.yaml").write_text((INSECURE / "rbac.yaml").read_text())
    return d


def test_introduced_and_fixed_equal_a_baseline_comparison_of_the_json_reports(tmp_path):
    v1, v2 = INSECURE, _changed(tmp_path)
    hist = tmp_path / "h.db"
    reports = []
    for v in (v1, v2):
        out = tmp_path / f"{v.name}.json"
        r = run(["scan", str(v), "--history", str(hist), "-o", f"json={out}", "-o", "text"])
        assert r.exit_code == 1, r.output
        reports.append(json.loads(out.read_text()))
    assert reports[1]["history"]["previous"] == reports[0]["history"]["run"]
    # the baseline comparison: findings of one report not in the other's baseline
    b1, b2 = tmp_path / "b1.json", tmp_path / "b2.json"
    run(["scan", str(v1), "--write-baseline", str(b1)])
    run(["scan", str(v2), "--write-baseline", str(b2)])
    new = json.loads(run(["scan", str(v2), "--baseline", str(b1), "-o", "json"]).stdout)
    gone = json.loads(run(["scan", str(v1), "--baseline", str(b2), "-o", "json"]).stdout)
    want_introduced = Counter(_key(f) for f in new["findings"])
    want_fixed = Counter(_key(f) for f in gone["findings"])
    assert want_introduced and want_fixed  # the change does both
    assert ("PSS002", "apps/Deployment shop/web",
            "spec.template.spec.containers[0].securityContext.privileged") in want_fixed
    assert ("PSS001", "apps/Deployment shop/web", "spec.template.spec.hostIPC") in want_introduced
    hist_view = reports[1]["history"]
    got_introduced = Counter({_key(d): d["count"] for d in hist_view["introduced"]})
    got_fixed = Counter({_key(d): d["count"] for d in hist_view["fixed"]})
    assert got_introduced == want_introduced
    assert got_fixed == want_fixed
    # the first run introduced everything it found
    assert sum(d["count"] for d in reports[0]["history"]["introduced"]) == \
        len(reports[0]["findings"])
    # kubeward history: the same, as JSON
    r = run(["history", str(hist), "--run", "2", "-o", "json"])
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert [x["findings"] for x in data["runs"]] == [len(x["findings"]) for x in reports]
    assert data["runs"][1]["introduced"] == sum(want_introduced.values())
    assert data["runs"][1]["fixed"] == sum(want_fixed.values())
    assert Counter({_key(d): d["count"] for d in data["fixed"]}) == want_fixed


def test_history_text_and_html_trend(tmp_path):
    hist = tmp_path / "h.db"
    first = tmp_path / "first.html"
    run(["scan", str(INSECURE), "--history", str(hist), "--framework", "cis",
         "-o", f"html={first}", "-o", "text"])
    from lxml import html as lhtml
    doc = lhtml.fromstring(first.read_text())
    assert doc.get_element_by_id("first-run").text.startswith("The first run of this history")
    assert not doc.xpath("//table[@id='introduced-table']")
    html = tmp_path / "r.html"
    r = run(["scan", str(_changed(tmp_path)), "--history", str(hist), "--framework", "cis",
             "-o", f"html={html}", "-o", "text"])
    assert r.exit_code == 1
    r = run(["history", str(hist)])
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0].startswith("#1  ") and lines[2].startswith("#2  ")
    assert "; scores: cis " in lines[1]
    # --last N: the same lines for the runs shown (compared with the run before them)
    assert run(["history", str(hist), "--last", "1"]).stdout.splitlines() == lines[2:]
    doc = lhtml.fromstring(html.read_text())
    assert doc.get_element_by_id("history").tag == "h2"
    assert len(doc.get_element_by_id("runs").xpath("./tbody/tr")) == 2
    introduced = doc.get_element_by_id("introduced-table").xpath("./tbody/tr")
    fixed = doc.get_element_by_id("fixed-table").xpath("./tbody/tr")
    assert int(doc.get_element_by_id("introduced-count").text) == sum(
        int(tr.xpath("./td")[-1].text) for tr in introduced) > 0
    assert int(doc.get_element_by_id("fixed-count").text) == sum(
        int(tr.xpath("./td")[-1].text) for tr in fixed) > 0
    circles = doc.xpath("//*[local-name()='svg'][@class='trend']//*[local-name()='circle']")
    assert len(circles) == 4  # two runs, two lines


def test_history_errors_are_one_line(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_text("not sqlite at all\n" * 100)
    r = run(["scan", str(INSECURE), "--history", str(bad)])
    assert r.exit_code == 2
    assert r.stderr.strip().splitlines()[-1].startswith(f"kubeward: error: {bad}: not a kubeward "
                                                        "history file")
    r = run(["history", str(tmp_path / "missing.db")])
    assert r.exit_code == 2
    assert r.stderr.strip() == f"kubeward: error: {tmp_path / 'missing.db'}: history file not found"
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x (a)").connection.commit()
    r = run(["history", str(other)])
    assert r.exit_code == 2 and "not a kubeward history file" in r.stderr
    good = tmp_path / "h.db"
    run(["scan", str(INSECURE), "--history", str(good)])
    r = run(["history", str(good), "--run", "7"])
    assert r.exit_code == 2 and r.stderr.strip() == f"kubeward: error: {good}: no run 7 (runs: 1)"


def test_record_every_makes_one_record_per_interval():
    from kubeward.cli.audit import record_every

    class Ticks:
        """An Event whose wait() returns False (interval elapsed) n times."""

        def __init__(self, n):
            self.n, self.waited = n, []

        def wait(self, timeout):
            self.waited.append(timeout)
            self.n -= 1
            return self.n < 0

    recorded = []
    ticks = Ticks(3)
    assert record_every(60.0, lambda: "report", ticks, recorded.append) == 3
    assert recorded == ["report"] * 3 and ticks.waited == [60.0] * 4
    # nothing to record yet: no record
    assert record_every(60.0, lambda: None, Ticks(2), recorded.append) == 0
