"""`StagesSync` decisions without services: what is copied, skipped, removed, and how failures are reported."""

from __future__ import annotations

import threading

import pytest

from werf_core.errors import StorageError, WerfError
from werf_core.storage.base import BrokenStage, StageDescription
from werf_core.storage.stage_id import StageID
from werf_core.storage.sync_stages import StagesSync

PROJECT = "app"


def sid(n: int) -> StageID:
    return StageID(f"{n:x}" * 56 if n < 16 else "a" * 56, 1700000000000 + n)


class FakeStorage:
    """Just enough of a stages storage: stage IDs with descriptions, and what was done to them."""

    def __init__(self, address: str, ids=(), *, local: bool, fail_store: set | None = None,
                 broken: set | None = None, gone: set | None = None) -> None:
        self.address = address
        self.local = local
        self.ids = set(ids)
        self.fail_store = fail_store or set()
        self.broken = broken or set()
        self.gone = gone or set()
        self.stored, self.deleted, self.fetched = [], [], []
        self.lock = threading.Lock()

    def is_local(self) -> bool:
        return self.local

    def stage_image_name(self, project, stage_id):
        return f"{self.address}:{stage_id.tag}"

    def list_stage_ids(self, project, digest=None):
        return sorted(self.ids)

    def describe(self, project, stage_id):
        if stage_id in self.broken:
            raise BrokenStage(stage_id, "layer gone")
        if stage_id in self.gone or stage_id not in self.ids:
            return None
        return StageDescription(stage_id, self.stage_image_name(project, stage_id), f"sha256:{stage_id.tag}")

    def store(self, project, image_id, stage_id):
        if stage_id in self.fail_store:
            raise WerfError(f"cannot push {stage_id.tag}")
        with self.lock:
            self.stored.append(stage_id)
            self.ids.add(stage_id)
        return self.describe(project, stage_id)

    def fetch(self, project, description):
        with self.lock:
            self.fetched.append(description.stage_id)
        return description.image_name

    def delete(self, project, stage_id):
        with self.lock:
            self.deleted.append(stage_id)
            self.ids.discard(stage_id)


def test_only_missing_stages_are_copied():
    source = FakeStorage(":local", [sid(1), sid(2), sid(3)], local=True)
    destination = FakeStorage("reg/app/stages", [sid(2)], local=False)
    result = StagesSync(source, destination, PROJECT).run()
    assert sorted(result.copied) == [sid(1), sid(3)] and result.present == [sid(2)]
    assert sorted(destination.stored) == [sid(1), sid(3)]
    assert source.deleted == []
    again = StagesSync(source, destination, PROJECT).run()
    assert again.copied == [] and sorted(again.present) == [sid(1), sid(2), sid(3)]


def test_registry_to_local_fetches_then_stores():
    source = FakeStorage("reg/app/stages", [sid(1)], local=False)
    destination = FakeStorage(":local", [], local=True)
    StagesSync(source, destination, PROJECT).run()
    assert source.fetched == [sid(1)] and destination.stored == [sid(1)]


def test_stages_gone_or_broken_in_the_source_are_skipped_not_failed():
    source = FakeStorage(":local", [sid(1), sid(2), sid(3)], local=True, gone={sid(1)}, broken={sid(2)})
    destination = FakeStorage("reg/app/stages", [], local=False)
    messages = []
    result = StagesSync(source, destination, PROJECT, say=messages.append).run()
    assert sorted(result.vanished) == [sid(1), sid(2)] and result.copied == [sid(3)]
    assert any("skipping" in m and "layer gone" in m for m in messages)


def test_one_failing_stage_does_not_stop_the_others_and_the_error_names_it():
    ids = [sid(n) for n in range(1, 9)]
    source = FakeStorage(":local", ids, local=True)
    destination = FakeStorage("reg/app/stages", [], local=False, fail_store={sid(4)})
    with pytest.raises(StorageError) as info:
        StagesSync(source, destination, PROJECT, workers=3).run()
    assert sorted(destination.stored) == sorted(set(ids) - {sid(4)})
    assert sid(4).tag in info.value.message and "cannot push" in info.value.message
    assert "run the same command again" in info.value.hint


def test_remove_source_deletes_only_what_the_destination_has():
    source = FakeStorage(":local", [sid(1), sid(2), sid(3)], local=True)
    destination = FakeStorage("reg/app/stages", [sid(1)], local=False, fail_store={sid(3)})
    with pytest.raises(StorageError):
        StagesSync(source, destination, PROJECT, remove_source=True).run()
    assert sorted(source.deleted) == [sid(1), sid(2)]          # sid(3) never reached the destination: kept
    assert source.ids == {sid(3)}


def test_same_storage_is_refused():
    with pytest.raises(WerfError, match="same stages storage"):
        StagesSync(FakeStorage("reg/x", local=False), FakeStorage("reg/x/", local=False), PROJECT)
