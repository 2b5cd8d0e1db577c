"""Optimistic-concurrency key/value stores that hold lease records.

`get_value(key)` returns the value ("" = no record) together with an opaque version; `put_value` writes a new value
("" deletes the record) only if the version is still current, else raises `RecordVersionChanged` and the caller
re-reads and retries. That compare-and-swap is all the distributed locker needs.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


class RecordVersionChanged(Exception):
    """Someone wrote the record (or the object holding it) since it was read. Re-read and retry."""


@dataclass(frozen=True)
class StoreValue:
    data: str          # "" when there is no record
    version: object    # opaque to callers: whatever the store needs to detect a concurrent write


class OptimisticStore(Protocol):
    def get_value(self, key: str) -> StoreValue: ...

    def put_value(self, key: str, read: StoreValue, data: str) -> None:
        """Replace the value read as `read` with `data` ("" removes it); `RecordVersionChanged` if it changed."""

    def describe(self) -> str:
        """Where the records live, for messages."""


@dataclass(frozen=True)
class ShardRead:
    """All records of one shard (one ConfigMap) as read at `version`."""

    values: Mapping[str, str]
    version: object


class ShardedStore(Protocol):
    """Records spread over a fixed number of shards, each read whole and written with one compare-and-swap: what
    lets one holder change many of its records (all its leases in that shard) in a single write."""

    shards: int

    def shard_of(self, key: str) -> int: ...

    def read_shard(self, shard: int) -> ShardRead: ...

    def write_shard(self, shard: int, read: ShardRead, changes: Mapping[str, str]) -> None:
        """Set (or with "" remove) the `changes` if the shard is still as read; `RecordVersionChanged` if not."""

    def describe(self) -> str: ...

    def describe_shard(self, shard: int) -> str: ...


class InMemoryStore:
    """Thread-safe, versioned records in this process (tests, and one process running many builds)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._records: dict[str, tuple[str, int]] = {}
        self.writes = 0

    def get_value(self, key: str) -> StoreValue:
        with self._mutex:
            data, version = self._records.get(key, ("", 0))
            return StoreValue(data, version)

    def put_value(self, key: str, read: StoreValue, data: str) -> None:
        with self._mutex:
            _, current = self._records.get(key, ("", 0))
            if current != read.version:
                raise RecordVersionChanged(key)
            # keep the version of a deleted record: a writer holding a read from before the delete must still fail
            self._records[key] = (data, current + 1)
            self.writes += 1

    def describe(self) -> str:
        return "in-memory lock store"


class InMemoryShardedStore:
    """`ShardedStore` and `OptimisticStore` at once, in this process: the layout of the sharded ConfigMaps (a write
    to any record of a shard conflicts with every reader of that shard), for tests without an API server."""

    def __init__(self, shards: int = 16) -> None:
        self.shards = shards
        self._mutex = threading.Lock()
        self._records: list[dict[str, str]] = [{} for _ in range(shards)]
        self._versions = [0] * shards
        self.reads = 0
        self.writes = 0

    def shard_of(self, key: str) -> int:
        return zlib.crc32(key.encode()) % self.shards

    def read_shard(self, shard: int) -> ShardRead:
        with self._mutex:
            self.reads += 1
            return ShardRead(dict(self._records[shard]), self._versions[shard])

    def write_shard(self, shard: int, read: ShardRead, changes: Mapping[str, str]) -> None:
        with self._mutex:
            if self._versions[shard] != read.version:
                raise RecordVersionChanged(", ".join(sorted(changes)))
            for key, data in changes.items():
                if data:
                    self._records[shard][key] = data
                else:
                    self._records[shard].pop(key, None)
            self._versions[shard] += 1
            self.writes += 1

    def get_value(self, key: str) -> StoreValue:
        read = self.read_shard(self.shard_of(key))
        return StoreValue(read.values.get(key, ""), read)

    def put_value(self, key: str, read: StoreValue, data: str) -> None:
        assert isinstance(read.version, ShardRead)
        self.write_shard(self.shard_of(key), read.version, {key: data})

    def describe(self) -> str:
        return "in-memory sharded lock store"

    def describe_shard(self, shard: int) -> str:
        return f"shard {shard} of the in-memory sharded lock store"
