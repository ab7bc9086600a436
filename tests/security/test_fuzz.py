"""Fuzzing with hostile input (issue 18): charts, kustomizations, YAML and
admission requests. Every case runs in its own process under a memory
limit (RLIMIT_DATA) and a time budget; it must end in time with exit 0, 1
or 2, print no traceback, and leak no planted secret. The budgets are hang
and blow-up detectors (generous, about 10x what a case needs on a loaded
2-core machine), not performance assertions: benchmarks live in bench/.

Plus in-process property tests (hypothesis) of the parts every input goes
through: the YAML loader and the redaction never raise and keep lines."""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubeward.loading import helm, kustomize
from kubeward.loading.yamldoc import DocumentError, parse_documents
from kubeward.redact import mask_source, redact_text

TIME_BUDGET = 90  # seconds per case
MEMORY_BUDGET = 1536 * 1024 * 1024  # bytes of writable memory per case
PLANTED = "Planted-Secret-8c1f"  # in the environment and in files: must never be printed

POD = textwrap.dedent("""\
    apiVersion: v1
    kind: Pod
    metadata:
      name: p
      annotations: {db-password: Planted-Secret-8c1f}
    spec:
      containers:
        - name: a
          image: nginx:1.27
          env: [{name: API_TOKEN, value: Planted-Secret-8c1f}]
          args: ["--password=Planted-Secret-8c1f"]
          securityContext: {privileged: true}
    """)


def _limit():
    resource.setrlimit(resource.RLIMIT_DATA, (MEMORY_BUDGET, MEMORY_BUDGET))


def _kubeward(args, stdin=None, cwd=None):
    env = dict(os.environ, KW_FUZZ_TOKEN=PLANTED)
    proc = subprocess.run([sys.executable, "-m", "kubeward", *args], input=stdin,
                          capture_output=True, timeout=TIME_BUDGET, preexec_fn=_limit,
                          env=env, cwd=cwd)
    out = proc.stdout.decode("utf-8", "replace") + proc.stderr.decode("utf-8", "replace")
    assert proc.returncode in (0, 1, 2), (proc.returncode, out[-2000:])
    assert "Traceback" not in out, out[-3000:]
    assert PLANTED not in out
    return proc, out


# -- YAML ---------------------------------------------------------------------------------
def _yaml_cases():
    cases = {
        "alias-bomb": "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},"
            f"*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n"
            for i in range(9)),
        "alias-bomb-split": "---\n".join(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nx: &c {name: a, image: n}\n"
            "spec:\n  containers:\n" + "    - *c\n" * 3000 for _ in range(10)),
        "deep-flow": "[" * 100_000 + "]" * 100_000,
        "deep-block": "".join(" " * i + "a:\n" for i in range(3000)),
        "control-chars": POD.replace("name: p", "name: p\x01\x02") + "---\n" + POD,
        "bad-utf8": POD.encode().replace(b"nginx", b"ng\xffinx").decode("latin-1"),
        "nel-lines": POD.replace("\n", "\x85") + "\n---\n" + POD,
        "u2028": ("\u2028".join(POD.splitlines())) + "\n---\n" + POD,
        "huge-int": POD.replace("privileged: true", "runAsUser: " + "9" * 5000),
        "weird-tags": "!!python/object:os.system ls\n---\n!!binary AAAA\n---\n" + POD,
        "dup-keys": POD + "metadata: {name: q}\n",
        "many-docs": "---\n".join([POD] * 300),
        "wrong-types": "apiVersion: v1\nkind: Pod\nmetadata: {name: {password: Planted-Secret-8c1f}}\n"
                       "spec: {containers: {a: 1}}\n",
        "long-line": "a: " + "x" * 5_000_000 + "\n",
        "merge-secret": "d: &d {password: Planted-Secret-8c1f}\napiVersion: v1\nkind: Secret\n"
                        "metadata: {name: s}\nstringData:\n  <<: *d\n",
    }
    rng = random.Random(18)  # seeded: the same cases every run
    base = POD.encode()
    for i in range(8):
        b = bytearray(base)
        for _ in range(rng.randint(1, 12)):
            pos = rng.randrange(len(b))
            b[pos] = rng.choice([0x00, 0x01, 0x1b, 0x7f, 0x85, 0xff, ord("{"), ord("["), ord("&"),
                                 ord("*"), ord(":"), ord("\n"), ord("-"), ord("'"), ord('"')])
        cases[f"mutated-{i}"] = b.decode("latin-1")
    return cases


YAML_CASES = _yaml_cases()


@pytest.mark.parametrize("name", sorted(YAML_CASES))
def test_hostile_yaml(tmp_path, name):
    p = tmp_path / "case.yaml"
    p.write_bytes(YAML_CASES[name].encode("latin-1") if name.startswith(("mutated", "bad-utf8"))
                  else YAML_CASES[name].encode("utf-8"))
    _kubeward(["scan", "-o", "text", "-o", f"sarif={tmp_path / 'r.sarif'}", str(p)])
    _kubeward(["fix", "--diff", "--unsafe-fixes", str(p)])
    if name.startswith("mutated"):  # standard input takes the same path
        _kubeward(["scan", "-o", "json", "-"], stdin=p.read_bytes())
    assert not (tmp_path / "r.sarif").exists() or \
        PLANTED not in (tmp_path / "r.sarif").read_text(errors="replace")


# -- charts -----------------------------------------------------------------------------------
def _chart(root, template, extra=None):
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text("apiVersion: v2\nname: fuzz\nversion: 0.1.0\n")
    (root / "templates" / "t.yaml").write_text(template)
    for name, target in (extra or {}).items():
        os.makedirs(root / os.path.dirname(name), exist_ok=True)
        os.symlink(target, root / name)
    return root


