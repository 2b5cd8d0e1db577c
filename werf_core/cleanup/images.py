"""Images cleanup: delete the images repo tags nobody needs any more, keep the rest (and say why).

Order of the rules (werf v1.1):
1. a tag some Kubernetes workload references is kept (unless `--without-kube`);
2. git-history-based mode (default): a tag is kept when its content digest is reached by a kept git reference
   (see git_history.py and policies.py); tags of digests no reference reaches — including digests that have no
   metadata record at all — are deleted; metadata records of digests that lose all their tags are deleted too;
3. tagging-scheme mode (`--git-history-based-cleanup=false`): see tag_strategy.py.
Without a git repository the images cleanup is skipped (nothing can be judged), as werf does.

Deleting is a registry manifest DELETE per tag. Tags are deleted only when no kept tag shares their manifest
(registries delete manifests, and with them every tag naming one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from werf_core.cleanup.deletion import delete_reference
from werf_core.cleanup.git_history import RunGit, list_references, reached_digests, select_references
from werf_core.cleanup.kube_scan import KubeImages
from werf_core.cleanup.policies import KeepPolicy, effective_policies
from werf_core.cleanup.repo_images import RepoImage, list_repo_images
from werf_core.cleanup.report import CleanupReport
from werf_core.cleanup.tag_strategy import TagStrategyLimits, tag_strategy_decisions
from werf_core.publish.images_repo import ImagesRepo

WORKERS = 8


@dataclass
class ImagesCleanupOptions:
    git_history_based: bool = True
    tag_strategy: TagStrategyLimits = field(default_factory=TagStrategyLimits)
    policies: Sequence[KeepPolicy] = ()          # from werf.yaml; empty → werf's defaults


@dataclass
class ImagesCleanupResult:
    kept: list[RepoImage]
    deleted: list[RepoImage]


def _commit_digests(records: Any, project: str, image: str | None) -> dict[str, str]:
    commits = records.metadata_commits(project, image)

    def read(commit: str) -> tuple[str, str | None]:
        meta = records.image_metadata(project, image, commit)
        return commit, (meta.content_digest if meta else None)

    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="werf-cleanup-meta") as pool:
        return {commit: digest for commit, digest in pool.map(read, commits) if digest}


def cleanup_images(*, project: str, registry: Any, repo: ImagesRepo, records: Any, images: list[str | None],
                   run_git: RunGit | None, commit_exists: Callable[[str], bool] | None,
                   kube: KubeImages | None, options: ImagesCleanupOptions, report: CleanupReport,
                   now: float) -> ImagesCleanupResult:
    published = list_repo_images(registry, repo, images)
    if run_git is None:
        report.warn("no git repository: the images cleanup is skipped (it decides by the git history)")
        for image in published:
            report.kept("images.kept", image.reference, "no git repository to judge by")
        return ImagesCleanupResult(published, [])
    doomed: dict[str, str] = {}
    metadata_doomed: list[tuple[str | None, str, str]] = []
    if options.git_history_based:
        references = list_references(run_git)
        selected = select_references(references, effective_policies(options.policies), now)
        for image_name in images:
            mine = [p for p in published if p.image == image_name]
            commit_digests = _commit_digests(records, project, image_name)
            reach = reached_digests(run_git, selected, commit_digests, now)
            for repo_image in mine:
                if repo_image.content_digest not in reach.digests:
                    doomed[repo_image.reference] = "not reached by the git history keep policies"
            surviving = {p.content_digest for p in mine if p.reference not in doomed or _used(kube, p)}
            for commit, digest in sorted(commit_digests.items()):
                if digest not in reach.digests and digest not in surviving:
                    metadata_doomed.append((image_name, commit, digest))
    else:
        references = list_references(run_git)
        branches = {r.name for r in references if r.kind == "branch"}
        tags = {r.name for r in references if r.kind == "tag"}
        doomed = tag_strategy_decisions(published, branches=branches, tags=tags,
                                        commit_exists=commit_exists or (lambda commit: False),
                                        limits=options.tag_strategy, now=now)
    kept, deleted = [], []
    for image in published:
        reason = doomed.get(image.reference)
        if reason is not None and _used(kube, image):
            report.kept("images.kept", image.reference, "used by a Kubernetes workload")
            reason = None
        if reason is None:
            kept.append(image)
            if image.reference not in doomed:
                report.kept("images.kept", image.reference, "kept by the cleanup policies")
        else:
            deleted.append(image)
    kept_manifests = {k.info.repo_digest.rpartition("@")[2] for k in kept}
    really_deleted = []
    for image in deleted:
        if image.info.repo_digest.rpartition("@")[2] in kept_manifests:
            report.warn(f"{image.reference} shares its manifest with a kept tag: left in place")
            kept.append(image)
            continue
        if not report.dry_run:
            delete_reference(registry, image.reference)
        report.deleted("images.deleted", image.reference, doomed[image.reference])
        really_deleted.append(image)
    for image_name, commit, digest in metadata_doomed:
        name = f"{image_name or '~'}@{commit}"
        if not report.dry_run:
            records.remove_image_metadata(project, image_name, commit)
        report.deleted("metadata.deleted", name, f"content {digest[:12]} is not kept")
    return ImagesCleanupResult(kept, really_deleted)


def _used(kube: KubeImages | None, image: RepoImage) -> bool:
    return kube is not None and kube.uses(image.reference)
