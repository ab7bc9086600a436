"""Issue 18 items 6 and 7: one request cannot freeze the webhook for
everyone; memory, concurrency and slow clients are bounded; the shipped
NetworkPolicy admits the API server only, as far as it can say so."""

from __future__ import annotations

import json
import socket
import threading

import yaml

from kubeward.admission.manifests import ManifestOptions, render
from kubeward.fix import jsonpatch

from kwtest.admission import start_server
from kwtest.workloads import review, workload


def _many(n: int) -> dict:
    return {"containers": [{"name": f"c{i}", "image": "registry.example/app:1.0"}
                           for i in range(n)]}


def test_patch_building_is_linear_in_findings(monkeypatch):
    """Each finding's edits are applied once to one working copy (the old
    code replayed every earlier edit from a fresh deep copy per finding)."""
    from kubeward.admission.policy import AdmissionPolicy
    from kubeward.config import Config
    from kubeward.engine import ScanOptions

    calls = {"apply": 0}
    real = jsonpatch._apply_one

    def counting(*a, **kw):
        calls["apply"] += 1
        return real(*a, **kw)

    monkeypatch.setattr(jsonpatch, "_apply_one", counting)
    cfg = Config(admission={"mutate": ["PSS014", "PSS017", "PSS018"]})
    policy = AdmissionPolicy(ScanOptions(config=cfg))
    rev = review(workload("Deployment", _many(500)), operation="CREATE")
    d = policy.mutate(rev)
    assert sorted(d.patched) == ["PSS014", "PSS017", "PSS018"]
    patch = json.loads(__import__("base64").b64decode(d.response["patch"]))
    # linear: a few applications per container edit (the trial, then the
    # validity check's one application of all of them); the old replay per
    # finding made about 4.5 million for 500 containers
    assert calls["apply"] <= 8 * 500
    assert len(patch) >= 1000


def test_patch_builder_equals_replay():
    from kubeward.findings import Edit

    raw = {"spec": {"containers": [{"name": "a"}], "x": None}}
    groups = [[Edit("set", ("spec", "containers", 0, "securityContext", "runAsNonRoot"), True)],
              [Edit("set", ("spec", "containers", 5, "image"), "bad")],  # cannot apply: undone
              [Edit("append", ("spec", "containers", 0, "args"), "--x"),
               Edit("remove", ("spec", "x"))],
              [Edit("set", ("spec", "x", "y"), 1), Edit("set", ("spec", "containers", 9, "z"), 1)]]
    b = jsonpatch.PatchBuilder(raw)
    assert [b.add(g) for g in groups] == [True, False, True, False]
    assert b.patch == jsonpatch.to_json_patch(raw, b.edits)
    assert b.doc == jsonpatch.apply_edits(raw, b.edits)
    assert raw == {"spec": {"containers": [{"name": "a"}], "x": None}}


def test_container_cap(pki, tmp_path):
    r = start_server(pki, tmp_path, max_containers=50)
    try:
        status, body = r.client.post("/validate", review(workload("Pod", _many(51))))[:2]
        assert status == 413
        assert json.loads(body) == {"error": "the object has 51 containers; the limit is 50",
                                    "code": 413}
        ok = r.client.review("/validate", review(workload("Pod", _many(50))))
        assert ok["allowed"] is True
    finally:
        r.client.close()
        r.thread.stop()


def _blocking_policy(r, release: threading.Event, entered: threading.Event):
    real = r.policy.validate

    def slow(rev):
        entered.set()
        release.wait(10)
        return real(rev)

    r.policy.validate = slow


def test_healthz_answers_while_a_large_review_is_decided(pki, tmp_path):
    r = start_server(pki, tmp_path)
    release, entered = threading.Event(), threading.Event()
    _blocking_policy(r, release, entered)
    big = review(workload("Pod", _many(200)))  # past the inline size: decided in a thread
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", r.client.post("/validate", big)))
    try:
        t.start()
        assert entered.wait(10)
        from kwtest.admission import Client
        other = Client(r.port, pki.client_context())
        try:
            assert other.request("GET", "/healthz")[:2] == (200, b"ok\n")  # not frozen
        finally:
            other.close()
        release.set()
        t.join(10)
        assert out["r"][0] == 200
    finally:
        release.set()
        r.client.close()
        r.thread.stop()


