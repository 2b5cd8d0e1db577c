"""Errors of the synchronization backends that a user can act on.

Lock timeouts and lost leases are `werf_core.errors.LockError`. Problems reaching or using the Kubernetes API that
holds locks and the stages-storage cache are `SynchronizationError`s: they name the server, the resource and what to
change, because they are almost always a kubeconfig or RBAC mistake.
"""

from __future__ import annotations

from werf_core.errors import WerfError

RBAC_MANIFEST = "deployments/kubernetes/rbac.yaml"


class SynchronizationError(WerfError):
    """The synchronization address, its kubeconfig, or the Kubernetes API behind it cannot be used."""


class SynchronizationAccessDenied(SynchronizationError):
    """The Kubernetes API answered 401/403 for an operation the synchronization needs."""


class SynchronizationUnreachable(SynchronizationError):
    """The Kubernetes API server did not answer (refused, timed out, DNS, TLS)."""
