"""``kubeward fix`` progress: reported per phase by ``fix_paths``, drawn on
standard error only on a terminal and only once the run has lasted a
second (a fake clock; no timing in the test)."""

from __future__ import annotations

import io

from kubeward.cli.progress import Phases
from kubeward.engine import ScanOptions
from kubeward.fix.run import fix_paths

POD = ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
       "  - name: a\n    image: registry.example.com/a:1\n")


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_fix_paths_reports_each_phase(tmp_path):
    for i in range(3):
        (tmp_path / f"p{i}.yaml").write_text(POD)
    (tmp_path / "clean.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    calls = []
    fix_paths([str(tmp_path)], ScanOptions(checks=("CTR013",)),
              progress=lambda done, total, what, phase: calls.append((phase, done, total)))
    assert [c for c in calls if c[0] == "scanning"] == [("scanning", i, 0) for i in range(1, 5)]
    assert [c for c in calls if c[0] == "fixing"] == [("fixing", i, 3) for i in range(3)]
    assert [c for c in calls if c[0] == "writing"] == [("writing", i, 3) for i in range(3)]


def test_bar_only_on_a_terminal_after_a_second(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    now = [100.0]
    out = Tty()
    bar = Phases(stream=out)
    bar._time = lambda: now[0]
    bar.start = 100.0
    bar.update(1, 10, "a.yaml", "fixing")
    assert bar._bar is None and out.getvalue() == ""  # a quick run shows nothing
    now[0] = 101.5
    bar.update(2, 10, "b.yaml", "fixing")
    assert bar._bar is not None
    bar.update(3, 10, "b.yaml", "writing")
    assert bar._phase == "writing"
    bar.close()
    assert bar._bar is None
    piped = Phases(stream=io.StringIO())  # not a terminal: never
    piped._time = lambda: now[0] + 10
    piped.update(1, 1, "x", "fixing")
    assert piped._bar is None and not piped.enabled
