"""Output for people (docs/output.md): exact lines of the text and concise
formats on the examples, --severity in every format, --group-by, plurals,
--write-baseline, kubeward checks."""

from __future__ import annotations

import json

import pytest
from kwtest.cli import run
from kwtest.shared import CORPUS, ROOT, require

from kubeward.findings import Finding, ObjectRef, Severity
from kubeward.outputs.util import kubectl_ref, parse_severities
from kubeward.wording import noun, plural

CHECKS = ["--check", "PSS001", "--check", "PSS002", "--check", "NET002"]
PSS002 = ('examples/insecure-app/deployment.yaml:34:13: PSS002 critical container "web" is '
          'privileged (securityContext.privileged: true)')
HOSTNET = ("examples/insecure-app/deployment.yaml:22:7: PSS001 high pod sets hostNetwork: true "
           "(shares the node's network namespace)")
HOSTPID = ("examples/insecure-app/deployment.yaml:23:7: PSS001 high pod sets hostPID: true "
           "(shares the node's PID namespace)")
NET002 = ("examples/insecure-app/deployment.yaml:52:3: NET002 medium LoadBalancer Service 'web' "
          "has no loadBalancerSourceRanges: it accepts traffic from anywhere")
RBAC001 = ('examples/insecure-app/rbac.yaml:8:13: RBAC001 critical rules[0] uses a wildcard (verbs: '
           '["*"], resources: ["*"], apiGroups: ["*"]): it grants every verb on every resource of ev'
           'ery API group (cluster-admin in its scope); including read Secrets (RBAC004), create Pod'
           's (RBAC005), create or change workloads (RBAC006), exec into containers (RBAC007), attac'
           'h to containers (RBAC008), port-forward to pods (RBAC009), inject ephemeral containers i'
           'nto pods (RBAC010), impersonate other identities (RBAC011), bind roles it does not hold '
           '(RBAC012), escalate roles (RBAC013), reach the kubelet API (RBAC014), approve certificat'
           'e signing requests (RBAC015), mint ServiceAccount tokens (RBAC016), change admission con'
           'trol (RBAC017), create PersistentVolumes (RBAC018), change NetworkPolicies (RBAC019), de'
           'lete events (RBAC020)')


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_text_default_exact_lines():
    """No -o and standard output not a terminal (as here): the grouped text view
    (docs/output.md: the default does not change for pipes)."""
    r = run(["scan", *CHECKS, "examples/insecure-app"])
    assert r.exit_code == 1
    assert r.stdout.splitlines() == [
        "examples/insecure-app/deployment.yaml",
        '  34:13 CRITICAL PSS002 container "web" is privileged (securityContext.privileged: true)',
        "      Deployment shop/web  field: spec.template.spec.containers[0].securityContext.privileged",
        "    >   34 |             privileged: true",
        "           |             ^^^^^^^^^^",
        "      fix: Remove securityContext.privileged or set it to false.",
        "  22:7 HIGH     PSS001 pod sets hostNetwork: true (shares the node's network namespace)",
        "      Deployment shop/web  field: spec.template.spec.hostNetwork",
        "    >   22 |       hostNetwork: true",
        "           |       ^^^^^^^^^^^",
        "      fix: Remove hostNetwork, hostPID and hostIPC or set them to false.",
        "  23:7 HIGH     PSS001 pod sets hostPID: true (shares the node's PID namespace)",
        "      Deployment shop/web  field: spec.template.spec.hostPID",
        "    >   23 |       hostPID: true",
        "           |       ^^^^^^^",
        "      fix: Remove hostNetwork, hostPID and hostIPC or set them to false.",
        "  52:3 MEDIUM   NET002 LoadBalancer Service 'web' has no loadBalancerSourceRanges: it "
        "accepts traffic from anywhere",
        "      Service shop/web  field: spec.type",
        "    >   52 |   type: LoadBalancer",
        "           |   ^^^^",
        "      fix: Set spec.loadBalancerSourceRanges to the client ranges, or make it internal.",
        "",
        "Findings by severity",
        "  critical      1",
        "  high          2",
        "  medium        1",
        "  low           0",
        "  info          0",
        "",
        "Top checks",
        "  PSS001   Host namespaces shared                 2",
        "  NET002   LoadBalancer open to the internet      1",
        "  PSS002   Privileged container                   1",
        "",
        "3 checks ran; config: none (defaults)",
        "4 findings (1 critical, 2 high, 1 medium) in 5 objects from 2 files; 0 suppressed, "
        "0 documents skipped, 0 errors.",
    ]


