"""Prefect stage-cache records kept in a ConfigMap per project, next to werf's own `werf-<project>` ConfigMap.

With `kubernetes://` synchronization every runner already reaches one namespace for locks and the stages-storage
cache; keeping the Prefect records there too means no runner needs another shared service or mount. They get a
ConfigMap of their own, `werf-<project>-prefect-stage-cache`, because `werf-<project>` carries the lock leases:
every lease renewal moves that whole object, and it must keep its 1 MiB for werf's cache.

Data keys are the stage cache keys (`werf-stage.<project>.<storage>.<digest>`, already valid ConfigMap keys), values
the Prefect record JSON. A ConfigMap holds at most 1 MiB, so writes keep the records under a byte budget by dropping
the least recently written ones (their write times live in the `.written` key). Dropping is always safe: a missing
record is a cache miss, and the stage task then finds the stage in the stages storage without building it.
Writes are get → mutate → replace with the read resourceVersion (retried on 409 by `KubeApi.update_config_map`), so
concurrent runners never lose each other's records.
"""

from __future__ import annotations

import json
import time

from tasks.cache_key import is_stage_cache_key

DEFAULT_BUDGET = 768 * 1024
WRITTEN_KEY = ".written"


def config_map_name(project: str) -> str:
    return f"werf-{project}-prefect-stage-cache"


def project_of_key(key: str) -> str:
    if not is_stage_cache_key(key):
        raise ValueError(f"not a stage cache key: {key!r}")
    return key.split(".")[1]


class ConfigMapRecordStore:
    def __init__(self, api, namespace: str, *, budget: int = DEFAULT_BUDGET) -> None:
        if budget <= 0:
            raise ValueError("the record budget must be positive")
        self.api = api            # werf_core.sync.kube_api.KubeApi
        self.namespace = namespace
        self.budget = budget

    def describe(self) -> str:
        return f"ConfigMaps werf-<project>-prefect-stage-cache in namespace {self.namespace} at {self.api.server}"

    def read(self, key: str) -> bytes | None:
        obj = self.api.read_config_map(self.namespace, config_map_name(project_of_key(key)))
        value = ((obj or {}).get("data") or {}).get(key)
        return None if value is None else value.encode()

    def write(self, key: str, content: bytes) -> None:
        text = content.decode()   # Prefect's JSON serializer writes UTF-8 JSON; anything else is a caller bug
        now = time.time()

        def mutate(obj: dict) -> bool:
            data = obj.get("data") or {}
            written = _written_times(data)
            data[key] = text
            written[key] = now
            _evict(data, written, self.budget, keep=key)
            data[WRITTEN_KEY] = json.dumps(written, separators=(",", ":"), sort_keys=True)
            obj["data"] = data
            return True

        self.api.update_config_map(self.namespace, config_map_name(project_of_key(key)), mutate)

    def delete(self, key: str) -> None:
        name = config_map_name(project_of_key(key))
        if self.api.read_config_map(self.namespace, name) is None:
            return

        def mutate(obj: dict) -> bool:
            data = obj.get("data") or {}
            if data.pop(key, None) is None:
                return False
            written = _written_times(data)
            written.pop(key, None)
            data[WRITTEN_KEY] = json.dumps(written, separators=(",", ":"), sort_keys=True)
            return True

        self.api.update_config_map(self.namespace, name, mutate)


def _written_times(data: dict) -> dict[str, float]:
    try:
        written = json.loads(data.get(WRITTEN_KEY) or "{}")
    except ValueError:
        written = {}
    if not isinstance(written, dict):
        written = {}
    # records written by a runner that lost its index entry count as the oldest
    return {key: float(written.get(key, 0)) for key in data if key != WRITTEN_KEY}


def _size(data: dict, written: dict[str, float]) -> int:
    index = len(WRITTEN_KEY) + len(json.dumps(written, separators=(",", ":"), sort_keys=True))
    return index + sum(len(key) + len(value.encode()) for key, value in data.items() if key != WRITTEN_KEY)


def _evict(data: dict, written: dict[str, float], budget: int, *, keep: str) -> None:
    for key in sorted(written, key=lambda k: (written[k], k)):
        if _size(data, written) <= budget:
            return
        if key == keep:
            continue
        data.pop(key, None)
        written.pop(key, None)
