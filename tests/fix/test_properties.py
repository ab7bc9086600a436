"""Property-based tests: generated manifests in many layouts (indent 2/3/4,
dash offsets, compact or spaced list items, flow and block collections,
comments, quoting, block scalars, CRLF, several documents, List objects)
are fixed with every check's fixes (``--unsafe-fixes``), inside varied
document structure (separators at the end of the file with and without a
line break, ``...`` end markers, ``%YAML`` directives, comments before the
first ``---``, a byte order mark, CRLF, tabs in flow style, empty
documents, a last line without a line break, very long lines), and then

* every fix applies (nothing reported as "could not fix");
* every object of the result is valid against the target version's OpenAPI
  schema and adds no violation of the encoded API rules
  (:mod:`kubeward.fix.validity`);
* the file parses, equals the original with exactly the applied edits (as
  data) and differs only in the lines of the edited paths;
* scanning again reports none of the fixed findings;
* fixing again changes nothing.
"""

from __future__ import annotations

import json
import os
import random
import re
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubeward.engine import ScanOptions
from kubeward.fix.rewrite import parse_data
from kubeward.fix.run import fix_paths
from kubeward.fix.validity import violations
from tests.fix.oracle import applied_edits, expected_data, line_violations
from tests.schema_check import schema_errors


class Style:
    def __init__(self, rnd: random.Random):
        self.r = rnd
        self.m = rnd.choice([2, 2, 3, 4])
        self.dash = rnd.choice([0, 2, self.m])
        self.item = rnd.choice([2, 2, self.m if self.m >= 2 else 2])
        self.comments = rnd.random() < 0.5
        self.flow_p = rnd.choice([0.0, 0.2, 0.5])

    def eol(self) -> str:
        return "  # note" if self.comments and self.r.random() < 0.2 else ""

    def flow(self, value) -> bool:
        return self.r.random() < self.flow_p


def scalar(v, st_: Style) -> str:
    if v is None:
        return st_.r.choice(["null", "~", ""])
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    q = st_.r.choice(["", "", "'", '"'])
    return f"{q}{v}{q}"


def flow_text(v, s: Style) -> str:
    if isinstance(v, Literal):
        return json.dumps("\n".join(v.lines) + "\n")
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {flow_text(x, s)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(flow_text(x, s) for x in v) + "]"
    t = scalar(v, s)
    return t if t else "null"


def emit_map(d: dict, col: int, out: list, s: Style) -> None:
    pad = " " * col
    for k, v in d.items():
        if s.comments and s.r.random() < 0.1 and out and not out[-1].rstrip().endswith("-"):
            out.append(pad + "# a comment line")
        if isinstance(v, Literal):
            out.append(f"{pad}{k}: |{s.eol()}")
            out += [pad + " " * s.m + line if line else "" for line in v.lines]
        elif isinstance(v, dict) and v and not s.flow(v):
            out.append(f"{pad}{k}:{s.eol()}")
            emit_map(v, col + s.m, out, s)
        elif isinstance(v, list) and v and not s.flow(v):
            out.append(f"{pad}{k}:{s.eol()}")
            emit_seq(v, col + s.dash, out, s)
        else:
            text = flow_text(v, s) if isinstance(v, (dict, list)) else scalar(v, s)
            out.append(f"{pad}{k}:{' ' + text if text else ''}{s.eol()}")


def emit_seq(items: list, col: int, out: list, s: Style) -> None:
    pad = " " * col
    for item in items:
        if isinstance(item, dict) and item and not s.flow(item):
            sub: list = []
            saved, s.comments = s.comments, False
            emit_map(dict(list(item.items())[:1]), col + s.item, sub, s)
            s.comments = saved
            first = sub[0][col + s.item:]
            sub[0] = pad + "-" + " " * (s.item - 1) + first
            out += sub
            rest = dict(list(item.items())[1:])
            if rest:
                emit_map(rest, col + s.item, out, s)
        elif isinstance(item, Literal):
            out.append(f"{pad}- |{s.eol()}")
            out += [pad + " " * s.m + line if line else "" for line in item.lines]
        else:
            text = flow_text(item, s) if isinstance(item, (dict, list)) else scalar(item, s)
            out.append(f"{pad}- {text or 'null'}{s.eol()}")


class Literal:
    def __init__(self, lines):
        self.lines = lines


SC_VARIANTS = [
    "absent", None, {}, {"privileged": True}, {"allowPrivilegeEscalation": True,
                                                "capabilities": {"add": ["NET_ADMIN"]}},
    {"capabilities": {"drop": ["NET_RAW"]}}, {"runAsUser": 0, "readOnlyRootFilesystem": False},
    {"seccompProfile": {"type": "Unconfined"}, "runAsNonRoot": False},
]


def pod_spec(r: random.Random) -> dict:
    spec: dict = {}
    for f in ("hostPID", "hostNetwork", "automountServiceAccountToken"):
        if r.random() < 0.3:
            spec[f] = True
    if r.random() < 0.15:
        spec["os"] = {"name": r.choice(["linux", "windows"])}
    psc = r.choice(["absent", {}, {"runAsUser": 0}, {"seccompProfile": {"type": "Unconfined"}}])
    if psc != "absent":
        spec["securityContext"] = psc
    containers = []
    for i in range(r.randint(1, 2)):
        c: dict = {"name": f"c{i}", "image": r.choice(["nginx:1.27", "registry.example.com/app:v2"])}
        if r.random() < 0.3:
            c["command"] = ["sh", "-c", Literal(["echo one", "", "echo two"])]
        if r.random() < 0.3:
            c["ports"] = [{"containerPort": 8080}]
        sc = r.choice(SC_VARIANTS)
        if sc != "absent":
            c["securityContext"] = sc
        containers.append(c)
    spec["containers"] = containers
    if r.random() < 0.3:
        spec["volumes"] = [{"name": "tmp", "emptyDir": {}}]
    return spec


def document(r: random.Random, n: int) -> dict:
    kind = r.choice(["Pod", "Deployment", "ConfigMap", "List"])
    meta = {"name": f"obj{n}", "labels": {"app": f"a{n}"}}
    if r.random() < 0.3:
        meta["annotations"] = {"note": Literal(["first", "second"])}
    if kind == "Pod":
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod_spec(r)}
    if kind == "Deployment":
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
                "spec": {"selector": {"matchLabels": {"app": f"a{n}"}},
                         "template": {"metadata": {"labels": {"app": f"a{n}"}},
                                      "spec": pod_spec(r)}}}
    if kind == "ConfigMap":
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta,
                "data": {"conf": Literal(["a = 1", "b = 2"])}}
    return {"apiVersion": "v1", "kind": "List",
            "items": [{"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": f"item{n}-{i}"}, "spec": pod_spec(r)}
                      for i in range(r.randint(1, 2))]}


