"""Custom CEL rules: the rule file format and its errors, and rules running
like any check in scan, checks, explain, suppressions, config, baselines,
outputs, the parallel path and the admission webhook."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

from kubeward.cli.main import cli

RULES = textwrap.dedent("""\
    apiVersion: kubeward.io/v1alpha1
    kind: RuleSet
    rules:
      - id: ACME001
        name: Images come from the company registry
        severity: high
        kinds: [Deployment]
        frameworks: {acme: ["IMG-1"]}
        docs:
          whatItDoes: Every container image comes from registry.acme.io.
          whyIsThisBad: Images from elsewhere are not scanned.
        validations:
          - expression: "object.spec.template.spec.containers.all(c, c.image.startsWith('registry.acme.io/'))"
            message: images must come from registry.acme.io
      - id: ACME002
        name: Every Deployment has an owner label
        kinds: [Deployment]
        validations:
          - expression: "has(object.metadata.labels) && 'owner' in object.metadata.labels"
            messageExpression: "'Deployment ' + object.metadata.name + ' has no owner label'"
    """)

MANIFEST = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      labels: {owner: team-a}
    spec:
      replicas: 2
      template:
        spec:
          containers:
            - {name: a, image: registry.acme.io/a}
            - {name: b, image: docker.io/b}
    """)


def run(args, cwd=None):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules.yaml").write_text(RULES)
    (tmp_path / "app.yaml").write_text(MANIFEST)
    return tmp_path


def _json(r):
    return [(f["checkId"], f["fieldPath"], f["line"], f["message"])
            for f in json.loads(r.stdout)["findings"]]


def test_scan_with_rules(files):
    r = run(["scan", "--rules", "rules.yaml", "--check", "ACME001", "--check", "ACME002",
             "-o", "json", "app.yaml"])
    assert r.exit_code == 1, r.stderr
    assert _json(r) == [("ACME001", "spec.template.spec.containers[1].image", 12,
                         "images must come from registry.acme.io")]


def test_rules_run_with_default_checks_and_message_expression(files):
    (files / "app.yaml").write_text(MANIFEST.replace("labels: {owner: team-a}", "labels: {x: y}"))
    r = run(["scan", "--rules", ".", "-o", "json", "app.yaml"])
    got = [f for f in _json(r) if f[0].startswith("ACME")]
    assert got == [("ACME002", "metadata.labels", 5, "Deployment web has no owner label"),
                   ("ACME001", "spec.template.spec.containers[1].image", 12,
                    "images must come from registry.acme.io")]


def test_checks_and_explain_list_the_rule(files):
    r = run(["checks", "--rules", "rules.yaml", "-o", "json"])
    info = {c["id"]: c for c in json.loads(r.stdout)}
    assert info["ACME001"]["name"] == "Images come from the company registry"
    assert info["ACME001"]["severity"] == "high"
    assert info["ACME001"]["kinds"] == ["Deployment"]
    assert info["ACME001"]["frameworks"] == {"acme": ["IMG-1"]}
    assert info["ACME001"]["source"] == "rules.yaml:4"
    r = run(["explain", "ACME001", "--rules", "rules.yaml"])
    assert r.exit_code == 0
    assert r.stdout.splitlines()[0] == "ACME001: Images come from the company registry"
    assert "## What it does\nEvery container image comes from registry.acme.io." in r.stdout
    assert "## Why is this bad?\nImages from elsewhere are not scanned." in r.stdout
    assert "## Fix safety" in r.stdout


def test_suppression_annotation(files):
    (files / "app.yaml").write_text(MANIFEST.replace(
        "  labels: {owner: team-a}",
        "  labels: {owner: team-a}\n  annotations: {kubeward.io/ignore: 'ACME001: mirrored (OPS-1)'}"))
    r = run(["scan", "--rules", "rules.yaml", "--check", "ACME001", "--show-suppressed", "-o",
             "json", "app.yaml"])
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    assert doc["findings"] == []
    assert [(s["checkId"], s["suppressed"]["reason"]) for s in doc["suppressed"]] == [
        ("ACME001", "mirrored (OPS-1)")]


