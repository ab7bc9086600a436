"""``kubeward admission serve`` end to end: a real process (two workers on
one port through SO_REUSEPORT), HTTPS requests, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from click.testing import CliRunner

from kubeward.cli.main import cli

from kwtest.admission import CONFIG, NAMESPACES, Client
from kwtest.wait import wait_for
from kwtest.workloads import PRIVILEGED, review, workload


def _wait_line(proc, event: str, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            if proc.poll() is not None:
                raise AssertionError(f"the server exited with {proc.returncode}")
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            raise AssertionError(f"not a JSON log line: {line!r}") from None
        if rec.get("event") == event:
            return rec
    raise AssertionError(f"no {event} log line")


def test_serve_with_workers_end_to_end(pki, tmp_path):
    cfg = tmp_path / "kubeward.yaml"
    cfg.write_text(CONFIG)
    nsf = tmp_path / "ns.yaml"
    nsf.write_text(NAMESPACES)
    cmd = [sys.executable, "-m", "kubeward", "admission", "serve",
           "--tls-cert", str(pki.cert_file), "--tls-key", str(pki.key_file),
           "--host", "127.0.0.1", "--port", "0", "--workers", "2", "--config", str(cfg),
           "--namespaces-file", str(nsf), "--shutdown-delay", "0"]
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env=env, cwd=str(tmp_path))
    try:
        started = _wait_line(proc, "workers-started")
        port = started["port"]
        assert len(started["pids"]) == 2
        for _ in range(2):
            _wait_line(proc, "listening")
        clients = [Client(port, pki.client_context()) for _ in range(8)]
        seen = set()
        for c in clients:
            resp = c.review("/validate", review(workload("Pod", PRIVILEGED), namespace="team-warn"))
            assert resp["allowed"] is True and len(resp["warnings"]) == 1
            bad = c.post("/validate", b"{")
            assert bad[0] == 400
            resp = c.review("/validate", review(workload("Pod", PRIVILEGED)))
            assert resp["allowed"] is False
        for _ in range(24):
            rec = json.loads(proc.stderr.readline())
            seen.add(rec["pid"])
        # metrics are summed over the worker processes
        status, data, _ = clients[0].request("GET", "/metrics")
        text = data.decode()
        line = next(ln for ln in text.splitlines() if ln.startswith(
            'kubeward_admission_reviews_total{endpoint="validate",operation="CREATE",'
            'result="denied"}'))
        assert float(line.split()[-1]) == 8.0
        for c in clients:
            c.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
        assert len(seen) >= 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_serve_usage_errors(pki, tmp_path):
    run = CliRunner().invoke
    res = run(cli, ["admission", "serve", "--tls-cert", str(tmp_path / "no.crt"),
                    "--tls-key", str(pki.key_file), "--port", "0"])
    assert res.exit_code == 2
    assert res.stderr.startswith("kubeward: error: cannot load the TLS certificate ")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("admission:\n  warn: loud\n")
    res = run(cli, ["admission", "serve", "--tls-cert", str(pki.cert_file),
                    "--tls-key", str(pki.key_file), "--config", str(cfg)])
    assert res.exit_code == 2
    assert res.stderr == ("kubeward: error: admission.warn: unknown mode value 'loud' (expected "
                          "a framework, a severity or none)\n")
    res = run(cli, ["admission", "serve", "--tls-cert", str(pki.cert_file),
                    "--tls-key", str(pki.key_file), "--namespaces-file", str(cfg), "--cluster"])
    assert res.exit_code == 2
    assert res.stderr == "kubeward: error: give either --namespaces-file or --cluster, not both\n"


def test_serve_with_cluster_watch_end_to_end(pki, tmp_path):
    """--cluster --cross-checks against the fake API server: /readyz waits
    for the lists, namespace labels and context objects come from the
    cluster, and a label change reaches the next decision."""
    import pytest

    pytest.importorskip("kubernetes")
    from kwtest.fakeapi import FakeKubeAPI, write_kubeconfig

    from kwtest.workloads import namespace as _ns
    from kwtest.workloads import HARDENED

    api = FakeKubeAPI(bookmark_interval=0.1).start()
    proc = None
    try:
        api.add(_ns("shop", **{"kubeward.io/enforce": "none"}))
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", api.url)
        cfg = tmp_path / "kubeward.yaml"
        cfg.write_text("admission:\n  enforce: critical\n  warn: low\n  audit: none\n")
        env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "kubeward", "admission", "serve", "--tls-cert",
             str(pki.cert_file), "--tls-key", str(pki.key_file), "--host", "127.0.0.1",
             "--port", "0", "--config", str(cfg), "--cluster", "--cross-checks",
             "--kubeconfig", str(kubeconfig), "--shutdown-delay", "0",
             "--no-access-log"],  # stderr is not read after start-up: keep the pipe empty
            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
            cwd=str(tmp_path))
        port = _wait_line(proc, "listening")["port"]
        c = Client(port, pki.client_context())
        wait_for(lambda: c.request("GET", "/readyz")[0] == 200, timeout=15)
        pod = workload("Pod", PRIVILEGED)
        assert c.review("/validate", review(pod, namespace="shop"))["allowed"] is True
        api.modify(_ns("shop", **{"kubeward.io/enforce": "baseline"}))
        wait_for(lambda: c.review("/validate", review(pod, namespace="shop"))["allowed"] is False)
        # cross-resource checks see the namespace's NetworkPolicies
        dep = workload("Deployment", HARDENED)
        warned = c.review("/validate", review(dep, namespace="shop")).get("warnings", [])
        assert any(w.startswith("kubeward XNET001 ") for w in warned)
        api.add({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "metadata": {"name": "deny", "namespace": "shop"},
                 "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}})
        wait_for(lambda: not any(w.startswith("kubeward XNET") for w in c.review(
            "/validate", review(dep, namespace="shop")).get("warnings", [])))
        c.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        api.stop()


def test_workers_stop_when_the_parent_is_killed(pki, tmp_path):
    cmd = [sys.executable, "-m", "kubeward", "admission", "serve",
           "--tls-cert", str(pki.cert_file), "--tls-key", str(pki.key_file),
           "--host", "127.0.0.1", "--port", "0", "--workers", "2", "--shutdown-delay", "0",
           "--no-access-log"]
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env=env, cwd=str(tmp_path))
    try:
        pids = _wait_line(proc, "workers-started")["pids"]
        for _ in range(2):
            _wait_line(proc, "listening")
        proc.kill()  # no chance to stop the workers itself
        proc.wait(10)

        def alive(pid: int) -> bool:
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
            except OSError:
                return False

        wait_for(lambda: not any(alive(p) for p in pids), timeout=15,
                 what="orphaned workers to stop")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