#: document-structure variations the splicer must survive (issue 12)
STRUCTURES = ("directive", "comment-first", "bom", "trailing-sep", "trailing-sep-nl",
              "end-marker", "empty-docs", "tab-flow", "long-line")


def manifest_text(seed: int, structures: tuple = ()) -> str:
    """A generated manifest; ``structures`` forces variations of
    :data:`STRUCTURES` (otherwise each is drawn at random)."""
    r = random.Random(seed)
    s = Style(r)
    want = set(structures) or {x for x in STRUCTURES if r.random() < 0.15}
    parts = []
    for n in range(r.randint(1, 3)):
        out: list = []
        doc = document(r, n)
        if "long-line" in want and n == 0:
            doc.setdefault("metadata", {}).setdefault("annotations", {})["long"] = "x" * 20000
        emit_map(doc, 0, out, s)
        parts.append("\n".join(out))
    if "tab-flow" in want:
        parts.append("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tabs,\tlabels: "
                     "{a: b,\tc: d}}\ndata: {k: v,\tk2: v2}")
    sep = r.choice(["---", "--- # next", "---\n# next object", "...\n---", "\n---\n"])
    if "empty-docs" in want:
        sep = "---\n---\n# nothing here\n---"
    if "end-marker" in want:
        sep = "...\n---"
    text = ("---\n" if r.random() < 0.3 else "") + f"\n{sep}\n".join(parts)
    if "comment-first" in want:
        text = "# generated\n# by a tool\n---\n" + text.removeprefix("---\n")
    if "directive" in want:
        text = "%YAML 1.1\n---\n" + text.removeprefix("---\n")
    if r.random() < 0.8 or "end-marker" in want:
        text += "\n"
    if "end-marker" in want:
        text += "...\n"
    if "trailing-sep" in want:
        text = text.rstrip("\n") + "\n---"
    elif "trailing-sep-nl" in want:
        text = text.rstrip("\n") + "\n---\n"
    if r.random() < 0.2:
        text = text.replace("\n", "\r\n")
    if "bom" in want:
        text = "\ufeff" + text
    return text


