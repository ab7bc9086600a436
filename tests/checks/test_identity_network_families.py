"""Family-level tests of the secrets, RBAC, network and API-version checks:
the example apps, the real-world corpus, and the helpers behind them."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from kubeward.checks import apiversions, network, rbac, secrets
from kubeward.checks.base import registry
from kubeward.engine import ScanOptions, scan

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "realworld-a"
PREFIXES = ("SEC", "RBAC", "NET", "API")


def _mine(default_only: bool) -> tuple[str, ...]:
    return tuple(sorted(cid for cid, cls in registry().items()
                        if cid.startswith(PREFIXES) and (cls.default_enabled or not default_only)))


def test_family_sizes():
    ids = _mine(False)
    assert len([i for i in ids if i.startswith("SEC")]) == 13
    # RBAC001-023 and RBAC030, less RBAC002/003 (now RBAC001)
    assert len([i for i in ids if i.startswith("RBAC")]) == 22
    assert len([i for i in ids if i.startswith("NET")]) == 11  # NET004 is PSS005 now
    assert len([i for i in ids if i.startswith("API")]) == 3


def test_hardened_example_passes_every_default_check():
    report = scan([str(ROOT / "examples" / "hardened-app")], ScanOptions(checks=_mine(True)))
    assert not report.errors
    assert [(f.check_id, f.field_path) for f in report.findings] == []


def test_insecure_example_triggers_many():
    report = scan([str(ROOT / "examples" / "insecure-app")], ScanOptions(checks=_mine(True)))
    got = {f.check_id for f in report.findings}
    assert {"SEC001", "SEC007", "SEC009", "NET002", "RBAC001", "RBAC023"} <= got
    # a `*`/`*`/`*` rule is one critical finding listing what the wildcard grants
    rbac = [f for f in report.findings if f.object.kind == "ClusterRole"]
    assert [(f.check_id, f.field_path, f.severity.label) for f in rbac] == [
        ("RBAC001", "rules[0].verbs[0]", "critical")]
    for what in ("read Secrets (RBAC004)", "create Pods (RBAC005)", "exec into containers "
                 "(RBAC007)", "impersonate other identities (RBAC011)", "reach the kubelet API "
                 "(RBAC014)"):
        assert what in rbac[0].message
    # the finding carries the framework controls of what it grants (CIS 5.1.2: Secrets)
    assert {"5.1.3", "5.1.2", "5.1.4"} <= set(rbac[0].frameworks["cis"])


def test_realworld_corpus_has_no_check_errors():
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} is not present (shared corpus not mounted)")
    report = scan([str(CORPUS)], ScanOptions(checks=_mine(False)))
    internal = [e.one_line() for e in report.errors if e.kind == "internal"]
    assert internal == []
    assert report.findings


@pytest.mark.parametrize("name,secret", [
    ("DB_PASSWORD", True), ("dbPassword", True), ("API_KEY", True), ("apiKey", True),
    ("PRIVATE_KEY", True), ("client-secret", True), ("GITHUB_TOKEN", True),
    ("CONNECTION_STRING", True), ("SECRET_KEY_BASE", True), ("AWS_SECRET_ACCESS_KEY", True),
    ("DB_PASSWORD_FILE", False), ("TOKEN_TTL", False), ("SECRET_NAME", False),
    ("PASSWORD_MIN_LENGTH", False), ("KEY", False), ("CACHE_KEY", False), ("MONKEY", False),
])
def test_secret_names(name, secret):
    assert secrets.is_secret_name(name) is secret


def test_literal_values():
    lit = secrets.literal_secret_value
    assert lit("hunter2") == "hunter2"
    assert lit('"quoted"') == "quoted"
    for v in ("", "  ", "$(FROM_SECRET)", "${VAR}", "{{ .Values.pw }}", "<password>", "****",
              "true", "no", "/run/secrets/pw", None, False, "pre-$(VAR)"):
        assert lit(v) is None, v


def test_entropy():
    assert secrets.shannon_entropy("aaaa") == 0.0
    assert secrets.shannon_entropy("abcd") == 2.0
    assert secrets.high_entropy("q8Vz3LmN0pXr7TbK2wYe5HsJ9dGf4AcU")
    assert not secrets.high_entropy("123e4567-e89b-12d3-a456-426614174000")
    assert not secrets.high_entropy("INFORMATIONAL_DEBUGGING_LEVEL")


def test_known_tokens():
    kt = secrets.known_token
    assert kt("x AKIAIOSFODNN7EXAMPLE y") == "an AWS access key ID"
    assert kt("-----BEGIN RSA PRIVATE KEY-----") == "a private key (PEM)"
    assert kt("redis://:pw123@cache:6379") == "a URL with an embedded password"
    assert kt("ssh://git@github.com:22/org/repo.git") is None
    assert kt("amqp://guest:guest@rabbit:5672/") == "a URL with an embedded password"
    assert kt("postgres://app:$(DB_PASSWORD)@db/app") is None
    assert kt("-----BEGIN CERTIFICATE-----") is None


def test_rbac_rule_matching():
    r = rbac.Rule(0, {"apiGroups": [""], "resources": ["*/exec"], "verbs": ["create"]})
    assert r.resource_index("pods/exec") == 0
    assert r.resource_index("pods") is None
    assert r.resource_index("pods/attach") is None
    r = rbac.Rule(0, {"apiGroups": ["apps"], "resources": ["pods"], "verbs": ["*"]})
    assert r.group_index("") is None and r.verb_index("escalate") == 0


def test_cidr_and_metadata():
    block = {"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16"]}
    md = ipaddress.ip_address("169.254.169.254")
    assert not network._block_allows(block, md)
    assert network._block_allows({"cidr": "169.254.169.0/24"}, md)
    assert not network._block_allows({"cidr": "::/0"}, md)  # other address family
    assert not network._block_allows({"cidr": "not-a-cidr"}, md)
    assert network._host_covered("a.example.com", {"*.example.com"})
    assert not network._host_covered("a.b.example.com", {"*.example.com"})


def test_deprecation_table_is_consistent():
    for (av, kind), dep in apiversions.DEPRECATIONS.items():
        assert dep.deprecated < dep.removed, (av, kind)
        assert "/" in av


def test_service_account_in_another_file_is_found_with_jobs(tmp_path):
    (tmp_path / "a-sa.yaml").write_text(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: quiet, namespace: shop}\n"
        "automountServiceAccountToken: false\n")
    (tmp_path / "b-deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: shop}\n"
        "spec:\n  template:\n    spec:\n      serviceAccountName: quiet\n"
        "      containers: [{name: c, image: registry.example.com/web:1.0}]\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: shop}\n"
        "spec:\n  serviceAccountName: chatty\n"
        "  containers: [{name: c, image: registry.example.com/web:1.0}]\n")
    for jobs in (1, 2):
        report = scan([str(tmp_path)], ScanOptions(checks=("SEC007",), jobs=jobs))
        assert [(f.object.name, f.line) for f in report.findings] == [("b", 13)], jobs


def test_malformed_objects_never_crash_a_check(tmp_path):
    """Seeded structural fuzzing of this family's fixtures: any field may be
    null, a number, a string, an empty list or mapping - the checks must
    report or skip, never fail."""
    import copy
    import random

    import yaml

    docs = []
    for f in sorted(Path(__file__).parent.glob("*/*.yaml")):
        if f.parent.name.startswith(PREFIXES):
            docs += [d for d in yaml.safe_load_all(f.read_text()) if isinstance(d, dict)]
    weird = [None, 0, -5, True, "", "x", "*", [], {}, [None], [{}], {"a": None}, 3.5, ["*"]]

    def paths(o, p=()):
        if p:
            yield p
        items = o.items() if isinstance(o, dict) else enumerate(o) if isinstance(o, list) else ()
        for k, v in items:
            yield from paths(v, p + (k,))

    rng = random.Random(7)
    out = []
    for _ in range(600):
        d = copy.deepcopy(rng.choice(docs))
        for _ in range(rng.randint(1, 3)):
            ps = list(paths(d))
            if not ps:
                break
            p = rng.choice(ps)
            cur = d
            for k in p[:-1]:
                cur = cur[k]
            cur[p[-1]] = copy.deepcopy(rng.choice(weird))
        out.append(d)
    for i in range(0, len(out), 100):
        (tmp_path / f"f{i}.yaml").write_text(yaml.safe_dump_all(out[i:i + 100]))
    report = scan([str(tmp_path)], ScanOptions(checks=_mine(False)))
    assert [e.one_line() for e in report.errors if e.kind == "internal"] == []
    assert report.findings
