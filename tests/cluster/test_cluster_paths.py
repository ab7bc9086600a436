"""``kubeward paths --cluster`` and ``audit -o html`` against the fake API
server holding the crafted attack-path example."""

import json
from pathlib import Path

from click.testing import CliRunner

from kubeward.cli.main import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "attack-path"


def test_paths_cluster_gives_the_same_first_path(fake_api, kubeconfig):
    fake_api.load_yaml(EXAMPLE)
    r = CliRunner().invoke(cli, ["paths", "--cluster", "--kubeconfig", kubeconfig, "-o", "json"],
                           catch_exceptions=False)
    assert r.exit_code == 1, r.output
    first = json.loads(r.stdout)["attackPaths"]["paths"][0]
    assert [(s["stage"], s["object"], s["field"], s["file"]) for s in first["steps"]] == [
        ("entry", "Service shop/web", "spec.type", "cluster://shop/Service/web"),
        ("identity", "Deployment shop/web", "spec.template.spec.serviceAccountName",
         "cluster://shop/Deployment/web"),
        ("identity", "Role ops/pod-runner", "rules[0]", "cluster://ops/Role/pod-runner"),
        ("impact", "ClusterRoleBinding deployer-admin", "roleRef.name",
         "cluster://_cluster/ClusterRoleBinding/deployer-admin")]
    assert [[f["checkId"] for f in s["findings"]] for s in first["steps"]] == [
        ["NET002"], ["SEC007"], ["RBAC005"], ["RBAC021"]]


def test_audit_html_report_with_attack_paths_and_history(fake_api, kubeconfig, tmp_path):
    from lxml import html as lhtml

    fake_api.load_yaml(EXAMPLE)
    out, hist = tmp_path / "audit.html", tmp_path / "h.db"
    r = CliRunner().invoke(cli, ["audit", "--kubeconfig", kubeconfig, "-o", f"html={out}",
                                 "-o", "json", "--history", str(hist)],
                           catch_exceptions=False)
    assert r.exit_code == 1, r.output
    data = json.loads(r.stdout)
    doc = lhtml.fromstring(out.read_text())
    assert [h.text_content() for h in doc.iter("h2")] == [
        "Summary", "History", "Attack paths", "Findings by workload"]
    assert len(doc.xpath("//tr[@class='finding']")) == len(data["findings"])
    assert doc.get_element_by_id("path-1").findtext("h3").endswith(
        "from the Internet to cluster-admin through Deployment shop/web")
    assert data["history"]["run"] == 1
