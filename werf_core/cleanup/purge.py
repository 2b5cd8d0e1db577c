"""Purge: remove everything werf keeps for a project — published images, stages, records.

- images purge: every werf-published tag of the project's images (werf.yaml ∪ managed images) in the images repo;
  nothing else in the repository is touched.
- stages purge: every stage of the project, the managed-image and image-metadata records, and the project's
  stages-storage cache. Stages a running build holds (its in-use lease) are still left alone and reported: purging
  under a running build would only make it fail. `force` removes containers that use local stage images first
  (otherwise the engine refuses to delete those images).
Purge is not Kubernetes-aware and has no guard period (as werf).
"""

from __future__ import annotations

from typing import Any

from werf_core.cleanup.deletion import delete_reference
from werf_core.cleanup.repo_images import list_repo_images
from werf_core.cleanup.report import CleanupReport
from werf_core.cleanup.stages import delete_stages_of_digest
from werf_core.publish.images_repo import ImagesRepo
from werf_core.storage.stage_id import StageID


def purge_images(*, registry: Any, repo: ImagesRepo, images: list[str | None], report: CleanupReport) -> None:
    for image in list_repo_images(registry, repo, images):
        if not report.dry_run:
            delete_reference(registry, image.reference)
        report.deleted("images.deleted", image.reference, "purge")


def _remove_containers_using(client: Any, image_names: list[str], report: CleanupReport) -> None:
    import docker.errors
    for name in image_names:
        try:
            containers = client.api.containers(all=True, filters={"ancestor": name})
        except docker.errors.APIError:
            continue
        for container in containers:
            cid = container["Id"]
            if not report.dry_run:
                try:
                    client.api.remove_container(cid, force=True, v=True)
                except docker.errors.APIError as err:
                    report.warn(f"cannot remove container {cid[:12]}: {err.explanation or err}")
                    continue
            report.deleted("host.containers", cid[:12], f"uses {name} (--force)")


def purge_stages(*, storage: Any, sync: Any, records: Any, project: str, report: CleanupReport,
                 force: bool = False, client: Any = None) -> None:
    ids = storage.list_stage_ids(project)
    if force and storage.is_local() and client is not None:
        _remove_containers_using(client, [storage.stage_image_name(project, s) for s in ids], report)
    by_digest: dict[str, list[StageID]] = {}
    for stage_id in ids:
        by_digest.setdefault(stage_id.digest, []).append(stage_id)
    reasons = {stage_id: "purge" for stage_id in ids}
    for digest in sorted(by_digest):
        delete_stages_of_digest(storage=storage, sync=sync, project=project, digest=digest,
                                stage_ids=sorted(by_digest[digest]), reasons=reasons, report=report)
    if records is not None:
        for image in records.managed_images(project):
            for commit in records.metadata_commits(project, image):
                if not report.dry_run:
                    records.remove_image_metadata(project, image, commit)
                report.deleted("metadata.deleted", f"{image or '~'}@{commit}", "purge")
            if not report.dry_run:
                records.remove_managed_image(project, image)
            report.deleted("metadata.deleted", f"managed image {image or '~'}", "purge")
    if not report.dry_run and not report.names("stages.kept"):
        sync.cache.delete_all(project)
