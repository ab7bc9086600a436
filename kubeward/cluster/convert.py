"""Live objects -> :class:`kubeward.model.K8sObject`.

* Server-owned fields are dropped: ``status``, and from ``metadata``
  ``managedFields``, ``resourceVersion``, ``uid``, ``generation``,
  ``creationTimestamp``, ``selfLink``, ``deletionTimestamp``,
  ``deletionGracePeriodSeconds`` and the
  ``kubectl.kubernetes.io/last-applied-configuration`` annotation (a second
  copy of the object).
* The source file is ``cluster://<namespace>/<Kind>/<name>``
  (``cluster://_cluster/<Kind>/<name>`` for cluster-scoped objects).
* Lines: a finding's line is the line of the field in the object's YAML
  rendering (``yaml.safe_dump`` of the cleaned object, keys in the order the
  server sent them, as the object is shown by :func:`render`). The rendering
  is made lazily, only for objects that have a finding, and parsed with
  :mod:`kubeward.loading.yamldoc`, so the lines are exact for that text.
* Owners: an object whose controlling owner (``ownerReferences`` with
  ``controller: true``) is itself audited is not reported; its owner is
  (a Pod of a ReplicaSet of a Deployment is reported once, on the
  Deployment; a Job of a CronJob on the CronJob).
"""

from __future__ import annotations

from kubeward.model import K8sObject, Source

CLUSTER_SCOPE = "_cluster"
_DROP_META = ("managedFields", "resourceVersion", "uid", "generation", "creationTimestamp",
              "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds")
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def source_name(kind: str, namespace: str | None, name: str) -> str:
    return f"cluster://{namespace or CLUSTER_SCOPE}/{kind}/{name}"


def controller_uid(raw: dict) -> str | None:
    """The uid of the object's controlling owner, if any."""
    refs = (raw.get("metadata") or {}).get("ownerReferences")
    if isinstance(refs, list):
        for ref in refs:
            if isinstance(ref, dict) and ref.get("controller") is True and ref.get("uid"):
                return str(ref["uid"])
    return None


def clean(raw: dict) -> dict:
    """The object without server-owned fields (changes ``raw`` in place)."""
    raw.pop("status", None)
    meta = raw.get("metadata")
    if isinstance(meta, dict):
        for k in _DROP_META:
            meta.pop(k, None)
        ann = meta.get("annotations")
        if isinstance(ann, dict) and LAST_APPLIED in ann:
            del ann[LAST_APPLIED]
            if not ann:
                del meta["annotations"]
    return raw


def render(raw: dict) -> str:
    """The YAML text that finding lines refer to."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(raw, Dumper=dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=10_000)


class LazyPositions(dict):
    """A ``Document.positions`` table for ``raw`` that is built on first
    use: render ``raw`` to YAML, parse it with positions, and map each
    container of the parsed copy back to the same container of ``raw``."""

    __slots__ = ("_raw", "_built")

    def __init__(self, raw: dict):
        super().__init__()
        self._raw = raw
        self._built = False

    def _build(self) -> None:
        if self._built:
            return
        self._built = True
        from kubeward.loading.yamldoc import Document, parse_documents

        doc = next(iter(parse_documents(render(self._raw))), None)
        if not isinstance(doc, Document):  # pragma: no cover - our own dump always parses
            return
        table = doc.positions
        stack = [(self._raw, doc.data)]
        while stack:
            mine, parsed = stack.pop()
            pos = table.get(id(parsed))
            if pos is None:
                continue
            dict.__setitem__(self, id(mine), pos)
            if isinstance(mine, dict) and isinstance(parsed, dict):
                for k, v in mine.items():
                    if isinstance(v, (dict, list)) and k in parsed:
                        stack.append((v, parsed[k]))
            elif isinstance(mine, list) and isinstance(parsed, list):
                for a, b in zip(mine, parsed):
                    if isinstance(a, (dict, list)):
                        stack.append((a, b))

    def get(self, key, default=None):
        self._build()
        return dict.get(self, key, default)

    def __getitem__(self, key):
        self._build()
        return dict.__getitem__(self, key)

    def __contains__(self, key):
        self._build()
        return dict.__contains__(self, key)

    def __len__(self):
        self._build()
        return dict.__len__(self)

    def __iter__(self):
        self._build()
        return dict.__iter__(self)

    def items(self):
        self._build()
        return dict.items(self)


def to_object(raw: dict) -> K8sObject:
    """A cleaned live object (with apiVersion and kind) as a K8sObject."""
    meta = raw.get("metadata") or {}
    src = Source(source_name(str(raw.get("kind") or ""), meta.get("namespace"),
                             str(meta.get("name") or "")), 0, 1, LazyPositions(raw))
    return K8sObject(raw, src)
