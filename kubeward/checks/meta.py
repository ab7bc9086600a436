"""Checks about kubeward's own annotations."""

from __future__ import annotations

from kubeward.checks.base import Check, Severity
from kubeward.model.suppress import suppressions_of


class SuppressionWithoutReason(Check):
    """
    ## What it does
    Reports a `kubeward.io/ignore` annotation that gives no reason, names no
    valid check id, or is not a string. Such an annotation suppresses nothing.

    ## Why is this bad?
    Every exception to a guardrail must say why it is acceptable, so that a
    reviewer (or an auditor) can judge it later. An unexplained exception is
    indistinguishable from a mistake.

    ## Example
    ```yaml
    metadata:
      annotations:
        kubeward.io/ignore: "PSS002"
    ```

    ## Use instead
    ```yaml
    metadata:
      annotations:
        kubeward.io/ignore: "PSS002: the CNI agent needs privileged mode (ticket SEC-123)"
    ```

    ## Fix safety
    No automatic fix: only a person can give the reason.
    """

    id = "SUP001"
    name = "Suppression without a reason"
    severity = Severity.MEDIUM
    remediation = 'Write the annotation as "ID[,ID...]: reason".'

    def check(self, obj, ctx):
        for sup in suppressions_of(obj):
            if sup.problem:
                yield self.finding(obj, sup.path,
                                   f"kubeward.io/ignore is not applied: {sup.problem}")