CHARTS = {
    "environ": ('data: {a: {{ .Files.Get "f/env" | quote }}}\n', {"f/env": "/proc/self/environ"}),
    "host-file": ('data: {a: {{ .Files.Get "f/passwd" | quote }}}\n', {"f/passwd": "/etc/passwd"}),
    "dir-link": ('data: {a: {{ .Files.Glob "f/**" | len }}}\n', {"f/etc": "/etc"}),
    "self-loop": ("data: {a: 1}\n", {"f/l1": "l2", "f/l2": "l1"}),
    "loop": ("{{- range $i := until 50000000 }}\n{{ $i }}\n{{- end }}\n", None),
    "actions": ('a: ' + '{{ "" }}' * 40 + "b\n" + "a: " + "a" * 100 + "\n", None),
    "recursion": ('{{- define "r" }}{{ include "r" . }}{{ end }}{{ include "r" . }}\n', None),
}


@pytest.mark.skipif(helm._sdk() is None, reason="helm-python-sdk not installed")
@pytest.mark.parametrize("name", sorted(CHARTS))
def test_hostile_chart(tmp_path, name):
    template, links = CHARTS[name]
    head = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
    root = _chart(tmp_path / "c", head + template, links)
    proc, out = _kubeward(["scan", "-o", "json", str(root)])
    if links and name != "self-loop":
        assert proc.returncode == 2
        assert "root:" not in out and "HOME=" not in out


# -- kustomizations -----------------------------------------------------------------------------
KUSTOMIZATIONS = {
    "remote-http": {"kustomization.yaml": "resources: [http://127.0.0.1:9/pod.yaml]\n"},
    "remote-git": {"kustomization.yaml": "resources: [git::https://127.0.0.1:9/r.git//x?ref=v1]\n"},
    "base-cycle": {"kustomization.yaml": "resources: [a]\n",
                   "a/kustomization.yaml": "resources: [../b]\n",
                   "b/kustomization.yaml": "resources: [../a]\n"},
    "outside-root": {"kustomization.yaml": "resources: [/etc/passwd]\n"},
    "generator-env": {"kustomization.yaml":
                      "configMapGenerator: [{name: c, envs: [/proc/self/environ]}]\n"},
}


@pytest.mark.skipif(kustomize.builder() is None, reason="no kustomize builder")
@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_hostile_kustomization(tmp_path, name):
    for rel, text in KUSTOMIZATIONS[name].items():
        os.makedirs(tmp_path / "k" / os.path.dirname(rel), exist_ok=True)
        (tmp_path / "k" / rel).write_text(text)
    proc, out = _kubeward(["scan", "-o", "json", str(tmp_path / "k")])
    assert proc.returncode == 2  # refused or failed, with an error naming the overlay
    data = json.loads(proc.stdout)
    assert data["errors"] and all("kustomization" in e["file"] for e in data["errors"])


# -- admission requests ---------------------------------------------------------------------
ADMISSION_SCRIPT = textwrap.dedent("""\
    import json, sys
    from kubeward.admission.policy import AdmissionPolicy, BadReview
    from kubeward.config import Config
    from kubeward.engine import ScanOptions
    policy = AdmissionPolicy(ScanOptions(config=Config(admission={"mutate": ["safe"]})))
    review = json.loads(sys.stdin.read())
    for decide in (policy.validate, policy.mutate):
        try:
            out = json.dumps(decide(review).review())
        except BadReview as e:
            out = e.message
        print(len(out))
        assert "Planted-Secret-8c1f" not in out, out
    """)


def _req(obj, **kw):
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "u", "kind": {"group": "", "version": "v1", "kind": "Pod"},
                        "operation": "CREATE", "namespace": "default", "object": obj, **kw}}


def _pod(containers):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": containers}}


_C = {"name": "c", "image": "nginx", "securityContext": {"privileged": True},
      "env": [{"name": "DB_PASSWORD", "value": PLANTED}]}
ADMISSION = {
    "500-containers": _req(_pod([dict(_C, name=f"c{i}") for i in range(500)])),
    "wrong-types": _req({"apiVersion": "v1", "kind": "Pod", "metadata": [1], "spec": "x"}),
    "nested-deep": _req(_pod([{"name": "c", "image": "n", "x": json.loads("[" * 900 + "]" * 900)}])),
    "no-object": _req(None),
    "not-a-review": [1, 2, 3],
    "huge-strings": _req(_pod([dict(_C, image="x" * 2_000_000)])),
    "weird-ops": _req(_pod([_C]), operation="CONNECT", oldObject="x"),
    "name-mapping": _req({"apiVersion": "v1", "kind": "Pod",
                          "metadata": {"name": {"pw": PLANTED}}, "spec": {"containers": [_C]}}),
}


@pytest.mark.parametrize("name", sorted(ADMISSION))
def test_hostile_admission_request(name):
    proc = subprocess.run([sys.executable, "-c", ADMISSION_SCRIPT],
                          input=json.dumps(ADMISSION[name]).encode(), capture_output=True,
                          timeout=TIME_BUDGET, preexec_fn=_limit)
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 0, err[-3000:]
    assert PLANTED.encode() not in proc.stdout


# -- in-process properties --------------------------------------------------------------------
_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=400) | st.sampled_from(
    [POD, POD.replace("\n", "\r"), "a: &x [*x]\n", "- - - [\n", "{a: {b: [c, {d: e}]}}"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT, st.integers(0, 400), _TEXT)
def test_loader_and_redaction_never_raise(text, cut, extra):
    mixed = text[:cut] + extra + text[cut:]
    for item in parse_documents(mixed):
        assert isinstance(item, DocumentError) or hasattr(item, "data")
    masked = mask_source(mixed)
    assert masked.count("\n") == mixed.count("\n")
    redact_text(mixed)
