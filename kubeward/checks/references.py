"""Reference checks: objects that point at other objects by name or label
selector, and the target is not there.

On a partial input (a few manifests rather than the whole cluster) a target
may simply live elsewhere. So, unless the input is complete (``--complete``,
or a live cluster), a missing target is only reported when the input holds
at least one object of the target's kind in that namespace (for
ClusterRoles: at least one ClusterRole), and the message says the
conclusion is about the input. References from workloads to
ServiceAccounts, ConfigMaps and Secrets are only checked on complete input.
"""

from __future__ import annotations

from kubeward.analysis import network as net
from kubeward.analysis.rbac import BUILTIN_CLUSTER_ROLES
from kubeward.analysis import rbac
from kubeward.analysis.selectors import as_list, map_selector_matches, selector_matches
from kubeward.checks.base import CrossCheck, Severity

#: Roles Kubernetes creates in kube-system (besides system:*)
BUILTIN_ROLES = frozenset({"extension-apiserver-authentication-reader"})


def _spec(o) -> dict:
    s = o.raw.get("spec")
    return s if isinstance(s, dict) else {}


def _ns(o) -> str:
    return o.namespace or "default"


def _scope(ctx) -> str:
    return "in the cluster" if ctx.complete else "in the input"


class _Index:
    """(kind, namespace) -> names."""

    def __init__(self, objects):
        self.names: dict[tuple[str, str | None], set[str]] = {}
        for o in objects:
            ns = None if o.kind in ("ClusterRole", "Namespace", "PersistentVolume") else _ns(o)
            self.names.setdefault((o.kind, ns), set()).add(o.name)

    @classmethod
    def of(cls, ctx) -> "_Index":
        """The index of a check context's objects, once per scan."""
        return ctx.memo("references.index", lambda: cls(ctx.objects))

    def has(self, kind, ns, name) -> bool:
        return name in self.names.get((kind, ns), ())

    def any_of(self, kind, ns) -> bool:
        return bool(self.names.get((kind, ns)))


