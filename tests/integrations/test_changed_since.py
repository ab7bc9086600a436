"""--changed-since REF: changed and untracked files only; a chart or an
overlay whole when any file in it (or in a local base) changed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from kwtest.cli import DATA, deployment, run

from kubeward.loading.changed import changed_files, filter_changed

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(cwd, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com",
                    "-c", "commit.gpgsign=false", *args], cwd=cwd, check=True,
                   capture_output=True)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "a.yaml").write_text(deployment(name="a"))
    (tmp_path / "apps" / "b.yaml").write_text(deployment(name="b"))
    shutil.copytree(DATA / "helm" / "mychart", tmp_path / "chart")
    shutil.copytree(DATA / "kustomize", tmp_path / "kz")
    (tmp_path / ".gitignore").write_text("ignored.yaml\n")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "init")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _kept(paths, ref="HEAD"):
    errors = []
    kept = filter_changed(paths, changed_files(ref), errors)
    assert errors == []
    return sorted(os.path.relpath(p) for p in kept)


def test_nothing_changed(repo):
    assert _kept(["."]) == []
    r = run(["scan", "--check", "PSS002", "--changed-since", "HEAD", "-o", "json", "."])
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["findings"] == [] and "--changed-since HEAD: scanned 0 changed inputs" in data["notes"]


def test_changed_untracked_and_ignored(repo):
    (repo / "apps" / "b.yaml").write_text(deployment(name="b", comment_lines=1))
    (repo / "apps" / "c.yaml").write_text(deployment(name="c"))
    (repo / "ignored.yaml").write_text(deployment(name="i"))
    assert _kept(["."]) == ["apps/b.yaml", "apps/c.yaml"]
    assert _kept(["apps/a.yaml", "apps/b.yaml"]) == ["apps/b.yaml"]
    r = run(["scan", "--check", "PSS002", "--changed-since", "HEAD", "-o", "json", "."])
    assert r.exit_code == 1
    assert [f["file"] for f in json.loads(r.stdout)["findings"]] == ["apps/b.yaml", "apps/c.yaml"]


def test_committed_changes_since_an_older_ref(repo):
    (repo / "apps" / "a.yaml").write_text(deployment(name="a", comment_lines=2))
    git(repo, "commit", "-qam", "second")
    assert _kept(["."], "HEAD~1") == ["apps/a.yaml"]
    assert _kept(["."], "HEAD") == []


def test_chart_whole_when_values_change(repo):
    (repo / "chart" / "values.yaml").write_text((repo / "chart" / "values.yaml").read_text()
                                                .replace("privileged: false", "privileged: true"))
    assert _kept(["."]) == ["chart"]


def test_charts_when_a_values_file_outside_them_changes(repo):
    (repo / "prod-values.yaml").write_text("privileged: true\n")  # untracked: changed
    errors = []
    kept = filter_changed(["."], changed_files("HEAD"), errors, chart_inputs=["prod-values.yaml"])
    assert sorted(os.path.relpath(p) for p in kept) == ["chart", "prod-values.yaml"]
    assert _kept(["chart"]) == []


def test_overlay_when_its_base_changes(repo):
    (repo / "kz" / "base" / "deployment.yaml").write_text(
        (repo / "kz" / "base" / "deployment.yaml").read_text() + "# touched\n")
    assert _kept(["."]) == ["kz/base", "kz/overlay"]
    (repo / "kz" / "base" / "deployment.yaml").write_text(
        (repo / "kz" / "base" / "deployment.yaml").read_text().replace("# touched\n", ""))
    (repo / "kz" / "overlay" / "svc.yaml").write_text(
        (repo / "kz" / "overlay" / "svc.yaml").read_text() + "# touched\n")
    assert _kept(["."]) == ["kz/overlay"]


def test_repository_found_from_the_input(repo, tmp_path_factory, monkeypatch):
    (repo / "apps" / "b.yaml").write_text(deployment(name="b", comment_lines=1))
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    r = run(["scan", "--check", "PSS002", "--changed-since", "HEAD", "-o", "json", str(repo)])
    assert [f["file"] for f in json.loads(r.stdout)["findings"]] == [str(repo / "apps" / "b.yaml")]


def test_not_a_repository_and_unknown_ref(tmp_path, monkeypatch, repo):
    r = run(["scan", "--changed-since", "nosuchref", "."])
    assert r.exit_code == 2
    assert r.stderr.strip() == "kubeward: error: --changed-since nosuchref: unknown git revision"
    outside = tmp_path.parent / (tmp_path.name + "-plain")
    outside.mkdir()
    (outside / "a.yaml").write_text(deployment())
    monkeypatch.chdir(outside)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(outside.parent))
    r = run(["scan", "--changed-since", "main", "."])
    assert r.exit_code == 2
    assert r.stderr.strip() == (f"kubeward: error: --changed-since main: {outside} is not inside "
                                "a git repository")
