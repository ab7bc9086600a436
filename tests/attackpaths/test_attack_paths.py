"""Attack paths: the crafted repository in examples/attack-path gives the
expected path first, with every step's object and field, in text, JSON and
HTML; foothold and Secrets paths; ranking, cuts, the check-id tables."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from kubeward import attackpaths
from kubeward.checks.base import registry
from kwtest.cli import run

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "attack-path"
APP = "examples/attack-path/app.yaml"
OPS = "examples/attack-path/ops.yaml"

#: (stage, object, field, file, line, findings) of every step of the expected path
EXPECTED = [
    ("entry", "Service shop/web", "spec.type", APP, 54, ["NET002"]),
    ("identity", "Deployment shop/web", "spec.template.spec.serviceAccountName", APP, 29,
     ["SEC007"]),
    ("identity", "Role ops/pod-runner", "rules[0]", OPS, 20, ["RBAC005"]),
    ("impact", "ClusterRoleBinding deployer-admin", "roleRef.name", OPS, 45, ["RBAC021"]),
]


@pytest.fixture
def in_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_example_json_first_path_every_step(in_root):
    r = run(["paths", "-o", "json", "examples/attack-path"])
    assert r.exit_code == 1, r.output  # paths found
    data = json.loads(r.stdout)["attackPaths"]
    assert data["count"] == 1
    first = data["paths"][0]
    assert (first["rank"], first["entry"], first["impact"]) == (1, "LoadBalancer", "cluster-admin")
    assert first["score"] == 60 + 30 - 5 * 3
    got = [(s["stage"], s["object"], s["field"], s["file"], s["line"],
            [f["checkId"] for f in s["findings"]]) for s in first["steps"]]
    assert got == EXPECTED
    # the findings behind each step point at the exact fields
    assert [[f["fieldPath"] for f in s["findings"]] for s in first["steps"]] == [
        ["spec.type"], ["spec.template.spec.automountServiceAccountToken"],
        ["rules[0].resources[0]"], ["roleRef.name"]]
    assert first["steps"][2]["also"][0] == "bound by RoleBinding ops/web-pod-runner subjects[0]"
    assert first["steps"][1]["text"] == ("runs as ServiceAccount shop/web with its API token "
                                         "mounted in the pod")
    assert first["steps"][2]["text"] == ("ServiceAccount shop/web can create pods in namespace "
                                         "ops, so can run a pod as ServiceAccount ops/deployer")
    cut = first["cheapestCut"]
    assert (cut["step"], cut["object"], cut["field"], cut["fixSafety"], cut["cost"]) == (
        2, "Deployment shop/web", "spec.template.spec.automountServiceAccountToken", "unsafe", 2)
    assert data["cuts"] == [{**{k: cut[k] for k in ("object", "field", "file", "line", "fix",
                                                     "fixSafety", "cost")}, "paths": 1}]


def test_example_text_first_path_every_step(in_root):
    r = run(["paths", "examples/attack-path"])
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    first = lines.index(next(line for line in lines if line.startswith("#1 ")))
    assert lines[first].startswith("#1 score 75: from the Internet to cluster-admin through "
                                   "Deployment shop/web")
    step_lines = [line for line in lines[first:] if re.match(r"  \d\. ", line)]
    assert step_lines == [f"  {i}. {stage:<9} {obj}  field: {field}  ({file}:{line})"
                          for i, (stage, obj, field, file, line, _) in enumerate(EXPECTED, 1)]
    bases = [line.strip() for line in lines[first:] if line.strip().startswith("basis:")]
    assert bases == [f"basis: {', '.join(ids)}" for *_, ids in EXPECTED]
    assert lines[-1] == ("  cheapest cut: step 2, Deployment shop/web "
                         "spec.template.spec.automountServiceAccountToken: Set "
                         "automountServiceAccountToken: false on the pod (or give it a "
                         "ServiceAccount without these permissions). (unsafe fix)")


def test_example_html_first_path_every_step(in_root, tmp_path):
    from lxml import html as lhtml

    out = tmp_path / "report.html"
    r = run(["scan", "examples/attack-path", "-o", f"html={out}", "-o", "text"])
    assert r.exit_code == 1
    doc = lhtml.fromstring(out.read_text())
    art = doc.get_element_by_id("path-1")
    assert art.findtext("h3").startswith("#1 \u00b7 score 75 \u00b7 from the Internet to "
                                         "cluster-admin through Deployment shop/web")
    items = art.xpath(".//ol[@class='steps']/li")
    got = [(li.get("data-stage"), li.xpath(".//strong[@class='step-object']")[0].text,
            li.xpath(".//code[@class='step-field']")[0].text,
            [s.text for s in li.xpath(".//span[@class='step-finding']")]) for li in items]
    assert got == [(stage, obj, field, ids) for stage, obj, field, _, _, ids in EXPECTED]
    # the graph: one box per step, labelled with the object and the field
    from kubeward.outputs.html import FIELD_CLIP, OBJ_CLIP, _clip, _clip_left
    svg_text = [t.text for t in art.xpath(".//*[local-name()='svg']//*[local-name()='text']")]
    assert svg_text[0::4] == [f"{i}. {stage}" + (" (cheapest cut)" if i == 2 else "")
                              for i, (stage, *_) in enumerate(EXPECTED, 1)]
    assert svg_text[1::4] == [_clip(obj, OBJ_CLIP) for _, obj, *_ in EXPECTED]
    assert svg_text[2::4] == [_clip_left(field, FIELD_CLIP) for _, _, field, *_ in EXPECTED]
    title = art.xpath(".//*[local-name()='svg']/*[local-name()='title']")[0].text
    assert title.endswith(" then ".join(f"{s} {o} {f}" for s, o, f, *_ in EXPECTED))


def test_scan_attack_paths_summary_in_text_and_json(in_root):
    r = run(["scan", "--attack-paths", "examples/attack-path"])
    assert r.exit_code == 1
    assert "Attack paths: 1 (top 1; `kubeward paths` shows every step)" in r.stdout
    assert ("  #1 score 75: from the Internet to cluster-admin through Deployment shop/web; "
            "cheapest cut: Deployment shop/web spec.template.spec.automountServiceAccountToken"
            ) in r.stdout
    r = run(["scan", "--attack-paths", "-o", "json", "examples/attack-path"])
    data = json.loads(r.stdout)
    assert data["attackPaths"]["paths"][0]["steps"][0]["object"] == "Service shop/web"
    r = run(["scan", "--attack-paths", "-o", "markdown", "examples/attack-path"])
    assert ("| 1 | 75 | from the Internet to cluster-admin through Deployment shop/web "
            "| Deployment shop/web `spec.template.spec.automountServiceAccountToken` |"
            ) in r.stdout.splitlines()
    # without the flag the JSON report is unchanged
    r = run(["scan", "-o", "json", "examples/attack-path"])
    assert "attackPaths" not in json.loads(r.stdout)


def test_breaking_the_cut_removes_the_path(tmp_path):
    app = (EXAMPLE / "app.yaml").read_text().replace(
        "      serviceAccountName: web\n",
        "      serviceAccountName: web\n      automountServiceAccountToken: false\n")
    assert "automountServiceAccountToken: false" in app
    (tmp_path / "app.yaml").write_text(app)
    (tmp_path / "ops.yaml").write_text((EXAMPLE / "ops.yaml").read_text())
    r = run(["paths", "-o", "json", str(tmp_path)])
    assert r.exit_code == 0
    assert json.loads(r.stdout)["attackPaths"]["count"] == 0


def test_privileged_pod_in_a_namespace_without_pod_security_is_the_shorter_route(tmp_path):
    ops = (EXAMPLE / "ops.yaml").read_text().replace(
        "    pod-security.kubernetes.io/enforce: restricted\n", "    team: ops\n")
    (tmp_path / "app.yaml").write_text((EXAMPLE / "app.yaml").read_text())
    (tmp_path / "ops.yaml").write_text(ops)
    r = run(["paths", "-o", "json", str(tmp_path)])
    steps = json.loads(r.stdout)["attackPaths"]["paths"][0]["steps"]
    assert [(s["stage"], s["object"], s["field"]) for s in steps] == [
        ("entry", "Service shop/web", "spec.type"),
        ("identity", "Deployment shop/web", "spec.template.spec.serviceAccountName"),
        ("impact", "Role ops/pod-runner", "rules[0]")]
    assert "does not enforce a Pod Security level" in steps[2]["text"]


FOOTHOLD = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: DaemonSet
    metadata: {name: agent, namespace: mon}
    spec:
      template:
        metadata: {labels: {app: agent}}
        spec:
          automountServiceAccountToken: false
          containers:
            - name: agent
              image: agent:1.0
              ports: [{containerPort: 9100, hostPort: 9100}]
              securityContext: {privileged: true}
    ---
    apiVersion: v1
    kind: Secret
    metadata: {name: creds, namespace: mon}
    stringData: {password: hunter2-not-shown}
    ---
    apiVersion: v1
    kind: ServiceAccount
    metadata: {name: reader, namespace: mon}
    ---
    apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRole
    metadata: {name: secret-reader}
    rules: [{apiGroups: [""], resources: [secrets], verbs: [get, list]}]
    ---
    apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRoleBinding
    metadata: {name: reader}
    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
    subjects: [{kind: ServiceAccount, name: reader, namespace: mon}]
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: backup, namespace: mon}
    spec:
      template:
        spec:
          serviceAccountName: reader
          containers: [{name: b, image: backup:2.0}]
    """)


