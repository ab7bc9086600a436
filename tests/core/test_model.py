"""The model: pod specs of every workload kind (CRDs by shape) and
security-context inheritance."""

from __future__ import annotations

import pytest

from kubeward.loading.files import LoadResult, load_text


def obj_of(text: str):
    r = LoadResult()
    load_text(text, "m.yaml", r)
    assert not r.errors, r.errors
    (o,) = r.objects
    return o


CONTAINERS = "containers: [{name: c, image: x}]"


@pytest.mark.parametrize("kind,api,body,path", [
    ("Pod", "v1", f"spec: {{{CONTAINERS}}}", ("spec",)),
    ("Deployment", "apps/v1", f"spec: {{template: {{spec: {{{CONTAINERS}}}}}}}", ("spec", "template", "spec")),
    ("StatefulSet", "apps/v1", f"spec: {{template: {{spec: {{{CONTAINERS}}}}}}}", ("spec", "template", "spec")),
    ("DaemonSet", "apps/v1", f"spec: {{template: {{spec: {{{CONTAINERS}}}}}}}", ("spec", "template", "spec")),
    ("ReplicaSet", "apps/v1", f"spec: {{template: {{spec: {{{CONTAINERS}}}}}}}", ("spec", "template", "spec")),
    ("ReplicationController", "v1", f"spec: {{template: {{spec: {{{CONTAINERS}}}}}}}", ("spec", "template", "spec")),
    ("Job", "batch/v1", f"spec: {{template: {{spec: {{{CONTAINERS}}}}}}}", ("spec", "template", "spec")),
    ("CronJob", "batch/v1", f"spec: {{jobTemplate: {{spec: {{template: {{spec: {{{CONTAINERS}}}}}}}}}}}",
     ("spec", "jobTemplate", "spec", "template", "spec")),
    ("PodTemplate", "v1", f"template: {{spec: {{{CONTAINERS}}}}}", ("template", "spec")),
    ("Rollout", "argoproj.io/v1alpha1", f"spec: {{template: {{spec: {{{CONTAINERS}}}}}}}", ("spec", "template", "spec")),
    ("Service", "serving.knative.dev/v1", f"spec: {{template: {{spec: {{{CONTAINERS}}}}}}}", ("spec", "template", "spec")),
    ("DeploymentConfig", "apps.openshift.io/v1", f"spec: {{template: {{spec: {{{CONTAINERS}}}}}}}", ("spec", "template", "spec")),
    ("ScaledJob", "keda.sh/v1alpha1", f"spec: {{jobTargetRef: {{template: {{spec: {{{CONTAINERS}}}}}}}}}",
     ("spec", "jobTargetRef", "template", "spec")),
])
def test_pod_spec_found_for_every_workload(kind, api, body, path):
    o = obj_of(f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: w}}\n{body}\n")
    assert o.pod is not None
    assert o.pod.path == path
    assert [c.path for c in o.pod.containers] == [path + ("containers", 0)]


def test_no_pod_spec_for_plain_service_and_crd():
    assert obj_of("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: []}\n").pod is None
    crd = ("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: x}\n"
           f"spec: {{template: {{spec: {{{CONTAINERS}}}}}}}\n")
    assert obj_of(crd).pod is None


def test_all_container_lists_in_order():
    o = obj_of("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
               "  ephemeralContainers: [{name: e}]\n  containers: [{name: c}, {name: d}]\n"
               "  initContainers: [{name: i}]\n")
    assert [(c.list_name, c.index, c.name) for c in o.pod.containers] == [
        ("initContainers", 0, "i"), ("containers", 0, "c"), ("containers", 1, "d"),
        ("ephemeralContainers", 0, "e")]


def test_security_context_inheritance():
    o = obj_of("""\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    seccompProfile: {type: RuntimeDefault}
    windowsOptions: {hostProcess: true, runAsUserName: pod}
  containers:
    - name: a
      securityContext:
        runAsUser: 0
        privileged: false
        windowsOptions: {runAsUserName: ctr}
    - name: b
""")
    a, b = o.pod.containers
    assert a.effective("runAsUser") == (0, ("spec", "containers", 0, "securityContext", "runAsUser"))
    assert b.effective("runAsUser") == (1000, ("spec", "securityContext", "runAsUser"))
    assert a.effective("runAsNonRoot") == (True, ("spec", "securityContext", "runAsNonRoot"))
    assert b.effective("seccompProfile")[0] == {"type": "RuntimeDefault"}
    # privileged is container-only: never inherited
    assert b.effective("privileged") == (None, None)
    # windowsOptions merge field by field
    assert a.effective_windows_option("hostProcess") == (True, ("spec", "securityContext", "windowsOptions", "hostProcess"))
    assert a.effective_windows_option("runAsUserName")[0] == "ctr"
