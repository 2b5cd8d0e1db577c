"""Stage lookup through the stages-storage cache, as werf does it — read once per build, written only where it changed.

`stages_by_digest` answers from the cache when it can: the cache's entry lists the stage IDs and, when its writer
knew them, their descriptions, so an idle build with a warm cache sends the storage no request at all. On a miss it
lists the storage (a registry storage lists its repository once per build and keeps the listing current from its
own pushes), drops broken stages, and stores the answer only if no other runner stored one meanwhile (a listing can
be older than somebody's publication; the cache entry a publisher wrote under the stage lock is the newer truth).

`fresh=True` (re-checks under the stage lock, polls while another runner builds the digest) reads the cache entry
again instead of this build's snapshot; if the entry is gone it lists the storage again.

A cached stage that has disappeared from the storage (deleted by cleanup, or by hand) raises
`ShouldResetStagesStorageCache`: the conveyor then forgets the project's cache and starts over.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from werf_core.errors import ShouldResetStagesStorageCache
from werf_core.storage.base import BrokenStage, StageDescription, StagesStorage
from werf_core.storage.stage_id import StageID

# concurrent describe requests of a prefetch: enough to hide registry latency, few enough for a small runner
PREFETCH_WORKERS = 8


class StagesStorageManager:
    def __init__(self, storage: StagesStorage, project: str, sync: Any, *,
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
        self.remember(description)
        return description

    def _must_describe(self, stage_id: StageID) -> StageDescription:
        description = self.describe(stage_id, must_exist=True)
        assert description is not None, "must_exist raises instead of answering None"
        return description

    def remember(self, description: StageDescription) -> None:
        with self._lock:
            self._descriptions[description.stage_id] = description

    # ---------------------------------------------------------------- lookup
    def stages_by_digest(self, digest: str, *, fresh: bool = False) -> list[StageDescription]:
        entry = self.sync.cache.get_entry(self.project, digest, fresh=fresh)
        if entry is not None:
            return self._described(entry)
        if fresh:
            forget = getattr(self.storage, "forget_listing", None)
            if forget is not None:
                forget()    # the entry vanished (a reset, or a runner that does not keep one): ask the storage anew
        ids = self.storage.list_stage_ids(self.project, digest)
        described = [self.describe(stage_id, must_exist=False) for stage_id in ids]
        valid = [d for d in described if d is not None]
        existing = self.sync.cache.store_entry_if_absent(self.project, digest, valid)
        if existing is not None:
            return self._described(existing)    # another runner stored an entry since our listing: it is newer
        return valid

    def prefetch(self, digests: Iterable[str], *, workers: int = PREFETCH_WORKERS) -> None:
        """Describe, concurrently, the stored stages of `digests` a build is about to look up one by one, so the
        lookups answer from memory instead of paying two registry round trips each in turn.

        Only a hint: it reads (the storage's one listing, manifests and configs) and remembers descriptions; it
        never rejects, resets or writes the cache — a stage it cannot describe is left to the lookup, which handles
        it as always. Local storages need none of this.
        """
        if self.storage.is_local():
            return
        wanted: list[StageID] = []
        for digest in dict.fromkeys(digests):
            entry = self.sync.cache.get_entry(self.project, digest)
            if entry is None:
                wanted.extend(self.storage.list_stage_ids(self.project, digest))
                continue
            wanted.extend(i for i in entry.ids if not (i in entry.descriptions and
                                                       self._trusted(entry.descriptions[i])))
        with self._lock:
            wanted = [i for i in wanted if i not in self._descriptions]
        if not wanted:
            return

        def describe(stage_id: StageID) -> None:
            try:
                description = self.storage.describe(self.project, stage_id)
            except Exception:   # the lookup asks again, and handles or reports what is wrong
                return
            if description is not None:
                self.remember(description)

        if len(wanted) == 1:
            describe(wanted[0])
            return
        with ThreadPoolExecutor(max_workers=min(workers, len(wanted)), thread_name_prefix="werf-describe") as pool:
            list(pool.map(describe, wanted))

    def cached_stages(self, digest: str) -> list[StageDescription] | None:
        """The stages the cache lists for `digest` now (no storage listing); None when it has no entry."""
        entry = self.sync.cache.get_entry(self.project, digest, fresh=True)
        return None if entry is None else self._described(entry)

    def record_new_stage(self, digest: str, known: list[StageDescription], new: StageDescription) -> None:
        """After publishing (under the stage lock): the cache lists the stages seen at the re-check plus the new one.

        No cache lock: publishers of one digest are serialized by the stage lock, and a runner storing a listing
        only stores where no entry exists, so this write cannot be lost or undone.
        """
        self.remember(new)
        stages = [d for d in known if d.stage_id != new.stage_id] + [new]
        self.sync.cache.store_entry(self.project, digest, stages)

    def reset_cache(self) -> None:
        self.sync.cache.delete_all(self.project)
        forget = getattr(self.storage, "forget_listing", None)
        if forget is not None:
            forget()
        with self._lock:
            self._descriptions.clear()

    # ---------------------------------------------------------------- helpers
    def _described(self, entry: Any) -> list[StageDescription]:
        result: list[StageDescription] = []
        for stage_id in entry.ids:
            cached = entry.descriptions.get(stage_id)
            if cached is not None and self._trusted(cached):
                with self._lock:
                    result.append(self._descriptions.setdefault(stage_id, cached))
                continue
            described = self.describe(stage_id, must_exist=True)
            assert described is not None, "must_exist raises instead of answering None"
            result.append(described)
        return result

    def _trusted(self, description: StageDescription) -> bool:
        """A description from the cache stands for the storage's answer: only for remote storages (a local image
        is cheap to inspect and may have been removed), and only if it names a stage of this very storage."""
        if self.storage.is_local():
            return False
        return description.image_name == self.storage.stage_image_name(self.project, description.stage_id)