def test_foothold_and_secrets_paths_ranked_by_score(tmp_path):
    f = tmp_path / "mon.yaml"
    f.write_text(FOOTHOLD)
    r = run(["paths", "-o", "json", str(f)])
    data = json.loads(r.stdout)["attackPaths"]
    assert [(p["entry"], p["impact"], p["score"], p["workload"]) for p in data["paths"]] == [
        ("hostPort", "node", 50 + 20 - 10, "DaemonSet mon/agent"),
        ("image", "secrets", 40 + 0 - 10, "Deployment mon/backup")]
    node, sec = data["paths"]
    assert [(s["stage"], s["field"], [x["checkId"] for x in s["findings"]])
            for s in node["steps"]] == [
        ("entry", "spec.template.spec.containers[0].ports[0].hostPort", ["PSS005"]),
        ("foothold", "spec.template.spec.containers[0].securityContext.privileged", ["PSS002"]),
        ("impact", "spec.template.spec", [])]
    assert node["steps"][2]["analysis"] == "node takeover through the foothold"
    # the entry is never the cut: without it the path stays open to a compromised image
    assert node["cheapestCut"]["step"] == 2
    assert [(s["stage"], s["object"], s["field"]) for s in sec["steps"]] == [
        ("entry", "Deployment mon/backup", "spec.template.spec.containers[0].image"),
        ("identity", "Deployment mon/backup", "spec.template.spec.serviceAccountName"),
        ("impact", "ClusterRole secret-reader", "rules[0]")]
    assert sec["steps"][2]["text"] == ("ServiceAccount mon/reader can read Secrets in every "
                                       "namespace")
    assert [x["checkId"] for x in sec["steps"][2]["findings"]] == ["RBAC004"]
    assert "hunter2" not in r.stdout