def check_fix(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.yaml")
        with open(path, "w", newline="") as fh:
            fh.write(text)
        run = fix_paths([path], ScanOptions(), unsafe=True)
        assert not run.before.errors, [e.one_line() for e in run.before.errors]
        assert not run.failed, [(f.check_id, f.field_path, r) for f, r in run.failed]
        with open(path, newline="") as fh:
            new = fh.read()
        edits = applied_edits(run).get(path, {})
        assert parse_data(new) == expected_data(text, edits)
        problems = line_violations(text, new, edits)
        if not text.endswith("\n"):
            # the one allowed exception: a file that ends inside a block scalar
            # without a final line break; new lines after it would give the
            # string a final break, so its header gets the strip indicator
            # ("|" -> "|-")
            problems = [p for p in problems
                        if not re.search(r"[|>]-?\s*(#.*)?'$", p)]
        assert problems == []
        check_objects_valid(text, new)
        fixed_keys = {(f.check_id, f.doc_index, f.object.name, f.path) for f in run.applied}
        assert not [f for f in run.after.findings
                    if (f.check_id, f.doc_index, f.object.name, f.path) in fixed_keys]
        assert text.endswith(("\n", "---")) == new.endswith(("\n", "---"))
        assert ("\r\n" in text) == ("\r\n" in new)
        again = fix_paths([path], ScanOptions(), unsafe=True)
        assert not again.applied and not again.failed
        with open(path, newline="") as fh:
            assert fh.read() == new


def _objects(docs: list) -> list:
    out = []
    for d in docs:
        if isinstance(d, dict) and d.get("kind") == "List":
            out += [i for i in d.get("items") or [] if isinstance(i, dict)]
        elif isinstance(d, dict):
            out.append(d)
    return out


def check_objects_valid(old: str, new: str, is_json: bool = False) -> None:
    """Every object of ``new`` is schema-valid (1.35) when its original
    was, and adds no violation of the encoded API rules."""
    before = _objects(parse_data(old.lstrip("\ufeff"), is_json))
    after = _objects(parse_data(new.lstrip("\ufeff"), is_json))
    assert len(before) == len(after)
    for a, b in zip(before, after):
        if schema_errors(a) == []:
            assert schema_errors(b) == [], (b.get("kind"), schema_errors(b))
        added = [v for v in violations(b, (1, 35)) if v not in set(violations(a, (1, 35)))]
        assert added == [], added


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1))
def test_fix_generated_manifests(seed):
    check_fix(manifest_text(seed))


@pytest.mark.parametrize("structure", STRUCTURES)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_fix_every_document_structure(structure, seed):
    check_fix(manifest_text(seed, (structure,)))


def test_generator_makes_each_structure():
    got = {x: manifest_text(7, (x,)) for x in STRUCTURES}
    assert got["directive"].lstrip("\ufeff").startswith("%YAML 1.1\n---\n")
    assert got["comment-first"].startswith("# generated\n")
    assert got["bom"].startswith("\ufeff")
    assert got["trailing-sep"].endswith("\n---") and got["trailing-sep-nl"].endswith("\n---\n")
    assert "\n...\n---" in got["end-marker"].replace("\r\n", "\n") or \
        got["end-marker"].replace("\r\n", "\n").endswith("...\n")
    assert "---\n---\n# nothing here" in got["empty-docs"].replace("\r\n", "\n")
    assert ",\tlabels:" in got["tab-flow"]
    assert "x" * 20000 in got["long-line"]


def test_generator_covers_layouts():
    texts = [manifest_text(s) for s in range(200)]
    assert any("- |" in t or ": |" in t for t in texts)
    assert any("{" in t for t in texts)
    assert any("\r\n" in t for t in texts)
    assert any("kind: List" in t for t in texts)
    assert any("    - name" in t for t in texts) and any("\n  - name" in t for t in texts)


def _plain(v):
    if isinstance(v, Literal):
        return "\n".join(v.lines) + "\n"
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def check_fix_json(seed: int) -> None:
    r = random.Random(seed)
    data = _plain(document(r, 0))
    indent = r.choice([None, 1, 2, 4, "\t"])
    text = json.dumps(data, indent=indent) + ("\n" if r.random() < 0.8 else "")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.json")
        with open(path, "w", newline="") as fh:
            fh.write(text)
        run = fix_paths([path], ScanOptions(), unsafe=True)
        assert not run.before.errors and not run.failed
        with open(path, newline="") as fh:
            new = fh.read()
        edits = applied_edits(run).get(path, {})
        assert json.loads(new) == expected_data(text, edits, True)[0]
        check_objects_valid(text, new, True)
        if edits and indent is not None:  # pretty JSON stays pretty, with its indent
            want = json.dumps(json.loads(new), indent=indent) + ("\n" if text.endswith("\n") else "")
            assert new == want
        again = fix_paths([path], ScanOptions(), unsafe=True)
        assert not again.applied and not again.failed


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1))
def test_fix_generated_json_manifests(seed):
    check_fix_json(seed)
