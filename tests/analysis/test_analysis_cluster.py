"""``--cluster``: the same answers from a live API server (the fake one of
tests/kwtest/fakeapi.py) as from the files."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from kwtest.analysis import FIXTURES

from kubeward.cli.main import cli

pytest.importorskip("kubernetes", reason="kubeward[cluster] (the kubernetes client) is not installed")

@pytest.fixture
def live(tmp_path):
    from kwtest.fakeapi import FakeKubeAPI, write_kubeconfig

    api = FakeKubeAPI().start()
    try:
        yield api, str(write_kubeconfig(tmp_path / "kubeconfig", api.url))
    finally:
        api.stop()


def _json(*args):
    r = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_escalation_and_who_can_live_equal_files_except_unread_secrets(live):
    api, kubeconfig = live
    api.load_yaml(FIXTURES / "escalation.yaml")
    files = _json("rbac", "escalation", str(FIXTURES / "escalation.yaml"), "-o", "json")
    cluster = _json("rbac", "escalation", "--cluster", "--kubeconfig", kubeconfig, "-o", "json")
    # Secrets are never read from a cluster: eve's path through a token Secret is not seen
    assert [s for s in files["subjects"] if s["subject"] != "User eve"] == cluster["subjects"]
    args = ("rbac", "who-can", "create", "pods", "-n", "a", "-o", "json")
    assert _json(*args, "--cluster", "--kubeconfig", kubeconfig) == \
        _json(*args, str(FIXTURES / "escalation.yaml"))


def test_network_live_equals_files(live):
    api, kubeconfig = live
    api.load_yaml(FIXTURES / "netpol.yaml")
    files = _json("network", str(FIXTURES / "netpol.yaml"), "-o", "json")["workloads"]
    cluster = _json("network", "--cluster", "--kubeconfig", kubeconfig, "-o", "json")["workloads"]

    def canonical(v):
        # the same answers; the order of objects read from a cluster differs
        if isinstance(v, dict):
            return {k: canonical(x) for k, x in v.items() if k not in ("file", "line")}
        if isinstance(v, list):
            return sorted((canonical(x) for x in v), key=lambda x: json.dumps(x, sort_keys=True))
        return v

    assert canonical(cluster) == canonical(files)
    assert len(cluster) == 5


def test_cluster_and_paths_exclude_each_other(live):
    _, kubeconfig = live
    r = CliRunner().invoke(cli, ["rbac", "escalation", "--cluster", str(FIXTURES / "rbac.yaml")])
    assert r.exit_code == 2 and "not both" in r.output
