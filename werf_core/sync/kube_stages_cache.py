"""The Kubernetes stages-storage cache, sharded: 256 ConfigMaps `werf-<project>-stages-cache-<xx>` per project,
`xx` the first two hex digits of the digest, one data key per digest.

Why not werf v1.1's single `stagesStorageCache` document in `werf-<project>`: every lookup read and parsed the whole
document and every write rewrote it, and its 1 MiB (we kept 512 KiB) held only ~3,000 digests. Here

- a lookup reads one shard, once per build: the shard is kept in memory (a snapshot) and updated by our own
  writes; `fresh=True` (re-checks under a lock, waiting for another runner's build) reads it again;
- a write is a JSON merge patch of the one key it changes — no read, no resourceVersion, so runners writing
  different digests never conflict, and its cost does not depend on how many digests the project has;
- "store unless present" (the answer of a storage listing, which may be older than another runner's publication)
  is a read plus a compare-and-swap PUT of that shard, so it never overwrites what a publisher wrote;
- a shard that would outgrow its budget drops its least recently stored entries (~3,000 entries per shard with
  descriptions, ~750,000 per project before anything is evicted).

Entries carry the stages' descriptions (image ID, labels, size, creation time): a fresh runner selects stages from
the cache alone and asks the registry nothing. The lock records (lockgate's `lockgate.io/<hash>` annotations on
`werf-<project>`) stay where werf v1.1 looks for them; that ConfigMap no longer holds our cache, so lease renewals
stay small. werf v1.1 runners sharing the project keep their own cache there; each side's cache is only a hint, and
a reset clears both. Only get, create, update and patch on ConfigMaps are needed (deployments/kubernetes/rbac.yaml).
"""

from __future__ import annotations

import hashlib
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from werf_core.storage.base import StageDescription
from werf_core.storage.stage_id import StageID
from werf_core.sync.kube_api import AlreadyExists, Conflict, KubeApi, NotFound, ObjectTooLarge
from werf_core.sync.stages_cache import CacheEntry, StagesStorageCache, check_path_component

CONFIG_MAP_LIMIT = 1024 * 1024    # Kubernetes: data + binaryData of a ConfigMap at most 1 MiB
DEFAULT_BUDGET = 900 * 1024       # per shard: leaves room under the limit for a write racing an eviction
EVICT_TO = 0.75                   # an eviction frees a quarter of the budget, so the next writes need none
SHARD_HEX_DIGITS = 2
SHARDS = 16 ** SHARD_HEX_DIGITS
LEGACY_DATA_KEY = "stagesStorageCache"       # werf v1.1's single document in werf-<project>
PART_OF_LABEL = {"app.kubernetes.io/part-of": "werf-prefect"}
_HEX_PREFIX = re.compile(rf"^[0-9a-f]{{{SHARD_HEX_DIGITS}}}")


def config_map_name(project: str) -> str:
    """The project's ConfigMap with the lock records (and werf v1.1's cache)."""
    return f"werf-{project}"


def shard_of(digest: str) -> str:
    """Digests are hashes, so their first hex digits spread evenly; anything else is hashed first."""
    lowered = digest.lower()
    if _HEX_PREFIX.match(lowered):
        return lowered[:SHARD_HEX_DIGITS]
    return hashlib.sha256(digest.encode()).hexdigest()[:SHARD_HEX_DIGITS]


def shard_config_map_name(project: str, shard: str) -> str:
    return f"werf-{project}-stages-cache-{shard}"


def all_shards() -> list[str]:
    return [f"{n:0{SHARD_HEX_DIGITS}x}" for n in range(SHARDS)]


def data_size(data: dict[str, str]) -> int:
    """What the API server counts against the 1 MiB limit: keys plus values."""
    return sum(len(key) + len(value.encode()) for key, value in data.items())


