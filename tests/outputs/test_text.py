"""-o text: grouped by file, source line with a marker, summary table,
colour only when asked for; the progress bar only on a terminal."""

from __future__ import annotations

import io
import json

from kwtest.cli import PINNED, deployment, run

from kubeward.cli.progress import progress, wanted
from kubeward.outputs.text import marker_span


def test_marker_span():
    assert marker_span("            privileged: true", 13) == (12, 10)
    assert marker_span("        - name: app", 9) == (10, 4)  # list item: the first key
    assert marker_span("        - name: app", 11) == (10, 4)
    assert marker_span('    "kubeward.io/ignore": x', 5) == (4, 20)
    assert marker_span("  spec:", 40) == (2, 4)  # column past the end: first text


def test_layout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(deployment(host_pid=True))
    (tmp_path / "b.yaml").write_text(deployment(name="b"))
    r = run(["scan", *PINNED, "a.yaml", "b.yaml"])
    assert r.exit_code == 1
    out = r.stdout
    assert "\x1b[" not in out
    lines = out.splitlines()
    assert lines[0] == "a.yaml"
    i = lines.index("  14:13 CRITICAL PSS002 container \"app\" is privileged (securityContext.privileged: true)")
    assert lines[i + 1].strip() == ("Deployment shop/web  field: "
                                    "spec.template.spec.containers[0].securityContext.privileged")
    assert lines[i + 2] == "    >   14 |             privileged: true"
    assert lines[i + 3] == "           |             ^^^^^^^^^^"
    assert lines[i + 4].startswith("      fix: ")
    assert "b.yaml" in lines and lines.index("b.yaml") > i
    s = lines.index("Findings by severity")
    assert lines[s + 1:s + 6] == ["  critical      2", "  high          1", "  medium        0",
                                  "  low           0", "  info          0"]
    t = lines.index("Top checks")
    assert lines[t + 1].split() == ["PSS002", "Privileged", "container", "2"]
    assert lines[t + 2].split()[0] == "PSS001"
    assert lines[-1].startswith("3 findings (2 critical, 1 high) in 2 objects from 2 files")


def test_color_only_when_asked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(deployment())
    assert "\x1b[" in run(["scan", *PINNED, "--color", "a.yaml"]).stdout
    assert "\x1b[" not in run(["scan", *PINNED, "a.yaml"]).stdout
    # files never get colour, even with --color
    run(["scan", *PINNED, "--color", "-o", "text=out.txt", "a.yaml"])
    assert "\x1b[" not in (tmp_path / "out.txt").read_text()


def test_several_outputs_at_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(deployment())
    r = run(["scan", *PINNED, "-o", "json=r.json", "-o", "sarif=r.sarif", "-o", "junit=r.xml",
             "-o", "markdown=r.md", "-o", "github=gh.txt", "-o", "codequality=cq.json",
             "-o", "text", "a.yaml"])
    assert r.exit_code == 1
    assert "PSS002" in r.stdout
    data = json.loads((tmp_path / "r.json").read_text())
    sarif = json.loads((tmp_path / "r.sarif").read_text())
    assert [f["checkId"] for f in data["findings"]] == \
        [x["ruleId"] for x in sarif["runs"][0]["results"]] == ["PSS002"]
    assert set(data) >= {"schemaVersion", "tool", "findings", "errors", "notes", "summary"}
    assert "<failure" in (tmp_path / "r.xml").read_text()
    assert (tmp_path / "r.md").read_text().startswith("## kubeward: 1 finding\n")
    assert (tmp_path / "gh.txt").read_text().startswith("::error file=a.yaml,line=14,col=13,")
    assert json.loads((tmp_path / "cq.json").read_text())[0]["check_name"] == "PSS002"


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_only_on_a_terminal(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    for i in range(4):
        (tmp_path / f"f{i}.yaml").write_text(deployment(name=f"w{i}"))
    assert not wanted(io.StringIO())
    with progress([str(tmp_path)], stream=io.StringIO(), min_files=1) as cb:
        assert cb is None  # not a terminal: no walk, no bar
    monkeypatch.setenv("CI", "true")
    assert not wanted(_Tty())
    monkeypatch.delenv("CI")
    with progress([str(tmp_path)], stream=_Tty(), min_files=10) as cb:
        assert cb is None  # small scan
    tty = _Tty()
    seen = []
    with progress([str(tmp_path)], stream=tty, min_files=1) as cb:
        assert cb is not None
        from kubeward.engine import ScanOptions, scan

        def spy(path):
            seen.append(path)
            cb(path)
        rep = scan([str(tmp_path)], ScanOptions(checks=("PSS002",)), on_file=spy)
    assert len(seen) == 4 and len(rep.findings) == 4
    assert "4/4" in tty.getvalue()
