"""The conveyor's build mode is immutable and per build; a stages storage that keeps changing ends the build."""

from __future__ import annotations

import io
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from werf_core.conveyor.conveyor import MAX_CACHE_RESETS, BuildMode, Conveyor
from werf_core.conveyor.progress import TextProgress
from werf_core.errors import ShouldResetStagesStorageCache, StorageError
from werf_core.stages.spec import ImageSpec
from werf_core.storage.local import LocalStagesStorage
from werf_core.storage.stage_id import StageID
from werf_core.sync.file_locker import FileLocker
from werf_core.sync.stages_cache import FileStagesStorageCache
from werf_core.sync.synchronization import Synchronization


def test_build_mode_is_frozen_and_rejects_contradictions():
    mode = BuildMode(dry_run=True)
    with pytest.raises(FrozenInstanceError):
        mode.dry_run = False  # type: ignore[misc]
    with pytest.raises(ValueError, match="dry run"):
        BuildMode(dry_run=True, should_be_built=True)


def test_cache_resets_are_bounded_with_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WERF_HOME", str(tmp_path / "home"))
    cache = FileStagesStorageCache(tmp_path / "cache")
    cache.store_stages("resets", "d" * 56, [StageID("d" * 56, 1)])
    sync = Synchronization(":local", "resets", FileLocker(tmp_path / "locks"), cache)
    attempts: list[BuildMode] = []

    def stages_keep_vanishing(spec: ImageSpec) -> list[object]:
        # what the conveyor sees when cleanup deletes stages under a running build, again and again
        attempts.append(conveyor.mode)
        raise ShouldResetStagesStorageCache(f"stage of {spec.display_name} is no longer in :local")

    output = io.StringIO()
    conveyor = Conveyor(project="resets", project_dir=str(tmp_path), specs=[ImageSpec(name="app")],
                        storage=LocalStagesStorage(None), sync=sync, docker_client_factory=lambda: None,
                        git_binder=stages_keep_vanishing, progress=TextProgress(output), parallel=False)
    with pytest.raises(StorageError) as info:
        conveyor.build(None, [[ImageSpec(name="app")]], dry_run=True)

    assert len(attempts) == MAX_CACHE_RESETS + 1
    assert attempts == [BuildMode(dry_run=True)] * len(attempts)   # the mode stays what build() was given
    assert f"started over {MAX_CACHE_RESETS} times" in info.value.message
    assert "no longer in :local" in info.value.message and info.value.hint
    assert cache.get_stages("resets", "d" * 56) is None            # the cache was really reset
    assert output.getvalue().count("resetting the stages storage cache") == MAX_CACHE_RESETS
