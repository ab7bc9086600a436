"""Edits as RFC 6902 JSON Patch, checked against the ``jsonpatch`` package."""

from __future__ import annotations

import copy

import jsonpatch
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubeward.findings import Edit
from kubeward.fix.jsonpatch import EditError, apply_edits, edits_needed, to_json_patch

SC = ("spec", "containers", 0, "securityContext")


def pod(**sc):
    c = {"name": "app", "image": "nginx:1.27"}
    if sc:
        c["securityContext"] = sc
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [c]}}


def check_patch(raw, edits, again=True):
    before = copy.deepcopy(raw)
    patch = to_json_patch(raw, edits)
    assert raw == before, "to_json_patch must not change its input"
    got = jsonpatch.apply_patch(raw, copy.deepcopy(patch))  # it shares op values
    assert got == apply_edits(raw, edits)
    assert raw == before
    if again:  # a second application is a no-op
        assert to_json_patch(got, edits) == []
    return patch


def test_creates_missing_parents_in_order():
    patch = check_patch(pod(), [Edit("set", SC + ("allowPrivilegeEscalation",), False)])
    assert patch == [
        {"op": "add", "path": "/spec/containers/0/securityContext", "value": {}},
        {"op": "add", "path": "/spec/containers/0/securityContext/allowPrivilegeEscalation",
         "value": False},
    ]


def test_replace_existing_value():
    patch = check_patch(pod(privileged=True), [Edit("set", SC + ("privileged",), False)])
    assert patch == [{"op": "replace", "path": "/spec/containers/0/securityContext/privileged",
                      "value": False}]


def test_null_parent_is_replaced():
    raw = pod()
    raw["spec"]["containers"][0]["securityContext"] = None
    patch = check_patch(raw, [Edit("set", SC + ("privileged",), False)])
    assert patch[0] == {"op": "replace", "path": "/spec/containers/0/securityContext",
                        "value": {}}
    assert patch[1]["op"] == "add"


def test_idempotent_when_already_set():
    raw = pod(allowPrivilegeEscalation=False)
    assert to_json_patch(raw, [Edit("set", SC + ("allowPrivilegeEscalation",), False)]) == []


def test_bool_and_int_differ():
    raw = pod(runAsUser=0)
    patch = check_patch(raw, [Edit("set", SC + ("runAsUser",), False)])
    assert patch[0]["op"] == "replace"


def test_append_to_existing_list_and_creating_it():
    raw = pod(capabilities={"add": ["NET_BIND_SERVICE"], "drop": ["NET_RAW"]})
    patch = check_patch(raw, [Edit("append", SC + ("capabilities", "drop"), "ALL")])
    assert patch == [{"op": "add", "path": "/spec/containers/0/securityContext/capabilities/drop/-",
                      "value": "ALL"}]
    patch = check_patch(pod(), [Edit("append", SC + ("capabilities", "drop"), "ALL")])
    assert patch[-1] == {"op": "add", "path": "/spec/containers/0/securityContext/capabilities/drop",
                         "value": ["ALL"]}
    assert [p["path"] for p in patch] == ["/spec/containers/0/securityContext",
                                          "/spec/containers/0/securityContext/capabilities",
                                          "/spec/containers/0/securityContext/capabilities/drop"]
    # already there: nothing
    raw = pod(capabilities={"drop": ["ALL"]})
    assert to_json_patch(raw, [Edit("append", SC + ("capabilities", "drop"), "ALL")]) == []


def test_append_to_null_list_replaces_it():
    raw = pod(capabilities={"drop": None})
    patch = check_patch(raw, [Edit("append", SC + ("capabilities", "drop"), "ALL")])
    assert patch == [{"op": "replace", "path": "/spec/containers/0/securityContext/capabilities/drop",
                      "value": ["ALL"]}]


def test_remove_present_and_absent():
    raw = pod(privileged=True)
    patch = check_patch(raw, [Edit("remove", SC + ("privileged",))])
    assert patch == [{"op": "remove", "path": "/spec/containers/0/securityContext/privileged"}]
    assert to_json_patch(pod(), [Edit("remove", SC + ("privileged",))]) == []
    raw = pod(capabilities={"add": ["SYS_ADMIN", "NET_ADMIN"]})
    # removing a list item by index is the one edit that is not idempotent
    patch = check_patch(raw, [Edit("remove", SC + ("capabilities", "add", 0))], again=False)
    assert patch == [{"op": "remove", "path": "/spec/containers/0/securityContext/capabilities/add/0"}]


def test_escaped_keys():
    raw = pod()
    key = "container.apparmor.security.beta.kubernetes.io/app~x"
    patch = check_patch(raw, [Edit("set", ("metadata", "annotations", key), "runtime/default")])
    assert patch[0] == {"op": "add", "path": "/metadata/annotations", "value": {}}
    assert patch[1]["path"] == "/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1app~0x"


def test_edits_see_each_other():
    edits = [Edit("set", SC + ("capabilities", "drop"), ["ALL"]),
             Edit("append", SC + ("capabilities", "add"), "NET_BIND_SERVICE"),
             Edit("set", SC + ("capabilities", "drop"), ["ALL"])]
    patch = check_patch(pod(), edits)
    assert len(patch) == 4
    assert edits_needed(pod(), edits) == edits[:2]


def test_errors():
    with pytest.raises(EditError):
        to_json_patch(pod(), [Edit("set", ("spec", "containers", 5, "name"), "x")])
    with pytest.raises(EditError):
        to_json_patch(pod(), [Edit("set", ("spec", "volumes", 0, "name"), "x")])
    with pytest.raises(EditError):
        to_json_patch(pod(), [Edit("frob", ("spec",), 1)])
    with pytest.raises(EditError):
        to_json_patch(pod(), [Edit("set", (), 1)])


# -- property: the patch and apply_edits always agree -------------------------

keys = st.sampled_from(["a", "b", "c", "x/y", "t~"])
scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["ALL", "v"]))
values = st.recursive(scalars, lambda ch: st.one_of(st.lists(ch, max_size=3),
                                                     st.dictionaries(keys, ch, max_size=3)),
                      max_leaves=6)
docs = st.dictionaries(keys, values, max_size=4)
paths = st.lists(st.one_of(keys, st.integers(0, 2)), min_size=1, max_size=4).map(tuple)
edits_st = st.lists(st.builds(Edit, st.sampled_from(["set", "remove", "append"]), paths, values),
                    max_size=5)


@settings(max_examples=300, deadline=None)
@given(docs, edits_st)
def test_patch_matches_apply_edits(raw, edits):
    try:
        patch = to_json_patch(raw, edits)
    except EditError:
        return
    got = jsonpatch.apply_patch(raw, copy.deepcopy(patch))  # it shares op values
    assert got == apply_edits(raw, edits)
    # applying the same edits again changes nothing only when no later edit
    # undoes an earlier one; for a single edit it always holds
    for e in edits[:1]:
        if e.op == "remove" and isinstance(e.path[-1], int):
            continue
        once = apply_edits(raw, [e])
        assert to_json_patch(once, [e]) == []
