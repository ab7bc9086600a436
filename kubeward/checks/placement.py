"""Where workloads run: namespaces that should not hold applications (NSP001..).

Severity rubric (the same in every kubeward check module):
  critical: direct host or cluster takeover; high: container escape or
  credential exposure likely; medium: weakens defence in depth; low:
  hardening / best practice; info: hygiene.

A manifest without ``metadata.namespace`` gives no finding: it lands in the
namespace chosen at deploy time (``kubectl -n``, Helm ``--namespace``, the
kustomization), which the manifest cannot know. Only an explicit namespace is
judged. Findings point at ``metadata.namespace``.
"""

from __future__ import annotations

from kubeward.checks.base import Check, Severity


class NamespaceCheck(Check):
    """Template: a workload explicitly placed in ``namespace``."""

    workloads_only = True
    namespace: str = ""
    why: str = ""

    def check(self, obj, ctx):
        if obj.namespace == self.namespace:
            yield self.finding(obj, ("metadata", "namespace"),
                               f"{obj.kind} {obj.name!r} runs in the {self.namespace!r} "
                               f"namespace ({self.why})", value=self.namespace)


class DefaultNamespace(NamespaceCheck):
    """
    ## What it does
    Reports workloads whose `metadata.namespace` is `default`.

    ## Why is this bad?
    The `default` namespace is where everything lands by accident: it usually
    has no Pod Security level, NetworkPolicies, quotas or narrowly scoped
    RBAC, and mixing applications there removes the namespace as a security
    boundary.

    ## Example
    ```yaml
    metadata:
      name: web
      namespace: default
    ```

    ## Use instead
    ```yaml
    metadata:
      name: web
      namespace: shop
    ```

    ## Fix safety
    No automatic fix: moving a workload changes its Service DNS names and
    RBAC.
    """

    id = "NSP001"
    name = "Workload in the default namespace"
    severity = Severity.LOW
    namespace = "default"
    why = "no isolation, policies or quotas by default"
    frameworks = {"cis": ("5.7.4",), "nsa": ("network/namespaces",)}
    remediation = "Deploy the workload to a dedicated namespace."


class KubeSystemNamespace(NamespaceCheck):
    """
    ## What it does
    Reports workloads whose `metadata.namespace` is `kube-system`.

    ## Why is this bad?
    `kube-system` holds the control plane's add-ons and their highly
    privileged ServiceAccounts; it is typically exempt from Pod Security
    admission and many policy engines. An application there runs next to,
    and with the same exemptions as, cluster components. Cluster add-ons that
    belong there can be suppressed with a reason.

    ## Example
    ```yaml
    metadata:
      name: web
      namespace: kube-system
    ```

    ## Use instead
    ```yaml
    metadata:
      name: web
      namespace: shop
    ```

    ## Fix safety
    No automatic fix: moving a workload changes its Service DNS names and
    RBAC.
    """

    id = "NSP002"
    name = "Workload in kube-system"
    severity = Severity.MEDIUM
    namespace = "kube-system"
    why = "reserved for cluster components, usually exempt from admission policies"
    frameworks = {"nsa": ("network/namespaces",)}
    remediation = "Deploy applications outside kube-system; suppress with a reason for cluster add-ons."


class KubePublicNamespace(NamespaceCheck):
    """
    ## What it does
    Reports workloads whose `metadata.namespace` is `kube-public`.

    ## Why is this bad?
    `kube-public` is meant for data readable by every client, including
    unauthenticated ones in many setups. Workloads and their configuration do
    not belong in a namespace whose contents are treated as public.

    ## Example
    ```yaml
    metadata:
      name: web
      namespace: kube-public
    ```

    ## Use instead
    ```yaml
    metadata:
      name: web
      namespace: shop
    ```

    ## Fix safety
    No automatic fix: moving a workload changes its Service DNS names and
    RBAC.
    """

    id = "NSP003"
    name = "Workload in kube-public"
    severity = Severity.LOW
    namespace = "kube-public"
    why = "meant for publicly readable cluster information"
    frameworks = {"nsa": ("network/namespaces",)}
    remediation = "Deploy the workload to a dedicated namespace."
