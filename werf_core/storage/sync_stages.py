"""`werf stages sync`: copy a project's stages from one stages storage to another, keeping their names.

Only stages the destination lacks are copied, so a second run copies nothing and an interrupted run resumes where it
stopped; a stage becomes visible in a registry only once its manifest is pushed, so a half-copied stage is never
listed. Extra stages in the destination are never deleted. A few workers copy in parallel.

How a stage travels:
- registry → registry: over the Distribution API, byte for byte (same digests) — every distinct blob the
  destination lacks is linked once (on one registry by a cross-repository mount, so no byte moves; between
  registries it is streamed through this process), then the manifests are PUT;
- `:local` → registry: `docker push` of the stage under its registry name (the engine skips layers the registry has);
- registry → `:local`: `docker pull` unless the engine already holds the image, then tag it as a local stage.

`--remove-source` deletes each stage from the source once the destination has it. `--cleanup-local-cache` removes
the engine's copy of a synced stage under its registry name (what a push or pull through the engine left behind);
the stages of a `:local` storage themselves are never touched by it. Like werf, managed-image and metadata records
are not copied, and no lock is taken (names are content-addressed and writes are atomic).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from werf_core.errors import StorageError, WerfError
from werf_core.registry.manifest import Descriptor, Manifest
from werf_core.storage.base import BrokenStage, StageDescription, StagesStorage
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


def same_storage(a: StagesStorage, b: StagesStorage) -> bool:
    return a.address.strip().rstrip("/") == b.address.strip().rstrip("/")


class StagesSync:
    def __init__(self, source: StagesStorage, destination: StagesStorage, project: str, *, remove_source: bool = False,
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
        missing = [s for s in source_ids if s not in destination_ids]
        result = SyncResult(present=[s for s in source_ids if s in destination_ids])
        self.say(f"{len(source_ids)} stage(s) in {self.source.address}, {len(destination_ids)} in "
                 f"{self.destination.address}: {len(missing)} to copy")
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="werf-sync") as pool:
            if not self.source.is_local() and not self.destination.is_local():
                self._copy_between_registries(pool, missing, result)
            else:
                list(pool.map(lambda stage_id: self._guarded(stage_id, result, self._copy_one, result), missing))
            if self.remove_source:
                done = [s for s in source_ids if s in destination_ids or s in set(result.copied)]
                list(pool.map(lambda stage_id: self._guarded(stage_id, result, self._remove, result), done))
        self.say(f"Stages sync {self.source.address} → {self.destination.address}: {result.summary()}")
        if result.failed:
            first = next(iter(result.failed.items()))
            raise StorageError(f"{len(result.failed)} stage(s) could not be synced; first: {first[0].tag}: {first[1]}",
                               hint="fix the cause and run the same command again: it copies only what is missing")
        return result

    def _guarded(self, stage_id: StageID, result: SyncResult, action: Callable[..., None], *args: Any) -> None:
        """Run one stage's action; a failure is recorded for that stage and the others go on."""
        try:
            action(stage_id, *args)
        except WerfError as err:
            with self._lock:
                result.failed[stage_id] = err.message
        except Exception as err:
            with self._lock:
                result.failed[stage_id] = f"{type(err).__name__}: {err}"

    def _remove(self, stage_id: StageID, result: SyncResult) -> None:
        self.source.delete(self.project, stage_id)
        self._record(result.removed, stage_id)

    # ---------------------------------------------------------------- registry to registry, in three waves
    def _copy_between_registries(self, pool: Executor, stage_ids: list[StageID], result: SyncResult) -> None:
        """Read every manifest, link every distinct blob once, then PUT the manifests.

        Linking a blob twice into one repository while a manifest naming it is being PUT can make the registry
        refuse that manifest, so blobs shared by many stages (base layers) are handled once, before any manifest.
        """
        from werf_core.storage.registry_storage import RegistryStagesStorage, ensure_blobs, put_manifest_settled
        assert isinstance(self.destination, RegistryStagesStorage), "called for two registry storages only"
        registry = self.destination.registry
        manifests: dict[StageID, tuple[str, Manifest]] = {}

        def read(stage_id: StageID) -> None:
            description = self._source_description(stage_id)
            if description is None:
                self._record(result.vanished, stage_id)
                return
            manifest = registry.get_manifest(description.image_name)
            if manifest is None:
                self._record(result.vanished, stage_id)
                return
            with self._lock:
                manifests[stage_id] = (description.image_name, manifest)

        list(pool.map(lambda s: self._guarded(s, result, read), stage_ids))
        target_repository = self.destination.address
        blobs: dict[str, tuple[str, Descriptor, list[StageID]]] = {}
        for stage_id, (source_name, manifest) in manifests.items():
            for blob in manifest.blobs:
                blobs.setdefault(blob.digest, (source_name, blob, []))[2].append(stage_id)

        def link(item: tuple[str, Descriptor, list[StageID]]) -> None:
            source_name, blob, users = item
            try:
                ensure_blobs(registry, source_name, target_repository, [blob])
            except Exception as err:
                message = err.message if isinstance(err, WerfError) else f"{type(err).__name__}: {err}"
                with self._lock:
                    for stage_id in users:
                        result.failed.setdefault(stage_id, message)

        list(pool.map(link, blobs.values()))

        def put(stage_id: StageID) -> None:
            if stage_id in result.failed:
                return
            source_name, manifest = manifests[stage_id]
            target = self.destination.stage_image_name(self.project, stage_id)
            put_manifest_settled(registry, source_name, target, manifest.raw, manifest.media_type, manifest.blobs)
            self._record(result.copied, stage_id)
            self.say(f"copied {stage_id.tag}")

        list(pool.map(lambda s: self._guarded(s, result, put), list(manifests)))

    # ---------------------------------------------------------------- through the engine, stage by stage
    def _record(self, bucket: list[StageID], stage_id: StageID) -> None:
        with self._lock:
            bucket.append(stage_id)

    def _source_description(self, stage_id: StageID) -> StageDescription | None:
        """The source's description of a stage; None if it is gone (or broken: nothing usable to copy)."""
        try:
            return self.source.describe(self.project, stage_id)
        except BrokenStage as err:
            self.say(f"skipping {stage_id.tag}: {err}")
            return None

    def _copy_one(self, stage_id: StageID, result: SyncResult) -> None:
        description = self._source_description(stage_id)
        if description is None:
            self._record(result.vanished, stage_id)
            return
        if self.source.is_local():
            self.destination.store(self.project, description.image_id, stage_id)
            if self.cleanup_local_cache:
                self._untag(self.destination.stage_image_name(self.project, stage_id))
        else:
            self.source.fetch(self.project, description)
            self.destination.store(self.project, description.image_id, stage_id)
            if self.cleanup_local_cache:
                self._untag(description.image_name)
        self._record(result.copied, stage_id)
        self.say(f"copied {stage_id.tag}")

    def _untag(self, name: str) -> None:
        import docker.errors
        client = self.source.client if self.source.is_local() else self.destination.client
        try:
            client.api.remove_image(name, noprune=True)
        except docker.errors.APIError:
            pass


def sync_stages(source: StagesStorage, destination: StagesStorage, project: str, **options: Any) -> SyncResult:
    return StagesSync(source, destination, project, **options).run()
