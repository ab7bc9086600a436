"""The algorithmic shape of the cross-resource analyses, by counting work
(rule tests, graph edges, selector tests), not time: 10x more input must
cost about 10x more, not 100x. And the escalation chains read off the
distances computed once are the chains a search per subject finds."""

from __future__ import annotations

import random
from collections import deque

import pytest

from kubeward.analysis import network as net
from kubeward.analysis import rbac
from kubeward.model import K8sObject, Source

RBAC = "rbac.authorization.k8s.io"


def _obj(raw: dict, i: int) -> K8sObject:
    return K8sObject(raw, Source("gen.yaml", i, i * 10 + 1, {}))


def _meta(name, ns=None, labels=None):
    m = {"name": name}
    if ns:
        m["namespace"] = ns
    if labels:
        m["labels"] = labels
    return m


def cluster(n_ns: int, per_ns: int = 5, seed: int = 1) -> list[K8sObject]:
    """``n_ns`` namespaces of ``per_ns`` apps (ServiceAccount, Deployment,
    Role, RoleBinding, narrow NetworkPolicy) plus a default deny, a pod
    creator, half of them without a Pod Security level; cluster-wide read
    grants to every ServiceAccount and every authenticated user, and one CI
    account bound in every namespace."""
    rng = random.Random(seed)
    raws: list[dict] = [
        {"apiVersion": f"{RBAC}/v1", "kind": "ClusterRole", "metadata": _meta("sa-reader"),
         "rules": [{"apiGroups": [""], "resources": ["serviceaccounts", "configmaps"],
                    "verbs": ["get", "list", "watch"]}]},
        {"apiVersion": f"{RBAC}/v1", "kind": "ClusterRoleBinding", "metadata": _meta("sa-reader"),
         "roleRef": {"kind": "ClusterRole", "name": "sa-reader"},
         "subjects": [{"kind": "Group", "name": "system:serviceaccounts"}]},
        {"apiVersion": f"{RBAC}/v1", "kind": "ClusterRole", "metadata": _meta("viewer"),
         "rules": [{"apiGroups": ["", "apps"], "resources": ["pods", "deployments"],
                    "verbs": ["get", "list"]}]},
        {"apiVersion": f"{RBAC}/v1", "kind": "ClusterRoleBinding", "metadata": _meta("viewer"),
         "roleRef": {"kind": "ClusterRole", "name": "viewer"},
         "subjects": [{"kind": "Group", "name": "system:authenticated"}]},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta("deployer", "ci")},
    ]
    for k in range(n_ns):
        ns = f"ns-{k}"
        labels = {"pod-security.kubernetes.io/enforce": "restricted"} if k % 2 else {}
        raws.append({"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(ns, None, labels)})
        raws.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                     "metadata": _meta("deny", ns), "spec": {"podSelector": {},
                                                             "policyTypes": ["Ingress"]}})
        raws.append({"apiVersion": f"{RBAC}/v1", "kind": "Role", "metadata": _meta("creator", ns),
                     "rules": [{"apiGroups": [""], "resources": ["pods"],
                                "verbs": ["create", "get"]}]})
        raws.append({"apiVersion": f"{RBAC}/v1", "kind": "RoleBinding",
                     "metadata": _meta("creator", ns),
                     "roleRef": {"kind": "Role", "name": "creator"},
                     "subjects": [{"kind": "ServiceAccount", "name": "app-0", "namespace": ns}]})
        raws.append({"apiVersion": f"{RBAC}/v1", "kind": "RoleBinding", "metadata": _meta("ci", ns),
                     "roleRef": {"kind": "ClusterRole", "name": "edit"},
                     "subjects": [{"kind": "ServiceAccount", "name": "deployer",
                                   "namespace": "ci"}]})
        for a in range(per_ns):
            app = f"app-{a}"
            raws.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(app, ns)})
            raws.append({"apiVersion": "apps/v1", "kind": "Deployment",
                         "metadata": _meta(app, ns),
                         "spec": {"selector": {"matchLabels": {"app": app}}, "template": {
                             "metadata": {"labels": {"app": app,
                                                     "tier": rng.choice(["web", "db"])}},
                             "spec": {"serviceAccountName": app,
                                      "containers": [{"name": "c", "image": "x:1"}]}}}})
            raws.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                         "metadata": _meta(app, ns),
                         "spec": {"podSelector": {"matchLabels": {"app": app}},
                                  "ingress": [{"from": [{"podSelector": {
                                      "matchLabels": {"tier": "web"}}}]}]}})
            raws.append({"apiVersion": f"{RBAC}/v1", "kind": "Role", "metadata": _meta(app, ns),
                         "rules": [{"apiGroups": [""], "resources": ["configmaps"],
                                    "verbs": ["get"]}]})
            raws.append({"apiVersion": f"{RBAC}/v1", "kind": "RoleBinding",
                         "metadata": _meta(app, ns), "roleRef": {"kind": "Role", "name": app},
                         "subjects": [{"kind": "ServiceAccount", "name": app, "namespace": ns}]})
    return [_obj(r, i) for i, r in enumerate(raws)]