def test_decide_timeout_is_a_503(pki, tmp_path):
    r = start_server(pki, tmp_path, decide_timeout=0.2)
    release, entered = threading.Event(), threading.Event()
    _blocking_policy(r, release, entered)
    try:
        status, body = r.client.post("/validate", review(workload("Pod", _many(200))))[:2]
        assert status == 503
        assert json.loads(body)["error"] == "the review took longer than 0.2s to decide"
    finally:
        release.set()
        r.client.close()
        r.thread.stop()


def test_inflight_reviews_are_bounded(pki, tmp_path):
    r = start_server(pki, tmp_path, max_inflight=2, body_timeout=5.0)
    release, entered = threading.Event(), threading.Event()
    _blocking_policy(r, release, entered)
    big = review(workload("Pod", _many(200)))
    results: list = []
    from kwtest.admission import Client

    def one():
        c = Client(r.port, pki.client_context())
        try:
            results.append(c.post("/validate", big)[0])
        finally:
            c.close()

    threads = [threading.Thread(target=one) for _ in range(8)]
    try:
        for t in threads:
            t.start()
        assert entered.wait(10)
        release.set()
        for t in threads:
            t.join(30)
        assert sorted(set(results)) <= [200, 503] and len(results) == 8
        assert r.server.max_inflight_seen == 2
    finally:
        release.set()
        r.client.close()
        r.thread.stop()


def test_slow_headers_are_cut_off(pki, tmp_path):
    r = start_server(pki, tmp_path, header_timeout=0.3)
    try:
        ctx = pki.client_context()
        with socket.create_connection(("127.0.0.1", r.port), timeout=10) as s:
            with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                t.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-")
                assert t.recv(4096) == b""  # closed by the server, not by our timeout
        # a normal client is still served
        assert r.client.request("GET", "/healthz")[:2] == (200, b"ok\n")
    finally:
        r.client.close()
        r.thread.stop()


def _netpol(opts: ManifestOptions) -> dict:
    docs = list(yaml.safe_load_all(render(opts)))
    return next(d for d in docs if d and d["kind"] == "NetworkPolicy"
                and d["metadata"]["name"] == "kubeward-admission")


def test_network_policy_admits_the_api_server_only():
    pol = _netpol(ManifestOptions(cert_manager=True))
    [rule] = pol["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8443}]
    assert rule["from"] == [{"ipBlock": {"cidr": "0.0.0.0/0"}}, {"ipBlock": {"cidr": "::/0"}}]
    assert not any("podSelector" in p or "namespaceSelector" in p for p in rule["from"])
    pol = _netpol(ManifestOptions(cert_manager=True, api_server_cidrs=("10.0.0.0/24",)))
    assert pol["spec"]["ingress"][0]["from"] == [{"ipBlock": {"cidr": "10.0.0.0/24"}}]


def test_api_server_cidr_option(tmp_path):
    from kwtest.cli import run

    r = run(["admission", "manifests", "--cert-manager", "--api-server-cidr", "10.1.2.3/16"])
    assert r.exit_code == 0 and "cidr: 10.1.0.0/16" in r.output
    r = run(["admission", "manifests", "--cert-manager", "--api-server-cidr", "nope"])
    assert r.exit_code == 2 and "--api-server-cidr nope: not an IP address range" in r.output


def test_shipped_limits_fit_the_memory_limit():
    """max_inflight x max_body, with JSON's expansion (about 10x), stays
    inside the Deployment's memory limit with the process's own ~64 MiB."""
    from kubeward.admission.server import Settings

    s = Settings()
    docs = list(yaml.safe_load_all(render(ManifestOptions(cert_manager=True))))
    dep = next(d for d in docs if d and d["kind"] == "Deployment")
    limit = dep["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"]
    assert limit == "256Mi"
    assert 64 * 2**20 + s.max_inflight * s.max_body * 10 <= 256 * 2**20
    assert s.decide_timeout < ManifestOptions().timeout_seconds
