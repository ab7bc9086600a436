"""Malformed input never makes the analysis or the cross checks raise."""

from __future__ import annotations

import copy
import random
from pathlib import Path

import pytest
from kw_analysis_helpers import FIXTURES

from kubeward.analysis.network import NetworkAnalysis
from kubeward.analysis.rbac import EscalationAnalysis, RBACModel, Request
from kubeward.engine import ScanOptions, scan_objects
from kubeward.loading.files import load_paths
from kubeward.model import K8sObject

CHECKS = Path(__file__).resolve().parents[1] / "checks"
IDS = ("XNET001", "XNET003", "XNET004", "XNET005", "XNET006", "XRBAC001",
       "XRBAC002", "XRBAC003", "REF001", "REF002", "REF003", "REF004", "REF005", "REF006")
WEIRD = [None, "x", 5, [], {}, [None], [1, "a"], {"a": None}, True, -1, "*", [{"k": []}]]


def _mutate(node, rnd):
    if isinstance(node, dict):
        for k in list(node):
            r = rnd.random()
            if r < 0.08:
                node[k] = copy.deepcopy(rnd.choice(WEIRD))
            elif r < 0.1:
                del node[k]
            else:
                _mutate(node[k], rnd)
    elif isinstance(node, list):
        for i in range(len(node)):
            if rnd.random() < 0.08:
                node[i] = copy.deepcopy(rnd.choice(WEIRD))
            else:
                _mutate(node[i], rnd)


@pytest.fixture(scope="module")
def base():
    files = sorted(str(p) for p in FIXTURES.glob("*.yaml"))
    files += sorted(str(p) for d in ("XNET006", "XRBAC001", "REF002", "REF004", "REF006")
                    for p in (CHECKS / d).glob("*.yaml"))
    return load_paths(files).objects


@pytest.mark.parametrize("seed", range(25))
def test_mutated_input_never_raises(base, seed):
    rnd = random.Random(seed)
    objects = []
    for o in base:
        raw = copy.deepcopy(o.raw)
        _mutate(raw, rnd)
        if not isinstance(raw.get("kind"), str):
            raw["kind"] = o.kind
        objects.append(K8sObject(raw, o.source))
    net = NetworkAnalysis(objects)
    net.report()
    model = RBACModel(objects)
    EscalationAnalysis(model).report()
    model.who_can(Request("create", "pods", namespace="a"))
    report = scan_objects(objects, ScanOptions(checks=IDS, complete=True))
    assert report.errors == []