class _Counter:
    def __init__(self, monkeypatch, owner, name):
        self.n = 0
        orig = getattr(owner, name)

        def counted(*a, **kw):
            self.n += 1
            return orig(*a, **kw)

        monkeypatch.setattr(owner, name, counted)


def _rbac_work(monkeypatch, n_ns: int, per_ns: int = 5) -> tuple[int, int, int]:
    """(rule tests, graph edges, findings) of XRBAC001's questions: one chain
    per workload ServiceAccount."""
    with monkeypatch.context() as m:
        rules = _Counter(m, rbac.Rule, "allows_resource")
        objects = cluster(n_ns, per_ns)
        model, esc = rbac.analyse(objects)
        found = 0
        for w in model.workloads:
            ns, sa, _ = rbac.workload_service_account(w)
            if esc.path(rbac.Subject("ServiceAccount", sa, ns)):
                found += 1
        return rules.n, esc.visited_edges, found


def test_escalation_work_grows_linearly(monkeypatch):
    small = _rbac_work(monkeypatch, 10)
    large = _rbac_work(monkeypatch, 100)
    # the pod creator of each namespace without a Pod Security level escalates
    assert small[2] == 10 // 2 and large[2] == 100 // 2
    assert large[0] <= 12 * small[0], (small, large)  # quadratic was ~100x
    assert large[1] <= 12 * small[1], (small, large)


def test_namespace_size_does_not_make_escalation_quadratic(monkeypatch):
    """More apps per namespace: the per-ServiceAccount questions are asked
    only where some grant may answer them."""
    small = _rbac_work(monkeypatch, 4, per_ns=10)
    large = _rbac_work(monkeypatch, 4, per_ns=100)
    assert large[0] <= 12 * small[0], (small, large)


def _network_work(monkeypatch, n_ns: int, per_ns: int) -> tuple[int, int]:
    with monkeypatch.context() as m:
        sel = _Counter(m, net, "selector_matches")
        a = net.analyse(cluster(n_ns, per_ns))
        isolated = sum(1 for w in a.workloads if a.view(w, net.INGRESS).isolated)
        selected = sum(len(a.selected_by(p)) for p in a.policies)
        assert isolated == len(a.workloads)
        assert selected == 2 * len(a.workloads)  # the default deny and its own policy
        return sel.n, len(a.workloads)


def test_policy_matching_grows_linearly_with_namespace_size(monkeypatch):
    small = _network_work(monkeypatch, 2, 20)
    large = _network_work(monkeypatch, 2, 200)
    assert large[1] == 10 * small[1]
    assert large[0] <= 12 * small[0], (small, large)  # every policy of the namespace: 100x


def _forward_search(esc: rbac.EscalationAnalysis, subject: rbac.Subject):
    """The search per subject that ``path`` replaced (breadth first, each
    node's edges in order), as the reference."""
    start = ("subject", subject)
    parent = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for step, nxt in esc.edges(node):
            if nxt in parent:
                continue
            parent[nxt] = (node, step)
            if nxt == rbac.GOAL:
                steps, cur = [], nxt
                while parent[cur] is not None:
                    cur, st = parent[cur]
                    steps.append(st)
                return steps[::-1]
            queue.append(nxt)
    return None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_chains_equal_the_search_per_subject(seed):
    rng = random.Random(seed)
    objects = cluster(6, 4, seed)
    # random extra grants: token creation, exec, secret reading, impersonation
    extra = []
    for i in range(12):
        ns = f"ns-{rng.randrange(6)}"
        res, verbs = rng.choice([("pods/exec", ["create"]), ("secrets", ["get", "create"]),
                                 ("serviceaccounts/token", ["create"]),
                                 ("serviceaccounts", ["impersonate"]),
                                 ("deployments", ["patch"])])
        grp = "apps" if res == "deployments" else ""
        sa = f"app-{rng.randrange(4)}"
        extra.append({"apiVersion": f"{RBAC}/v1", "kind": "Role", "metadata": _meta(f"x{i}", ns),
                      "rules": [{"apiGroups": [grp], "resources": [res], "verbs": verbs}]})
        extra.append({"apiVersion": f"{RBAC}/v1", "kind": "RoleBinding",
                      "metadata": _meta(f"x{i}", ns), "roleRef": {"kind": "Role", "name": f"x{i}"},
                      "subjects": [{"kind": "ServiceAccount", "name": sa,
                                    "namespace": f"ns-{rng.randrange(6)}"}]})
    objects += [_obj(r, 10000 + i) for i, r in enumerate(extra)]
    model, esc = rbac.analyse(objects)
    _, ref = rbac.analyse(objects)
    subjects = model.subjects() + [rbac.Subject("User", "nobody")]
    lengths = []
    for s in subjects:
        got = esc.path(s)
        want = _forward_search(ref, s)
        assert got == want, s
        if got:
            lengths.append(len(got))
    assert len(lengths) >= 5 and max(lengths) >= 2