def test_concise_exact_lines_most_severe_first_in_each_file():
    r = run(["scan", "-o", "concise", *CHECKS, "--check", "RBAC001", "examples/insecure-app",
             "examples/hardened-app"])
    assert r.exit_code == 1
    assert r.stdout.splitlines() == [
        PSS002, HOSTNET, HOSTPID, NET002, RBAC001,
        "5 findings (2 critical, 2 high, 1 medium) in 14 objects from 3 files; 0 suppressed, "
        "0 documents skipped, 0 errors.",
    ]


def test_concise_on_the_hardened_example_is_one_line():
    r = run(["scan", "-o", "concise", "examples/hardened-app"])
    assert r.exit_code == 0
    assert r.stdout.splitlines() == [
        "0 findings in 9 objects from 1 file; 0 suppressed, 0 documents skipped, 0 errors."]


@pytest.mark.parametrize("group_by,expected", [
    ("workload", [RBAC001, PSS002, HOSTNET, HOSTPID, NET002]),
    ("severity", [PSS002, RBAC001, HOSTNET, HOSTPID, NET002]),
    ("check", [PSS002, RBAC001, HOSTNET, HOSTPID, NET002]),
])
def test_group_by_concise(group_by, expected):
    r = run(["scan", "-o", "concise", *CHECKS, "--check", "RBAC001", "--group-by", group_by,
             "examples/insecure-app", "examples/hardened-app"])
    assert r.stdout.splitlines()[:-1] == expected


def test_group_by_check_text_headers():
    r = run(["scan", *CHECKS, "--group-by", "check", "examples/insecure-app"])
    heads = [ln for ln in r.stdout.splitlines() if ln and not ln.startswith(" ")]
    assert heads[:3] == ["PSS002 Privileged container (critical)",
                         "PSS001 Host namespaces shared (high)",
                         "NET002 LoadBalancer open to the internet (medium)"]
    # not grouped by file: each finding names its file
    assert ('  examples/insecure-app/deployment.yaml:22:7 HIGH     PSS001 pod sets hostNetwork: '
            "true (shares the node's network namespace)") in r.stdout.splitlines()


def test_severity_filter_text_and_exit_code():
    r = run(["scan", "-o", "concise", *CHECKS, "--severity", "high", "--fail-on", "medium",
             "examples/insecure-app"])
    assert r.exit_code == 1
    assert r.stdout.splitlines() == [
        PSS002, HOSTNET, HOSTPID,
        "4 findings (1 critical, 2 high, 1 medium) in 5 objects from 2 files; 1 not shown "
        "(--severity), 0 suppressed, 0 documents skipped, 0 errors."]
    # the display filter never changes the exit code: only medium and below shown, still 1
    r = run(["scan", "-o", "concise", "--check", "NET002", "--severity", "info",
             "--fail-on", "medium", "examples/insecure-app"])
    assert r.exit_code == 1
    r = run(["scan", "-o", "concise", *CHECKS, "--severity", "low", "--fail-on", "critical",
             "examples/insecure-app"])
    assert r.exit_code == 1 and r.stdout.splitlines()[:1] == [PSS002]
    r = run(["scan", "-o", "concise", *CHECKS, "--severity", "critical,medium",
             "examples/insecure-app"])
    assert r.stdout.splitlines()[:2] == [PSS002, NET002]