def test_bad_input_is_one_line_and_the_rest_is_analysed(tmp_path, in_root):
    (tmp_path / "broken.yaml").write_text("kind: [\n")
    r = run(["paths", str(tmp_path / "broken.yaml"), "examples/attack-path"])
    assert r.exit_code == 2
    assert "Traceback" not in r.output
    errors = [line for line in r.stderr.splitlines() if "broken.yaml" in line]
    assert len(errors) == 1 and errors[0].startswith(str(tmp_path / "broken.yaml") + ":2:1: error: invalid YAML")
    assert "#1 score 75" in r.stdout


def test_usage_errors():
    r = run(["paths"])
    assert r.exit_code == 2 and "missing PATH" in r.stderr


def test_every_check_id_of_the_tables_is_a_check():
    """A renamed or merged check must be renamed in the tables of
    kubeward/attackpaths.py (one line each)."""
    missing = sorted(attackpaths.checks_needed() - set(registry()))
    assert missing == []


def test_score_is_documented():
    doc = (ROOT / "docs" / "attack-paths.md").read_text()
    assert attackpaths.SCORE_TEXT in doc
    ids = set(attackpaths.FOOTHOLD) | set(attackpaths.TOKEN_CHECKS) | {
        c for v in attackpaths.ENTRY_CHECKS.values() for c in v}
    assert sorted(c for c in ids if c not in doc) == []


