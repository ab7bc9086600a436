"""Issue 13, "compliance summaries": a control fails only through findings
of its own field; a control whose checks need configuration is "not
evaluated"; control lines name the checks that fired, with plurals."""

from __future__ import annotations

from pathlib import Path

from kubeward.compliance import summarize, text_lines
from kubeward.config import Config
from kubeward.engine import ScanOptions, scan

ROOT = Path(__file__).resolve().parents[2]
INSECURE = str(ROOT / "examples" / "insecure-app")


def _cis(**kw):
    report = scan([INSECURE], ScanOptions(frameworks=("cis",), **kw))
    cis = summarize(report)["cis"]
    return cis, {c["id"]: c for c in cis["controls"]}


def test_host_ipc_does_not_fail_through_host_network_or_pid():
    _cis_, controls = _cis()
    # the example sets hostNetwork and hostPID, not hostIPC
    assert controls["5.2.4"]["status"] == "passed" and controls["5.2.4"]["findings"] == 0
    assert (controls["5.2.3"]["status"], controls["5.2.3"]["findings"],
            controls["5.2.3"]["failedBy"]) == ("failed", 1, ["PSS001"])
    assert (controls["5.2.5"]["status"], controls["5.2.5"]["findings"]) == ("failed", 1)


def test_capability_controls_follow_the_finding():
    _cis_, controls = _cis()
    # drop ALL missing fails 5.2.10 (capabilities assigned), not 5.2.8 (NET_RAW) by PSS018
    assert controls["5.2.10"]["failedBy"] == ["PSS018"]
    assert "PSS018" not in controls["5.2.8"]["failedBy"]


def test_image_provenance_is_not_evaluated_without_allowed_registries():
    cis, controls = _cis()
    c = controls["5.5.1"]
    assert (c["status"], c["reason"]) == ("not-evaluated", "IMG005 has no allowedRegistries")
    assert cis["notEvaluated"] == 1
    lines = text_lines({"cis": cis})
    assert any(ln.split()[:2] == ["n/e", "5.5.1"]
               and ln.endswith("(not evaluated: IMG005 has no allowedRegistries)") for ln in lines)
    configured = Config(options={"IMG005": {"allowedRegistries": ["registry.example.com"]}})
    _cis_, controls = _cis(config=configured)
    assert controls["5.5.1"]["status"] in ("passed", "failed")


def test_control_lines_name_only_checks_that_fired_with_plurals():
    cis, controls = _cis()
    lines = {ln.split()[1]: ln for ln in text_lines({"cis": cis})[1:]}
    assert lines["5.2.3"].endswith("(1 finding: PSS001)")
    assert controls["5.2.12"]["findings"] == 2
    assert lines["5.2.12"].endswith("(2 findings: MNT005, PSS004)")
    # 5.1.1 is covered by RBAC021 too, which did not fire: not listed
    assert "RBAC021" in controls["5.1.1"]["checks"]
    assert "RBAC021" not in lines["5.1.1"]
