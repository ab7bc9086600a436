"""State.replace_resource: the one way a relist replaces every object of a
resource (used by the cluster watch and the webhook's cluster view)."""

from __future__ import annotations

from kubeward.cluster.audit import State
from kubeward.cluster.client import Resource

SA = Resource("", "v1", "ServiceAccount", "serviceaccounts", True,
              frozenset({"get", "list", "watch"}))
CM = Resource("", "v1", "ConfigMap", "configmaps", True, frozenset({"get", "list", "watch"}))


def _raw(name, uid, ns="shop"):
    return {"metadata": {"name": name, "namespace": ns, "uid": uid}}


def test_replace_resource_removes_missing_keeps_unchanged_and_other_resources():
    st = State()
    st.upsert(SA, _raw("a", "u-a"))
    st.upsert(SA, _raw("b", "u-b"))
    st.upsert(CM, _raw("c", "u-c"))
    entry_a = st.entries[("", "ServiceAccount", "shop", "a")]
    staged = st.fork(SA)
    assert set(staged.entries) == {("", "ServiceAccount", "shop", "a"),
                                   ("", "ServiceAccount", "shop", "b")}
    seen = {staged.upsert(SA, raw)[0] for raw in (_raw("a", "u-a"), _raw("d", "u-d"))}
    st.replace_resource(SA, staged, seen)
    assert sorted(k[3] for k in st.entries) == ["a", "c", "d"]
    assert st.entries[("", "ServiceAccount", "shop", "a")] is entry_a  # unchanged: same entry
    assert "u-b" not in st.uids and st.uids["u-d"] == ("", "ServiceAccount", "shop", "d")
    assert st.uids["u-c"] == ("", "ConfigMap", "shop", "c")
    assert sorted(o.name for o in st.visible()) == ["a", "c", "d"]
