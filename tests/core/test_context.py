"""The whole picture on partial input: --context for cross-resource checks,
--namespace as kubectl apply -n, and objects defined in two files."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from kw_testlib import DATA, run

from kubeward.engine import ScanOptions, scan

ROOT = Path(__file__).resolve().parents[2]
HARDENED = ROOT / "examples" / "hardened-app" / "deployment.yaml"


def split(src: Path, dest: Path) -> list[str]:
    """One file per object, named NN-kind.yaml, as a repository might hold them."""
    import yaml

    dest.mkdir(parents=True, exist_ok=True)
    names = []
    for i, doc in enumerate(re.split(r"^---\n", src.read_text(), flags=re.M), 1):
        kind = yaml.safe_load(doc)["kind"].lower()
        name = f"{i:02d}-{kind}.yaml"
        (dest / name).write_text(doc)
        names.append(name)
    return names


@pytest.fixture
def split_app(tmp_path, monkeypatch):
    names = split(HARDENED, tmp_path / "app")
    assert names[2] == "03-deployment.yaml"
    monkeypatch.chdir(tmp_path / "app")
    return tmp_path / "app"


def _ids(report_or_json) -> list[tuple[str, str, int]]:
    if isinstance(report_or_json, dict):
        return sorted((f["checkId"], f["fieldPath"], f["line"])
                      for f in report_or_json["findings"])
    return sorted((f.check_id, f.path_text if hasattr(f, "path_text") else
                   ".".join(map(str, f.field_path)), f.line) for f in report_or_json.findings)


def test_single_file_without_context_sees_no_neighbours(split_app):
    r = run(["scan", "-o", "json", "03-deployment.yaml"])
    data = json.loads(r.stdout)
    assert r.exit_code == 1
    assert _ids(data) == [("REL004", "spec.replicas", 9),
                          ("XNET001", "spec.template.metadata.labels", 15)]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_single_file_with_context_is_clean(split_app, jobs):
    r = run(["scan", "-o", "json", "--jobs", jobs, "--context", ".", "03-deployment.yaml"])
    data = json.loads(r.stdout)
    assert r.exit_code == 0, r.stdout
    assert data["findings"] == []
    assert data["summary"]["objectsScanned"] == 1
    # the scanned file is not read again as context
    assert data["summary"]["contextObjects"] == 8
    assert ("context: 8 more objects from . read for cross-resource checks (their own "
            "findings are not reported)") in data["notes"]


def test_context_findings_are_not_reported(split_app):
    # the Deployment is in context only: its REL004/XNET findings would be
    # on 03-deployment.yaml, which is not scanned
    (split_app / "04-poddisruptionbudget.yaml").unlink()
    r = run(["scan", "-o", "json", "--context", ".", "01-namespace.yaml"])
    data = json.loads(r.stdout)
    assert r.exit_code == 0 and data["findings"] == []
    r = run(["scan", "-o", "json", "--context", ".", "03-deployment.yaml"])
    assert _ids(json.loads(r.stdout)) == [("REL004", "spec.replicas", 9)]


def test_context_from_the_config(split_app):
    (split_app / ".kubeward.yaml").write_text("context: ['.']\n")
    r = run(["scan", "-o", "json", "03-deployment.yaml"])
    assert r.exit_code == 0 and json.loads(r.stdout)["findings"] == []


def test_context_path_must_exist(split_app):
    r = run(["scan", "--context", "nowhere", "03-deployment.yaml"])
    assert r.exit_code == 2 and "nowhere" in r.output


def test_unreadable_context_file_is_a_note_not_an_error(split_app):
    (split_app / "zz-broken.yaml").write_text("kind: [\n")
    r = run(["scan", "-o", "json", "--context", ".", "03-deployment.yaml"])
    data = json.loads(r.stdout)
    assert r.exit_code == 0 and data["errors"] == []
    assert any(n.startswith("context: zz-broken.yaml:") for n in data["notes"])


def _by_file(report, file: str) -> list[tuple]:
    return sorted((f.check_id, f.field_path, f.line, f.column, f.message, f.severity)
                  for f in report.findings if f.file == file)


def _same_findings_per_file(root: Path, limit: int | None = None) -> int:
    """Scan ``root`` whole, then each of its files alone with ``--context root``:
    the findings of each file must be the same."""
    from kubeward.loading.files import iter_files

    whole = scan([str(root)], ScanOptions())
    files = [f for f in iter_files([str(root)], []) if os.path.isfile(f)]
    compared = 0
    for f in files[:limit]:
        alone = scan([f], ScanOptions(context=(str(root),)))
        name = os.path.normpath(f)
        assert _by_file(alone, name) == _by_file(whole, name), name
        assert all(x.file == name for x in alone.findings)
        compared += 1
    return compared


def test_single_file_with_context_equals_whole_repository_examples():
    assert _same_findings_per_file(ROOT / "examples") >= 2


def test_single_file_with_context_equals_whole_repository_split(split_app):
    assert _same_findings_per_file(split_app) == 9


def test_single_file_with_context_equals_whole_repository_realworld(corpus):
    root = corpus / "realworld-a" / "microservices-demo"
    assert _same_findings_per_file(root, limit=12) >= 1


# -- --changed-since and the pre-commit hook use the context ------------------

def _git(cwd, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com",
                    "-c", "commit.gpgsign=false", *args], cwd=cwd, check=True,
                   capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_changed_since_reads_the_whole_repository_as_context(split_app):
    _git(split_app, "init", "-q", "-b", "main")
    _git(split_app, "add", ".")
    _git(split_app, "commit", "-q", "-m", "init")
    dep = split_app / "03-deployment.yaml"
    dep.write_text(dep.read_text().replace("replicas: 3", "replicas: 2"))
    r = run(["scan", "-o", "json", "--changed-since", "HEAD", "."])
    data = json.loads(r.stdout)
    assert r.exit_code == 0, r.stdout
    assert data["findings"] == [] and data["summary"]["objectsScanned"] == 1
    assert data["summary"]["contextObjects"] == 8


def test_precommit_hooks_and_action_pass_the_context():
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert all("--context ." in h["entry"] for h in hooks)
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert {"context", "namespace"} <= set(action["inputs"])
    script = action["runs"]["steps"][2]["run"]
    assert '--context "$c"' in script and '--namespace "${KW_NAMESPACE}"' in script


def test_precommit_entry_on_one_split_file(split_app):
    hooks = {h["id"]: h for h in __import__("yaml").safe_load(
        (ROOT / ".pre-commit-hooks.yaml").read_text())}
    import shlex
    import sys

    entry = shlex.split(hooks["kubeward"]["entry"])
    assert entry[0] == "kubeward"
    r = subprocess.run([sys.executable, "-m", "kubeward", *entry[1:], "03-deployment.yaml"],
                       cwd=split_app, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 findings in 1 objects" in r.stdout


# -- --namespace ---------------------------------------------------------------

NS_LESS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: reader
rules: []
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
"""


