"""Text rewriting: exact outputs for the layouts people write."""

from __future__ import annotations

import json
import textwrap

import pytest

from kubeward.findings import Edit
from kubeward.fix.rewrite import (FixError, detect_layout, compose_documents, document_spans,
                                  fix_text, minimize_hunks, parse_data)
from kwtest.oracle import expected_data, line_violations

C0 = ("spec", "containers", 0)
SC = C0 + ("securityContext",)
APE = Edit("set", SC + ("allowPrivilegeEscalation",), False)
DROP = Edit("append", SC + ("capabilities", "drop"), "ALL")
SECCOMP = Edit("set", SC + ("seccompProfile",), {"type": "RuntimeDefault"})


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def run(text, edits, doc=0, is_json=False, again=True, lines=True):
    out = fix_text(text, [("g", doc, edits)], is_json=is_json)
    assert out.failed == [], out.failed
    assert parse_data(out.text, is_json) == expected_data(text, {doc: edits}, is_json)
    if lines:
        assert line_violations(text, out.text, {doc: edits}, is_json) == []
    if again:  # removing a list item by index is the one edit that is not idempotent
        second = fix_text(out.text, [("g", doc, edits)], is_json=is_json)
        assert second.text == out.text and second.applied == []
    return out.text


POD = d("""
    # a pod
    apiVersion: v1
    kind: Pod
    metadata:
      name: web  # its name
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: "nginx:1.27"   # pinned
        args:
        - |
          line one

          line two
      # end of containers
    """)


def test_creates_parents_after_the_last_line_keeping_everything_else():
    got = run(POD, [APE, DROP, SECCOMP])
    assert got == POD.replace("      line two\n", "      line two\n"
                              "    securityContext:\n"
                              "      allowPrivilegeEscalation: false\n"
                              "      capabilities:\n"
                              "        drop:\n"
                              "        - ALL\n"
                              "      seccompProfile:\n"
                              "        type: RuntimeDefault\n")


FOUR = d("""
    apiVersion: apps/v1
    kind: Deployment
    metadata:
        name: api
    spec:
        template:
            spec:
                hostPID: true
                containers:
                    -   name: api
                        image: api:1
                        securityContext:
                            privileged: true
                            capabilities:
                                add: ["NET_ADMIN"]
    """)


def test_four_space_indent_and_indented_dashes():
    sc = ("spec", "template", "spec", "containers", 0, "securityContext")
    edits = [Edit("set", sc + ("privileged",), False),
             Edit("append", sc + ("capabilities", "drop"), "ALL"),
             Edit("set", ("spec", "template", "spec", "hostPID"), False),
             Edit("set", sc + ("runAsNonRoot",), True)]
    got = run(FOUR, edits)
    assert got == FOUR.replace("hostPID: true", "hostPID: false").replace(
        "privileged: true", "privileged: false").replace(
        'add: ["NET_ADMIN"]\n',
        'add: ["NET_ADMIN"]\n' + " " * 28 + "drop:\n" + " " * 32 + "- ALL\n"
        + " " * 24 + "runAsNonRoot: true\n")


def test_layout_detection():
    lay = detect_layout(compose_documents(FOUR))
    assert (lay.map_indent, lay.seq_offset, lay.item_indent) == (4, 4, 4)
    lay = detect_layout(compose_documents(POD))
    assert (lay.map_indent, lay.seq_offset, lay.item_indent) == (2, 0, 2)


def test_flow_mappings_stay_flow():
    text = d("""
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          containers:
          - {name: app, image: nginx, securityContext: {privileged: true}}
        """)
    got = run(text, [Edit("set", SC + ("privileged",), False), APE, DROP])
    assert got.splitlines()[5] == ("  - {name: app, image: nginx, securityContext: {privileged: false, "
                                   "allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}}")
    empty = text.replace("{privileged: true}", "{}")
    got = run(empty, [APE])
    assert got.splitlines()[5].endswith("securityContext: {allowPrivilegeEscalation: false}}")


