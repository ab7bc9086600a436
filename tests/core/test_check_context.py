"""The check context: per-object checks cannot see other objects (under
--jobs a worker holds only its own files), cross checks see all of them, and
per-scan values live in ``Context.memo``."""

from __future__ import annotations

import pytest

from kubeward.checks.base import Check, Context, CrossCheck, CrossContext, registry
from kubeward.engine import ScanOptions, run_checks, scan, scan_objects

DOCS = """\
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers: [{name: c, image: nginx:1.27}]
"""


def _load(tmp_path):
    from kubeward.loading.files import load_paths
    (tmp_path / "a.yaml").write_text(DOCS)
    return load_paths([str(tmp_path / "a.yaml")]).objects


def test_memo_computes_once_per_context():
    ctx = Context()
    calls = []
    assert ctx.memo("k", lambda: calls.append(1) or 41) == 41
    assert ctx.memo("k", lambda: calls.append(1) or 42) == 41
    assert calls == [1]
    assert Context().memo("k", lambda: 7) == 7  # another scan, another memo


def test_per_object_checks_get_no_objects_cross_checks_get_all(tmp_path, monkeypatch):
    objects = _load(tmp_path)
    seen: dict[str, list] = {"per": [], "cross": []}
    per_cls, cross_cls = registry()["PSS002"], registry()["REL004"]
    assert issubclass(per_cls, Check) and issubclass(cross_cls, CrossCheck)
    orig_check, orig_all = per_cls.check, cross_cls.check_all

    def spy_check(self, obj, ctx):
        seen["per"].append(ctx)
        return orig_check(self, obj, ctx)

    def spy_all(self, objs, ctx):
        seen["cross"].append(ctx)
        return orig_all(self, objs, ctx)

    monkeypatch.setattr(per_cls, "check", spy_check)
    monkeypatch.setattr(cross_cls, "check_all", spy_all)
    scan_objects(objects, ScanOptions(checks=("PSS002", "REL004")))
    (per,) = seen["per"]
    (cross,) = seen["cross"]
    assert type(per) is Context
    assert not hasattr(per, "objects") and not hasattr(per, "by_kind")
    assert isinstance(cross, CrossContext) and cross.objects is objects
    assert per._memo is not cross._memo


def test_cross_checks_refuse_a_context_without_objects(tmp_path):
    objects = _load(tmp_path)
    with pytest.raises(TypeError):
        run_checks(objects, [registry()["REL004"]()], Context(), [])


def test_jobs_report_equals_serial_report(tmp_path):
    """Cross checks that consult neighbours (REL004 reads PDBs, SEC008-style
    checks read ServiceAccounts) run with every object under --jobs too."""
    for i in range(4):
        (tmp_path / f"f{i}.yaml").write_text(DOCS.replace("name: web", f"name: web{i}"))
    (tmp_path / "pdb.yaml").write_text(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p, namespace: shop}\n"
        "spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}\n")
    serial = scan([str(tmp_path)], ScanOptions(jobs=1, checks=()))
    par = scan([str(tmp_path)], ScanOptions(jobs=2, checks=()))
    key = [(f.file, f.line, f.check_id, f.field_path, f.message) for f in serial.findings]
    assert key == [(f.file, f.line, f.check_id, f.field_path, f.message) for f in par.findings]
    assert not [f for f in serial.findings if f.check_id == "REL004"]  # the PDB was seen


def test_objects_keep_their_positions_through_pickling(tmp_path):
    """--jobs workers send their objects back pickled; findings of the cross
    checks must still point at the right lines."""
    import pickle

    objects = _load(tmp_path)
    paths = [(), ("metadata", "name"), ("spec", "replicas"),
             ("spec", "template", "spec", "containers", 0, "image"),
             ("spec", "template", "metadata", "labels", "app"), ("spec", "missing")]
    back = pickle.loads(pickle.dumps(objects))
    for a, b in zip(objects, back):
        assert [a.locate(p) for p in paths] == [b.locate(p) for p in paths]
        assert b.pod is None or b.pod.spec is b.raw["spec"]["template"]["spec"]
    assert back[1].locate(("spec", "replicas")) == (9, 3, True)


def test_auto_jobs_one_process_for_small_inputs(tmp_path, monkeypatch):
    from kubeward import engine

    small = tmp_path / "a.yaml"
    small.write_text(DOCS)
    monkeypatch.setattr(engine, "cpu_count", lambda: 2)
    assert engine.auto_jobs([str(small)]) == 1
    big = tmp_path / "b.yaml"
    big.write_text("# padding\n" * (engine.AUTO_JOBS_MIN_BYTES // 10 + 1))
    assert engine.auto_jobs([str(small), str(big)]) == 2
    monkeypatch.setattr(engine, "cpu_count", lambda: 64)
    assert engine.auto_jobs([str(big)]) == engine.AUTO_JOBS_MAX
    monkeypatch.setattr(engine, "cpu_count", lambda: 1)
    assert engine.auto_jobs([str(big)]) == 1


def test_chunks_keep_order_and_balance_bytes(tmp_path):
    from kubeward.engine import _chunks

    files = []
    for i, size in enumerate([10, 10, 10, 70, 10, 10]):
        f = tmp_path / f"{i}.yaml"
        f.write_text("x" * size)
        files.append(str(f))
    chunks = _chunks(files, 2)
    assert [f for c in chunks for f in c] == files
    assert len(chunks) == 2 and chunks[0] == files[:4]