def test_config_rules_key_severity_and_exemption(files):
    (files / "sub").mkdir()
    (files / "sub" / "rules.yaml").write_text(RULES)
    (files / ".kubeward.yaml").write_text(textwrap.dedent("""\
        rules: [sub/rules.yaml]
        checks:
          severity: {ACME001: critical}
        exemptions:
          - checks: [ACME002]
            names: [web]
            reason: legacy app (OPS-2)
        """))
    (files / "app.yaml").write_text(MANIFEST.replace("labels: {owner: team-a}", "labels: {}"))
    r = run(["scan", "--check", "ACME001", "--check", "ACME002", "-o", "json", "app.yaml"])
    doc = json.loads(r.stdout)
    assert [(f["checkId"], f["severity"]) for f in doc["findings"]] == [("ACME001", "critical")]
    assert doc["summary"]["suppressed"] == 1


def test_config_naming_an_unknown_rule_id_is_an_error(files):
    (files / ".kubeward.yaml").write_text("checks:\n  disable: [ACME003]\n")
    r = run(["scan", "--rules", "rules.yaml", "app.yaml"])
    assert r.exit_code == 2
    assert r.stderr.strip() == (f"{files / '.kubeward.yaml'}:2: config error: "
                                "checks.disable[0]: unknown check id 'ACME003' "
                                "(did you mean 'ACME002'?)")


def test_baseline(files):
    r = run(["scan", "--rules", "rules.yaml", "--check", "ACME001", "--write-baseline",
             "base.json", "app.yaml"])
    assert r.exit_code == 0
    r = run(["scan", "--rules", "rules.yaml", "--check", "ACME001", "--baseline", "base.json",
             "-o", "json", "app.yaml"])
    assert r.exit_code == 0 and json.loads(r.stdout)["findings"] == []


def test_sarif_and_parallel_jobs(files):
    for i in range(3):
        (files / f"app{i}.yaml").write_text(MANIFEST)
    r1 = run(["scan", "--rules", "rules.yaml", "--check", "ACME001", "-o", "json", "."])
    r2 = run(["scan", "--rules", "rules.yaml", "--check", "ACME001", "-o", "json", "--jobs",
              "2", "."])
    assert _json(r1) == _json(r2) and len(_json(r1)) == 4
    r = run(["scan", "--rules", "rules.yaml", "--check", "ACME001", "-o", "sarif", "app.yaml"])
    sarif = json.loads(r.stdout)
    assert [x["ruleId"] for x in sarif["runs"][0]["results"]] == ["ACME001"]


BAD = textwrap.dedent("""\
    rules:
      - id: ACME010
        name: fine
        validations:
          - expression: "object.metadata.name != 'web'"
            message: no web
      - id: ACME011
        name: does not compile
        validations:
          - expression: "object.metadata.name =="
      - id: PSS901
        name: built-in prefix
        validations: [{expression: "true"}]
      - id: acme
        name: bad id
        validations: [{expression: "true"}]
      - id: ACME012
        name: unknown key
        validations: [{expression: "true"}]
        severty: high
      - id: ACME010
        name: duplicate
        validations: [{expression: "true"}]
      - id: ACME013
        name: bad field path
        validations: [{expression: "true", fieldPath: "spec..x"}]
    """)


def test_rule_file_errors_name_file_and_line_and_the_rest_still_runs(files):
    (files / "bad.yaml").write_text(BAD)
    r = run(["scan", "--rules", "bad.yaml", "--check", "ACME010", "-o", "json", "app.yaml"])
    assert r.exit_code == 2
    assert _json(r) == [("ACME010", "metadata.name", 4, "no web")]
    lines = [x for x in r.stderr.strip().splitlines() if not x.startswith("kubeward: note:")]
    assert lines == [
        "bad.yaml:10: error: rule ACME011: validations[0].expression: compilation failed: "
        "ERROR: <input>:1:24: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', "
        "'.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, "
        "IDENTIFIER}",
        "bad.yaml:11: error: rule PSS901: the prefix PSS belongs to kubeward's own checks; "
        "choose another (e.g. your organisation's initials)",
        "bad.yaml:14: error: rules[3].id: 'acme' does not match '^[A-Z]{2,6}\\\\d{3}$'",
        "bad.yaml:20: error: rules[4].severty: unknown key ('severty' was unexpected)",
        "bad.yaml:26: error: rule ACME013: validations[0].fieldPath: not a field path: 'spec..x'",
        "bad.yaml:21: error: rule ACME010: duplicate rule id (first defined at bad.yaml:2)",
    ]


