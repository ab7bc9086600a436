"""A progress bar on standard error for large scans, only when standard
error is a terminal (never in CI logs, pipes or tests). Non-terminal runs
pay nothing: no file walk, no rich import."""

from __future__ import annotations

import contextlib
import os
import sys

#: fewer inputs than this finish too fast for a bar to help
MIN_FILES = 50


def wanted(stream=None) -> bool:
    stream = stream or sys.stderr
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and not os.environ.get("CI") and os.environ.get("TERM") != "dumb"


@contextlib.contextmanager
def progress(paths, enabled: bool = True, stream=None, min_files: int = MIN_FILES):
    """Yields an ``on_file(path)`` callback, or None when no bar is shown."""
    stream = stream or sys.stderr
    if not enabled or "-" in paths or not wanted(stream):
        yield None
        return
    from kubeward.loading.files import iter_files

    total = sum(1 for _ in iter_files(paths, []))
    if total < min_files:
        yield None
        return
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeRemainingColumn)

    bar = Progress(TextColumn("scanning"), BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn(), TextColumn("{task.fields[current]}"),
                   console=Console(file=stream), transient=True)
    with bar:
        task = bar.add_task("scan", total=total, current="")

        def on_file(path: str) -> None:
            name = os.path.basename(path.rstrip("/")) or path
            bar.update(task, advance=1, current=name[-40:])

        yield on_file


class Phases:
    """Progress of a run in phases (``kubeward fix``: scanning, fixing,
    writing) on standard error. The bar appears only once the run has lasted
    ``delay`` seconds and only on a terminal; until then an update costs a
    clock read."""

    def __init__(self, stream=None, delay: float = 1.0, enabled: bool = True):
        import time

        self._time = time.monotonic
        self.stream = stream or sys.stderr
        self.enabled = enabled and wanted(self.stream)
        self.start = self._time()
        self.delay = delay
        self._bar = None
        self._task = None
        self._phase = None

    def update(self, done: int, total: int, what: str = "", phase: str = "") -> None:
        if not self.enabled:
            return
        if self._bar is None:
            if self._time() - self.start < self.delay:
                return
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeElapsedColumn)

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(),
                                 TextColumn("{task.fields[current]}"),
                                 console=Console(file=self.stream), transient=True)
            self._bar.start()
        if phase != self._phase or self._task is None:
            if self._task is not None:
                self._bar.remove_task(self._task)
            self._task = self._bar.add_task(phase or "working", total=total or None, current="")
            self._phase = phase
        name = os.path.basename(what.rstrip("/")) or what
        self._bar.update(self._task, completed=done, total=total or None, current=name[-40:])

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
