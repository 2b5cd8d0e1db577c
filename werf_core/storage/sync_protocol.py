"""What the stages storage needs from a synchronization: named locks and the stages-storage cache.

`werf_core.sync` implements these (`Synchronization`, its `Locker` and `StagesStorageCache`); the protocols live
here because `sync` sits above `storage` in the layers, so the storage can name what it uses without importing it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol

from werf_core.storage.stage_id import StageID


class HeldLock(Protocol):
    def ensure_held(self) -> None:
        """Raise unless the lock is still ours (checked against the lock's record, not a flag)."""


class NamedLocks(Protocol):
    def locked(self, name: str, *, shared: bool = False, timeout: float | None = None, non_blocking: bool = False,
               on_wait: Callable[[str], None] | None = None) -> AbstractContextManager[HeldLock | None]:
        """Hold the lock `name` for a `with` block (None only with `non_blocking` when it is busy)."""


class StageIDsCache(Protocol):
    """The stages-storage cache: which stage IDs exist per digest, without listing the storage."""

    def get_stages(self, project: str, digest: str) -> list[StageID] | None: ...

    def store_stages(self, project: str, digest: str, ids: list[StageID]) -> None: ...

    def delete_all(self, project: str) -> None: ...


class StagesSynchronization(Protocol):
    @property
    def locker(self) -> NamedLocks: ...

    @property
    def cache(self) -> StageIDsCache: ...

    def stage_cache_lock_name(self, digest: str) -> str: ...
