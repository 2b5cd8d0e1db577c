"""`werf stages sync`: copy a project's stages from one stages storage to another, keeping their names.

Only stages the destination lacks are copied, so a second run copies nothing and an interrupted run resumes where it
stopped; a stage becomes visible in a registry only once its manifest is pushed, so a half-copied stage is never
listed. Extra stages in the destination are never deleted. A few workers copy in parallel.

How a stage travels:
- registry → registry: `copy_image` over the Distribution API — on one registry the layers are mounted across
  repositories (no byte moves), between registries they are streamed (skipping blobs the destination has);
- `:local` → registry: `docker push` of the stage under its registry name (the engine skips layers the registry has);
- registry → `:local`: `docker pull` unless the engine already holds the image, then tag it as a local stage.

`--remove-source` deletes each stage from the source once the destination has it. `--cleanup-local-cache` removes
the engine's copy of a synced stage under its registry name (what a push or pull through the engine left behind);
the stages of a `:local` storage themselves are never touched by it. Like werf, managed-image and metadata records
are not copied, and no lock is taken (names are content-addressed and writes are atomic).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

from werf_core.errors import StorageError, WerfError
from werf_core.storage.base import BrokenStage
from werf_core.storage.stage_id import StageID

DEFAULT_WORKERS = 4


@dataclass
class SyncResult:
    copied: list[StageID] = field(default_factory=list)
    present: list[StageID] = field(default_factory=list)      # already in the destination
    vanished: list[StageID] = field(default_factory=list)     # listed in the source, gone or broken when copied
    removed: list[StageID] = field(default_factory=list)      # deleted from the source (--remove-source)
    failed: dict[StageID, str] = field(default_factory=dict)

    def summary(self) -> str:
        parts = [f"{len(self.copied)} copied", f"{len(self.present)} already present"]
        if self.vanished:
            parts.append(f"{len(self.vanished)} gone from the source")
        if self.removed:
            parts.append(f"{len(self.removed)} removed from the source")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        return ", ".join(parts)


def same_storage(a, b) -> bool:
    return a.address.strip().rstrip("/") == b.address.strip().rstrip("/")


class StagesSync:
    def __init__(self, source, destination, project: str, *, remove_source: bool = False,
                 cleanup_local_cache: bool = False, workers: int = DEFAULT_WORKERS,
                 say: Callable[[str], None] = lambda message: None) -> None:
        if same_storage(source, destination):
            raise WerfError(f"--from and --to name the same stages storage ({source.address})",
                            hint="give two different storages, e.g. --from :local --to registry.example.com/app/stages")
        self.source = source
        self.destination = destination
        self.project = project
        self.remove_source = remove_source
        self.cleanup_local_cache = cleanup_local_cache
        self.workers = max(1, workers)
        self.say = say
        self._lock = threading.Lock()

    def run(self) -> SyncResult:
        source_ids = self.source.list_stage_ids(self.project)
        destination_ids = set(self.destination.list_stage_ids(self.project))
        wanted = source_ids if self.remove_source else [s for s in source_ids if s not in destination_ids]
        result = SyncResult(present=[s for s in source_ids if s in destination_ids and not self.remove_source])
        self.say(f"{len(source_ids)} stage(s) in {self.source.address}, {len(destination_ids)} in "
                 f"{self.destination.address}: {len([s for s in wanted if s not in destination_ids])} to copy")
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="werf-sync") as pool:
            for _ in pool.map(lambda s: self._sync_one(s, s in destination_ids, result), wanted):
                pass
        self.say(f"Stages sync {self.source.address} → {self.destination.address}: {result.summary()}")
        if result.failed:
            first = next(iter(result.failed.items()))
            raise StorageError(f"{len(result.failed)} stage(s) could not be synced; first: {first[0].tag}: {first[1]}",
                               hint="fix the cause and run the same command again: it copies only what is missing")
        return result

    # ---------------------------------------------------------------- one stage
    def _sync_one(self, stage_id: StageID, in_destination: bool, result: SyncResult) -> None:
        try:
            if in_destination:
                self._record(result.present, stage_id)
            elif not self._copy(stage_id):
                self._record(result.vanished, stage_id)
                return
            else:
                self._record(result.copied, stage_id)
            if self.remove_source:
                self.source.delete(self.project, stage_id)
                self._record(result.removed, stage_id)
        except WerfError as err:
            with self._lock:
                result.failed[stage_id] = err.message
        except Exception as err:  # noqa: BLE001 - one stage's engine/registry failure must not stop the others
            with self._lock:
                result.failed[stage_id] = f"{type(err).__name__}: {err}"

    def _record(self, bucket: list[StageID], stage_id: StageID) -> None:
        with self._lock:
            bucket.append(stage_id)

    def _copy(self, stage_id: StageID) -> bool:
        """Copy one stage; False if the source no longer has it (or it is broken there)."""
        try:
            description = self.source.describe(self.project, stage_id)
        except BrokenStage as err:
            self.say(f"skipping {stage_id.tag}: {err}")
            return False
        if description is None:
            return False
        destination_name = self.destination.stage_image_name(self.project, stage_id)
        if not self.source.is_local() and not self.destination.is_local():
            self.destination.registry.copy_image(description.image_name, destination_name)
        elif self.source.is_local():
            self.destination.store(self.project, description.image_id, stage_id)
            if self.cleanup_local_cache:
                self._untag(destination_name)
        else:
            self.source.fetch(self.project, description)
            self.destination.store(self.project, description.image_id, stage_id)
            if self.cleanup_local_cache:
                self._untag(description.image_name)
        self.say(f"copied {stage_id.tag}")
        return True

    def _untag(self, name: str) -> None:
        import docker.errors
        client = self.source.client if self.source.is_local() else self.destination.client
        try:
            client.api.remove_image(name, noprune=True)
        except docker.errors.APIError:
            pass


def sync_stages(source, destination, project: str, **options) -> SyncResult:
    return StagesSync(source, destination, project, **options).run()
