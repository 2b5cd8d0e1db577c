"""`StagesStorageManager.prefetch`: the stored stages of many digests are described concurrently, the lookups that
follow answer from memory, and a prefetch never rejects, resets or writes the cache (it is only a hint)."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from werf_core.storage.base import BrokenStage, StageDescription
from werf_core.storage.manager import StagesStorageManager
from werf_core.storage.stage_id import StageID
from werf_core.sync.stages_cache import FileStagesStorageCache

PROJECT = "app"


def digest(n: int) -> str:
    return f"{n:056x}"


class SlowRegistryStorage:
    """A remote storage whose describe waits until `parallel` describes are in flight at once (or times out)."""

    def __init__(self, ids: list[StageID], *, parallel: int, broken: frozenset[StageID] = frozenset()) -> None:
        self.ids = ids
        self.broken = broken
        self.address = "registry.example/app/stages"
        self.barrier = threading.Barrier(parallel, timeout=5)
        self.described: list[StageID] = []
        self.concurrent_start = True
        self.rejected: list[StageID] = []
        self.lock = threading.Lock()

    def is_local(self) -> bool:
        return False

    def stage_image_name(self, project: str, stage_id: StageID) -> str:
        return f"{self.address}:{stage_id.tag}"

    def list_stage_ids(self, project: str, wanted: str | None = None) -> list[StageID]:
        return [i for i in self.ids if wanted is None or i.digest == wanted]

    def describe(self, project: str, stage_id: StageID) -> StageDescription | None:
        with self.lock:
            self.described.append(stage_id)
        try:
            self.barrier.wait()
        except threading.BrokenBarrierError:
            self.concurrent_start = False
        if stage_id in self.broken:
            raise BrokenStage(stage_id, "config blob gone")
        return StageDescription(stage_id, self.stage_image_name(project, stage_id), f"sha256:{stage_id.tag}")

    def reject(self, project: str, stage_id: StageID) -> None:
        self.rejected.append(stage_id)


def manager_for(storage: SlowRegistryStorage, tmp_path) -> tuple[StagesStorageManager, FileStagesStorageCache]:
    cache = FileStagesStorageCache(tmp_path / "cache")
    return StagesStorageManager(storage, PROJECT, SimpleNamespace(cache=cache)), cache


def test_the_stages_of_all_digests_are_described_at_once_and_lookups_answer_from_memory(tmp_path):
    ids = [StageID(digest(n), 1700000000000 + n) for n in range(6)]
    storage = SlowRegistryStorage(ids, parallel=6)
    manager, _ = manager_for(storage, tmp_path)
    manager.prefetch([i.digest for i in ids], workers=8)
    assert storage.concurrent_start, "the six describes were in flight together"
    assert sorted(storage.described) == sorted(ids)
    storage.barrier = threading.Barrier(1)
    for stage_id in ids:
        assert [d.stage_id for d in manager.stages_by_digest(stage_id.digest)] == [stage_id]
    assert len(storage.described) == len(ids), "the lookups described nothing again"


def test_a_prefetch_is_only_a_hint_it_neither_rejects_nor_writes_the_cache(tmp_path):
    good, broken = StageID(digest(1), 1700000000001), StageID(digest(2), 1700000000002)
    storage = SlowRegistryStorage([good, broken], parallel=2, broken=frozenset({broken}))
    manager, cache = manager_for(storage, tmp_path)
    manager.prefetch([good.digest, broken.digest])
    assert storage.rejected == []
    assert cache.get_entry(PROJECT, good.digest) is None and cache.get_entry(PROJECT, broken.digest) is None
    storage.barrier = threading.Barrier(1)
    assert manager.stages_by_digest(broken.digest) == []     # the lookup itself handles the broken stage
    assert storage.rejected == [broken]


def test_a_local_storage_is_not_prefetched(tmp_path):
    storage = SlowRegistryStorage([StageID(digest(1), 1)], parallel=1)
    storage.is_local = lambda: True   # type: ignore[method-assign]
    manager, _ = manager_for(storage, tmp_path)
    manager.prefetch([digest(1)])
    assert storage.described == []
