"""hubguard: GitOps guard rails for multi-hub, on-premises Kubernetes deployments."""

__version__ = "0.1.0"
