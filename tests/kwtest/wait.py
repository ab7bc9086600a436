"""Wait for a condition instead of sleeping and then asserting.

A negative assertion after a fixed sleep ("nothing happened within 0.3 s")
passes vacuously on a slow machine; wait for a positive signal that the
system has processed the event first (a counter, a log line, a later
sentinel), then assert what must not have happened."""

from __future__ import annotations

import time
from collections.abc import Callable

DEFAULT_TIMEOUT = 10.0


def wait_for(pred: Callable[[], object], timeout: float = DEFAULT_TIMEOUT, what: str = "condition",
             interval: float = 0.02):
    """Poll ``pred`` until it returns a truthy value and return that value;
    fail the test naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        time.sleep(interval)