def test_namespace_places_namespace_less_objects(tmp_path):
    f = tmp_path / "app.yaml"
    f.write_text(NS_LESS)
    r = run(["scan", "-o", "json", "--check", "XNET001", str(f)])
    data = json.loads(r.stdout)
    assert [(x["checkId"], x["object"]["namespace"]) for x in data["findings"]] == \
        [("XNET001", None)]
    assert any(n.startswith("1 namespaced object has no metadata.namespace and was not tied "
                            "to any namespace") for n in data["notes"])
    r = run(["scan", "-o", "json", "--check", "XNET001", "--namespace", "shop", str(f)])
    data = json.loads(r.stdout)
    assert r.exit_code == 0 and data["findings"] == []
    assert not any("not tied" in n for n in data["notes"])
    report = scan([str(f)], ScanOptions(namespace="shop"))
    assert {(o.kind, o.namespace) for o in report.scanned} == {
        ("Deployment", "shop"), ("ClusterRole", None), ("NetworkPolicy", "shop")}


def test_namespace_from_the_config_and_bad_names(tmp_path, monkeypatch):
    (tmp_path / "app.yaml").write_text(NS_LESS)
    (tmp_path / ".kubeward.yaml").write_text("namespace: shop\n")
    monkeypatch.chdir(tmp_path)
    r = run(["scan", "-o", "json", "--check", "XNET001", "app.yaml"])
    assert r.exit_code == 0 and json.loads(r.stdout)["findings"] == []
    r = run(["scan", "--namespace", "Shop_1", "app.yaml"])
    assert r.exit_code == 2 and "not a valid namespace name" in r.output
    (tmp_path / ".kubeward.yaml").write_text("namespace: Shop\n")
    r = run(["scan", "app.yaml"])
    assert r.exit_code == 2 and "namespace" in r.output


