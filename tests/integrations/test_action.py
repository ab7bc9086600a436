"""The GitHub Action (action.yml): its run steps are executed as bash
scripts, in order, the way the runner does for a composite action
(`bash --noprofile --norc -eo pipefail`), with inputs, step outputs and
GITHUB_OUTPUT / GITHUB_STEP_SUMMARY emulated, against examples/."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from kw_testlib import sarif_validator

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")


def _value(expr: str, inputs: dict, outputs: dict) -> str:
    parts = expr.split(".")
    if parts[0] == "inputs":
        return inputs[parts[1]]
    if parts[0] == "steps" and parts[2] == "outputs":
        return outputs.get(parts[1], {}).get(parts[3], "")
    if expr == "github.action_path":
        return str(ROOT)
    raise AssertionError(f"expression not emulated: {expr}")


def _sub(text: str, inputs, outputs) -> str:
    return EXPR.sub(lambda m: _value(m.group(1), inputs, outputs), str(text))


def _condition(cond: str, inputs, outputs) -> bool:
    py = cond.replace("always()", "True").replace("&&", " and ").replace("||", " or ")
    py = re.sub(r"(inputs|steps)\.[A-Za-z0-9_.-]+",
                lambda m: repr(_value(m.group(0), inputs, outputs)), py)
    return bool(eval(py, {"__builtins__": {}}, {"True": True}))  # noqa: S307 - test-only


def run_action(tmp_path, **given):
    inputs = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
    inputs.update({k.replace("_", "-"): v for k, v in given.items()})
    inputs["install"] = "false"  # kubeward is installed in the test environment
    shim = tmp_path / "bin"
    shim.mkdir(exist_ok=True)
    (shim / "kubeward").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m kubeward "$@"\n')
    (shim / "kubeward").chmod(0o755)
    outputs: dict[str, dict] = {}
    summary = tmp_path / "summary.md"
    log = []
    uses = []
    for step in ACTION["runs"]["steps"]:
        if "if" in step and not _condition(step["if"], inputs, outputs):
            continue
        if "uses" in step:
            uses.append((step["uses"], {k: _sub(v, inputs, outputs)
                                        for k, v in step.get("with", {}).items()}))
            continue
        assert step["shell"] == "bash"
        out_file = tmp_path / f"out-{len(log)}"
        out_file.write_text("")
        env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}",
               "GITHUB_OUTPUT": str(out_file), "GITHUB_STEP_SUMMARY": str(summary),
               "PYTHONPATH": str(ROOT)}
        env.update({k: _sub(v, inputs, outputs) for k, v in step.get("env", {}).items()})
        script = tmp_path / "step.sh"
        script.write_text(_sub(step["run"], inputs, outputs))
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        log.append((step["name"], proc.returncode, proc.stdout, proc.stderr))
        if "id" in step:
            outputs[step["id"]] = dict(line.split("=", 1) for line in
                                       out_file.read_text().splitlines() if "=" in line)
        if proc.returncode != 0:
            break
    return log, outputs, uses, summary


def test_action_fails_on_high_findings_and_uploads_sarif(tmp_path):
    sarif = tmp_path / "kw.sarif"
    log, outputs, uses, summary = run_action(tmp_path, paths="examples/insecure-app examples/hardened-app",
                                             sarif_file=str(sarif))
    names = [(n, c) for n, c, _, _ in log]
    assert names == [("Scan", 0), ("Fail on findings", 1)]
    assert outputs["scan"]["exit-code"] == "1" and outputs["scan"]["sarif-file"] == str(sarif)
    doc = json.loads(sarif.read_text())
    assert sarif_validator().is_valid(doc)
    results = doc["runs"][0]["results"]
    assert results and {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                        for r in results} == {"examples/insecure-app/deployment.yaml",
                                              "examples/insecure-app/rbac.yaml"}
    assert uses == [("github/codeql-action/upload-sarif@v3",
                     {"sarif_file": str(sarif), "category": "kubeward"})]
    scan_out = log[0][2]
    assert "::error file=examples/insecure-app/deployment.yaml,line=" in scan_out
    assert summary.read_text().startswith("## kubeward: ")
    assert "::error title=kubeward::findings at or above" in log[1][2]


def test_action_passes_on_clean_input_and_fail_on_never(tmp_path):
    log, outputs, _, _ = run_action(tmp_path, paths="examples/hardened-app",
                                    sarif_file=str(tmp_path / "a.sarif"))
    assert [(n, c) for n, c, _, _ in log] == [("Scan", 0), ("Fail on findings", 0)]
    assert outputs["scan"]["exit-code"] == "0"
    log, outputs, uses, _ = run_action(tmp_path, paths="examples/", fail_on="never",
                                       upload_sarif="false", annotations="false",
                                       sarif_file=str(tmp_path / "b.sarif"))
    assert [(n, c) for n, c, _, _ in log] == [("Scan", 0), ("Fail on findings", 0)]
    assert outputs["scan"]["exit-code"] == "1" and outputs["scan"]["result-code"] == "0"
    assert uses == []
    assert "::error" not in log[0][2] and "Findings by severity" in log[0][2]


def test_action_input_errors_exit_2(tmp_path):
    log, outputs, _, _ = run_action(tmp_path, paths="examples/hardened-app does-not-exist.yaml",
                                    sarif_file=str(tmp_path / "c.sarif"))
    assert [(n, c) for n, c, _, _ in log] == [("Scan", 0), ("Fail on findings", 2)]
    assert outputs["scan"]["exit-code"] == "2"
    assert "does-not-exist.yaml: error: no such file or directory" in log[0][3]


def test_action_metadata():
    assert ACTION["runs"]["using"] == "composite"
    for step in ACTION["runs"]["steps"]:
        if "run" in step:
            # inputs reach scripts through env only (no expression injection)
            assert "${{" not in step["run"], step["name"]
    assert set(ACTION["outputs"]) == {"sarif-file", "exit-code"}
    assert ACTION["inputs"]["fail-on"]["default"] == "high"


def test_action_context_and_namespace_inputs(tmp_path):
    import re as _re

    app = tmp_path / "app"
    app.mkdir()
    docs = _re.split(r"^---\n", (ROOT / "examples" / "hardened-app" / "deployment.yaml")
                     .read_text(), flags=_re.M)
    for i, doc in enumerate(docs, 1):
        (app / f"{i:02d}.yaml").write_text(doc)
    one = str(app / "03.yaml")
    log, outputs, _, _ = run_action(tmp_path, paths=one, fail_on="low", upload_sarif="false",
                                    sarif_file=str(tmp_path / "a.sarif"))
    assert outputs["scan"]["exit-code"] == "1"  # XNET001/XNET002/REL004 without the context
    log, outputs, _, _ = run_action(tmp_path, paths=one, context=str(app), fail_on="low",
                                    upload_sarif="false", sarif_file=str(tmp_path / "b.sarif"))
    assert outputs["scan"]["exit-code"] == "0", log
    assert "context: 8 more objects" in log[0][3]
    (app / "03.yaml").write_text((app / "03.yaml").read_text().replace("  namespace: shop\n", ""))
    log, outputs, _, _ = run_action(tmp_path, paths=one, context=str(app), namespace="shop",
                                    fail_on="low", upload_sarif="false",
                                    sarif_file=str(tmp_path / "c.sarif"))
    assert outputs["scan"]["exit-code"] == "0", log
    assert "not tied to any namespace" not in log[0][3]
