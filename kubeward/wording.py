"""Counted nouns for messages and summaries: ``plural(1, "file")`` is
"1 file", ``plural(2, "file")`` "2 files". One home for the rule, so no
output says "1 files" or "1 findings"."""

from __future__ import annotations

_IRREGULAR = {"policy": "policies", "was": "were", "is": "are", "this": "these"}


def noun(n: int, word: str, many: str | None = None) -> str:
    """``word`` in the form that goes with ``n``."""
    if n == 1:
        return word
    if many is not None:
        return many
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith(("s", "x", "sh", "ch")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``"1 file"``, ``"2 files"``, ``"0 findings"``."""
    return f"{n} {noun(n, word, many)}"
