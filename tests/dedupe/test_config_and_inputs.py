"""Issue 13, "config": unknown keys and options are errors with "did you
mean"; the text summary names the config and the number of checks; a
config disabling every check, a version outside the known range and a path
without manifests are warnings; `checks --framework bogus` exits 2."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from kubeward.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
HARDENED = str(ROOT / "examples" / "hardened-app")


def _run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _config(tmp_path, text):
    p = tmp_path / "kw.yaml"
    p.write_text(text)
    return str(p)


def test_unknown_top_level_key_suggests_the_option(tmp_path):
    cfg = _config(tmp_path, "version: 1\nallowedRegistriez: [registry.example.com]\n")
    r = _run("scan", "--config", cfg, HARDENED)
    assert r.exit_code == 2
    assert r.stderr.strip() == (f"{cfg}:2: config error: unknown key 'allowedRegistriez' "
                                "(did you mean checks.options.IMG005.allowedRegistries?)")


def test_misspelt_key_suggests_the_key(tmp_path):
    cfg = _config(tmp_path, "checks:\n  disabel: [REL001]\n")
    r = _run("scan", "--config", cfg, HARDENED)
    assert r.exit_code == 2
    assert r.stderr.strip() == (f"{cfg}:2: config error: checks: unknown key 'disabel' "
                                "(did you mean 'disable'?)")


def test_option_under_the_wrong_check_is_an_error(tmp_path):
    # the placement docs/config.md used to show: IMG004 does not read allowedRegistries
    cfg = _config(tmp_path, "checks:\n  options:\n    IMG004:\n      allowedRegistries: [x]\n")
    r = _run("scan", "--config", cfg, HARDENED)
    assert r.exit_code == 2
    assert r.stderr.strip() == (f"{cfg}:4: config error: checks.options.IMG004: unknown option "
                                "'allowedRegistries' (it is an option of IMG005); IMG004 has no "
                                "options")
    cfg = _config(tmp_path, "checks:\n  options:\n    IMG005:\n      allowedRegistriez: [x]\n")
    r = _run("scan", "--config", cfg, HARDENED)
    assert r.exit_code == 2 and "(did you mean 'allowedRegistries'?)" in r.stderr


def test_unknown_check_id_suggests_one(tmp_path):
    cfg = _config(tmp_path, "checks:\n  disable: [PSS071]\n")
    r = _run("scan", "--config", cfg, HARDENED)
    assert r.exit_code == 2 and "unknown check id 'PSS071' (did you mean" in r.stderr


def test_docs_config_example_is_valid_and_places_allowed_registries_under_img005(tmp_path):
    text = (ROOT / "docs" / "config.md").read_text()
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert "    IMG005:" in block and "    IMG004:" not in block
    cfg = _config(tmp_path, block)
    r = _run("scan", "--config", cfg, HARDENED)
    assert r.exit_code in (0, 1), r.stderr


def test_text_summary_names_the_config_and_the_checks_that_ran(tmp_path):
    r = _run("scan", "--check", "PSS001", "--check", "PSS002", HARDENED)
    assert "2 checks ran; config: none (defaults)" in r.stdout.splitlines()[-2]
    cfg = _config(tmp_path, "checks:\n  disable: [REL007]\n")
    r = _run("scan", "--config", cfg, HARDENED)
    line = r.stdout.splitlines()[-2]
    assert line.endswith(f"checks ran; config: {cfg}") and int(line.split()[0]) > 50


def test_config_disabling_every_check_warns(tmp_path):
    cfg = _config(tmp_path, "checks:\n  disable: ['*']\n")
    r = _run("scan", "--config", cfg, HARDENED)
    assert r.exit_code == 0
    assert (f"kubeward: warning: {cfg}: checks.disable turns off every check that would run: "
            "nothing was checked") in r.stderr
    assert "0 checks ran" in r.stdout


def test_checks_with_an_unknown_framework_exit_2():
    r = _run("checks", "--framework", "bogus")
    assert r.exit_code == 2 and "unknown framework 'bogus'" in r.stderr
    assert _run("checks", "--framework", "cis").exit_code == 0


def test_version_outside_the_known_range_warns():
    r = _run("scan", "--k8s-version", "1.40", HARDENED)
    assert r.exit_code == 0
    assert "kubeward: warning: --k8s-version 1.40 is outside the Kubernetes versions" in r.stderr
    assert "warning" not in _run("scan", "--k8s-version", "1.30", HARDENED).stderr


def test_path_without_manifests_says_so(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README.md").write_text("no manifests\n")
    r = _run("scan", str(empty))
    assert r.exit_code == 0
    assert r.stderr.strip() == (f"kubeward: warning: {empty}: no manifest here (no *.yaml, "
                                "*.yml, *.json file, no Helm chart or kustomization)")
    notk8s = tmp_path / "values.yaml"
    notk8s.write_text("replicas: 3\n")
    r = _run("scan", str(notk8s))
    assert "no Kubernetes object found in" in r.stderr
