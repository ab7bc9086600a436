"""Issue 18 items 10, 11, 13 and 14: symlink loops, bad bytes, unbounded
input and the smaller cases; each is an error naming the file (and line),
never a traceback, and the rest of the input is still scanned."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kubeward.engine import MAX_FINDINGS_PER_OBJECT, ScanOptions, scan
from kubeward.fix.run import fix_paths
from kubeward.loading.files import MAX_FILE_BYTES, load_paths
from kubeward.loading.yamldoc import DocumentError, parse_documents
from kwtest.cli import run

POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {}\nspec:\n  containers:\n" \
      "    - name: a\n      image: nginx:1.27\n"


def _names(report):
    return sorted({f.object.name for f in report.findings})


# -- item 10: symlink loops ----------------------------------------------------------
@pytest.fixture()
def looped(tmp_path):
    (tmp_path / "L").mkdir()
    os.symlink("b.yaml", tmp_path / "L" / "a.yaml")
    os.symlink("a.yaml", tmp_path / "L" / "b.yaml")
    os.symlink("self", tmp_path / "L" / "self")  # a directory-looking loop
    (tmp_path / "pod.yaml").write_text(POD.format("ok"))
    (tmp_path / "L" / "z.yaml").write_text(POD.format("z"))
    return tmp_path


def test_symlink_loop_is_an_error_and_the_rest_is_scanned(looped):
    r = load_paths([str(looped)])
    assert sorted(o.name for o in r.objects) == ["ok", "z"]
    assert sorted((os.path.basename(e.file), e.message) for e in r.errors) == [
        ("a.yaml", "symbolic link loop: skipped"), ("b.yaml", "symbolic link loop: skipped")]


@pytest.mark.parametrize("extra", [[], ["--jobs", "2"]])
def test_symlink_loop_cli(looped, extra):
    r = run(["scan", "-o", "json", "--check", "IMG001", *extra, str(looped)])
    assert r.exit_code == 2
    data = json.loads(r.stdout)
    assert data["summary"]["objectsScanned"] == 2
    assert len(data["errors"]) == 2


def test_symlink_loop_fix(looped):
    res = fix_paths([str(looped)], write=False)
    assert {os.path.basename(e.file) for e in res.before.errors} == {"a.yaml", "b.yaml"}
    assert res.before.objects == 2


def test_fifo_in_a_directory_is_an_error(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "pod.yaml").write_text(POD.format("ok"))
    r = load_paths([str(tmp_path)])
    assert [o.name for o in r.objects] == ["ok"]
    assert [(os.path.basename(e.file), e.message) for e in r.errors] == [
        ("pipe.yaml", "not a regular file (FIFO, socket or device): skipped")]


# -- item 11: one bad byte --------------------------------------------------------------
def test_control_character_in_a_comment_keeps_every_document(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_bytes((POD.format("a") + "---\n" + POD.format("b") + "# note \x01 here\n").encode())
    r = load_paths([str(p)])
    assert [o.name for o in r.objects] == ["a", "b"]
    assert [(e.line, e.column, e.message) for e in r.errors] == [
        (18, 8, "control character U+0001 is not allowed in YAML")]


def test_invalid_utf8_in_a_comment_keeps_every_document(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_bytes(POD.format("a").encode() + b"---\n# caf\xe9\n" + POD.format("b").encode())
    r = load_paths([str(p)])
    assert [o.name for o in r.objects] == ["a", "b"]
    assert [(e.line, e.column) for e in r.errors] == [(10, 6)]
    assert r.errors[0].message == "invalid UTF-8 (byte 0xe9); read as U+FFFD"


def test_bad_character_in_a_value_drops_that_document_only(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_bytes(POD.format("a\x02b").encode() + b"---\n" + POD.format("c").encode())
    r = load_paths([str(p)])
    assert [o.name for o in r.objects] == ["c"]
    assert [(e.line, e.message) for e in r.errors] == [
        (4, "control character U+0002 is not allowed in YAML"),
        (1, "document 1 holds an invalid character in a key or value (reported above); "
            "not scanned")]


@pytest.mark.parametrize("brk", ["\u2028", "\x85", "\u2029"])
def test_unicode_line_breaks_do_not_shift_lines_or_skip_documents(brk):
    text = (f"a: [1,\n# x{brk}y\n---\nb: 1\n---\nkind: Pod{brk}\napiVersion: v1\n"
            "metadata: {name: p}\n")
    items = list(parse_documents(text))
    errors = [i for i in items if isinstance(i, DocumentError)]
    docs = [i for i in items if not isinstance(i, DocumentError)]
    assert [d.data for d in docs] == [{"b": 1}, {"kind": "Pod", "apiVersion": "v1",
                                                  "metadata": {"name": "p"}}]
    assert [d.line for d in docs] == [4, 6]
    assert len(errors) == 1 and errors[0].line == 3


# -- item 13: unbounded memory -------------------------------------------------------------
def test_stdin_has_the_file_cap():
    """More than the file cap on standard input is one error, read no further."""
    code = ("import sys, kubeward.loading.files as f; f.MAX_FILE_BYTES = 1000; "
            "from kubeward.cli.main import cli; sys.argv = ['kubeward', 'scan', '-o', 'json', '-']; "
            "cli()")
    proc = subprocess.run([sys.executable, "-c", code], input=b"a: b\n" * 10_000,
                          capture_output=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert b"Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["errors"][0]["message"] == \
        "standard input is larger than 0 MiB; not scanned"
    assert MAX_FILE_BYTES == 64 * 1024 * 1024


def test_dev_zero_on_stdin_is_an_error(tmp_path):
    with open("/dev/zero", "rb") as zero:
        proc = subprocess.run([sys.executable, "-m", "kubeward", "scan", "-"], stdin=zero,
                              capture_output=True, timeout=300)
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr
    assert b"<stdin>: error: standard input is larger than 64 MiB" in proc.stderr


def _alias_pod(name: str, n: int, env: int = 0) -> str:
    items = "".join("    - *c\n" for _ in range(n))
    envs = "".join(f"    - {{name: V{i}, value: x}}\n" for i in range(env))
    return (f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nx: &c\n  name: app\n"
            f"  image: nginx\n  securityContext: {{privileged: true}}\n"
            + (f"  env:\n{envs}" if env else "") +
            f"spec:\n  containers:\n{items}")


def test_alias_budget_is_per_file(tmp_path, monkeypatch):
    import kubeward.loading.yamldoc as yd

    monkeypatch.setattr(yd, "MAX_EXPANDED_NODES", 100_000)
    # 1,000 aliases of a 60-node container: about 60,000 nodes from 10 KB of text
    one = _alias_pod("p0", 1000, env=10)
    assert [type(i).__name__ for i in parse_documents(one)] == ["Document"]
    many = "---\n".join(_alias_pod(f"p{i}", 1000, env=10) for i in range(10))
    items = list(parse_documents(many))
    kinds = [type(i).__name__ for i in items]
    assert kinds.count("Document") < 10 and "DocumentError" in kinds
    err = next(i for i in items if isinstance(i, DocumentError))
    assert "past what is left of the file's budget" in err.message


def test_findings_per_object_are_capped(tmp_path):
    p = tmp_path / "big.yaml"
    p.write_text(_alias_pod("big", 2000) + "---\n" + POD.format("small"))
    report = scan([str(p)], ScanOptions())
    per_obj: dict = {}
    for f in report.findings + report.suppressed:
        per_obj[f.object.name] = per_obj.get(f.object.name, 0) + 1
    assert per_obj["big"] == MAX_FINDINGS_PER_OBJECT
    assert per_obj["small"] > 0
    assert [(e.kind, e.message) for e in report.errors] == [
        ("limit", f"Pod big: more than {MAX_FINDINGS_PER_OBJECT} findings; "
                  "the rest are not reported")]


# -- item 14: smaller -----------------------------------------------------------------------
def test_wrong_typed_name_is_not_echoed(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {pw: Hidden-Value-1}\n"
                 "spec: {containers: [{name: a, image: nginx}]}\n")
    r = run(["scan", "-o", "json", str(p)])
    assert "Hidden-Value-1" not in r.output and r.exit_code == 2


def test_utf16_snippets_have_no_nul_bytes(tmp_path):
    p = tmp_path / "x.yaml"
    text = POD.format("u").replace("nginx:1.27", "nginx:latest")
    p.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    r = run(["scan", "--check", "IMG001", str(p)])
    assert "\x00" not in r.output
    assert "image: nginx:latest" in r.output


def test_two_reports_to_one_file_is_refused(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text(POD.format("a"))
    out = tmp_path / "r.out"
    r = run(["scan", "-o", f"json={out}", "-o", f"sarif={out}", str(p)])
    assert r.exit_code == 2
    assert f"-o sarif={out} and -o json={out} write the same file" in r.output
    assert not out.exists()
