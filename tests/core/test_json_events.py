"""Large JSON files are built from parser events (no node tree in memory):
the documents, positions and problems are those of the composer path."""

from __future__ import annotations

import json

import pytest

from kubeward.loading import yamldoc
from kubeward.loading.yamldoc import Document, DocumentError, parse_documents

ITEMS = [{"apiVersion": "apps/v1", "kind": "Deployment",
          "metadata": {"name": f"w{i}", "namespace": "ns", "labels": {"app": f"w{i}"}},
          "spec": {"replicas": i, "paused": i % 2 == 0, "ratio": 0.5, "none": None,
                   "octal": "0755", "list": [1, "two", [3, {"four": 4}], []], "empty": {},
                   "template": {"spec": {"containers": [{"name": "c", "image": "x:1",
                                                         "ports": [{"containerPort": 80}]}]}}}}
         for i in range(5)]


def _shape(items):
    """Documents and errors with positions keyed by walk order, comparable."""
    from kubeward.model.objects import _containers
    out = []
    for d in items:
        if isinstance(d, DocumentError):
            out.append(("error", d.message, d.line, d.column, getattr(d, "doc_index", None)))
        else:
            assert isinstance(d, Document)
            out.append((d.index, d.line, json.dumps(d.data),
                        [d.positions.get(id(c)) for c in _containers(d.data)]))
    return out


def _both(text, monkeypatch):
    monkeypatch.setattr(yamldoc, "EVENT_BUILD_MIN", 10 ** 12)
    composed = list(parse_documents(text, is_json=True))
    monkeypatch.setattr(yamldoc, "EVENT_BUILD_MIN", 0)
    calls = []
    real = yamldoc._json_by_events
    monkeypatch.setattr(yamldoc, "_json_by_events",
                        lambda t: calls.append(1) or real(t))
    events = list(parse_documents(text, is_json=True))
    return composed, events, calls


@pytest.mark.parametrize("indent", [None, 1, "\t"])
def test_events_build_what_the_composer_builds(monkeypatch, indent):
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": ITEMS}, indent=indent)
    composed, events, calls = _both(text, monkeypatch)
    assert calls == [1]
    assert _shape(events) == _shape(composed)
    assert events[0].data["items"][3]["spec"]["replicas"] == 3
    assert events[0].data["items"][0]["spec"]["paused"] is True


def test_duplicate_keys_are_reported_the_same(monkeypatch):
    text = '{"kind": "List",\n "items": [{"a": 1,\n   "a": 2}],\n "kind": "List"}'
    composed, events, _ = _both(text, monkeypatch)
    assert _shape(events) == _shape(composed)
    assert [e.line for e in events if isinstance(e, DocumentError)] == [3, 4]


@pytest.mark.parametrize("text", [
    '{"a": [1, 2}',                         # syntax error: resumes as the composer does
    '{"a": &x [1], "b": *x}',               # YAML anchors in a .json file
    '{"<<": {"a": 1}, <<: {"b": 2}}',       # a merge key
    '[1]\n---\n[2]',                        # two documents
    '"just a string"',
    '{"a": !!str 1}',
    "[" * 300 + "]" * 300,                  # deeper than MAX_DEPTH
])
def test_anything_else_takes_the_composer_path(monkeypatch, text):
    composed, events, calls = _both(text, monkeypatch)
    assert calls == [1]
    assert _shape(events) == _shape(composed)
