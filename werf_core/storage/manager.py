"""Stage lookup through the stages-storage cache, as werf does it.

`stages_by_digest` answers from the cache when it can (no storage listing, and with the description memo no storage
request at all); on a miss it lists the storage under the cache lock, drops broken stages, and records the answer.
A cached stage that has disappeared from the storage (deleted by cleanup, or by hand) raises
`ShouldResetStagesStorageCache`: the conveyor then forgets the project's cache and starts over.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from werf_core.errors import ShouldResetStagesStorageCache
from werf_core.storage.base import BrokenStage, StageDescription, StagesStorage
from werf_core.storage.stage_id import StageID
from werf_core.storage.sync_protocol import StagesSynchronization


class StagesStorageManager:
    def __init__(self, storage: StagesStorage, project: str, sync: StagesSynchronization, *,
                 on_warning: Callable[[str], None] | None = None) -> None:
        self.storage = storage
        self.project = project
        self.sync = sync
        self.on_warning = on_warning or (lambda msg: None)
        self._descriptions: dict[StageID, StageDescription] = {}
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- descriptions
    def describe(self, stage_id: StageID, *, must_exist: bool) -> StageDescription | None:
        with self._lock:
            known = self._descriptions.get(stage_id)
        if known is not None:
            return known
        try:
            description = self.storage.describe(self.project, stage_id)
        except BrokenStage as err:
            self.storage.reject(self.project, stage_id)
            if must_exist:
                raise ShouldResetStagesStorageCache(str(err)) from None
            self.on_warning(f"ignoring broken stage {stage_id.tag}: {err}")
            return None
        if description is None:
            if must_exist:
                raise ShouldResetStagesStorageCache(f"stage {stage_id.tag} is no longer in {self.storage.address}")
            return None
        with self._lock:
            self._descriptions[stage_id] = description
        return description

    def _must_describe(self, stage_id: StageID) -> StageDescription:
        description = self.describe(stage_id, must_exist=True)
        assert description is not None, "must_exist raises instead of answering None"
        return description

    def remember(self, description: StageDescription) -> None:
        with self._lock:
            self._descriptions[description.stage_id] = description

    # ---------------------------------------------------------------- lookup
    def stages_by_digest(self, digest: str) -> list[StageDescription]:
        cached = self.sync.cache.get_stages(self.project, digest)
        if cached is not None:
            return [self._must_describe(stage_id) for stage_id in cached]
        with self.sync.locker.locked(self.sync.stage_cache_lock_name(digest)):
            ids = self.storage.list_stage_ids(self.project, digest)
            described = [self.describe(stage_id, must_exist=False) for stage_id in ids]
            valid = [d for d in described if d is not None]
            self.sync.cache.store_stages(self.project, digest, [d.stage_id for d in valid])
        return valid

    def record_new_stage(self, digest: str, known: list[StageDescription], new: StageDescription) -> None:
        """After publishing: the cache lists the stages seen at the re-check plus the new one."""
        self.remember(new)
        with self.sync.locker.locked(self.sync.stage_cache_lock_name(digest)):
            ids = [d.stage_id for d in known]
            if new.stage_id not in ids:
                ids.append(new.stage_id)
            self.sync.cache.store_stages(self.project, digest, ids)

    def reset_cache(self) -> None:
        self.sync.cache.delete_all(self.project)
        with self._lock:
            self._descriptions.clear()