class KubernetesStagesStorageCache(StagesStorageCache):
    def __init__(self, api: KubeApi, namespace: str, *, budget: int = DEFAULT_BUDGET) -> None:
        if budget <= 0:
            raise ValueError("the cache budget must be positive")
        self.api = api
        self.namespace = namespace
        self.budget = min(budget, CONFIG_MAP_LIMIT)
        self._snapshot: dict[str, dict[str, str]] = {}    # shard ConfigMap name -> its data as last read/written
        self._mutex = threading.Lock()
        self._read_locks: dict[str, threading.Lock] = {}
        self.reads = 0      # shard GETs, for tests and benchmarks

    def describe(self) -> str:
        return f"ConfigMaps werf-<project>-stages-cache-<xx> in namespace {self.namespace} at {self.api.server}"

    # -------- reading
    def get_entry(self, project: str, digest: str, *, fresh: bool = False) -> CacheEntry | None:
        name = self._shard(project, digest)
        if fresh:
            data = self._read_shard(name)
        else:
            with self._reading(name):     # images built in parallel read a shard they share once, not each
                known = self._snapshotted(name)
                data = known if known is not None else self._read_shard(name)
        return CacheEntry.parse(data.get(digest))

    def get_stages(self, project: str, digest: str) -> list[StageID] | None:
        entry = self.get_entry(project, digest, fresh=True)
        return None if entry is None else entry.ids

    def get_all(self, project: str) -> dict[str, list[StageID]]:
        check_path_component("project", project)
        result: dict[str, list[StageID]] = {}
        with ThreadPoolExecutor(max_workers=8) as pool:
            shards = pool.map(self._read_shard, [shard_config_map_name(project, s) for s in all_shards()])
            for data in shards:
                for digest, value in data.items():
                    entry = CacheEntry.parse(value)
                    if entry is not None:
                        result[digest] = entry.ids
        return result

    # -------- writing
    def store_stages(self, project: str, digest: str, ids: list[StageID]) -> None:
        self._put_entry(project, digest, CacheEntry(ids))

    def store_entry(self, project: str, digest: str, stages: list[StageDescription]) -> None:
        self._put_entry(project, digest, CacheEntry.of(stages))

    def store_entry_if_absent(self, project: str, digest: str, stages: list[StageDescription]) -> CacheEntry | None:
        name = self._shard(project, digest)
        value = CacheEntry.of(stages).serialize()
        while True:
            obj = self.api.read_config_map(self.namespace, name)
            self.reads += 1
            if obj is None:
                try:
                    created = self._create_shard(name, {digest: value})
                except AlreadyExists:
                    continue
                self._remember(name, created)
                return None
            data = dict(obj.get("data") or {})
            existing = CacheEntry.parse(data.get(digest))
            if existing is not None:
                self._remember(name, obj)
                return existing
            data[digest] = value
            self._fit(data, keep=digest)
            changed = {**obj, "data": data}
            try:
                written = self.api.replace_config_map(self.namespace, changed)
            except Conflict:
                continue      # someone wrote this shard since we read it: look again
            self._remember(name, written)
            return None

    def delete_stages(self, project: str, digest: str) -> None:
        name = self._shard(project, digest)
        try:
            written = self.api.merge_patch_config_map(self.namespace, name, {"data": {digest: None}})
        except NotFound:
            return      # never created: nothing to forget (and no create rights needed)
        self._remember(name, written)

    def delete_all(self, project: str) -> None:
        """Empty every shard (one merge patch each, missing shards skipped) and werf v1.1's document."""
        check_path_component("project", project)
        names = [shard_config_map_name(project, s) for s in all_shards()]

        def clear(name: str) -> None:
            try:
                self.api.merge_patch_config_map(self.namespace, name, {"data": None})
            except NotFound:
                pass
            with self._mutex:
                self._snapshot[name] = {}

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(clear, names))
        self._delete_legacy_document(project)

    # -------- helpers
    def _shard(self, project: str, digest: str) -> str:
        check_path_component("digest", digest)
        return shard_config_map_name(check_path_component("project", project), shard_of(digest))

    def _reading(self, name: str) -> threading.Lock:
        with self._mutex:
            return self._read_locks.setdefault(name, threading.Lock())

    def _snapshotted(self, name: str) -> dict[str, str] | None:
        with self._mutex:
            return self._snapshot.get(name)

    def _read_shard(self, name: str) -> dict[str, str]:
        obj = self.api.read_config_map(self.namespace, name)
        self.reads += 1
        data = dict((obj or {}).get("data") or {})
        with self._mutex:
            self._snapshot[name] = data
        return data

    def _remember(self, name: str, obj: dict[str, Any]) -> None:
        with self._mutex:
            self._snapshot[name] = dict(obj.get("data") or {})

    def _create_shard(self, name: str, data: dict[str, str]) -> dict[str, Any]:
        """Create a shard holding `data`; `AlreadyExists` when another runner created it first."""
        body = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": name, "labels": dict(PART_OF_LABEL)}, "data": data}
        try:
            return self.api.create_config_map(self.namespace, body)
        except NotFound:
            # the namespace is missing (first write of a new setup); creating the ConfigMap first means a Role
            # limited to an existing namespace never needs rights on namespaces
            self.api.ensure_namespace(self.namespace)
            return self.api.create_config_map(self.namespace, body)

    def _put_entry(self, project: str, digest: str, entry: CacheEntry) -> None:
        name = self._shard(project, digest)
        value = entry.serialize()
        known = self._snapshotted(name)
        if known is not None and data_size(known) + len(digest) + len(value) > self.budget:
            self._evict(name, digest, value)
            return
        for _ in range(2):
            try:
                written = self.api.merge_patch_config_map(self.namespace, name, {"data": {digest: value}})
            except NotFound:
                try:
                    written = self._create_shard(name, {digest: value})
                except AlreadyExists:
                    continue      # another runner created it meanwhile: patch it
            except ObjectTooLarge:
                self._evict(name, digest, value)    # our snapshot was old: the shard grew meanwhile
                return
            self._remember(name, written)
            return
        written = self.api.merge_patch_config_map(self.namespace, name, {"data": {digest: value}})
        self._remember(name, written)

    def _evict(self, name: str, digest: str, value: str) -> None:
        """Write `digest` into a full shard, dropping its least recently stored entries (compare-and-swap)."""
        def mutate(obj: dict[str, Any]) -> bool:
            data = dict(obj.get("data") or {})
            data[digest] = value
            self._fit(data, keep=digest)
            obj["data"] = data
            obj.setdefault("metadata", {}).setdefault("labels", dict(PART_OF_LABEL))
            return True
        written = self.api.update_config_map(self.namespace, name, mutate)
        self._remember(name, written)

    def _fit(self, data: dict[str, str], *, keep: str) -> None:
        """Drop the least recently stored entries (never `keep`) until the shard is back under its budget."""
        if data_size(data) <= self.budget:
            return
        target = int(self.budget * EVICT_TO)
        by_age = sorted((k for k in data if k != keep), key=lambda k: _stored_at(data[k]))
        size = data_size(data)
        for key in by_age:
            if size <= target:
                break
            size -= len(key) + len(data.pop(key).encode())

    def _delete_legacy_document(self, project: str) -> None:
        name = config_map_name(project)
        if self.api.read_config_map(self.namespace, name) is None:
            return      # deleting from a cache that does not exist must not create its ConfigMap

        def mutate(obj: dict[str, Any]) -> bool:
            return (obj.get("data") or {}).pop(LEGACY_DATA_KEY, None) is not None
        self.api.update_config_map(self.namespace, name, mutate)


def _stored_at(value: str) -> int:
    entry = CacheEntry.parse(value)
    return 0 if entry is None else entry.stored_at
