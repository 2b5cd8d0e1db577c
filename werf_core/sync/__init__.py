"""Synchronization: locks (file, lease-based over an optimistic store, Kubernetes ConfigMap) and the stages-storage cache."""
