"""The cluster's own ValidatingAdmissionPolicies, evaluated before deploy.

When the input holds ``ValidatingAdmissionPolicy`` and
``ValidatingAdmissionPolicyBinding`` objects (or ``--admission-policies``
adds them, or ``kubeward audit`` reads them from the cluster), every other
object is evaluated as the API server would evaluate its create
(kubeward/policy/vap.py). The binding's ``validationActions`` choose the
check: Deny -> VAP001, Warn -> VAP002, Audit -> VAP003. A policy expression
that does not compile is VAP004. The CEL runtime is imported only when
policies are present.
"""

from __future__ import annotations

from typing import ClassVar, Iterator

from kubeward.checks.base import Context, CrossCheck, Finding, K8sObject, Severity, format_path

_KINDS = ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")
SEVERITY_ANNOTATION = "kubeward.io/severity"


def _decisions(objects: list[K8sObject], ctx: Context) -> list:
    """Every Decision and compile error, computed once per scan and shared
    by the four checks."""
    cache = ctx.__dict__.get("_vap_decisions")
    if cache is not None and cache[0] is objects:
        return cache[1]
    if not any(o.kind in _KINDS for o in objects):
        out: list = []
    else:
        from kubeward.policy.celenv import CelUnavailable
        from kubeward.policy.vap import review
        try:
            out = list(review(objects))
        except CelUnavailable as e:
            out = [e]
    ctx.__dict__["_vap_decisions"] = (objects, out)
    return out


class _VapCheck(CrossCheck):
    action: ClassVar[str] = ""
    kinds = None
    fix_safety = None

    def check_all(self, objects: list[K8sObject], ctx: Context) -> Iterator[Finding]:
        decisions = _decisions(objects, ctx)
        if not decisions:  # no policy in the input: nothing imported
            return
        from kubeward.policy.celenv import CelUnavailable
        from kubeward.policy.vap import Decision

        for d in decisions:
            if isinstance(d, CelUnavailable):
                if self.action == "Deny":
                    from kubeward.policy.celenv import PoliciesNotEvaluated
                    raise PoliciesNotEvaluated(f"ValidatingAdmissionPolicies in the input were not "
                                               f"evaluated: {d}")
                continue
            if not isinstance(d, Decision) or d.action != self.action:
                continue
            yield self.finding(d.target, d.violation.path, d.message,
                               severity=self._severity(d))

    def _severity(self, d) -> Severity:
        return self.severity


class PolicyDenies(_VapCheck):
    """
    ## What it does
    Evaluates the ValidatingAdmissionPolicies and their bindings found in
    the input against every other object, as the API server evaluates a
    create, and reports each object a binding with the `Deny` action would
    reject, with the policy's own message.

    ## Why is this bad?
    `kubectl apply` would fail: the cluster rejects the object. Finding it in
    CI is cheaper than at deploy time, and `kubectl` cannot evaluate
    policies offline.

    ## Example
    ```yaml
    apiVersion: admissionregistration.k8s.io/v1
    kind: ValidatingAdmissionPolicy
    metadata: {name: max-replicas}
    spec:
      matchConstraints:
        resourceRules:
          - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}
      validations:
        - expression: object.spec.replicas <= 5
    ---
    apiVersion: admissionregistration.k8s.io/v1
    kind: ValidatingAdmissionPolicyBinding
    metadata: {name: max-replicas}
    spec: {policyName: max-replicas, validationActions: [Deny]}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec: {replicas: 10}
    ```

    ## Use instead
    ```yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec: {replicas: 3}
    ```

    ## Fix safety
    No automatic fix: what satisfies a policy is the policy's business.
    The severity is high; set another with the policy annotation
    `kubeward.io/severity: critical|high|medium|low|info`.
    """

    id = "VAP001"
    name = "Rejected by a ValidatingAdmissionPolicy"
    severity = Severity.HIGH
    action = "Deny"
    remediation = "Change the object so that the policy admits it, or change the policy."

    def _severity(self, d) -> Severity:
        text = d.policy.annotations.get(SEVERITY_ANNOTATION)
        if isinstance(text, str):
            try:
                return Severity.parse(text)
            except ValueError:
                pass
        return self.severity


class PolicyWarns(_VapCheck):
    """
    ## What it does
    Reports each object for which a ValidatingAdmissionPolicy bound with
    the `Warn` action fails: the API server admits it and returns the
    message as a warning to the client.

    ## Why is this bad?
    The cluster's owners flag the object as not following their policy,
    often before they switch the binding to `Deny`.

    ## Example
    ```yaml
    apiVersion: admissionregistration.k8s.io/v1
    kind: ValidatingAdmissionPolicyBinding
    metadata: {name: max-replicas}
    spec: {policyName: max-replicas, validationActions: [Warn]}
    ```

    ## Use instead
    ```yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec: {replicas: 3}
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "VAP002"
    name = "Warned by a ValidatingAdmissionPolicy"
    severity = Severity.LOW
    action = "Warn"
    remediation = "Change the object so that the policy holds; it may become Deny."


class PolicyAudits(_VapCheck):
    """
    ## What it does
    Reports each object for which a ValidatingAdmissionPolicy bound with
    the `Audit` action fails: the API server admits it and records the
    failure in the audit log.

    ## Why is this bad?
    The cluster's owners watch for these violations; it is informational.

    ## Example
    ```yaml
    apiVersion: admissionregistration.k8s.io/v1
    kind: ValidatingAdmissionPolicyBinding
    metadata: {name: max-replicas}
    spec: {policyName: max-replicas, validationActions: [Audit]}
    ```

    ## Use instead
    ```yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec: {replicas: 3}
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "VAP003"
    name = "Audited by a ValidatingAdmissionPolicy"
    severity = Severity.INFO
    action = "Audit"
    remediation = "Change the object so that the policy holds."


class PolicyDoesNotCompile(CrossCheck):
    """
    ## What it does
    Reports each expression of a ValidatingAdmissionPolicy that does not
    compile, with the compiler's message, as the API server reports it in
    the policy's `status.typeChecking`.

    ## Why is this bad?
    With `failurePolicy: Fail` (the default) the API server rejects every
    request the policy matches; with `Ignore` the validation never runs.

    ## Example
    ```yaml
    spec:
      validations:
        - expression: object.spec.replicas <=
    ```

    ## Use instead
    ```yaml
    spec:
      validations:
        - expression: object.spec.replicas <= 5
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "VAP004"
    name = "ValidatingAdmissionPolicy expression does not compile"
    severity = Severity.HIGH
    kinds = frozenset({"ValidatingAdmissionPolicy"})
    remediation = "Fix the expression; `kubeward scan` shows the compiler's message."

    def check_all(self, objects: list[K8sObject], ctx: Context) -> Iterator[Finding]:
        decisions = _decisions(objects, ctx)
        if not decisions:
            return
        from kubeward.policy.vap import PolicyCompileError

        for d in decisions:
            if isinstance(d, PolicyCompileError):
                yield self.finding(
                    d.policy, d.path,
                    f"ValidatingAdmissionPolicy '{d.policy.name}': {format_path(d.path)}: "
                    f"{d.message.splitlines()[0]}")
