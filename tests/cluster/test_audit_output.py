"""``kubeward audit`` text and concise outputs name the live object as the
kubectl command that shows it, with the field path, not the line of a YAML
rendering nobody sees; JSON keeps both (docs/output.md)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kubeward.cli.main import cli

DATA = Path(__file__).resolve().parent / "data"


def _audit(kubeconfig, *args):
    return CliRunner().invoke(cli, ["audit", "--kubeconfig", kubeconfig, "--check", "PSS002",
                                    *args], catch_exceptions=False)


def test_audit_text_names_the_live_object(fake_api, kubeconfig):
    fake_api.load_yaml(DATA)
    r = _audit(kubeconfig)
    assert r.exit_code == 1, r.output
    lines = r.stdout.splitlines()
    i = lines.index("kubectl get deploy -n shop web")
    assert lines[i + 1:i + 4] == [
        '  CRITICAL PSS002 container "web" is privileged (securityContext.privileged: true)',
        "      Deployment shop/web  field: spec.template.spec.containers[0].securityContext"
        ".privileged",
        "      fix: Remove securityContext.privileged or set it to false.",
    ]
    assert "cluster://" not in r.stdout
    assert lines[-1] == ("1 finding (1 critical) in 10 objects; 0 suppressed, "
                         "0 documents skipped, 0 errors.")


def test_audit_concise_and_json_keep_both(fake_api, kubeconfig):
    fake_api.load_yaml(DATA)
    r = _audit(kubeconfig, "-o", "concise")
    assert r.stdout.splitlines()[0] == (
        'kubectl get deploy -n shop web: PSS002 critical container "web" is privileged '
        "(securityContext.privileged: true)")
    r = _audit(kubeconfig, "-o", "json")
    f = json.loads(r.stdout)["findings"][0]
    assert f["file"] == "cluster://shop/Deployment/web" and f["line"] > 0 and f["column"] > 0
    assert f["object"] == {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop",
                           "name": "web"}