def test_escalation_through_a_binding_the_attacker_makes():
    """The step after "bind cluster-admin in namespace build" has no grant in
    the input: its object is the Namespace, its basis the analysis."""
    r = run(["paths", "-o", "json", str(Path(__file__).parent / "nsadmin.yaml")])
    (p,) = json.loads(r.stdout)["attackPaths"]["paths"]
    assert [(s["stage"], s["object"], s["field"], [f["checkId"] for f in s["findings"]],
             s["analysis"]) for s in p["steps"]] == [
        ("entry", "Deployment build/ci", "spec.template.spec.containers[0].image", ["IMG002"],
         "threat model: compromised image"),
        ("identity", "Deployment build/ci", "spec.template.spec.serviceAccountName", ["SEC007"],
         "rbac: token mounted"),
        ("identity", "Role build/binder", "rules[0]", ["RBAC012"], "rbac: escalation"),
        ("identity", "Namespace build", "metadata.name", [],
         "rbac: escalation (with the binding made in the previous step)"),
        ("impact", "ClusterRoleBinding admin", "roleRef.name", ["RBAC021"], "rbac: escalation")]
    assert [f["fieldPath"] for f in p["steps"][2]["findings"]] == ["rules[1].verbs[0]"]
    assert p["score"] == 60 + 0 - 5 * 4


def test_a_suppressed_finding_stays_on_its_step_marked(tmp_path):
    app = (EXAMPLE / "app.yaml").read_text().replace(
        "  name: web\n  namespace: shop\nspec:\n  replicas: 2\n",
        "  name: web\n  namespace: shop\n  annotations:\n"
        "    kubeward.io/ignore: \"SEC007: calls the API (SHOP-12)\"\nspec:\n  replicas: 2\n")
    assert "kubeward.io/ignore" in app
    (tmp_path / "app.yaml").write_text(app)
    (tmp_path / "ops.yaml").write_text((EXAMPLE / "ops.yaml").read_text())
    r = run(["paths", "-o", "json", str(tmp_path)])
    step = json.loads(r.stdout)["attackPaths"]["paths"][0]["steps"][1]
    assert [(f["checkId"], f.get("suppressed")) for f in step["findings"]] == [
        ("SEC007", "calls the API (SHOP-12)")]


def test_ingress_entry(tmp_path):
    app = (EXAMPLE / "app.yaml").read_text().replace("  type: LoadBalancer\n", "")
    assert "LoadBalancer" not in app
    app += textwrap.dedent("""\
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: web
          namespace: shop
        spec:
          rules:
            - host: shop.example.com
              http:
                paths:
                  - path: /
                    pathType: Prefix
                    backend:
                      service: {name: web, port: {number: 443}}
        """)
    (tmp_path / "app.yaml").write_text(app)
    (tmp_path / "ops.yaml").write_text((EXAMPLE / "ops.yaml").read_text())
    r = run(["paths", "-o", "json", str(tmp_path)])
    p = json.loads(r.stdout)["attackPaths"]["paths"][0]
    entry = p["steps"][0]
    assert (p["entry"], p["score"], entry["object"], entry["field"],
            [f["checkId"] for f in entry["findings"]]) == (
        "Ingress", 75, "Ingress shop/web", "spec.rules", ["NET005"])
    assert entry["text"].startswith("Ingress shop/web ")
    assert [s["object"] for s in p["steps"][1:]] == [o for _, o, *_ in EXPECTED[1:]]


def test_nodeport_entry_scores_below_a_load_balancer(tmp_path):
    app = (EXAMPLE / "app.yaml").read_text().replace("  type: LoadBalancer\n",
                                                      "  type: NodePort\n")
    (tmp_path / "app.yaml").write_text(app)
    (tmp_path / "ops.yaml").write_text((EXAMPLE / "ops.yaml").read_text())
    r = run(["paths", "-o", "json", str(tmp_path)])
    p = json.loads(r.stdout)["attackPaths"]["paths"][0]
    entry = p["steps"][0]
    assert (p["entry"], p["score"], entry["object"], entry["field"],
            [f["checkId"] for f in entry["findings"]]) == (
        "NodePort", 60 + 25 - 15, "Service shop/web", "spec.type", ["NET001"])
