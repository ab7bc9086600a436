"""``kubeward fix`` does not lose or misdirect writes (issue 18, item 12): a
file changed on disk after it was read is skipped with an error; read-only
files, files with other hard links and symlinks to files outside the given
paths are refused unless ``--force-write``. Each case first reproduces the
old behaviour's harm, then checks the refusal and the flag."""

from __future__ import annotations

import os
import stat
import textwrap

from click.testing import CliRunner

from kubeward.cli.main import cli
from kubeward.engine import ScanOptions
from kubeward.fix import run as fixrun

POD = textwrap.dedent("""\
    apiVersion: v1
    kind: Pod
    metadata: {name: p}
    spec:
      containers:
      - name: a
        image: registry.example.com/a:1
    """)
FIXED_LINE = "allowPrivilegeEscalation: false"


def _invoke(*args):
    r = CliRunner().invoke(cli, ["fix", "--check", "CTR013", *args], catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


def test_concurrent_edit_is_not_overwritten(tmp_path, monkeypatch):
    p = tmp_path / "pod.yaml"
    p.write_text(POD)
    edited = POD.replace("name: p}", "name: p, labels: {edited: 'yes'}}")
    real_check = fixrun.check_writable

    def edit_meanwhile(path, roots, *, force=False):
        # another program saves the file between fix's read and its write
        if os.path.basename(path) == "pod.yaml" and p.read_text() == POD:
            p.write_text(edited)
        return real_check(path, roots, force=force)

    monkeypatch.setattr(fixrun, "check_writable", edit_meanwhile)
    run = fixrun.fix_paths([str(p)], ScanOptions(checks=("CTR013",)))
    assert p.read_text() == edited  # the other program's edit survives
    (ff,) = run.files
    assert not ff.written and ff.error == ("changed on disk since it was read; not written "
                                          "(run kubeward fix again)")
    assert run.applied == [] and [f.check_id for f, _r in run.failed] == ["PSS014"]


def test_same_size_same_mtime_change_is_caught_by_the_hash(tmp_path):
    p = tmp_path / "pod.yaml"
    p.write_text(POD)
    stamp = fixrun.fingerprint(str(p))
    st = p.stat()
    p.write_text(POD.replace("name: a\n", "name: b\n"))  # same size
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))  # same time
    try:
        fixrun.write_atomic(str(p), POD + "# fixed\n", expect=stamp)
    except fixrun.WriteRefused as e:
        assert "changed on disk" in str(e)
    else:
        raise AssertionError("the change was overwritten")
    assert "name: b\n" in p.read_text()


def test_read_only_file_is_refused_unless_forced(tmp_path):
    p = tmp_path / "pod.yaml"
    p.write_text(POD)
    os.chmod(p, 0o444)
    code, _out, err = _invoke(str(p))
    assert code == 2 and p.read_text() == POD
    assert f"{p}: read-only file; not written (--force-write replaces it)" in err.splitlines()
    code, _out, err = _invoke(str(p), "--force-write")
    assert code == 0 and FIXED_LINE in p.read_text()
    assert stat.S_IMODE(p.stat().st_mode) == 0o444  # the mode is kept


def test_hard_linked_file_is_refused_unless_forced(tmp_path):
    p = tmp_path / "pod.yaml"
    p.write_text(POD)
    other = tmp_path / "elsewhere.txt"
    os.link(p, other)
    code, _out, err = _invoke(str(p))
    assert code == 2 and p.read_text() == POD and other.read_text() == POD
    assert (f"{p}: has 2 hard links and replacing it would split them; not written "
            "(--force-write replaces this link only)") in err.splitlines()
    code, _out, _err = _invoke(str(p), "--force-write")
    assert code == 0 and FIXED_LINE in p.read_text()
    assert other.read_text() == POD and p.stat().st_nlink == 1  # the link was split, as said


def test_symlink_out_of_the_tree_is_refused_unless_forced(tmp_path):
    repo = tmp_path / "repo"
    outside = tmp_path / "home"
    repo.mkdir()
    outside.mkdir()
    target = outside / "precious.yaml"
    target.write_text(POD)
    (repo / "pod.yaml").symlink_to(target)
    code, _out, err = _invoke(str(repo))
    assert code == 2 and target.read_text() == POD
    assert (f"{repo / 'pod.yaml'}: a symlink to a file outside the scanned paths; not written "
            "(--force-write writes through it)") in err.splitlines()
    code, _out, _err = _invoke(str(repo), "--force-write")
    assert code == 0 and FIXED_LINE in target.read_text()
    assert (repo / "pod.yaml").is_symlink()


def test_symlink_inside_the_tree_is_written_through(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "pod.yaml"
    target.write_text(POD)
    (tmp_path / "link.yaml").symlink_to(target)
    code, _out, err = _invoke(str(tmp_path))
    assert code == 0, err
    assert FIXED_LINE in target.read_text() and (tmp_path / "link.yaml").is_symlink()
    # the file is reached twice (link and target): fixed once, the other path says so
    assert err.splitlines()[:2] == [
        f"{tmp_path / 'link.yaml'}: fixed 1 finding (PSS014)",
        f"{tmp_path / 'real' / 'pod.yaml'}:6: not fixed PSS014 spec.containers[0].securityContext.allowPrivilegeEscalation: the same "
        f"file as {tmp_path / 'link.yaml'} (fixed there)"]
