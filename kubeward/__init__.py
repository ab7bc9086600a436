"""kubeward: security guardrails for Kubernetes configuration."""

__version__ = "0.1.0"
