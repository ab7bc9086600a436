"""Policy as code: CEL expressions as Kubernetes evaluates them.

- ``celenv``: the CEL runtime (cel-expr-python, an optional extra), its
  environment with the ValidatingAdmissionPolicy variables, the cost
  estimate and compiled programs;
- ``k8slib``: Kubernetes' CEL libraries the runtime lacks;
- ``celast``: the checked syntax tree the runtime serializes;
- ``evaluate``: one policy (or custom rule) against one object, with
  Kubernetes' semantics;
- ``vap``: ValidatingAdmissionPolicies and their bindings among scanned
  objects, as the API server applies them to a create;
- ``rules``: custom rule files (kubeward/checks/custom.py makes checks of them).

Layered below ``checks`` (.importlinter): it knows nothing of checks, the
engine or outputs. See docs/policies.md.
"""