def test_null_parent_gets_a_block():
    text = d("""
        apiVersion: v1
        kind: Pod
        metadata:
          name: p
        spec:
          containers:
          - name: app
            securityContext:   # set below
          - name: two
            securityContext: null
        """)
    got = run(text, [APE, Edit("set", ("spec", "containers", 1, "securityContext", "privileged"), False)])
    assert got == text.replace("securityContext:   # set below\n",
                               "securityContext:   # set below\n      allowPrivilegeEscalation: false\n"
                               ).replace("securityContext: null\n",
                                         "securityContext:\n      privileged: false\n")


def test_quoting_style_kept_on_replace():
    text = d("""
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          containers:
          - name: a
            image: x
            imagePullPolicy: 'IfNotPresent'
          - name: b
            image: y
            imagePullPolicy: "Never"
        """)
    got = run(text, [Edit("set", C0 + ("imagePullPolicy",), "Always"),
                     Edit("set", ("spec", "containers", 1, "imagePullPolicy"), "Always")])
    assert "imagePullPolicy: 'Always'" in got and 'imagePullPolicy: "Always"' in got


def test_new_strings_quoted_only_when_needed():
    text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n"
    key = "pod-security.kubernetes.io/enforce"
    got = run(text, [Edit("set", ("metadata", "labels", key), "restricted"),
                     Edit("set", ("metadata", "labels", "odd key: x"), "yes"),
                     Edit("set", ("metadata", "labels", "n"), "10")])
    assert got == text + ("  labels:\n    pod-security.kubernetes.io/enforce: restricted\n"
                          '    "odd key: x": "yes"\n    n: "10"\n')


def test_multi_document_file_only_target_changes():
    text = d("""
        --- # first
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: c
        data:
          k: |
            keep
        ---
        # second
        apiVersion: v1
        kind: Pod
        metadata:
          name: p
        spec:
          containers:
          - name: app
            image: nginx
        ...
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: q}
        spec: {containers: [{name: x, image: y}]}
        """)
    got = run(text, [APE], doc=1)
    assert got == text.replace("    image: nginx\n", "    image: nginx\n    securityContext:\n"
                                                     "      allowPrivilegeEscalation: false\n")
    got = run(text, [APE], doc=2)
    assert got.splitlines()[-1] == ("spec: {containers: [{name: x, image: y, securityContext: "
                                    "{allowPrivilegeEscalation: false}}]}")


def test_document_spans():
    text = "a: 1\n--- # c\nb: 2\n--- {c: 3}\n"
    assert document_spans(text) == [(0, 5), (13, 18), None]


def test_crlf_and_no_trailing_newline_and_bom_free_text():
    text = "apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: p\r\nspec:\r\n  containers:\r\n  - name: a\r\n    image: b"
    got = run(text, [APE])
    assert got == text + "\r\n    securityContext:\r\n      allowPrivilegeEscalation: false"


def test_remove_entries_and_items():
    text = d("""
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          hostNetwork: true  # why
          containers:
          - name: a
            image: b
            securityContext:
              capabilities:
                add:
                - SYS_ADMIN
                - NET_ADMIN
              privileged: true
        """)
    caps = SC + ("capabilities", "add")
    got = run(text, [Edit("remove", ("spec", "hostNetwork")), Edit("remove", caps + (0,))],
              again=False)
    assert got == text.replace("  hostNetwork: true  # why\n", "").replace("        - SYS_ADMIN\n", "")
    got = run(text, [Edit("remove", SC + ("capabilities",)), Edit("remove", SC + ("privileged",))])
    assert got == text.split("    securityContext:")[0] + "    securityContext: {}\n"
    # the next key moves up onto the dash line: the one change outside the path
    got = run(text, [Edit("remove", C0 + ("name",))], lines=False)
    assert got == text.replace("  - name: a\n    image: b\n", "  - image: b\n")


