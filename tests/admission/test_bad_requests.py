"""Malformed and unexpected requests get a clear 4xx; the server keeps serving."""

from __future__ import annotations

import json

import pytest

from kwtest.workloads import PRIVILEGED, review, workload


def _good(client):
    resp = client.review("/validate", review(workload("Pod", PRIVILEGED)))
    assert resp["allowed"] is False


def _bad(client, body, status, error, content_type="application/json", path="/validate"):
    got, data, headers = client.post(path, body, content_type=content_type)
    assert got == status, (got, data)
    assert headers["content-type"].startswith("application/json")
    assert json.loads(data) == {"error": error, "code": status}
    _good(client)  # and the next request is served


_REVIEW = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}


@pytest.mark.parametrize("path", ["/validate", "/mutate"])
@pytest.mark.parametrize("body,error", [
    (b"this is not json", "the body is not valid JSON (expected an AdmissionReview)"),
    (b'{"apiVersion": ', "the body is not valid JSON (expected an AdmissionReview)"),
    (b"\xff\xfe\x00garbage", "the body is not valid JSON (expected an AdmissionReview)"),
    (b"[" * 100_000 + b"]" * 100_000, "the body is not valid JSON (expected an AdmissionReview)"),
    (b"", "the body is empty (expected an AdmissionReview)"),
    (b"[1, 2]", "the body is not a JSON object (expected an AdmissionReview)"),
    (b'"AdmissionReview"', "the body is not a JSON object (expected an AdmissionReview)"),
    (json.dumps({"apiVersion": "v1", "kind": "Pod"}).encode(),
     'expected kind AdmissionReview, got "Pod"'),
    (json.dumps({"kind": "AdmissionReview"}).encode(),
     "unsupported apiVersion None (only admission.k8s.io/v1 is served; set "
     "admissionReviewVersions: [v1])"),
    (json.dumps({"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview",
                 "request": {"uid": "x"}}).encode(),
     'unsupported apiVersion "admission.k8s.io/v1beta1" (only admission.k8s.io/v1 is served; '
     "set admissionReviewVersions: [v1])"),
    (json.dumps(_REVIEW).encode(), "the AdmissionReview has no request"),
    (json.dumps({**_REVIEW, "request": "x"}).encode(), "the AdmissionReview has no request"),
    (json.dumps({**_REVIEW, "request": {"operation": "CREATE"}}).encode(),
     "request.uid is missing"),
    (json.dumps({**_REVIEW, "request": {"uid": "u", "operation": "CREATE"}}).encode(),
     "request.object is missing for a CREATE request"),
    (json.dumps({**_REVIEW, "request": {"uid": "u", "operation": "UPDATE", "object": [1]}}).encode(),
     "request.object is missing for a UPDATE request"),
    (json.dumps({**_REVIEW, "request": {"uid": "u", "operation": "CREATE",
                                        "object": {"metadata": {"name": "x"}}}}).encode(),
     "request.object has no apiVersion or kind"),
    (json.dumps({**_REVIEW, "request": {"uid": "u", "operation": "CREATE",
                                        "object": {"apiVersion": "v1", "kind": 7}}}).encode(),
     "request.object has no apiVersion or kind"),
])
def test_malformed_bodies(client, path, body, error):
    _bad(client, body, 400, error, path=path)


def test_wrong_content_type(client):
    body = json.dumps(review(workload("Pod", PRIVILEGED))).encode()
    _bad(client, body, 415, "Content-Type must be application/json, not text/plain",
         content_type="text/plain")
    _bad(client, body, 415, "Content-Type must be application/json, not application/yaml",
         content_type="application/yaml")


def test_oversized_body_by_content_length(client):
    big = b'{"x": "' + b"a" * (3 * 1024 * 1024) + b'"}'
    _bad(client, big, 413, f"the body is {len(big)} bytes; the limit is 3145728 bytes")


def test_oversized_chunked_body(client):
    chunk = b"a" * 65536

    def gen():
        yield b'{"x": "'
        for _ in range(60):  # ~3.75 MiB
            yield chunk
        yield b'"}'

    conn = client._connection()
    conn.request("POST", "/validate", body=gen(), encode_chunked=True,
                 headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    resp = conn.getresponse()
    data = resp.read()
    client.close()
    assert resp.status == 413
    assert json.loads(data) == {"error": "the body is larger than 3145728 bytes", "code": 413}
    _good(client)


def test_wrong_method_and_path(client):
    """404 and 405 answer with the JSON error body docs/admission.md promises."""
    status, data, headers = client.request("GET", "/validate")
    assert status == 405
    assert headers["content-type"].startswith("application/json")
    assert headers["allow"] == "POST"
    assert json.loads(data) == {"error": "method GET is not allowed on /validate (allowed: POST)",
                                "code": 405}
    status, data, headers = client.request("DELETE", "/healthz")
    assert (status, headers["allow"]) == (405, "GET, HEAD")
    assert json.loads(data)["code"] == 405
    status, data, headers = client.request("POST", "/nowhere", b"{}",
                                           {"Content-Type": "application/json"})
    assert status == 404
    assert headers["content-type"].startswith("application/json")
    assert json.loads(data) == {"error": "no such path /nowhere (serving /validate, /mutate, "
                                         "/healthz, /readyz, /metrics)", "code": 404}
    status, data, _ = client.request("GET", "/")
    assert status == 404 and json.loads(data)["code"] == 404
    assert client.request("GET", "/healthz")[:2] == (200, b"ok\n")
    assert client.request("HEAD", "/healthz")[0] == 200
    _good(client)


def test_plain_http_to_the_tls_port_is_refused(running):
    import socket

    with socket.create_connection(("127.0.0.1", running.port), timeout=5) as s:
        s.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        try:
            data = s.recv(100)
        except ConnectionResetError:
            data = b""
    assert not data.startswith(b"HTTP/1.1 200")
    _good(running.client)


def test_errors_are_logged_without_crashing(running, client):
    _bad(client, b"nope", 400, "the body is not valid JSON (expected an AdmissionReview)")
    recs = [r for r in running.log_lines() if r.get("status") == 400]
    assert recs and recs[-1]["error"] == "the body is not valid JSON (expected an AdmissionReview)"
    assert recs[-1]["path"] == "/validate"
