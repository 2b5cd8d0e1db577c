"""Lease records as annotations of one ConfigMap — lockgate's Kubernetes store, as werf v1.1 configures it.

werf keeps a project's locks on ConfigMap `werf-<project>` in the synchronization namespace. A read is a GET of the
ConfigMap (created with its namespace when missing); the whole object is the version. A write sets or removes one
annotation and PUTs the object back with the resourceVersion it was read at, so the API server rejects it (409)
if anyone — another locker, or a stages-storage-cache update in the same ConfigMap — wrote in between.
"""

from __future__ import annotations

from werf_core.sync.kube_api import Conflict, KubeApi
from werf_core.sync.stores import RecordVersionChanged, StoreValue


class ConfigMapAnnotationsStore:
    def __init__(self, api: KubeApi, namespace: str, config_map: str) -> None:
        self.api = api
        self.namespace = namespace
        self.config_map = config_map

    def describe(self) -> str:
        return f"ConfigMap {self.config_map} in namespace {self.namespace} at {self.api.server}"

    def get_value(self, key: str) -> StoreValue:
        obj = self.api.get_or_create_config_map(self.namespace, self.config_map)
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        return StoreValue(annotations.get(key, ""), obj)

    def put_value(self, key: str, read: StoreValue, data: str) -> None:
        # copy only what changes: the data (up to 1 MiB of cache) is sent back untouched
        assert isinstance(read.version, dict), "get_value reads the whole ConfigMap as the version"
        obj = dict(read.version)
        metadata = obj["metadata"] = dict(obj.get("metadata") or {})
        annotations = dict(metadata.get("annotations") or {})
        if data:
            annotations[key] = data
        else:
            annotations.pop(key, None)
        metadata["annotations"] = annotations
        try:
            self.api.replace_config_map(self.namespace, obj)
        except Conflict:
            raise RecordVersionChanged(key) from None
