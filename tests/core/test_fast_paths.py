"""The shortcuts taken for scan speed give exactly what the plain paths give:
tag resolution deferred to the builder (yamldoc), the streamed JSON report,
the validation walk's leaf shortcut, the GC pause and cached path texts."""

from __future__ import annotations

import gc
import io
import json

import pytest
import yaml

from kubeward.engine import Report, gc_paused
from kubeward.findings import Edit, Finding, ObjectRef, Severity, path_text
from kubeward.loading.yamldoc import parse_documents
from kubeward.model.objects import K8sObject, Source
from kubeward.model.validate import validate_object
from kubeward.outputs import RenderContext
from kubeward.outputs import json as json_out
from kubeward.paths import format_path

# plain scalars whose resolved type PyYAML's safe loader decides (timestamps
# and binary are kept as text by kubeward on purpose, so they are not here)
SCALARS = ["yes", "No", "on", "OFF", "y", "n", "true", "False", "~", "null", "Null", "",
           "0", "12", "-3", "+12", "0755", "0x1F", "0b101", "1_000", "12:30:00", "1.5",
           "-.5", "1e3", "1.0e+3", ".inf", "-.Inf", ".nan", "abc", "1.2.3", "0.0.0.0",
           "'quoted'", '"7"', "! 12", "!!str 12", "!!int '12'", "<<x", "x<<"]


@pytest.mark.parametrize("text", SCALARS)
def test_deferred_tag_resolution_matches_pyyaml(text):
    src = f"v: {text}\n{text or 'empty'}: k\nl: [{text}]\n"
    ours = next(iter(parse_documents(src))).data
    ref = yaml.load(src, Loader=yaml.CSafeLoader)
    value = ref["v"]
    assert ours["v"] == value or (value != value and ours["v"] != ours["v"])  # nan
    assert type(ours["v"]) is type(value)
    assert [type(x) for x in ours["l"]] == [type(x) for x in ref["l"]]


def test_merge_keys_plain_and_tagged_but_not_quoted():
    src = ("base: &b {x: 1, y: 2}\n"
           "a:\n  <<: *b\n  y: 3\n"
           "b:\n  !!merge <<: *b\n"
           "c:\n  '<<': 5\n")
    data = next(iter(parse_documents(src))).data
    assert data["a"] == {"x": 1, "y": 3}
    assert data["b"] == {"x": 1, "y": 2}
    assert data["c"] == {"<<": 5}


def test_non_string_keys_become_text():
    data = next(iter(parse_documents("1: a\ntrue: b\n~: c\n1.5: d\n"))).data
    assert list(data) == ["1", "true", "None", "1.5"]


def _finding(i: int, message: str = "m") -> Finding:
    return Finding(check_id="TST001", check_name="Test", severity=Severity.HIGH,
                   object=ObjectRef("v1", "Pod", f"p{i}", "ns"), file="f.yaml", line=i + 1,
                   column=3, path=("spec", "containers", i % 3, "image"), message=message,
                   remediation="fix it", frameworks={"cis": ("1.2",)}, value=None,
                   fix_safety="safe",
                   edits=(Edit("set", ("metadata", "annotations", "a.b/c"), {"k": [1, "é"]}),),
                   doc_index=0)


@pytest.mark.parametrize("count", [0, 1, 999, 1000, 1001, 2500])
@pytest.mark.parametrize("show_suppressed", [False, True])
def test_streamed_json_is_byte_identical(count, show_suppressed):
    report = Report(findings=[_finding(i, "naïve ✓") for i in range(count)],
                    suppressed=[_finding(i) for i in range(count // 2)])
    for f in report.suppressed:
        f.suppressed, f.suppressed_by = "accepted", "config"
    ctx = RenderContext(show_suppressed=show_suppressed,
                        extra={"compliance": {"x": [1, {"y": "ü"}], "z": {}}})
    expected = json_out.dumps(json_out.report_dict(report, ctx))
    text = io.StringIO()
    json_out.render(report, text, ctx)
    assert text.getvalue() == expected
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8")
    stream.write("")
    json_out.render(report, stream, ctx)
    stream.flush()
    assert raw.getvalue() == expected.encode()
    assert len(json.loads(expected)["findings"]) == count


def test_validation_shortcut_reports_the_same_wrong_types():
    raw = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "p", "labels": {"a": 1, "b": "x"}},
           "spec": {"hostNetwork": "yes", "containers": [
               {"name": "c", "image": 5, "ports": [{"containerPort": "80"}],
                "command": ["a", 1, None], "securityContext": {"privileged": 1}},
               "not-a-container"]}}
    obj = K8sObject(raw, Source("f.yaml", 0, 1, {}))
    assert [format_path(p) for p, _ in validate_object(obj)] == [
        "metadata.labels.a", "spec.hostNetwork", "spec.containers[0].image",
        "spec.containers[0].ports[0].containerPort", "spec.containers[0].command[1]",
        "spec.containers[0].securityContext.privileged", "spec.containers[1]"]


def test_gc_paused_restores_the_collector_state():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_path_text_is_format_path():
    for p in [(), ("a",), ("metadata", "annotations", "x.y/z"), ("a", 0, "b-c", 12)]:
        assert path_text(p) == format_path(p)
        assert path_text(p) == format_path(p)  # cached


def test_depth_guard_counts_flow_openers_per_document():
    from kubeward.loading.yamldoc import MAX_DEPTH, DocumentError, _needs_depth_precheck

    many_small = "a: {b: [1, 2]}\n---\n" * 3000
    assert not _needs_depth_precheck(many_small)
    docs = [d for d in parse_documents(many_small) if not isinstance(d, DocumentError)]
    assert len([d for d in docs if d.data is not None]) == 3000
    deep = many_small + "b: " + "[" * 6000 + "]" * 6000 + "\n"
    assert _needs_depth_precheck(deep)
    items = list(parse_documents(deep))
    assert isinstance(items[-1], DocumentError)
    assert f"deeper than {MAX_DEPTH}" in items[-1].message
    # a marker inside a block scalar still ends the document: bound per part
    assert _needs_depth_precheck("a: |\n  " + "{" * 6000 + "\n")