@pytest.mark.parametrize("text,expected", [
    ("rules: [\n", "bad.yaml:2:1: error: invalid YAML"),
    ("- a\n", "bad.yaml:1: error: a rule file document must be a mapping with `rules:`"),
    ("apiVersion: v1\nrules: []\n", "bad.yaml:1: error: apiVersion: 'kubeward.io/v1alpha1' "
                                    "was expected"),
    ("kind: RuleSet\n", "bad.yaml:1: error: 'rules' is a required property"),
])
def test_bad_rule_documents(files, text, expected):
    (files / "bad.yaml").write_text(text)
    r = run(["scan", "--rules", "bad.yaml", "app.yaml"])
    assert r.exit_code == 2
    assert r.stderr.splitlines()[0].startswith(expected), r.stderr


def test_missing_rule_file(files):
    r = run(["scan", "--rules", "nope.yaml", "--check", "PSS002", "app.yaml"])
    assert r.exit_code == 2
    assert r.stderr.strip().splitlines()[0] == "nope.yaml: error: rule file not found"


def test_missing_cel_runtime_says_what_to_install(files, monkeypatch):
    import sys
    from kubeward.policy import celenv
    monkeypatch.setattr(celenv, "_cel", None)
    monkeypatch.setattr(celenv, "_ENV", None)
    monkeypatch.setattr(celenv, "_CACHE", {})
    monkeypatch.setitem(sys.modules, "cel_expr_python", None)
    r = run(["scan", "--rules", "rules.yaml", "app.yaml"])
    assert r.exit_code == 2
    assert r.stderr.strip() == (
        "kubeward: error: custom CEL rules and ValidatingAdmissionPolicies need the CEL "
        "runtime: pip install 'kubeward[cel]' (it installs cel-expr-python)")


def _rules(tmp_path, text):
    from kubeward.checks.custom import register_rules
    from kubeward.policy.rules import load_rules
    (tmp_path / "r.yaml").write_text(textwrap.dedent(text))
    rules, errors = load_rules([str(tmp_path / "r.yaml")])
    assert not errors, [e.one_line() for e in errors]
    return register_rules(rules)


def _scan(tmp_path, ids, manifest):
    from kubeward.engine import ScanOptions, scan
    (tmp_path / "m.yaml").write_text(textwrap.dedent(manifest))
    rep = scan([str(tmp_path / "m.yaml")], ScanOptions(checks=tuple(ids)))
    assert not rep.errors, [e.one_line() for e in rep.errors]
    return [(f.check_id, f.object.name, f.field_path, f.message) for f in rep.findings]


def test_variables_params_and_match_conditions(tmp_path):
    ids = _rules(tmp_path, """\
        rules:
          - id: ORG001
            name: Replica limit
            kinds: [Deployment]
            params: {max: 3}
            matchConditions:
              - {name: not-exempt, expression: "!('exempt' in object.metadata.?labels.orValue({}))"}
            variables:
              - {name: replicas, expression: "object.spec.?replicas.orValue(1)"}
            validations:
              - expression: "variables.replicas <= params.max"
                messageExpression: "'replicas ' + string(variables.replicas) + ' > ' + string(params.max)"
                fieldPath: spec.replicas
        """)
    got = _scan(tmp_path, ids, """\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: a}
        spec: {replicas: 5}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: b, labels: {exempt: "yes"}}
        spec: {replicas: 5}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: c}
        spec: {}
        """)
    assert got == [("ORG001", "a", "spec.replicas", "replicas 5 > 3")]


def test_match_constraints_in_a_rule(tmp_path):
    ids = _rules(tmp_path, """\
        rules:
          - id: ORG002
            name: No LoadBalancer outside the ingress namespace
            matchConstraints:
              resourceRules:
                - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [services]}
              namespaceSelector:
                matchExpressions:
                  - {key: kubernetes.io/metadata.name, operator: NotIn, values: [ingress]}
            validations:
              - expression: "object.spec.?type.orValue('ClusterIP') != 'LoadBalancer'"
                message: LoadBalancer Services belong in the ingress namespace
        """)
    got = _scan(tmp_path, ids, """\
        apiVersion: v1
        kind: Service
        metadata: {name: lb, namespace: apps}
        spec: {type: LoadBalancer}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: ok, namespace: ingress}
        spec: {type: LoadBalancer}
        """)
    assert got == [("ORG002", "lb", "spec.type",
                    "LoadBalancer Services belong in the ingress namespace")]


