"""Pausing the cyclic garbage collector around allocation-heavy work
(scanning, rendering reports)."""

from __future__ import annotations

import contextlib
import gc


@contextlib.contextmanager
def gc_paused(promote: bool = True):
    """No cyclic garbage collection inside the block. A scan builds millions
    of small, long-lived objects (documents, position tables, findings) and
    creates almost no cyclic garbage; the collector's repeated passes over
    that growing heap cost more than half the scan time.

    With ``promote``, what survived the block goes straight to the oldest
    generation (freeze then unfreeze), as if it had survived the young
    collections it skipped: otherwise the first young collection after the
    block walks all of it at once. Garbage cycles there are still found by
    the next full collection; nothing stays frozen. Blocks whose objects die
    with them (rendering) need no promotion."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if promote:
            gc.freeze()
            gc.unfreeze()
        if was:
            gc.enable()