def test_custom_resource_scope_from_its_crd(tmp_path):
    f = tmp_path / "cr.yaml"
    f.write_text("""\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Cluster
  names: {kind: Widget, plural: widgets}
  versions: []
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
---
apiVersion: example.com/v1
kind: Gadget
metadata: {name: g}
""")
    report = scan([str(f)], ScanOptions(namespace="shop", checks=("SUP001",)))
    assert {(o.kind, o.namespace) for o in report.scanned} == {
        ("CustomResourceDefinition", None), ("Widget", None), ("Gadget", "shop")}


def test_kustomize_namespace_is_honoured():
    if not (shutil.which("kubectl") or shutil.which("kustomize")):
        pytest.skip("neither kubectl nor kustomize is installed")
    report = scan([str(DATA / "kustomize" / "overlay")], ScanOptions(checks=("SUP001",)))
    assert report.scanned and {o.namespace for o in report.scanned} == {"prod"}
    assert not any("not tied" in n for n in report.notes)


def test_helm_release_namespace_is_honoured():
    from kubeward.loading import helm

    if helm.helm_available() is None:
        pytest.skip("no Helm renderer")
    chart = str(DATA / "helm" / "mychart")
    report = scan([chart], ScanOptions(checks=("SUP001",)))
    assert report.scanned and {o.namespace for o in report.scanned} == {"default"}
    report = scan([chart], ScanOptions(checks=("SUP001",), namespace="web",
                                       render_options={"namespace": "web"}))
    assert {o.namespace for o in report.scanned} == {"web"}
    r = run(["scan", "-o", "json", "--check", "SUP001", "-n", "web", chart])
    assert {f["object"]["namespace"] for f in json.loads(r.stdout)["findings"]} <= {"web"}


def test_rbac_who_can_secrets_in_argocd(corpus):
    install = corpus / "realworld-a" / "argo-cd" / "manifests" / "install.yaml"
    r = run(["rbac", "who-can", "get", "secrets", "-n", "argocd", "-o", "json", str(install)])
    assert r.exit_code == 0
    roles = sorted({g["role"] for s in json.loads(r.stdout)["subjects"] for g in s["grants"]
                    if g["role"].startswith("Role ")})
    assert roles == ["Role argocd/argocd-application-controller",
                     "Role argocd/argocd-applicationset-controller",
                     "Role argocd/argocd-dex-server", "Role argocd/argocd-server"]
    # cluster-wide, the namespace-less objects are not tied to argocd: a note says so
    r = run(["rbac", "who-can", "get", "secrets", "-o", "json", str(install)])
    assert not any(g["role"].startswith("Role ") for s in json.loads(r.stdout)["subjects"]
                   for g in s["grants"])
    assert "not tied to any namespace" in r.stderr


# -- the same object twice -------------------------------------------------------

def test_same_object_in_two_files_is_one_note(split_app):
    shutil.copy("03-deployment.yaml", "03-deployment-v2.yaml")
    r = run(["scan", "-o", "json", "03-deployment.yaml", "03-deployment-v2.yaml"])
    notes = [n for n in json.loads(r.stdout)["notes"] if "defined in" in n]
    assert notes == ["Deployment.apps shop/web is defined in 2 files (03-deployment.yaml:1, "
                     "03-deployment-v2.yaml:1): to the API server they are one object, and the "
                     "copy applied last wins; each copy is checked, and cross-resource checks "
                     "see every copy (the role a binding names: the copy read last)"]
    # both copies are checked
    r = run(["scan", "-o", "json", "--check", "REL004", "03-deployment.yaml",
             "03-deployment-v2.yaml"])
    assert sorted(f["file"] for f in json.loads(r.stdout)["findings"]) == [
        "03-deployment-v2.yaml", "03-deployment.yaml"]


