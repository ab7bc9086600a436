"""Loading: documents, lists, positions, and every kind of bad input."""

from __future__ import annotations

import json

import pytest

from kubeward.loading.files import LoadResult, load_paths, load_text
from kubeward.loading.yamldoc import MAX_DEPTH, parse_documents
from kubeward.paths import format_path


def load(text: str, name: str = "f.yaml", is_json: bool = False) -> LoadResult:
    r = LoadResult()
    load_text(text, name, r, is_json=is_json)
    return r


POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: a
      image: busybox
      securityContext:
        privileged: true
"""


def test_positions_of_nested_fields():
    r = load(POD)
    (obj,) = r.objects
    assert obj.locate(("spec", "containers", 0, "securityContext", "privileged")) == (10, 9, True)
    assert obj.locate(("spec", "containers", 0)) == (7, 7, True)
    # missing field: nearest existing parent, exact=False
    assert obj.locate(("spec", "containers", 0, "resources", "limits")) == (7, 7, False)
    assert obj.locate(()) == (1, 1, True)


def test_multi_document_indexes_lines_and_skips():
    text = "---\n# only a comment\n---\n" + POD + "---\nfoo: bar\n---\n\n---\n" + POD.replace("name: p", "name: q")
    r = load(text)
    assert [o.name for o in r.objects] == ["p", "q"]
    assert [o.source.doc_index for o in r.objects] == [1, 2 + 2]  # comment-only doc counts
    assert r.objects[1].locate(("metadata", "name"))[0] == text.splitlines().index("  name: q") + 1
    assert r.skipped_documents == 1  # foo: bar has no apiVersion/kind
    assert r.errors == []


def test_list_kinds_expand_items_with_their_own_lines():
    text = """\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: a}
  - apiVersion: v1
    kind: Pod
    metadata:
      name: b
    spec:
      hostPID: true
      containers: []
  - {}
