"""The published images of a project in its images repo, with what cleanup needs to know about each tag.

Per image name (werf.yaml images ∪ managed images): the tags of its repository (multirepo), or the tags prefixed
`<image>-` (monorepo); each tag's manifest and config are read (in parallel) and only werf's published images
(`werf-image=true` of that image name) are considered at all — nothing else in the repository is ever touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from werf_core.errors import WerfError
from werf_core.publish.images_repo import MONOREPO, ImagesRepo
from werf_core.registry.image_info import ImageInfo

WORKERS = 8
MAX_TAGS = 100_000


@dataclass(frozen=True)
class RepoImage:
    image: str | None          # werf image name (None: the nameless image)
    reference: str             # repository:tag
    tag: str
    info: ImageInfo

    @property
    def content_digest(self) -> str:
        return self.info.labels.get("werf-content-signature", "")

    @property
    def strategy(self) -> str:
        return self.info.labels.get("werf-tag-strategy", "")

    @property
    def meta_tag(self) -> str:
        return self.info.labels.get("werf-image-tag", "")

    @property
    def created_at(self) -> float:
        return self.info.created_at_unix_nano / 1e9


def _image_tags(repo: ImagesRepo, image: str | None, all_images: Iterable[str | None], tags: list[str]) -> list[str]:
    if repo.mode != MONOREPO:
        return tags
    if image is not None:
        return [t for t in tags if t.startswith(f"{image}-")]
    prefixes = tuple(f"{name}-" for name in all_images if name)
    return [t for t in tags if not t.startswith(prefixes)] if prefixes else tags


def list_repo_images(registry: Any, repo: ImagesRepo, images: list[str | None],
                     known: dict[str, RepoImage | None] | None = None) -> list[RepoImage]:
    """Every werf-published tag of `images` in `repo`. `known` (reference → answer) is reused and filled, so a
    repeated listing reads only the tags that appeared since (one tag listing per repository)."""
    known = {} if known is None else known
    listed: dict[str, list[str]] = {}
    jobs: list[tuple[str | None, str, str]] = []
    for image in images:
        repository = repo.repository(image)
        if repository not in listed:
            listed[repository] = registry.list_tags(repository)[:MAX_TAGS]
        for tag in _image_tags(repo, image, images, listed[repository]):
            jobs.append((image, repository, tag))

    def read(job: tuple[str | None, str, str]) -> RepoImage | None:
        image, repository, tag = job
        if f"{repository}:{tag}" in known:
            return known[f"{repository}:{tag}"]
        try:
            info = registry.image_info(f"{repository}:{tag}", check_layers=False)
        except WerfError:
            return None     # a broken or foreign manifest is not ours to judge
        if info is None or info.labels.get("werf-image") != "true":
            return None
        if (info.labels.get("werf-image-name") or None) != image:
            return None
        return RepoImage(image, f"{repository}:{tag}", tag, info)

    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="werf-cleanup-read") as pool:
        answers = list(pool.map(read, jobs))
    for (_, repository, tag), answer in zip(jobs, answers, strict=True):
        known[f"{repository}:{tag}"] = answer
    return sorted((r for r in answers if r is not None), key=lambda r: r.reference)
