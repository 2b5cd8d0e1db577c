"""The cleanup commands as functions: images cleanup, then stages cleanup (werf's order), and the purges.

The caller (CLI, Prefect flow) opens the project — config, git, stages storage, synchronization, images repo — and
hands the pieces over in a `CleanupTarget`; the clock is a parameter, so tests can run cleanups "days later".
Cleanup reads what it needs first and decides before deleting anything; a dry run takes the same decisions
(including the in-use probes) and deletes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from werf_core.cleanup.git_history import RunGit
from werf_core.cleanup.images import ImagesCleanupOptions, ImagesCleanupResult, cleanup_images
from werf_core.cleanup.kube_scan import KubeImages, KubeScanOptions, scan_kubernetes
from werf_core.cleanup.purge import purge_images, purge_stages
from werf_core.cleanup.repo_images import list_repo_images
from werf_core.cleanup.report import CleanupReport
from werf_core.cleanup.stages import GUARD_SECONDS, cleanup_stages
from werf_core.errors import WerfError
from werf_core.publish.images_repo import ImagesRepo

DISABLE_GUARD_ENV = "WERF_DISABLE_STAGES_CLEANUP_DATE_PERIOD_POLICY"


@dataclass
class CleanupTarget:
    project: str
    storage: Any                                # stages storage
    sync: Any                                   # Synchronization
    records: Any                                # StageRecords of the stages storage (None: none)
    config_images: Sequence[str | None]         # image names in werf.yaml (artifacts excluded)
    images_repo: ImagesRepo | None = None
    registry: Any = None                        # RegistryClient able to read/delete in the images repo
    run_git: RunGit | None = None               # None: no git repository
    commit_exists: Callable[[str], bool] | None = None
    docker_client: Callable[[], Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def image_names(self) -> list[str | None]:
        """werf.yaml images ∪ managed images (images other branches built), as werf's cleanup uses."""
        names: list[str | None] = list(dict.fromkeys(self.config_images))
        if self.records is not None:
            for name in self.records.managed_images(self.project):
                if name not in names:
                    names.append(name)
        return names


def guard_seconds_from_env(env: dict[str, str] | None = None) -> float:
    env = dict(os.environ) if env is None else env
    return 0.0 if env.get(DISABLE_GUARD_ENV, "").strip().lower() in ("1", "true", "yes") else GUARD_SECONDS


def _require_images_repo(target: CleanupTarget, command: str) -> ImagesRepo:
    if target.images_repo is None or target.registry is None:
        raise WerfError(f"`werf {command}` needs the images repo to know which images (and so which stages) are "
                        "still in use",
                        hint="pass --images-repo registry.example.com/project (or set WERF_IMAGES_REPO)")
    return target.images_repo


def run_images_cleanup(target: CleanupTarget, *, options: ImagesCleanupOptions, kube: KubeScanOptions | None,
                       report: CleanupReport, now: float, kube_images: KubeImages | None = None
                       ) -> ImagesCleanupResult:
    repo = _require_images_repo(target, "images cleanup")
    if kube is not None and kube_images is None:
        kube_images = scan_kubernetes(kube)
        report.say(f"Kubernetes: {len(kube_images.images)} image(s) in use in context(s) "
                   f"{', '.join(kube_images.contexts) or '(none)'}")
    return cleanup_images(project=target.project, registry=target.registry, repo=repo, records=target.records,
                          images=target.image_names(), run_git=target.run_git, commit_exists=target.commit_exists,
                          kube=kube_images, options=options, report=report, now=now)


def run_stages_cleanup(target: CleanupTarget, *, report: CleanupReport, now: float, guard_seconds: float,
                       kept_roots: list[str] | None = None, deleted: Sequence[str] = ()) -> None:
    """`deleted`: references the images cleanup just deleted (a dry run did not, but they count as gone)."""
    repo = _require_images_repo(target, "stages cleanup")
    names = target.image_names()
    known: dict[str, Any] = {}
    gone = set(deleted)

    def published_roots() -> list[str]:
        return [i.info.parent_id for i in list_repo_images(target.registry, repo, names, known)
                if i.reference not in gone]

    roots = published_roots() if kept_roots is None else kept_roots
    cleanup_stages(storage=target.storage, sync=target.sync, project=target.project, kept_roots=roots,
                   report=report, now=now, guard_seconds=guard_seconds, published_roots=published_roots)


def run_cleanup(target: CleanupTarget, *, options: ImagesCleanupOptions, kube: KubeScanOptions | None,
                report: CleanupReport, now: float, guard_seconds: float) -> None:
    """`werf cleanup`: images cleanup, then stages cleanup of what no kept image needs."""
    result = run_images_cleanup(target, options=options, kube=kube, report=report, now=now)
    run_stages_cleanup(target, report=report, now=now, guard_seconds=guard_seconds,
                       kept_roots=[i.info.parent_id for i in result.kept],
                       deleted=[i.reference for i in result.deleted])


def run_images_purge(target: CleanupTarget, *, report: CleanupReport) -> None:
    repo = _require_images_repo(target, "images purge")
    purge_images(registry=target.registry, repo=repo, images=target.image_names(), report=report)


def run_stages_purge(target: CleanupTarget, *, report: CleanupReport, force: bool = False) -> None:
    client = target.docker_client() if (force and target.docker_client is not None) else None
    purge_stages(storage=target.storage, sync=target.sync, records=target.records, project=target.project,
                 report=report, force=force, client=client)


def run_purge(target: CleanupTarget, *, report: CleanupReport, force: bool = False) -> None:
    """`werf purge`: images purge (when an images repo is given), then stages purge."""
    if target.images_repo is not None:
        run_images_purge(target, report=report)
    run_stages_purge(target, report=report, force=force)
