"""Issue 18 item 5: scanning a Kustomize overlay does not reach the network
unless the user asks (--allow-remote-bases or allowRemoteBases)."""

from __future__ import annotations

import http.server
import json
import shutil
import threading

import pytest

from kubeward.loading import kustomize
from kwtest.cli import run

pytestmark = pytest.mark.skipif(kustomize.builder() is None, reason="no kustomize builder")

POD = b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: remote\nspec:\n  containers:\n" \
      b"    - name: a\n      image: nginx:1.27\n"


@pytest.fixture()
def server():
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(POD)))
            self.end_headers()
            self.wfile.write(POD)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_address[1], hits
    srv.shutdown()
    srv.server_close()


def _overlay(tmp_path, resources, base_resources=None):
    (tmp_path / "kustomization.yaml").write_text(
        "resources:\n" + "".join(f"  - {r}\n" for r in resources))
    if base_resources is not None:
        (tmp_path / "base").mkdir()
        (tmp_path / "base" / "kustomization.yaml").write_text(
            "resources:\n" + "".join(f"  - {r}\n" for r in base_resources))
    return tmp_path


def test_http_resource_is_refused(tmp_path, server):
    port, hits = server
    url = f"http://127.0.0.1:{port}/pod.yaml"
    d = _overlay(tmp_path, [url])
    r = run(["scan", "-o", "json", str(d)])
    assert r.exit_code == 2 and hits == []
    [err] = json.loads(r.stdout)["errors"]
    assert err["file"] == str(d / "kustomization.yaml")
    assert err["message"] == (
        f"remote resources entry {url!r} in {d / 'kustomization.yaml'} refused: kubeward does "
        "not fetch from the network unless asked; pass --allow-remote-bases or set "
        "allowRemoteBases: true")


def test_git_base_in_a_local_base_is_refused(tmp_path, server):
    port, hits = server
    d = _overlay(tmp_path, ["base"], [f"git::http://127.0.0.1:{port}/repo.git//deploy?ref=v1"])
    r = run(["scan", "-o", "json", str(d)])
    assert r.exit_code == 2 and hits == []
    [err] = json.loads(r.stdout)["errors"]
    assert "remote resources entry 'git::http://127.0.0.1" in err["message"]
    assert str(d / "base" / "kustomization.yaml") in err["message"]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl kustomize")
def test_allowed_when_asked(tmp_path, server):
    port, hits = server
    d = tmp_path / "o"
    d.mkdir()
    _overlay(d, [f"http://127.0.0.1:{port}/pod.yaml"])
    r = run(["scan", "-o", "json", "--allow-remote-bases", str(d)])
    assert hits, r.output
    assert json.loads(r.stdout)["summary"]["objectsScanned"] == 1
    hits.clear()
    cfg = tmp_path / "kw.yaml"
    cfg.write_text("allowRemoteBases: true\n")
    r = run(["scan", "-o", "json", "--config", str(cfg), str(d)])
    assert hits and json.loads(r.stdout)["summary"]["objectsScanned"] == 1


@pytest.mark.parametrize("entry, remote", [
    ("https://example.com/x.yaml", True), ("git::https://h/r.git", True),
    ("github.com/org/repo//deploy?ref=v1", True), ("git@github.com:org/repo.git", True),
    ("../base", False), ("deployment.yaml", False), ("./a/b", False),
    ("example.com/org/repo//dir", True), ("ssh://git@h/r", True),
])
def test_is_remote(entry, remote):
    assert kustomize.is_remote(entry) is remote


def test_builder_env_has_no_credentials(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken-value")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "k3y-value")
    env = kustomize._builder_env()
    assert "GITHUB_TOKEN" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    assert env["GIT_ALLOW_PROTOCOL"] == "file"