def test_bad_severity_is_a_usage_error():
    r = run(["scan", "--severity", "urgent", "examples"])
    assert r.exit_code == 2
    assert r.stderr == ("kubeward: error: --severity: unknown level 'urgent' (known: critical, "
                        "high, medium, low, info)\n")
    assert r.stdout == ""


@pytest.mark.parametrize("fmt", ["text", "concise", "json", "sarif", "junit", "markdown",
                                 "github", "codequality"])
def test_severity_filter_applies_to_every_format(fmt):
    r = run(["scan", "-o", fmt, *CHECKS, "--severity", "critical", "examples/insecure-app"])
    assert r.exit_code == 1
    assert "PSS002" in r.stdout
    if fmt == "sarif":  # SARIF lists every rule that ran, and results only for those shown
        results = json.loads(r.stdout)["runs"][0]["results"]
        assert [x["ruleId"] for x in results] == ["PSS002"]
    elif fmt == "junit":  # every (object, check) is a test case; the hidden ones are skipped
        assert r.stdout.count("<failure") == 1 and 'type="PSS002 critical"' in r.stdout
        assert r.stdout.count('<skipped message="high finding not shown (--severity)"') == 1
        assert r.stdout.count('<skipped message="medium finding not shown (--severity)"') == 1
    else:
        assert "PSS001" not in r.stdout.replace("PSS001 Host namespaces shared", "")
        assert "NET002" not in r.stdout


def test_severity_high_on_realworld_a():
    corpus = str(require(CORPUS / "realworld-a"))
    full = json.loads(run(["scan", "-o", "json", corpus]).stdout)
    counts = full["summary"]["findingsBySeverity"]
    below = counts["medium"] + counts["low"] + counts["info"]
    assert below > 0 and counts["high"] + counts["critical"] > 0
    r = run(["scan", "-o", "json", "--severity", "high", corpus])
    data = json.loads(r.stdout)
    assert {f["severity"] for f in data["findings"]} == {"high", "critical"}
    assert len(data["findings"]) == counts["high"] + counts["critical"]
    assert data["summary"]["findings"] == full["summary"]["findings"]
    assert data["summary"]["findingsBySeverity"] == counts
    assert data["summary"]["hidden"] == below
    assert "hidden" not in full["summary"]
    r = run(["scan", "-o", "concise", "--severity", "high", corpus])
    lines = r.stdout.splitlines()
    assert len(lines) == counts["high"] + counts["critical"] + 1
    assert all(" critical " in ln or " high " in ln for ln in lines[:-1])
    shown_sev = [1 if " critical " in ln else 0 for ln in lines[:-1]]
    assert lines[-1].startswith(f"{full['summary']['findings']} findings (")
    assert f"; {below} not shown (--severity), " in lines[-1]
    assert shown_sev  # in each file the critical ones come first
    text = run(["scan", "--severity", "high", corpus]).stdout
    assert f"{below} not shown (--severity)" in text.splitlines()[-1]
    assert " MEDIUM " not in text and " LOW " not in text and " INFO " not in text


def test_write_baseline_prints_only_what_it_wrote(tmp_path):
    base = tmp_path / "base.json"
    r = run(["scan", *CHECKS, "--write-baseline", str(base), "examples/insecure-app"])
    assert r.exit_code == 0
    assert r.stdout == ""
    assert r.stderr == f"kubeward: wrote 4 findings to baseline {base}\n"
    r = run(["scan", *CHECKS, "--write-baseline", str(base), "-o", "concise",
             "examples/insecure-app"])
    assert r.stdout.splitlines()[0] == PSS002  # a report only when asked for
    # the display filter never thins the baseline
    r = run(["scan", *CHECKS, "--severity", "critical", "--write-baseline", str(base),
             "examples/insecure-app"])
    assert r.stderr == f"kubeward: wrote 4 findings to baseline {base}\n"


