"""-o sarif: schema-valid SARIF 2.1.0 (validated by the autouse fixture in
conftest.py), rules with help from the check docs, physical locations
relative to the scan root, field paths, fingerprints that survive moves."""

from __future__ import annotations

import json

from kwtest.cli import PINNED, deployment, run

from kubeward.checks.base import registry


def _sarif(args, **kw):
    r = run(["scan", "-o", "sarif", *args], **kw)
    return r, json.loads(r.stdout)


def test_rules_results_and_locations(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "app.yaml").write_text(deployment(host_pid=True))
    r, doc = _sarif([*PINNED, "k8s"])
    assert r.exit_code == 1
    assert doc["version"] == "2.1.0"
    run_ = doc["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    assert [x["id"] for x in rules] == ["PSS001", "PSS002", "SUP001"]
    reg = registry()
    for rule in rules:
        cls = reg[rule["id"]]
        assert rule["helpUri"].endswith(f"docs/checks.md#{rule['id'].lower()}")
        assert rule["shortDescription"]["text"] == cls.name
        assert cls.doc_sections()["What it does"] in rule["help"]["text"]
        assert "### Why is this bad?" in rule["help"]["markdown"]
        assert rule["properties"]["security-severity"] == {
            "critical": "9.5", "high": "8.0", "medium": "5.5"}[cls.severity.label]
    results = run_["results"]
    got = [(x["ruleId"], x["level"], x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            x["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"],
            x["locations"][0]["physicalLocation"]["region"]["startLine"],
            x["locations"][0]["physicalLocation"]["region"]["startColumn"],
            x["properties"]["fieldPath"]) for x in results]
    assert got == [
        ("PSS001", "error", "k8s/app.yaml", "%SRCROOT%", 9, 7, "spec.template.spec.hostPID"),
        ("PSS002", "error", "k8s/app.yaml", "%SRCROOT%", 14, 13,
         "spec.template.spec.containers[0].securityContext.privileged"),
    ]
    assert results[1]["ruleIndex"] == 1
    assert "field spec.template.spec.containers[0].securityContext.privileged" in \
        results[1]["message"]["text"]
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"
    assert run_["invocations"][0]["executionSuccessful"] is True


def test_fingerprints_survive_line_moves_and_differ_per_field(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(deployment(host_pid=True))
    _, before = _sarif([*PINNED, "a.yaml"])
    (tmp_path / "a.yaml").write_text(deployment(host_pid=True, comment_lines=5))
    _, after = _sarif([*PINNED, "a.yaml"])
    fp = lambda d: [(x["ruleId"], x["partialFingerprints"]["kubeward/v1"],  # noqa: E731
                     x["locations"][0]["physicalLocation"]["region"]["startLine"])
                    for x in d["runs"][0]["results"]]
    b, a = fp(before), fp(after)
    assert [x[2] for x in b] == [9, 14] and [x[2] for x in a] == [14, 19]
    assert [x[:2] for x in b] == [x[:2] for x in a]
    assert b[0][1] != b[1][1]
    # another object: another fingerprint
    (tmp_path / "a.yaml").write_text(deployment(name="other", host_pid=True))
    _, renamed = _sarif([*PINNED, "a.yaml"])
    assert fp(renamed)[0][1] != b[0][1]


def test_suppressed_errors_and_stdin(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(deployment(annotations={"kubeward.io/ignore": "PSS002: CNI"}))
    (tmp_path / "broken.yaml").write_text("a: [\n")
    r, doc = _sarif([*PINNED, "--show-suppressed", "s.yaml", "broken.yaml"])
    assert r.exit_code == 2
    run_ = doc["runs"][0]
    [res] = run_["results"]
    assert res["ruleId"] == "PSS002"
    assert res["suppressions"] == [{"kind": "inSource", "justification": "CNI"}]
    inv = run_["invocations"][0]
    assert inv["executionSuccessful"] is False
    [note] = inv["toolExecutionNotifications"]
    loc = note["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "broken.yaml" and loc["region"]["startLine"] >= 1
    r, doc = _sarif([*PINNED, "-"], input=deployment())
    [res] = doc["runs"][0]["results"]
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "%3Cstdin%3E"


def test_outside_root_is_absolute(tmp_path, monkeypatch):
    (tmp_path / "in").mkdir()
    (tmp_path / "out.yaml").write_text(deployment())
    monkeypatch.chdir(tmp_path / "in")
    _, doc = _sarif([*PINNED, str(tmp_path / "out.yaml")])
    loc = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc["uri"] == str(tmp_path / "out.yaml") and "uriBaseId" not in loc


def test_every_registered_check_gives_a_valid_rule(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(deployment())
    _, doc = _sarif(["--framework", "all", "a.yaml"])
    ids = [x["id"] for x in doc["runs"][0]["tool"]["driver"]["rules"]]
    assert ids == sorted(registry()) and len(ids) == len(set(ids))


def test_the_schema_check_is_real():
    from kwtest.cli import sarif_validator
    v = sarif_validator()
    assert not v.is_valid({"version": "2.1.0", "runs": [{"tool": {}}]})
    assert not v.is_valid({"version": "2.2", "runs": []})
    assert v.is_valid({"version": "2.1.0", "runs": []})