def test_many_objects_in_the_same_files_are_one_note(tmp_path):
    a, b, c = (tmp_path / n for n in ("a.yaml", "b.yaml", "c.yaml"))
    a.write_text(HARDENED.read_text())
    b.write_text("# v2\n" + HARDENED.read_text())
    c.write_text(HARDENED.read_text().replace("namespace: shop", "namespace: other"))
    r = run(["scan", "-o", "json", str(a), str(b), str(c)])
    notes = [n for n in json.loads(r.stdout)["notes"] if "defined in" in n]
    tail = ("to the API server each is one object, and the copy applied last wins; each copy "
            "is checked, and cross-resource checks see every copy (the role a binding names: "
            "the copy read last)")
    # cluster-scoped objects ignore the namespace; other/web is not shop/web
    assert notes == [
        f"2 objects are each defined in the 3 files {a}, {b}, {c} (Namespace shop, "
        f"PriorityClass.scheduling.k8s.io web-critical): {tail}",
        f"7 objects are each defined in the 2 files {a}, {b} (ServiceAccount shop/web, "
        "Deployment.apps shop/web, PodDisruptionBudget.policy shop/web, Service shop/web, "
        f"NetworkPolicy.networking.k8s.io shop/default-deny and 2 more): {tail}"]


def _line(path: Path, text: str) -> int:
    return path.read_text().splitlines().index(text) + 1


def test_duplicate_between_scan_and_context_only_when_it_involves_the_scan(split_app):
    shutil.copy(split_app / "05-service.yaml", split_app / "05-service-copy.yaml")
    r = run(["scan", "-o", "json", "--context", ".", "03-deployment.yaml"])
    assert not any("defined in" in n for n in json.loads(r.stdout)["notes"])
    r = run(["scan", "-o", "json", "--context", ".", "05-service.yaml"])
    notes = [n for n in json.loads(r.stdout)["notes"] if "defined in" in n]
    assert len(notes) == 1 and "05-service.yaml" in notes[0] and "05-service-copy.yaml" \
        in notes[0]


@pytest.mark.parametrize("jobs", [1, 2])
def test_namespace_note_and_placement_under_jobs(tmp_path, jobs):
    for i in range(3):
        (tmp_path / f"{i}.yaml").write_text(NS_LESS.replace("name: web", f"name: web{i}")
                                            .replace("name: reader", f"name: reader{i}")
                                            .replace("name: deny", f"name: deny{i}"))
    report = scan([str(tmp_path)], ScanOptions(jobs=jobs, checks=("XNET001",)))
    assert [n for n in report.notes if "not tied" in n][0].startswith(
        "3 namespaced objects have no metadata.namespace and were not tied to any namespace")
    assert len(report.findings) == 3
    report = scan([str(tmp_path)], ScanOptions(jobs=jobs, checks=("XNET001",), namespace="shop"))
    assert report.findings == [] and not any("not tied" in n for n in report.notes)


def test_network_and_rbac_commands_place_objects(tmp_path):
    f = tmp_path / "app.yaml"
    f.write_text(NS_LESS)
    r = run(["network", "-o", "json", str(f)])
    assert [w["workload"] for w in json.loads(r.stdout)["workloads"]] == ["Deployment default/web"]
    assert "1 namespaced object has no metadata.namespace" in r.stderr
    r = run(["network", "-n", "shop", "-o", "json", str(f)])
    w = json.loads(r.stdout)["workloads"][0]
    assert w["workload"] == "Deployment shop/web" and w["ingress"]["isolated"] is True
    assert "no metadata.namespace" not in r.stderr
    g = tmp_path / "rbac.yaml"
    g.write_text("""\
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader}
rules:
  - {apiGroups: [""], resources: [secrets], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects:
  - {kind: ServiceAccount, name: app}
""")
    r = run(["rbac", "can", "serviceaccount:team:app", "get", "secrets", "-n", "team", str(g)])
    assert r.exit_code == 0 and r.stdout.startswith(
        "yes: ServiceAccount team/app may get secrets in namespace team")
    r = run(["rbac", "can", "serviceaccount:team:app", "get", "secrets", "-n", "other", str(g)])
    assert r.exit_code == 1
