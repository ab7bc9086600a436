"""Shared helpers of the kubeward test suite: the one importable test package.

``tests/`` is on ``sys.path`` (``pythonpath`` in pyproject.toml), so every test
imports helpers the same way, ``from kwtest.<module> import ...``; tests never
import other test modules or conftest files, and nothing edits ``sys.path``.

- ``kwtest.shared``: paths to the repository and ``../shared`` (corpus,
  schemas), and ``require()``, which skips outside CI and fails under
  ``CI=true`` when shared material is missing.
- ``kwtest.cli``: the CLI runner, a small Deployment generator, the SARIF and
  JSON-report schema validators.
- ``kwtest.wait``: ``wait_for()``, poll a condition until it holds (never
  sleep-then-assert).
- ``kwtest.fixtures``: the ``# expect:`` header parser of ``tests/checks/<ID>/``.
- ``kwtest.oracle``: the independent oracle of the ``fix`` tests.
- ``kwtest.analysis``: loaders for the RBAC/network analysis fixtures.
- ``kwtest.fakeapi``: a fake Kubernetes API server on loopback.
- ``kwtest.admission``, ``kwtest.workloads``: the webhook test server and AdmissionReviews.
- ``kwtest.schema_check``, ``kwtest.validity``: Kubernetes OpenAPI validation of
  objects (kubernetes-validate) and the validity oracle of the fix tests.
"""