def test_plurals():
    assert [plural(n, "file") for n in (0, 1, 2)] == ["0 files", "1 file", "2 files"]
    assert plural(1, "finding") == "1 finding" and plural(1, "error") == "1 error"
    assert noun(2, "policy") == "policies" and noun(2, "class") == "classes"
    r = run(["scan", "-o", "concise", "--check", "PSS002", "examples/insecure-app/deployment.yaml"])
    assert r.stdout.splitlines()[-1] == ("1 finding (1 critical) in 3 objects from 1 file; "
                                         "0 suppressed, 0 documents skipped, 0 errors.")


def test_severity_parsing():
    assert parse_severities(None) is None
    assert parse_severities("high") == {Severity.HIGH, Severity.CRITICAL}
    assert parse_severities("info") == set(Severity)
    assert parse_severities("low, critical") == {Severity.LOW, Severity.CRITICAL}
    with pytest.raises(ValueError, match="unknown level 'x'"):
        parse_severities("high,x")


@pytest.mark.parametrize("api,kind,ns,name,expected", [
    ("apps/v1", "Deployment", "shop", "web", "kubectl get deploy -n shop web"),
    ("v1", "Pod", "shop", "late", "kubectl get po -n shop late"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole", None, "admin", "kubectl get clusterrole admin"),
    ("networking.k8s.io/v1", "NetworkPolicy", "a", "deny", "kubectl get netpol -n a deny"),
    ("cert-manager.io/v1", "Certificate", "a", "tls", "kubectl get certificate.cert-manager.io -n a tls"),
    ("v1", "Namespace", None, "shop", "kubectl get ns shop"),
])
def test_kubectl_ref(api, kind, ns, name, expected):
    assert kubectl_ref(ObjectRef(api, kind, name, ns)) == expected


def test_concise_names_live_objects_by_kubectl():
    from kubeward.engine import Report
    from kubeward.outputs import RenderContext
    from kubeward.outputs.concise import render

    f = Finding(check_id="PSS002", check_name="Privileged container", severity=Severity.CRITICAL,
                object=ObjectRef("apps/v1", "Deployment", "web", "shop"),
                file="cluster://shop/Deployment/web", line=30, column=9, path=("spec",),
                message="container \"c\" is privileged")
    import io
    out = io.StringIO()
    render(Report(findings=[f], objects=1), out, RenderContext())
    assert out.getvalue().splitlines()[0] == ('kubectl get deploy -n shop web: PSS002 critical '
                                              'container "c" is privileged')


def test_checks_text_shows_fix_safety_and_equivalents():
    r = run(["checks", "--framework", "pss-baseline"])
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.startswith("PSS002 "))
    assert lines[i:i + 2] == [
        "PSS002   on  critical Privileged container  [cis,mitre,nsa,pss-baseline,pss-restricted] "
        "kinds: <any workload>",
        "         fix: unsafe  equivalents: kube-linter privileged-container; checkov CKV_K8S_16; "
        "polaris runAsPrivileged; kube-score container-security-context-privileged; kubescape "
        "C-0057; trivy KSV017"]
    # two lines per check, every check of the framework and no other
    assert all(ln.startswith("         fix: ") == (k % 2 == 1) for k, ln in enumerate(lines))
    assert all("pss-baseline" in ln for ln in lines[0::2])
    n = len(lines) // 2
    assert r.stderr == f"{plural(n, 'check')}\n"
    no_fix = next(ln for ln in run(["checks"]).stdout.splitlines() if ln.startswith("REL004 "))
    assert no_fix  # a check without an automatic fix says so
    full = run(["checks"]).stdout.splitlines()
    j = full.index(no_fix)
    assert full[j + 1].startswith("         fix: none  equivalents: ")


