"""Synchronization: locks (file, lease-based over an optimistic store, Kubernetes ConfigMap) and the stages-storage cache.

Public names are loaded on first use, so `import werf_core.sync` stays cheap on CLI paths that never lock anything;
the `kubernetes` package itself is imported only when a `kubernetes://` synchronization is opened.
"""

from __future__ import annotations

import importlib

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
    "KubeConfigSource": "werf_core.sync.kube_api",
    "StagesStorageCache": "werf_core.sync.stages_cache",
    "FileStagesStorageCache": "werf_core.sync.stages_cache",
    "KubernetesStagesStorageCache": "werf_core.sync.kube_stages_cache",
    "Synchronization": "werf_core.sync.synchronization",
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


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'werf_core.sync' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