def test_an_erroring_rule_does_not_hide_the_others_in_its_batch(tmp_path):
    ids = _rules(tmp_path, """\
        rules:
          - id: ORG003
            name: errors on objects without spec.replicas
            kinds: [Deployment]
            validations: [{expression: "object.spec.replicas < 3", message: too many}]
          - id: ORG004
            name: name
            kinds: [Deployment]
            validations: [{expression: "object.metadata.name != 'a'", message: not a}]
          - id: ORG005
            name: ignored errors
            kinds: [Deployment]
            failurePolicy: Ignore
            validations: [{expression: "object.spec.nope == 1"}]
        """)
    got = _scan(tmp_path, ids, """\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: a}
        spec: {}
        """)
    assert got == [
        ("ORG003", "a", "",
         "expression 'object.spec.replicas < 3' resulted in error: Key not found in map : "
         "\"replicas\""),
        ("ORG004", "a", "metadata.name", "not a")]


def test_webhook_enforces_a_rule(tmp_path):
    pytest.importorskip("aiohttp")
    from kubeward.admission.policy import AdmissionPolicy
    from kubeward.config import Config
    from kubeward.engine import ScanOptions
    from kwtest.workloads import review

    _rules(tmp_path, """\
        rules:
          - id: ORG006
            name: Owner label
            severity: high
            kinds: [Deployment]
            validations:
              - expression: "request.operation == 'CREATE' && 'owner' in object.metadata.?labels.orValue({})"
                message: every Deployment needs an owner label
        """)
    policy = AdmissionPolicy(ScanOptions(config=Config(admission={"enforce": "high"})))
    obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
           "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "x@sha256:" + "0" * 64}]}}}}
    d = policy.validate(review(obj))
    assert [f.check_id for f in d.by_mode["enforce"] if f.check_id.startswith("ORG")] == ["ORG006"]
    assert not d.response["allowed"]
    assert "ORG006" in d.response["status"]["message"]
    obj["metadata"]["labels"] = {"owner": "a"}
    d = policy.validate(review(obj))
    assert [f.check_id for f in d.by_mode["enforce"] if f.check_id.startswith("ORG")] == []


def test_a_spawned_worker_registers_the_rules_again(files):
    from kubeward.checks.base import registry
    from kubeward.checks.custom import clear_rules
    from kubeward.cli.common import load_rules as cli_load
    from kubeward.engine import ScanOptions, _ensure_rules, scan
    assert cli_load(["rules.yaml"], []) == ["ACME001", "ACME002"]
    clear_rules()  # as in a worker process started without them
    assert "ACME001" not in registry()
    _ensure_rules(("rules.yaml",))  # what engine._worker does with ScanOptions.rule_paths
    report = scan(["app.yaml"], ScanOptions(checks=("ACME001",), rule_paths=("rules.yaml",)))
    assert [(f.check_id, f.field_path) for f in report.findings] == [
        ("ACME001", "spec.template.spec.containers[1].image")]