@pytest.mark.parametrize("args,message", [
    (["--framework", "nope"], "kubeward: error: unknown framework 'nope' (known: "),
    (["--tool", "nope"], "Usage: "),
])
def test_checks_filters_reject_unknown_names(args, message):
    r = run(["checks", *args])
    assert r.exit_code == 2 and r.stderr.startswith(message) and r.stdout == ""


def test_readme_screenshots_exist():
    readme = (ROOT / "README.md").read_text()
    for name in ("scan-text", "scan-concise"):
        assert f"(docs/img/{name}.png)" in readme
        png = (ROOT / "docs" / "img" / f"{name}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


@pytest.mark.parametrize("fmt", ["text", "concise", "json", "sarif", "junit", "markdown",
                                 "github", "codequality"])
@pytest.mark.parametrize("color", ["--no-color", "--color"])
def test_every_finding_hidden(fmt, color):
    r = run(["scan", "-o", fmt, color, "--check", "NET002", "--severity", "critical",
             "examples/insecure-app"])
    assert r.exit_code == 1  # NET002 (medium) is at or above --fail-on low, shown or not
    assert "Traceback" not in r.output
    if fmt in ("text", "concise"):
        assert "1 finding (1 medium) in 5 objects from 2 files; 1 not shown (--severity), " \
            "0 suppressed, 0 documents skipped, 0 errors." in r.stdout
        assert "NET002" not in r.stdout and "Top checks" not in r.stdout


def test_github_exact_lines_on_the_example():
    r = run(["scan", "-o", "github", *CHECKS, "examples/insecure-app"])
    f = "file=examples/insecure-app/deployment.yaml"
    assert r.stdout.splitlines() == [
        f"::error {f},line=34,col=13,title=PSS002 Privileged container (critical)::container "
        '"web" is privileged (securityContext.privileged: true)%0ADeployment shop/web, field '
        "spec.template.spec.containers[0].securityContext.privileged%0AFix: Remove "
        "securityContext.privileged or set it to false.",
        f"::error {f},line=22,col=7,title=PSS001 Host namespaces shared (high)::pod sets "
        "hostNetwork: true (shares the node's network namespace)%0ADeployment shop/web, field "
        "spec.template.spec.hostNetwork%0AFix: Remove hostNetwork, hostPID and hostIPC or set "
        "them to false.",
        f"::error {f},line=23,col=7,title=PSS001 Host namespaces shared (high)::pod sets "
        "hostPID: true (shares the node's PID namespace)%0ADeployment shop/web, field "
        "spec.template.spec.hostPID%0AFix: Remove hostNetwork, hostPID and hostIPC or set them "
        "to false.",
        f"::warning {f},line=52,col=3,title=NET002 LoadBalancer open to the internet (medium)::"
        "LoadBalancer Service 'web' has no loadBalancerSourceRanges: it accepts traffic from "
        "anywhere%0AService shop/web, field spec.type%0AFix: Set spec.loadBalancerSourceRanges "
        "to the client ranges, or make it internal.",
        "kubeward: 4 findings (1 critical, 2 high, 1 medium) in 5 objects from 2 files; "
        "0 suppressed, 0 documents skipped, 0 errors.",
    ]


def test_markdown_exact_rows_on_the_example():
    r = run(["scan", "-o", "markdown", *CHECKS, "examples/insecure-app"])
    lines = r.stdout.splitlines()
    assert lines[0] == "## kubeward: 4 findings"
    assert "5 objects in 2 files; 0 suppressed; 0 errors." in lines
    i = lines.index("#### `examples/insecure-app/deployment.yaml`")
    doc = "https://github.com/kubeward/kubeward/blob/main/docs/checks.md"
    assert [ln.split(" | ")[:3] for ln in lines[i + 4:i + 8]] == [
        ["| 34", "critical", f"[PSS002]({doc}#pss002)"], ["| 22", "high", f"[PSS001]({doc}#pss001)"],
        ["| 23", "high", f"[PSS001]({doc}#pss001)"], ["| 52", "medium", f"[NET002]({doc}#net002)"]]