def test_replace_collections():
    text = d("""
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          containers:
          - name: a
            image: b
            securityContext:
              capabilities:
                drop:
                - NET_RAW   # raw sockets
              seccompProfile:
                type: Unconfined
        """)
    got = run(text, [Edit("set", SC + ("capabilities", "drop"), ["ALL"]), SECCOMP])
    assert got == text.replace("        - NET_RAW   # raw sockets\n", "        - ALL\n").replace(
        "type: Unconfined", "type: RuntimeDefault")
    got = run(text, [Edit("set", SC + ("capabilities", "drop"), ["NET_RAW", "ALL"])])
    assert got == text.replace("# raw sockets\n", "# raw sockets\n        - ALL\n")


def test_only_key_of_a_list_item_removed_through_ruamel_fallback():
    text = d("""
        apiVersion: v1
        kind: Pod
        metadata:
          name: p     # spaced comment
          labels:
              deep:  indented
        spec:
          containers:
          - name: a
          - name: b
            image: c
        """)
    got = run(text, [Edit("remove", C0 + ("name",))])
    assert got == text.replace("  - name: a\n", "  - {}\n")


def test_multiline_string_replaced():
    text = d("""
        apiVersion: v1
        kind: Pod
        metadata:
          name: p   # keep me
          annotations:
            note: |
              old
              text
            other: x
        spec:
            containers:
            -   name: a
                image: b
        """)
    got = run(text, [Edit("set", ("metadata", "annotations", "note"), "new")])
    assert got == text.replace("    note: |\n      old\n      text\n", "    note: new\n")


def test_json_pretty_and_compact():
    doc = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "a", "image": "b"}]}}
    for indent in (2, 4):
        text = json.dumps(doc, indent=indent) + "\n"
        got = run(text, [APE, DROP], is_json=True)
        want = json.loads(text)
        want["spec"]["containers"][0]["securityContext"] = {
            "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
        assert got == json.dumps(want, indent=indent) + "\n"
    text = json.dumps(doc)
    got = run(text, [APE], is_json=True)
    assert json.loads(got)["spec"]["containers"][0]["securityContext"] == {
        "allowPrivilegeEscalation": False}
    assert "\n" not in got


def test_unfixable_edit_reports_and_keeps_text():
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {}\n"
    out = fix_text(text, [("g", 0, [Edit("set", ("spec", "containers", 0, "image"), "x")])])
    assert out.text == text and out.applied == [] and out.failed[0][0] == "g"
    out = fix_text("a: [\n", [("g", 0, [APE])])
    assert out.failed and "does not parse" in out.failed[0][1]


def test_groups_are_all_or_nothing():
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n"
    out = fix_text(text, [("ok", 0, [APE]),
                          ("bad", 0, [Edit("set", ("spec", "hostPID"), False),
                                      Edit("set", ("spec", "volumes", 3, "x"), 1)])])
    assert out.applied == ["ok"] and [k for k, _ in out.failed] == ["bad"]
    assert "hostPID" not in out.text


def test_minimize_hunks_reverts_unneeded_changes():
    old = "a: 1\nb:   2\nc: 3\ne: 5\nd: [x]\n"
    new = "a: 1\nb: 2\nc: 4\ne: 5\nd:\n- x\n"

    def ok(text):
        if "c: 4" not in text:
            raise FixError("needed")
    assert minimize_hunks(old, new, ok) == "a: 1\nb:   2\nc: 4\ne: 5\nd: [x]\n"


@pytest.mark.parametrize("indent", ["  ", "    "])
def test_sequence_items_under_list_keep_their_style(indent):
    text = (f"apiVersion: v1\nkind: Pod\nmetadata:\n{indent}name: p\nspec:\n{indent}containers:\n"
            f"{indent}{indent}- name: a\n{indent}{indent}  image: b\n")
    got = run(text, [DROP])
    lines = got.splitlines()
    assert lines[-4:] == [f"{indent}{indent}  securityContext:",
                          f"{indent}{indent}  {indent}capabilities:",
                          f"{indent}{indent}  {indent}{indent}drop:",
                          f"{indent}{indent}  {indent}{indent}{indent}- ALL"]