"""
    r = load(text)
    assert [(o.kind, o.name) for o in r.objects] == [("ConfigMap", "a"), ("Pod", "b")]
    pod = r.objects[1]
    assert pod.source.doc_path == ("items", 1)
    assert pod.locate(("spec", "hostPID")) == (12, 7, True)
    assert pod.locate(()) == (7, 5, True)
    assert r.skipped_documents == 1


def test_json_with_tabs_and_positions():
    text = '{\n\t"apiVersion": "v1",\n\t"kind": "Pod",\n\t"metadata": {"name": "j"},\n\t"spec": {"hostIPC": true}\n}\n'
    r = load(text, "pod.json", is_json=True)
    (obj,) = r.objects
    assert obj.locate(("spec", "hostIPC")) == (5, 11, True)


def test_yaml_11_scalars_and_value_tag():
    r = load("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: =\n  mode: 0755\n  hex: 0x1F\n")
    (obj,) = r.objects
    assert obj.raw["data"] == {"a": "=", "mode": 493, "hex": 31}


def test_merge_keys():
    text = "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n"
    (doc,) = list(parse_documents(text))
    assert doc.data["other"] == {"x": 1, "y": 3}


@pytest.mark.parametrize("text,line,fragment", [
    ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n", 5, "duplicate key 'name'"),
    ("apiVersion: v1\nkind: Pod\nmetadata: [1\n", 4, "invalid YAML"),
    ("a: b: c\n", 1, "invalid YAML"),
    ("- 1\n- 2\n", 1, "is a list"),
    ("just a string\n", 1, "is a scalar"),
])
def test_bad_documents_give_one_error_with_line(text, line, fragment):
    r = load(text)
    assert len(r.errors) == 1
    err = r.errors[0]
    assert fragment in err.message
    assert err.line == line
    assert err.file == "f.yaml"
    assert "\n" not in err.one_line()


def test_error_in_one_document_keeps_the_others():
    text = POD + "---\napiVersion: v1\nkind: Pod\nmetadata: [\n---\n" + POD.replace("name: p", "name: z")
    r = load(text)
    assert [o.name for o in r.objects] == ["p", "z"]  # parsing resumes at the next ---
    assert len(r.errors) == 1 and r.errors[0].line == 15
    z = r.objects[1]
    assert z.source.doc_index == 2
    assert z.locate(("spec", "containers", 0, "securityContext", "privileged"))[0] == 25


def test_duplicate_key_is_an_error_but_nothing_is_lost():
    text = POD + "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  name: y\nspec:\n  hostPID: true\n---\n" + POD.replace("name: p", "name: z")
    r = load(text)
    assert [o.name for o in r.objects] == ["p", "y", "z"]  # last value wins, still scanned
    (err,) = r.errors
    assert err.line == 16 and "duplicate key 'name' (first defined on line 15" in err.message
    assert r.objects[1].locate(("metadata", "name"))[0] == 16


def test_alias_bomb_is_rejected_quickly():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    r = load("\n".join(lines) + "\n")
    assert len(r.errors) == 1
    assert "alias" in r.errors[0].message
    assert r.errors[0].line == 1


def test_small_aliases_are_fine():
    r = load("apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: c}\ndata: {a: '1'}\nx: *m\n")
    assert r.objects and not r.errors


@pytest.mark.parametrize("depth", [MAX_DEPTH + 5, 100_000, 1_000_000])
def test_deep_nesting_flow(depth):
    r = load("[" * depth + "]" * depth)
    assert len(r.errors) == 1
    assert "nesting deeper" in r.errors[0].message


def test_deep_nesting_block():
    text = "".join(" " * i + f"k{i}:\n" for i in range(400)) + " " * 400 + "v: 1\n"
    r = load(text)
    assert len(r.errors) == 1 and "nesting deeper" in r.errors[0].message


def test_files_invalid_utf8_binary_and_missing(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(POD)
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: \xff\xfe\n")
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\x00\x01\x02PNG")
    r = load_paths([str(tmp_path), str(tmp_path / "nope.yaml")])
    by_file = {e.file.rsplit("/", 1)[-1]: e for e in r.errors}
    assert by_file["bad.yaml"].line == 4 and "invalid UTF-8" in by_file["bad.yaml"].message
    assert "binary" in by_file["bin.yaml"].message
    assert "no such file" in by_file["nope.yaml"].message
    assert [o.name for o in r.objects] == ["p"]


def test_directory_walk_is_recursive_sorted_and_filters_extensions(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.yml").write_text(POD.replace("name: p", "name: x"))
    (tmp_path / "a.json").write_text(json.dumps({"apiVersion": "v1", "kind": "Pod",
                                                 "metadata": {"name": "j"}, "spec": {}}))
    (tmp_path / "notes.txt").write_text("not yaml: [")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "h.yaml").write_text(POD)
    r = load_paths([str(tmp_path)])
    assert [o.name for o in r.objects] == ["j", "x"]
    assert r.files == 2 and not r.errors


@pytest.mark.parametrize("snippet,path,line", [
    ("      securityContext:\n        privileged: \"yes\"\n",
     "spec.containers[0].securityContext.privileged", 10),
    ("      ports: 80\n", "spec.containers[0].ports", 9),
    ("      securityContext:\n        runAsUser: root\n",
     "spec.containers[0].securityContext.runAsUser", 10),
])
def test_wrong_types_are_errors_with_path_and_line(snippet, path, line):
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: a\n      image: x\n" + snippet
    r = load(text)
    # the object is kept, with the wrong-typed field read as unset
    [obj] = r.objects
    assert [format_path(p) for p in obj.invalid] == [path]
    assert len(r.errors) == 1
    assert r.errors[0].line == line
    assert path in r.errors[0].message


QUOTED_PORT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: cm, namespace: cm}
spec:
  template:
    metadata: {labels: {app: cm}}
    spec:
      containers:
        - name: cm
          image: quay.io/jetstack/cert-manager-controller:v1.14.0
          ports:
            - containerPort: "9402"
          securityContext:
            privileged: true
            allowPrivilegeEscalation: "false"
"""


def test_one_type_error_does_not_hide_the_other_checks(tmp_path):
    """Helm output often quotes numbers; a wrong-typed field is an error
    and is read as unset, and every other field is still checked."""
    from kubeward.engine import ScanOptions, scan

    f = tmp_path / "cm.yaml"
    f.write_text(QUOTED_PORT)
    report = scan([str(f)], ScanOptions())
    assert sorted((e.line, e.kind) for e in report.errors) == [(12, "schema"), (15, "schema")]
    assert "containerPort: expected an integer, got a string" in report.errors[0].message
    got = {(x.check_id, x.field_path, x.line) for x in report.findings}
    assert ("PSS002", "spec.template.spec.containers[0].securityContext.privileged", 14) in got
    # nothing is reported on the wrong-typed fields themselves
    assert not [x for x in report.findings
                if x.field_path.startswith(("spec.template.spec.containers[0].ports[0].containerPort",
                                            "spec.template.spec.containers[0].securityContext."
                                            "allowPrivilegeEscalation"))]


def test_containers_not_a_list():
    r = load("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers: \"x\"\n")
    assert len(r.errors) == 1 and r.errors[0].line == 7
    assert "spec.template.spec.containers: expected a list, got a string" in r.errors[0].message


def test_wrong_type_error_never_echoes_the_value():
    r = load("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    token: 12345678901\nspec: {containers: []}\n")
    assert len(r.errors) == 1
    assert "12345678901" not in r.errors[0].one_line()
