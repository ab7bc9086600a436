"""Model-level analysis shared by cross checks and commands: NetworkPolicy
semantics (:mod:`kubeward.analysis.network`) and the RBAC authorizer with
escalation paths (:mod:`kubeward.analysis.rbac`). Imports only
:mod:`kubeward.model` and :mod:`kubeward.paths`."""
