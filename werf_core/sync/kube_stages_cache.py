"""The stages-storage cache in ConfigMap `werf-<project>` (data key `stagesStorageCache`), as werf v1.1 keeps it.

Reads are one GET; a missing ConfigMap is an empty cache (reading needs no create rights). Writes are
get → mutate → replace with the read resourceVersion, retried on 409 Conflict, so concurrent runners never lose each
other's entries. The document is kept under a byte budget by evicting the least recently stored digests (see
`cache_document`); the budget also shrinks to leave room for whatever else the ConfigMap holds, so a write never
hits the API server's 1 MiB limit.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from werf_core.storage.stage_id import StageID
from werf_core.sync.cache_document import DATA_KEY, CacheDocument
from werf_core.sync.kube_api import KubeApi
from werf_core.sync.stages_cache import StagesStorageCache, check_path_component

CONFIG_MAP_LIMIT = 1024 * 1024   # Kubernetes: data + binaryData of a ConfigMap at most 1 MiB
DEFAULT_BUDGET = 512 * 1024      # every stage lookup and lock renewal moves the whole ConfigMap: keep it modest
HEADROOM = 16 * 1024             # room other writers may take between our read and our write


def config_map_name(project: str) -> str:
    return f"werf-{project}"


class KubernetesStagesStorageCache(StagesStorageCache):
    def __init__(self, api: KubeApi, namespace: str, *, budget: int = DEFAULT_BUDGET) -> None:
        if budget <= 0:
            raise ValueError("the cache budget must be positive")
        self.api = api
        self.namespace = namespace
        self.budget = budget

    def describe(self) -> str:
        return f"ConfigMaps werf-<project> in namespace {self.namespace} at {self.api.server}"

    def _read(self, project: str) -> CacheDocument:
        obj = self.api.read_config_map(self.namespace, config_map_name(check_path_component("project", project)))
        return CacheDocument.parse(((obj or {}).get("data") or {}).get(DATA_KEY))

    def get_stages(self, project: str, digest: str) -> list[StageID] | None:
        return self._read(project).get(digest)

    def get_all(self, project: str) -> dict[str, list[StageID]]:
        return self._read(project).all()

    def store_stages(self, project: str, digest: str, ids: list[StageID]) -> None:
        def mutate(obj: dict[str, Any]) -> bool:
            data = obj.get("data") or {}
            document = CacheDocument.parse(data.get(DATA_KEY))
            document.store(digest, ids)
            data[DATA_KEY] = document.serialize(self.budget_for(obj))
            obj["data"] = data
            return True
        name = config_map_name(check_path_component("project", project))
        self.api.update_config_map(self.namespace, name, mutate)

    def delete_stages(self, project: str, digest: str) -> None:
        def mutate(obj: dict[str, Any]) -> bool:
            data = obj.get("data") or {}
            document = CacheDocument.parse(data.get(DATA_KEY))
            if not document.delete(digest):
                return False
            data[DATA_KEY] = document.serialize(self.budget_for(obj))
            return True
        self._update_existing(project, mutate)

    def delete_all(self, project: str) -> None:
        def mutate(obj: dict[str, Any]) -> bool:
            data = obj.get("data") or {}
            return data.pop(DATA_KEY, None) is not None
        self._update_existing(project, mutate)

    def budget_for(self, obj: dict[str, Any]) -> int:
        """Our budget, less what the ConfigMap's other data already uses of the 1 MiB limit."""
        others = sum(len(value.encode()) for key, value in (obj.get("data") or {}).items() if key != DATA_KEY)
        others += sum(len(base64.b64decode(value)) for value in (obj.get("binaryData") or {}).values())
        return max(0, min(self.budget, CONFIG_MAP_LIMIT - HEADROOM - others))

    def _update_existing(self, project: str, mutate: Callable[[dict[str, Any]], bool]) -> None:
        name = config_map_name(check_path_component("project", project))
        # deleting from a cache that does not exist must not create its ConfigMap (or need the rights to)
        if self.api.read_config_map(self.namespace, name) is None:
            return
        self.api.update_config_map(self.namespace, name, mutate)
