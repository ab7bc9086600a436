"""Schema validation of objects against the Kubernetes OpenAPI schemas of a
target version, with the ``kubernetes-validate`` package (test-only; it
bundles the schemas per version). Validators are built once per kind."""

from __future__ import annotations

import functools

import pytest

kv = pytest.importorskip("kubernetes_validate", reason="schema checks need kubernetes-validate")


@functools.lru_cache(maxsize=None)
def _validator(kind: str, api_version: str, version: str, strict: bool):
    import re

    import jsonschema
    from kubernetes_validate import utils
    from referencing import Registry, Resource

    versions = [v for v in utils.all_versions()
                if utils.major_minor(v) <= utils.major_minor(version)]
    schema_dir = f"v{versions[-1]}-local" + ("-strict" if strict else "")
    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = utils.schema_contents(
            f"kubernetes-json-schema/{schema_dir}/{kind.lower()}-{api}.json", version)
    except FileNotFoundError:
        return None  # a custom resource or a kind the schemas do not have
    defs = utils.schema_contents(f"kubernetes-json-schema/{schema_dir}/_definitions.json",
                                 version)
    registry = Resource.from_contents(defs) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


def schema_errors(obj: dict, version: str = "1.35", strict: bool = True) -> list[str]:
    """One line per schema error of ``obj`` (empty when valid or when no
    schema exists for its kind)."""
    if not isinstance(obj, dict) or not isinstance(obj.get("kind"), str) \
            or not isinstance(obj.get("apiVersion"), str):
        return []
    v = _validator(obj["kind"], obj["apiVersion"], version, strict)
    if v is None:
        return []
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in v.iter_errors(obj)]
