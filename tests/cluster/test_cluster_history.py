"""``audit --watch --history FILE``: the first report is recorded, then one
record per --history-interval."""

import json
from pathlib import Path

from click.testing import CliRunner

from kubeward.cli.main import cli

DATA = Path(__file__).resolve().parent / "data"


def test_audit_watch_records_the_first_report_then_per_interval(fake_api, kubeconfig, tmp_path):
    fake_api.load_yaml(DATA)
    hist = tmp_path / "h.db"
    r = CliRunner().invoke(cli, ["audit", "--kubeconfig", kubeconfig, "--watch",
                                 "--metrics-port", "0", "--check", "PSS002",
                                 "--history", str(hist), "--history-interval", "0.3",
                                 "-o", "json", "--duration", "5"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["history", str(hist), "-o", "json"], catch_exceptions=False)
    runs = json.loads(r.stdout)["runs"]
    # the first report, then one per elapsed interval (at least one in 5 s, even when the
    # first evaluation is slow on a busy machine)
    assert len(runs) >= 2
    assert {x["command"] for x in runs} == {"audit"}
    assert {x["findings"] for x in runs} == {1}  # nothing changed: the privileged Deployment
    assert runs[0]["introduced"] == 1 and runs[0]["fixed"] == 0
    assert all(x["introduced"] == 0 and x["fixed"] == 0 for x in runs[1:])


def test_audit_history_file_errors_before_touching_the_cluster(kubeconfig, tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_text("not sqlite\n" * 50)
    r = CliRunner().invoke(cli, ["audit", "--kubeconfig", kubeconfig, "--history", str(bad)])
    assert r.exit_code == 2
    assert r.stderr.strip().startswith(f"kubeward: error: {bad}: not a kubeward history file")
