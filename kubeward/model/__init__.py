"""The object model: one wrapper per Kubernetes object, with its source
location and, for anything that runs pods, its pod spec found once."""

from kubeward.model.objects import (  # noqa: F401
    ContainerView,
    K8sObject,
    PodView,
    Source,
    WORKLOAD_KINDS,
)
