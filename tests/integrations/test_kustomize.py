"""Kustomize overlays: built with kubectl kustomize / kustomize build,
findings traced to the source file through config.kubernetes.io/origin;
build failures and a missing builder are errors (exit 2), never an empty
scan; suppressions work on built objects."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from kwtest.cli import DATA, deployment, run

from kubeward.loading import kustomize

KZ = DATA / "kustomize"
PIN = ["--check", "PSS001", "--check", "PSS002", "--check", "SUP001"]

needs_builder = pytest.mark.skipif(kustomize.builder() is None,
                                   reason="neither kubectl nor kustomize is on PATH")


def _findings(r):
    return [(f["checkId"], f["file"], f["line"], f["fieldPath"], f["object"]["namespace"])
            for f in json.loads(r.stdout)["findings"]]


@needs_builder
def test_overlay_findings_name_the_source_file(tmp_path):
    r = run(["scan", *PIN, "-o", "json", str(KZ / "overlay")])
    assert r.exit_code == 1
    # hostNetwork comes from the overlay's patch: it is not in the base file,
    # so the finding points at its parent (the pod spec) in the base
    assert _findings(r) == [("PSS001", str(KZ / "base" / "deployment.yaml"), 7,
                             "spec.template.spec.hostNetwork", "prod")]
    data = json.loads(r.stdout)
    assert data["summary"]["objectsScanned"] == 2 and data["errors"] == []


@needs_builder
def test_fields_in_the_base_keep_their_lines_and_origin_is_stripped(tmp_path):
    shutil.copytree(KZ, tmp_path, dirs_exist_ok=True)
    (tmp_path / "base" / "deployment.yaml").write_text(deployment(name="web", ns="x"))
    overlay = tmp_path / "overlay"
    r = run(["scan", *PIN, "-o", "json", str(overlay)])
    got = _findings(r)
    assert ("PSS002", str(tmp_path / "base" / "deployment.yaml"), 14,
            "spec.template.spec.containers[0].securityContext.privileged", "prod") in got
    res = kustomize.load_overlay(str(overlay), {})
    assert res.errors == []
    for obj in res.objects:
        assert kustomize.ORIGIN not in obj.annotations
    by_kind = {o.kind: o.source.file for o in res.objects}
    assert by_kind == {"Service": str(overlay / "svc.yaml"),
                       "Deployment": str(tmp_path / "base" / "deployment.yaml")}


@needs_builder
def test_suppression_from_an_overlay(tmp_path):
    shutil.copytree(KZ, tmp_path, dirs_exist_ok=True)
    k = tmp_path / "overlay" / "kustomization.yaml"
    k.write_text(k.read_text() + "commonAnnotations:\n  kubeward.io/ignore: \"PSS001: node agent\"\n")
    r = run(["scan", *PIN, "-o", "json", "--show-suppressed", str(tmp_path / "overlay")])
    data = json.loads(r.stdout)
    assert r.exit_code == 0 and data["findings"] == []
    assert [(s["checkId"], s["suppressed"]["reason"]) for s in data["suppressed"]] == [
        ("PSS001", "node agent")]


@needs_builder
def test_build_failure_is_an_error_with_the_builders_message(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "kustomization.yaml").write_text("resources:\n  - missing.yaml\n")
    (tmp_path / "plain.yaml").write_text(deployment())
    r = run(["scan", *PIN, "-o", "json", str(bad), str(tmp_path / "plain.yaml")])
    assert r.exit_code == 2
    data = json.loads(r.stdout)
    [err] = data["errors"]
    assert err["file"] == str(bad / "kustomization.yaml")
    assert "missing.yaml" in err["message"] and "\n" not in err["message"]
    assert err["message"].startswith(("kubectl kustomize failed: ", "kustomize build failed: "))
    assert [f["file"] for f in data["findings"]] == [str(tmp_path / "plain.yaml")]
    assert "Traceback" not in r.stderr


def test_no_builder(tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("KUBEWARD_KUSTOMIZE", raising=False)
    r = run(["scan", *PIN, "-o", "json", str(KZ / "overlay")])
    assert r.exit_code == 2
    [err] = json.loads(r.stdout)["errors"]
    assert err["message"] == kustomize.MISSING
    assert err["file"] == os.path.join(str(KZ / "overlay"), "kustomization.yaml")


def test_builder_choice(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBEWARD_KUSTOMIZE", "kustomize build --enable-helm")
    assert kustomize.builder() == ["kustomize", "build", "--enable-helm"]
    monkeypatch.delenv("KUBEWARD_KUSTOMIZE")
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    (bin_ / "kustomize").write_text("#!/bin/sh\n")
    (bin_ / "kustomize").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_))
    assert kustomize.builder() == ["kustomize", "build"]
    (bin_ / "kubectl").write_text("#!/bin/sh\n")
    (bin_ / "kubectl").chmod(0o755)
    assert kustomize.builder() == ["kubectl", "kustomize"]


def test_first_error_line():
    assert kustomize._first_error(
        'E1127 05:14:01.736478 13624 run.go:72] "command failed" err="accumulating resources: x"\n'
    ) == "accumulating resources: x"
    assert kustomize._first_error("\nError: accumulating resources: y\nmore\n") == \
        "accumulating resources: y"


def test_kustomization_variants(tmp_path):
    for name in ("kustomization.yml", "Kustomization"):
        d = tmp_path / name.replace(".", "_")
        d.mkdir()
        (d / name).write_text("resources: []\n")
        assert kustomize.kustomization_file(str(d)) == str(d / name)


@needs_builder
def test_name_prefix_picks_the_right_source_document(tmp_path):
    base = tmp_path / "base"
    base.mkdir()
    (base / "all.yaml").write_text(deployment(name="webhook", privileged=False) + "---\n"
                                   + deployment(name="web"))
    (base / "kustomization.yaml").write_text("resources: [all.yaml]\nnamePrefix: prod-\n")
    r = run(["scan", *PIN, "-o", "json", str(base)])
    got = [(f["object"]["name"], f["file"], f["line"]) for f in json.loads(r.stdout)["findings"]]
    assert got == [("prod-web", str(base / "all.yaml"), 29)]


@needs_builder
def test_config_exemption_on_built_objects(tmp_path):
    cfg = tmp_path / "kw.yaml"
    cfg.write_text("exemptions:\n  - checks: [PSS001]\n    namespaces: [prod]\n"
                   "    reason: node agent, reviewed\n")
    r = run(["scan", *PIN, "--config", str(cfg), "-o", "json", "--show-suppressed",
             str(KZ / "overlay")])
    data = json.loads(r.stdout)
    assert r.exit_code == 0 and data["findings"] == []
    assert [(s["checkId"], s["suppressed"]) for s in data["suppressed"]] == [
        ("PSS001", {"by": "config", "reason": "node agent, reviewed"})]