def test_a_scan_without_rules_or_policies_loads_no_policy_code():
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    code = ("import sys; from kubeward.engine import scan; "
            f"scan([{str(root / 'examples' / 'hardened-app')!r}]); "
            "print(sorted(m for m in sys.modules if m.startswith(('kubeward.policy', 'cel_expr'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_expressions_are_checked_together_but_never_joined():
    from kubeward.policy.evaluate import _balanced, compile_together
    good = ["object.a == 1", "'x)' == object.b", "[1, 2].all(x, x > 0)"]
    joining = ["object.a == 1) || (true", "true // comment"]
    broken = ["object.a ==", "nope(1)"]
    assert compile_together(good + joining + broken) == set(good)
    assert not _balanced("a) || (b") and _balanced("'(' + \"]\" + '''x)'''")


@pytest.mark.parametrize("source, balanced", [
    ("(a[b]{c})", True),
    ("'(' + \"]\" + '''x)'''", True),  # brackets inside literals do not count
    ("'it\\'s (' == x", True),  # an escaped quote does not end the literal
    ("'''a' + (b)", False),  # a triple quote that does not end
    ('""""', False),
    ("x == 'open", False),
    ("a) || (b", False),
    ("(a", False),
])
def test_brackets_are_counted_outside_literals(source, balanced):
    from kubeward.policy.evaluate import _balanced
    assert _balanced(source) is balanced


NS_RULES = """\
    rules:
      - id: ORG010
        name: A Deployment's team label matches its namespace's
        kinds: [Deployment]
        validations:
          - expression: "object.metadata.?labels.team.orValue('') == namespaceObject.metadata.?labels.team.orValue('')"
            messageExpression: "'team ' + object.metadata.?labels.team.orValue('none') + ' in a namespace of team ' + namespaceObject.metadata.?labels.team.orValue('none')"
      - id: ORG011
        name: No LoadBalancer in production namespaces
        matchConstraints:
          resourceRules:
            - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [services]}
          namespaceSelector: {matchLabels: {env: prod}}
        validations:
          - expression: "object.spec.?type.orValue('ClusterIP') != 'LoadBalancer'"
            message: no LoadBalancer in production
    """

NS_MANIFESTS = """\
    apiVersion: v1
    kind: Namespace
    metadata: {name: shop, labels: {team: blue, env: prod}}
    ---
    apiVersion: v1
    kind: Namespace
    metadata: {name: lab, labels: {team: red}}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: ok, namespace: shop, labels: {team: blue}}
    spec: {}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: wrong-team, namespace: lab, labels: {team: blue}}
    spec: {}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: unknown-ns, namespace: elsewhere, labels: {team: blue}}
    spec: {}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: lb, namespace: shop}
    spec: {type: LoadBalancer}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: lb, namespace: lab}
    spec: {type: LoadBalancer}
    """

NS_EXPECTED = [
    ("ORG010", "unknown-ns", "metadata.labels.team",
     "team blue in a namespace of team none"),
    ("ORG010", "wrong-team", "metadata.labels.team", "team blue in a namespace of team red"),
    ("ORG011", "lb", "spec.type", "no LoadBalancer in production")]


def test_rules_see_the_namespace_objects_of_the_scan(tmp_path):
    """namespaceObject and a namespaceSelector see the input's Namespace
    with its labels, as the API server would hold it; a namespace not in
    the input has only its name label."""
    from kubeward.checks.base import CrossCheck, registry
    ids = _rules(tmp_path, NS_RULES)
    assert all(issubclass(registry()[i], CrossCheck) for i in ids)
    got = sorted(_scan(tmp_path, ids, NS_MANIFESTS))
    assert got == NS_EXPECTED
    lb = [f for f in got if f[0] == "ORG011"]
    assert len(lb) == 1  # the one in "shop" (env: prod), not the one in "lab"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_namespace_rules_under_jobs(tmp_path, monkeypatch, jobs):
    """Under --jobs a worker holds only its own files: the rule still sees
    a Namespace defined in another file."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules.yaml").write_text("apiVersion: kubeward.io/v1alpha1\nkind: RuleSet\n"
                                         + textwrap.dedent(NS_RULES))
    docs = textwrap.dedent(NS_MANIFESTS).split("---\n")
    for i, doc in enumerate(docs):
        (tmp_path / f"m{i}.yaml").write_text(doc)
    r = run(["scan", "-o", "json", "--jobs", jobs, "--rules", "rules.yaml",
             "--check", "ORG010", "--check", "ORG011", *[f"m{i}.yaml" for i in range(len(docs))]])
    rep = json.loads(r.output)
    got = sorted((f["checkId"], f["object"]["name"], f["fieldPath"], f["message"])
                 for f in rep["findings"])
    assert got == NS_EXPECTED


def test_webhook_gives_namespace_rules_the_namespace_labels(tmp_path):
    """In the webhook (no cluster view of other objects needed) the rule
    reads the labels of the namespace view."""
    from kubeward.admission.namespaces import StaticNamespaces
    from kubeward.admission.policy import AdmissionPolicy
    from kubeward.config import Config
    from kubeward.engine import ScanOptions
    from kwtest.workloads import review

    _rules(tmp_path, NS_RULES)
    policy = AdmissionPolicy(ScanOptions(config=Config(admission={"enforce": "medium"})),
                             namespaces=StaticNamespaces({"shop": {"team": "blue", "env": "prod"},
                                                          "lab": {"team": "red"}}))
    assert policy.cross_enabled is False

    def denied(obj, ns):
        obj = {**obj, "metadata": {**obj["metadata"], "namespace": ns}}
        d = policy.validate(review(obj, namespace=ns))
        return [(f.check_id, f.message) for f in d.by_mode["enforce"]
                if f.check_id.startswith("ORG")]

    dep = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "web", "labels": {"team": "blue"}},
           "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "x"}]}}}}
    assert denied(dep, "shop") == []
    assert denied(dep, "lab") == [("ORG010", "team blue in a namespace of team red")]
    assert denied(dep, "nowhere") == [("ORG010", "team blue in a namespace of team none")]
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb"},
           "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}}
    assert denied(svc, "shop") == [("ORG011", "no LoadBalancer in production")]
    assert denied(svc, "lab") == []
