"""Issue 18 items 8 and 9: a failing or hostile API server. Whatever is not
read is an error in the report (exit 2), never a silent gap; nothing gives
a traceback or stalls (every request has a total deadline, every list a
page budget)."""

import json
import socket
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from kwtest.fakeapi import _status
from kubeward.cli.main import cli
from kubeward.cluster import client as client_mod

DATA = Path(__file__).resolve().parent / "data"


def _run(args):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def _audit(kubeconfig, *extra):
    r = _run(["audit", "--kubeconfig", kubeconfig, "-o", "json", *extra])
    assert "Traceback" not in r.output
    return r


def _error(code):
    def answer(h, query):
        h._send_json(code, _status(code, "ServiceUnavailable" if code == 503 else "InternalError",
                                   "the server is unwell"))
    return answer


def test_failed_group_discovery_is_an_error_not_a_silent_gap(fake_api, kubeconfig):
    fake_api.load_yaml(DATA)
    fake_api.faults["/apis/apps/v1"] = _error(503)
    fake_api.faults["/apis/rbac.authorization.k8s.io/v1"] = _error(503)
    r = _audit(kubeconfig)
    assert r.exit_code == 2
    data = json.loads(r.stdout)
    msgs = sorted(e["message"] for e in data["errors"])
    assert "Deployment (apps API group) not read: discovery failed: 503 ServiceUnavailable: " \
           "the server is unwell" in msgs
    assert any(m.startswith("ClusterRole (rbac.authorization.k8s.io API group) not read")
               for m in msgs)
    assert all(e["kind"] == "cluster" for e in data["errors"])
    assert any("the audit's view is incomplete" in n for n in data.get("notes", [])) or \
        "the audit's view is incomplete" in r.stderr


def test_core_discovery_500_is_one_line_per_kind_and_exit_2(fake_api, kubeconfig):
    fake_api.load_yaml(DATA)
    fake_api.faults["/api/v1"] = _error(500)
    r = _audit(kubeconfig)
    assert r.exit_code == 2
    msgs = [e["message"] for e in json.loads(r.stdout)["errors"]]
    assert any(m.startswith("Pod (core API group) not read: discovery failed: 500") for m in msgs)


def _pods_list(items, cont=""):
    return {"kind": "PodList", "apiVersion": "v1",
            "metadata": {"resourceVersion": "1", "continue": cont}, "items": items}


POD = {"metadata": {"name": "ok", "namespace": "default", "uid": "u1"},
       "spec": {"containers": [{"name": "a", "image": "nginx:1.27",
                                "securityContext": {"privileged": True}}]}}


def test_malformed_list_item_is_skipped_with_an_error(fake_api, kubeconfig):
    fake_api.faults["/api/v1/pods"] = lambda h, q: h._send_json(
        200, _pods_list([{"metadata": "x"}, 7, POD]))
    r = _audit(kubeconfig, "--check", "PSS002")
    assert r.exit_code == 2
    data = json.loads(r.stdout)
    assert [f["object"]["name"] for f in data["findings"]] == ["ok"]
    assert [e["message"] for e in data["errors"]] == [
        "pods: 1 list item not an object with a name; skipped"]


def test_continue_token_that_never_changes(fake_api, kubeconfig):
    calls = []

    def same_token(h, q):
        calls.append(q)
        h._send_json(200, _pods_list([POD], cont="again"))

    fake_api.faults["/api/v1/pods"] = same_token
    r = _audit(kubeconfig, "--check", "PSS002")
    assert r.exit_code == 2
    assert len(calls) == 2  # the first repeat stops the list
    [err] = json.loads(r.stdout)["errors"]
    assert err["message"] == ("pods not read: GET /api/v1/pods: the server repeated a continue "
                              "token; the list was not read to its end")


def test_page_budget(fake_api, kubeconfig, monkeypatch):
    monkeypatch.setattr(client_mod, "MAX_PAGES", 5)
    n = iter(range(10**6))
    calls = []

    def new_token(h, q):
        calls.append(q)
        h._send_json(200, _pods_list([], cont=f"t{next(n)}"))

    fake_api.faults["/api/v1/pods"] = new_token
    r = _audit(kubeconfig, "--check", "PSS002")
    assert r.exit_code == 2 and len(calls) == 5
    assert "more than 5 pages" in json.loads(r.stdout)["errors"][0]["message"]


def _cut_off(h, q):
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", "10000")
    h.end_headers()
    h.wfile.write(b'{"kind": "PodList", "items": [')
    h.wfile.flush()
    h.connection.shutdown(socket.SHUT_RDWR)
    h.close_connection = True


def test_connection_reset_mid_body(fake_api, kubeconfig):
    fake_api.faults["/api/v1/pods"] = _cut_off
    r = _audit(kubeconfig, "--check", "PSS002")
    assert r.exit_code == 2
    [err] = json.loads(r.stdout)["errors"]
    assert err["message"].startswith("pods not read: GET /api/v1/pods: the answer was cut off")


@pytest.mark.parametrize("interval", [0.1, None])  # dripped, or never completed
def test_slow_body_hits_the_request_deadline(fake_api, kubeconfig, monkeypatch, interval):
    monkeypatch.setattr(client_mod, "REQUEST_DEADLINE", 1.0)

    def slow(h, q):
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", "100000")
        h.end_headers()
        h.wfile.write(b"{")
        h.wfile.flush()
        for _ in range(100):
            time.sleep(interval or 0.1)
            try:
                if interval:
                    h.wfile.write(b" ")
                    h.wfile.flush()
            except OSError:
                return
        h.close_connection = True

    fake_api.faults["/api/v1/pods"] = slow
    r = _audit(kubeconfig, "--check", "PSS002")
    assert r.exit_code == 2
    [err] = json.loads(r.stdout)["errors"]
    assert err["message"] == "pods not read: GET /api/v1/pods: no complete answer within 1 s"


def test_version_cut_off_is_one_line(fake_api, kubeconfig):
    fake_api.faults["/version"] = _cut_off
    r = _run(["audit", "--kubeconfig", kubeconfig])
    assert r.exit_code == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("kubeward: error: the cluster at")
