"""Stages cleanup: delete every stage no kept image needs, except young ones and those a running build uses.

1. List every stage of the project straight from the storage (not from the stages-storage cache) and describe it.
2. Keep the ancestry (parents and `werf-import-*` sources, see ancestry.py) of every kept published image.
3. Keep stages younger than the guard period (2 h, as werf; `WERF_DISABLE_STAGES_CLEANUP_DATE_PERIOD_POLICY=1`
   disables it): a build may have just stored one and not yet published the image that needs it.
4. Per digest of the rest, take the digest's in-use lease exclusively without waiting (see
   werf_core/sync/stage_leases.py): held by a build → keep; else remove the digest from the stages-storage cache
   (under the cache lock) and only then delete its stages, so no runner selects a stage that is going away, and a
   build arriving meanwhile waits for the lease and then finds the digest gone.
A broken stage (unreadable manifest) is deleted like an unneeded one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from werf_core.cleanup.ancestry import StageIndex
from werf_core.cleanup.deletion import TagDeletionUnsupported, delete_reference
from werf_core.cleanup.report import CleanupReport
from werf_core.errors import WerfError
from werf_core.storage.base import BrokenStage, StageDescription
from werf_core.storage.stage_id import StageID
from werf_core.sync.stage_leases import exclusive_stage_lease

GUARD_SECONDS = 2 * 3600.0
WORKERS = 8


def describe_all(storage: Any, project: str, ids: Iterable[StageID]) -> tuple[list[StageDescription], list[StageID]]:
    """(descriptions, broken stage IDs); stages gone meanwhile are left out."""
    def read(stage_id: StageID) -> tuple[StageID, StageDescription | None, bool]:
        try:
            description = storage.describe(project, stage_id)
            if description is not None and not description.parent and not storage.is_local():
                description = _fresh(storage, project, stage_id) or description
            return stage_id, description, False
        except BrokenStage:
            return stage_id, None, True

    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="werf-cleanup-describe") as pool:
        results = list(pool.map(read, ids))
    return [d for _, d, _ in results if d is not None], [s for s, _, broken in results if broken]


def _fresh(storage: Any, project: str, stage_id: StageID) -> StageDescription | None:
    """Every stage has a parent; none in a manifest-cache entry means an entry written before parents were kept
    (or by another tool): ask the registry again rather than lose the stage's ancestry."""
    from werf_core.storage.registry_storage import description_from_info
    name = storage.stage_image_name(project, stage_id)
    info = storage.registry.image_info(name, check_layers=False)
    if info is None:
        return None
    storage.manifest_cache.put(name, info)
    return description_from_info(stage_id, name, info)


def delete_stages_of_digest(*, storage: Any, sync: Any, project: str, digest: str, stage_ids: list[StageID],
                            reasons: dict[StageID, str], report: CleanupReport,
                            still_unneeded: Callable[[list[StageID]], list[StageID]] | None = None) -> None:
    """Under the digest's exclusive in-use lease: cache entry first, then the stages. Busy → kept, reported.

    `still_unneeded` is asked once the lease is ours: an image published since the decision may need a stage now.
    """
    locker = getattr(sync, "leases_locker", sync.locker)
    with exclusive_stage_lease(locker, project, digest, kubernetes=sync.is_kubernetes) as lease:
        if lease is None:
            for stage_id in stage_ids:
                report.kept("stages.kept", storage.stage_image_name(project, stage_id), "in use by a running build")
            return
        if still_unneeded is not None:
            unneeded = still_unneeded(stage_ids)
            for stage_id in [s for s in stage_ids if s not in unneeded]:
                report.kept("stages.kept", storage.stage_image_name(project, stage_id),
                            "needed by an image published during the cleanup")
            stage_ids = unneeded
            if not stage_ids:
                return
        if not report.dry_run:
            with sync.locker.locked(sync.stage_cache_lock_name(digest)):
                sync.cache.delete_stages(project, digest)
        for stage_id in stage_ids:
            name = storage.stage_image_name(project, stage_id)
            if not report.dry_run:
                try:
                    _delete_stage(storage, project, stage_id)
                except TagDeletionUnsupported:
                    raise
                except WerfError as err:
                    report.warn(f"cannot delete stage {name}: {err.message}")
                    continue
                except Exception as err:   # e.g. a local image a container still uses
                    report.warn(f"cannot delete stage {name}: {err}")
                    continue
            report.deleted("stages.deleted", name, reasons[stage_id])


def _delete_stage(storage: Any, project: str, stage_id: StageID) -> None:
    registry = getattr(storage, "registry", None) if not storage.is_local() else None
    if registry is not None:
        storage.manifest_cache.delete(storage.stage_image_name(project, stage_id))
        delete_reference(registry, storage.stage_image_name(project, stage_id))
        return
    storage.delete(project, stage_id)


def cleanup_stages(*, storage: Any, sync: Any, project: str, kept_roots: Iterable[str], report: CleanupReport,
                   now: float, guard_seconds: float = GUARD_SECONDS,
                   published_roots: Callable[[], Iterable[str]] | None = None) -> None:
    """`kept_roots`: the parent image IDs (last stages) of every kept published image.

    `published_roots` (optional) answers the same for the images published *now*; it is asked again, per digest,
    after that digest's lease is ours, so a stage an image published meanwhile needs is not deleted.
    """
    ids = storage.list_stage_ids(project)
    descriptions, broken = describe_all(storage, project, ids)
    index = StageIndex(descriptions)
    needed = index.needed_by(kept_roots)
    doomed: dict[str, list[StageID]] = {}
    reasons: dict[StageID, str] = {}
    for stage_id in broken:
        doomed.setdefault(stage_id.digest, []).append(stage_id)
        reasons[stage_id] = "broken (its manifest or config cannot be read)"
    for description in sorted(descriptions, key=lambda d: d.stage_id):
        name = description.image_name
        if description.stage_id in needed:
            report.kept("stages.kept", name, "needed by a kept image")
            continue
        if guard_seconds > 0 and description.created_at > now - guard_seconds:
            report.kept("stages.kept", name, f"younger than {guard_seconds / 3600:g} h")
            continue
        doomed.setdefault(description.stage_id.digest, []).append(description.stage_id)
        reasons[description.stage_id] = "not needed by any kept image"
    kept = list(kept_roots)

    def still_unneeded(stage_ids: list[StageID]) -> list[StageID]:
        if published_roots is not None:
            fresh = [root for root in published_roots() if root not in kept]
            if fresh:
                kept.extend(fresh)
                needed.update(index.needed_by(fresh))
        return [s for s in stage_ids if s not in needed]

    for digest in sorted(doomed):
        delete_stages_of_digest(storage=storage, sync=sync, project=project, digest=digest,
                                stage_ids=sorted(doomed[digest]), reasons=reasons, report=report,
                                still_unneeded=still_unneeded)