class ServiceSelectsNothing(CrossCheck):
    """
    ## What it does
    Reports Services whose `selector` matches the pod template labels of no
    workload in their namespace (custom resources whose labels match count:
    operators create pods for them).

    ## Why is this bad?
    The Service has no endpoints: traffic to it fails, and a later pod that
    happens to carry the labels (perhaps an attacker's) silently receives it.

    ## Example
    ```yaml
    kind: Service
    spec:
      selector: {app: web-frontend}   # pods are labelled app: web
    ```

    ## Use instead
    ```yaml
    kind: Service
    spec:
      selector: {app: web}
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "REF001"
    kinds = frozenset({"Service"})
    name = "Service selector matches no workload"
    severity = Severity.INFO
    remediation = "Make spec.selector match the pod template labels of the intended workload."

    def check_all(self, objects, ctx):
        a = net.of_context(ctx)
        for s in a.services:
            spec = _spec(s)
            sel = spec.get("selector")
            if not isinstance(sel, dict) or not sel or spec.get("type") == "ExternalName":
                continue
            ns = _ns(s)
            if not ctx.complete and not a.by_namespace.get(ns):
                continue
            if a.workloads_matching_map(ns, sel) or a.custom_owner_matches(
                    ns, lambda labels, sel=sel: map_selector_matches(sel, labels)):
                continue
            pairs = ", ".join(f"{k}={v}" for k, v in sel.items())
            yield self.finding(s, ("spec", "selector"),
                               f"Service {ns}/{s.name} selects {{{pairs}}}, which no pod "
                               f"template in namespace {ns} carries {_scope(ctx)}")


class IngressBackendMissing(CrossCheck):
    """
    ## What it does
    Reports Ingress backends whose Service does not exist in the Ingress's
    namespace, or whose port (number or name) is not one of the Service's
    ports.

    ## Why is this bad?
    The route is broken; and a Service created later under that name (by
    anyone who may create Services) silently receives the traffic.

    ## Example
    ```yaml
    kind: Ingress
    spec:
      rules:
        - http:
            paths:
              - path: /
                pathType: Prefix
                backend:
                  service: {name: web, port: {number: 8080}}   # web exposes 80
    ```

    ## Use instead
    ```yaml
    backend:
      service: {name: web, port: {number: 80}}
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "REF002"
    kinds = frozenset({"Ingress"})
    name = "Ingress backend Service missing or port not exposed"
    severity = Severity.INFO
    remediation = "Point the backend at an existing Service and one of its ports."

    def check_all(self, objects, ctx):
        a = net.of_context(ctx)
        svcs = {(_ns(s), s.name): s for s in a.services}
        idx = _Index.of(ctx)
        for ing in a.ingresses:
            ns = _ns(ing)
            for name, port, where, path in net.ingress_backends(ing):
                svc = svcs.get((ns, name))
                new_api = ing.locate(path + ("service",))[2]
                if svc is None:
                    if not ctx.complete and not idx.any_of("Service", ns):
                        continue
                    p = path + (("service", "name") if new_api else ("serviceName",))
                    yield self.finding(ing, p, f"Ingress {ns}/{ing.name} ({where}) routes to "
                                               f"Service {name}, which is not {_scope(ctx)}")
                    continue
                if port is None:
                    continue
                ports = [p for p in as_list(_spec(svc).get("ports")) if isinstance(p, dict)]
                ok = any((isinstance(port, int) and p.get("port") == port) or
                         (isinstance(port, str) and (p.get("name") == port or
                                                     str(p.get("port")) == port))
                         for p in ports)
                if not ok:
                    if new_api:
                        p = path + ("service", "port")
                        p += ("number",) if ing.locate(p + ("number",))[2] else ("name",)
                    else:
                        p = path + ("servicePort",)
                    exposed = ", ".join(str(x.get("name") or x.get("port")) for x in ports)
                    yield self.finding(ing, p, f"Ingress {ns}/{ing.name} ({where}) uses port "
                                               f"{port} of Service {name}, which exposes only "
                                               f"{exposed or 'no port'}")


_SCALABLE = {"Deployment": "apps", "StatefulSet": "apps", "ReplicaSet": "apps",
             "ReplicationController": ""}


class TargetMissing(CrossCheck):
    """
    ## What it does
    Reports HorizontalPodAutoscalers whose `scaleTargetRef` names an object
    that is not there, and PodDisruptionBudgets whose `selector` matches no
    workload of their namespace.

    ## Why is this bad?
    The autoscaler or the disruption budget silently does nothing: the
    workload it was written for is neither scaled nor protected during node
    drains.

    ## Example
    ```yaml
    kind: PodDisruptionBudget
    spec:
      minAvailable: 1
      selector:
        matchLabels: {app: api-server}   # pods are labelled app: api
    ```

    ## Use instead
    ```yaml
    kind: PodDisruptionBudget
    spec:
      minAvailable: 1
      selector:
        matchLabels: {app: api}
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "REF003"
    kinds = frozenset({"HorizontalPodAutoscaler", "PodDisruptionBudget"})
    name = "HPA or PDB target missing"
    severity = Severity.INFO
    remediation = "Point scaleTargetRef / selector at the intended workload."

    def check_all(self, objects, ctx):
        a = net.of_context(ctx)
        idx = _Index.of(ctx)
        for o in objects:
            if o.kind == "HorizontalPodAutoscaler":
                ref = _spec(o).get("scaleTargetRef")
                if not isinstance(ref, dict) or not ref.get("kind") or not ref.get("name"):
                    continue
                ns, kind, name = _ns(o), str(ref["kind"]), str(ref["name"])
                if idx.has(kind, ns, name):
                    continue
                if not ctx.complete and not idx.any_of(kind, ns):
                    continue
                yield self.finding(o, ("spec", "scaleTargetRef", "name"),
                                   f"HorizontalPodAutoscaler {ns}/{o.name} scales {kind} "
                                   f"{name}, which is not {_scope(ctx)}")
            elif o.kind == "PodDisruptionBudget":
                sel = _spec(o).get("selector")
                ns = _ns(o)
                if not ctx.complete and not a.by_namespace.get(ns):
                    continue
                if isinstance(sel, dict) and (
                        a.workloads_selected(ns, sel)
                        or a.custom_owner_matches(
                            ns, lambda lb, sel=sel: selector_matches(sel, lb))):
                    continue
                yield self.finding(o, ("spec", "selector") if isinstance(sel, dict)
                                   else ("spec",),
                                   f"PodDisruptionBudget {ns}/{o.name} selects no workload "
                                   f"of namespace {ns} {_scope(ctx)}")


def _replicas(w: net.Workload, hpa_targets: set) -> int | None:
    o = w.obj
    if o.kind == "Pod":
        return 1
    if o.kind not in _SCALABLE or (o.kind, w.namespace, o.name) in hpa_targets:
        return None
    r = _spec(o).get("replicas", 1)
    return r if isinstance(r, int) and not isinstance(r, bool) else None


