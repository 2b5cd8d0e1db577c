"""Lease records as annotations of one ConfigMap — lockgate's Kubernetes store, as werf v1.1 configures it.

werf keeps a project's locks on ConfigMap `werf-<project>` in the synchronization namespace. A read is a GET of the
ConfigMap (created with its namespace when missing); the whole object is the version. A write sets or removes one
annotation and PUTs the object back with the resourceVersion it was read at, so the API server rejects it (409)
if anyone — another locker, or a stages-storage-cache update in the same ConfigMap — wrote in between.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werf_core.sync.kube_api import Conflict, KubeApi
from werf_core.sync.stores import RecordVersionChanged, ShardRead, StoreValue


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
        assert isinstance(read.version, dict), "get_value reads the whole ConfigMap as the version"
        self._replace(read.version, {key: data}, key)

    def read_all(self) -> ShardRead:
        """Every record of this ConfigMap in one read (a batch of leases changes many at once)."""
        obj = self.api.get_or_create_config_map(self.namespace, self.config_map)
        return ShardRead(dict((obj.get("metadata") or {}).get("annotations") or {}), obj)

    def put_values(self, read: ShardRead, changes: Mapping[str, str]) -> None:
        """Set (or, with "", remove) several records in one compare-and-swap against `read`."""
        assert isinstance(read.version, dict), "read_all reads the whole ConfigMap as the version"
        self._replace(read.version, changes, ", ".join(sorted(changes)))

    def _replace(self, read_object: dict[str, Any], changes: Mapping[str, str], what: str) -> None:
        # copy only what changes: the data (up to 1 MiB of cache) is sent back untouched
        obj = dict(read_object)
        metadata = obj["metadata"] = dict(obj.get("metadata") or {})
        annotations = dict(metadata.get("annotations") or {})
        for key, data in changes.items():
            if data:
                annotations[key] = data
            else:
                annotations.pop(key, None)
        metadata["annotations"] = annotations
        try:
            self.api.replace_config_map(self.namespace, obj)
        except Conflict:
            raise RecordVersionChanged(what) from None


class ShardedConfigMapAnnotationsStore:
    """Lease records spread over several ConfigMaps by the first hex digit of their key's hash.

    Every write to one ConfigMap changes its resourceVersion, so with all records on one object every runner's
    acquire, renewal and release conflicts with everybody else's. werf's own locks must stay on `werf-<project>`
    (werf v1.1 looks there); records only werf-prefect uses (build intents) need not, and spread over 16 objects
    they rarely collide.
    """

    def __init__(self, api: KubeApi, namespace: str, config_map_prefix: str, shards: int = 16) -> None:
        self.api = api
        self.namespace = namespace
        self.config_map_prefix = config_map_prefix
        self.shards = shards
        self._stores = [ConfigMapAnnotationsStore(api, namespace, f"{config_map_prefix}-{n:x}") for n in range(shards)]

    def describe(self) -> str:
        return f"ConfigMaps {self.config_map_prefix}-* in namespace {self.namespace} at {self.api.server}"

    def shard_of(self, key: str) -> int:
        digest = key.rsplit("/", 1)[-1]
        try:
            index = int(digest[:4], 16)
        except ValueError:
            index = sum(digest.encode())
        return index % self.shards

    def store_for(self, key: str) -> ConfigMapAnnotationsStore:
        return self._stores[self.shard_of(key)]

    def read_shard(self, shard: int) -> ShardRead:
        return self._stores[shard].read_all()

    def write_shard(self, shard: int, read: ShardRead, changes: Mapping[str, str]) -> None:
        self._stores[shard].put_values(read, changes)

    def describe_shard(self, shard: int) -> str:
        return self._stores[shard].describe()

    def get_value(self, key: str) -> StoreValue:
        return self.store_for(key).get_value(key)

    def put_value(self, key: str, read: StoreValue, data: str) -> None:
        self.store_for(key).put_value(key, read, data)
