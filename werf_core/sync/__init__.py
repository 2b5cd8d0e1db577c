"""Synchronization: locks (file, lease-based over an optimistic store, Kubernetes ConfigMap) and the stages-storage cache.

Public names are loaded on first use, so `import werf_core.sync` stays cheap on CLI paths that never lock anything;
the Kubernetes HTTP client (kube_api.py) is loaded only when a `kubernetes://` synchronization is opened.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:   # the real names for type checkers; at run time they load on first use
    from werf_core.sync.address import parse_synchronization_address as parse_synchronization_address
    from werf_core.sync.configmap_store import ConfigMapAnnotationsStore as ConfigMapAnnotationsStore
    from werf_core.sync.distributed_locker import DistributedLocker as DistributedLocker
    from werf_core.sync.errors import SynchronizationAccessDenied as SynchronizationAccessDenied
    from werf_core.sync.errors import SynchronizationError as SynchronizationError
    from werf_core.sync.errors import SynchronizationUnreachable as SynchronizationUnreachable
    from werf_core.sync.file_locker import FileLocker as FileLocker
    from werf_core.sync.kube_api import KubeApi as KubeApi
    from werf_core.sync.kube_stages_cache import KubernetesStagesStorageCache as KubernetesStagesStorageCache
    from werf_core.sync.kubeconfig import KubeConfigSource as KubeConfigSource
    from werf_core.sync.lease import LeaseTimings as LeaseTimings
    from werf_core.sync.lock_names import image_lock_name as image_lock_name
    from werf_core.sync.lock_names import stage_cache_lock_name as stage_cache_lock_name
    from werf_core.sync.lock_names import stage_lock_name as stage_lock_name
    from werf_core.sync.locker import Locker as Locker
    from werf_core.sync.locker import LockHandle as LockHandle
    from werf_core.sync.stages_cache import FileStagesStorageCache as FileStagesStorageCache
    from werf_core.sync.stages_cache import StagesStorageCache as StagesStorageCache
    from werf_core.sync.stores import InMemoryStore as InMemoryStore
    from werf_core.sync.stores import OptimisticStore as OptimisticStore
    from werf_core.sync.stores import RecordVersionChanged as RecordVersionChanged
    from werf_core.sync.synchronization import BuildSynchronization as BuildSynchronization
    from werf_core.sync.synchronization import Synchronization as Synchronization
    from werf_core.sync.synchronization import host_locker as host_locker
    from werf_core.sync.synchronization import open_synchronization as open_synchronization

_EXPORTS = {
    "Locker": "werf_core.sync.locker",
    "LockHandle": "werf_core.sync.locker",
    "FileLocker": "werf_core.sync.file_locker",
    "DistributedLocker": "werf_core.sync.distributed_locker",
    "LeaseTimings": "werf_core.sync.lease",
    "InMemoryStore": "werf_core.sync.stores",
    "OptimisticStore": "werf_core.sync.stores",
    "RecordVersionChanged": "werf_core.sync.stores",
    "ConfigMapAnnotationsStore": "werf_core.sync.configmap_store",
    "KubeApi": "werf_core.sync.kube_api",
    "KubeConfigSource": "werf_core.sync.kubeconfig",
    "StagesStorageCache": "werf_core.sync.stages_cache",
    "FileStagesStorageCache": "werf_core.sync.stages_cache",
    "KubernetesStagesStorageCache": "werf_core.sync.kube_stages_cache",
    "Synchronization": "werf_core.sync.synchronization",
    "BuildSynchronization": "werf_core.sync.synchronization",
    "open_synchronization": "werf_core.sync.synchronization",
    "host_locker": "werf_core.sync.synchronization",
    "parse_synchronization_address": "werf_core.sync.address",
    "stage_lock_name": "werf_core.sync.lock_names",
    "stage_cache_lock_name": "werf_core.sync.lock_names",
    "image_lock_name": "werf_core.sync.lock_names",
    "SynchronizationError": "werf_core.sync.errors",
    "SynchronizationAccessDenied": "werf_core.sync.errors",
    "SynchronizationUnreachable": "werf_core.sync.errors",
    "BuildIntents": "werf_core.sync.intents",
    "build_intent_lock_name": "werf_core.sync.lock_names",
}

__all__ = list(_EXPORTS)  # the lazy-export table names them


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'werf_core.sync' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