class PDBBlocksDisruption(CrossCheck):
    """
    ## What it does
    Reports PodDisruptionBudgets that allow no voluntary disruption:
    `maxUnavailable: 0` (or `0%`), `minAvailable: 100%`, or a `minAvailable`
    at least the total replicas of the workloads it selects (when those are
    fixed: Deployments, StatefulSets, ReplicaSets without an autoscaler,
    bare Pods).

    ## Why is this bad?
    Node drains hang forever, so nodes cannot be patched or upgraded, which
    keeps known vulnerabilities running.

    ## Example
    ```yaml
    kind: PodDisruptionBudget
    spec:
      maxUnavailable: 0
      selector: {matchLabels: {app: api}}
    ```

    ## Use instead
    ```yaml
    kind: PodDisruptionBudget
    spec:
      maxUnavailable: 1
      selector: {matchLabels: {app: api}}
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "REF004"
    kinds = frozenset({"PodDisruptionBudget"})
    name = "PodDisruptionBudget allows no disruption"
    severity = Severity.LOW
    remediation = "Allow at least one pod to be evicted (maxUnavailable >= 1)."

    def check_all(self, objects, ctx):
        a = net.of_context(ctx)
        hpa_targets = set()
        for o in objects:
            if o.kind == "HorizontalPodAutoscaler":
                ref = _spec(o).get("scaleTargetRef")
                if isinstance(ref, dict):
                    hpa_targets.add((str(ref.get("kind")), _ns(o), str(ref.get("name"))))
        for o in objects:
            if o.kind != "PodDisruptionBudget":
                continue
            spec, ns = _spec(o), _ns(o)
            mu, ma = spec.get("maxUnavailable"), spec.get("minAvailable")
            if mu is not None and str(mu).strip() in ("0", "0%"):
                yield self.finding(o, ("spec", "maxUnavailable"),
                                   f"PodDisruptionBudget {ns}/{o.name} has maxUnavailable "
                                   f"{mu}: no pod may ever be evicted, node drains block")
                continue
            if ma is None:
                continue
            if isinstance(ma, str) and ma.strip() == "100%":
                yield self.finding(o, ("spec", "minAvailable"),
                                   f"PodDisruptionBudget {ns}/{o.name} has minAvailable 100%: "
                                   "no pod may ever be evicted, node drains block")
                continue
            if not isinstance(ma, int) or isinstance(ma, bool):
                continue
            sel = spec.get("selector")
            if not isinstance(sel, dict):
                continue
            matched = a.workloads_selected(ns, sel)
            reps = [_replicas(w, hpa_targets) for w in matched]
            if not matched or any(r is None for r in reps):
                continue
            total = sum(reps)
            if ma >= total:
                names = ", ".join(w.key for w in matched)
                yield self.finding(o, ("spec", "minAvailable"),
                                   f"PodDisruptionBudget {ns}/{o.name} has minAvailable {ma} "
                                   f"but selects {total} replica(s) ({names}): no pod may be "
                                   "evicted, node drains block")


class BindingRoleMissing(CrossCheck):
    """
    ## What it does
    Reports RoleBindings and ClusterRoleBindings whose `roleRef` names a Role
    or ClusterRole that does not exist (Kubernetes' default ClusterRoles,
    `cluster-admin`, `admin`, `edit`, `view` and `system:*`, always exist).

    ## Why is this bad?
    The binding grants nothing today, but whoever later creates a role of
    that name (maybe with far more rights) silently grants it to the
    binding's subjects.

    ## Example
    ```yaml
    kind: RoleBinding
    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
    # and no Role pod-reader in the namespace
    ```

    ## Use instead
    ```yaml
    kind: Role
    metadata: {name: pod-reader}
    rules:
      - {apiGroups: [""], resources: [pods], verbs: [get, list]}
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "REF005"
    kinds = frozenset({"RoleBinding", "ClusterRoleBinding"})
    name = "Binding to a missing Role or ClusterRole"
    severity = Severity.MEDIUM
    frameworks = {"nsa": ("authn/rbac",)}
    remediation = "Create the referenced role, or remove the binding."

    def check_all(self, objects, ctx):
        model, _ = rbac.of_context(ctx)
        idx = _Index.of(ctx)
        for b, what in model.missing_roles():
            if b.role_kind == "ClusterRole":
                if b.role_name in BUILTIN_CLUSTER_ROLES or b.role_name.startswith("system:"):
                    continue
                if not ctx.complete and not idx.any_of("ClusterRole", None):
                    continue
            elif b.role_kind == "Role":
                if b.namespace in ("kube-system", "kube-public") and (
                        b.role_name in BUILTIN_ROLES or b.role_name.startswith("system:")):
                    continue
                if not ctx.complete and not idx.any_of("Role", b.namespace):
                    continue
            yield self.finding(b.obj, ("roleRef", "name"),
                               f"{b.ref} references {what}, which is not {_scope(ctx)}: "
                               "its subjects get nothing until someone creates it")


def _pod_refs(obj):
    """(kind, name, field path) of ServiceAccounts, Secrets and ConfigMaps a
    pod spec needs (optional references left out)."""
    pod = obj.pod
    spec = pod.spec
    for key in ("serviceAccountName", "serviceAccount"):
        if spec.get(key):
            if spec[key] != "default":
                yield "ServiceAccount", str(spec[key]), pod.path + (key,)
            break
    for i, s in enumerate(as_list(spec.get("imagePullSecrets"))):
        if isinstance(s, dict) and s.get("name"):
            yield "Secret", str(s["name"]), pod.path + ("imagePullSecrets", i, "name")
    for path, v in pod.volumes:
        sec = v.get("secret")
        if isinstance(sec, dict) and sec.get("secretName") and not sec.get("optional"):
            yield "Secret", str(sec["secretName"]), path + ("secret", "secretName")
        cm = v.get("configMap")
        if isinstance(cm, dict) and cm.get("name") and not cm.get("optional"):
            yield "ConfigMap", str(cm["name"]), path + ("configMap", "name")
        proj = v.get("projected")
        if isinstance(proj, dict):
            for j, src in enumerate(as_list(proj.get("sources"))):
                if not isinstance(src, dict):
                    continue
                for key, kind in (("secret", "Secret"), ("configMap", "ConfigMap")):
                    r = src.get(key)
                    if isinstance(r, dict) and r.get("name") and not r.get("optional"):
                        yield kind, str(r["name"]), path + ("projected", "sources", j, key,
                                                            "name")
    for c in pod.containers:
        for k, e in enumerate(as_list(c.spec.get("env"))):
            vf = e.get("valueFrom") if isinstance(e, dict) else None
            if not isinstance(vf, dict):
                continue
            for key, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                r = vf.get(key)
                if isinstance(r, dict) and r.get("name") and not r.get("optional"):
                    yield kind, str(r["name"]), c.path + ("env", k, "valueFrom", key, "name")
        for k, e in enumerate(as_list(c.spec.get("envFrom"))):
            if not isinstance(e, dict):
                continue
            for key, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
                r = e.get(key)
                if isinstance(r, dict) and r.get("name") and not r.get("optional"):
                    yield kind, str(r["name"]), c.path + ("envFrom", k, key, "name")


class WorkloadReferenceMissing(CrossCheck):
    """
    ## What it does
    Reports workloads that reference a ServiceAccount, Secret or ConfigMap
    (volumes, env, envFrom, imagePullSecrets; optional references excluded)
    that does not exist. Runs only when the input is the whole cluster
    (`kubeward scan --complete`, `kubeward audit`, or the option
    `assume_complete: true` for a repository known to hold everything); on
    partial manifests the objects usually live elsewhere. A kind of which the
    input holds no object at all is taken as not read (`kubeward audit`
    never reads Secrets), and references to it are not judged.

    ## Why is this bad?
    Pods fail to start (or start without the intended credentials); a
    ServiceAccount or Secret created later under that name, by anyone allowed
    to, is silently picked up.

    ## Example
    ```yaml
    spec:
      serviceAccountName: builder   # no ServiceAccount builder in the namespace
    ```

    ## Use instead
    ```yaml
    apiVersion: v1
    kind: ServiceAccount
    metadata: {name: builder}
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "REF006"
    name = "Workload references a missing ServiceAccount, Secret or ConfigMap"
    severity = Severity.INFO
    workloads_only = True
    remediation = "Create the referenced object or fix the name."
    options = {"assume_complete": False}

    def check_all(self, objects, ctx):
        if not (ctx.complete or ctx.option(self.id, "assume_complete", False)):
            return
        idx = _Index.of(ctx)
        # kinds the input holds none of were not read (kubeward audit never
        # reads Secrets): references to them cannot be judged
        present = {k for k, _ in idx.names}
        for o in objects:
            if o.pod is None or o.kind == "PodTemplate":
                continue
            ns = _ns(o)
            for kind, name, path in _pod_refs(o):
                if kind not in present or (kind == "ConfigMap" and name == "kube-root-ca.crt"):
                    continue
                if not idx.has(kind, ns, name):
                    yield self.finding(o, path, f"{o.kind} {ns}/{o.name} references {kind} "
                                                f"{ns}/{name}, which is not "
                                                + ("in the cluster" if ctx.complete else
                                                   "in the input (assumed complete)"))
