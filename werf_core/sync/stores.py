"""Optimistic-concurrency key/value stores that hold lease records.

`get_value(key)` returns the value ("" = no record) together with an opaque version; `put_value` writes a new value
("" deletes the record) only if the version is still current, else raises `RecordVersionChanged` and the caller
re-reads and retries. That compare-and-swap is all the distributed locker needs.
"""

from __future__ import annotations

import threading
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
