"""Publishing built images to the images repo: per image, per tag, under the image lock, skipping what is current.

Per image (artifacts are never published):
1. record "at HEAD, this image has content digest D" (image metadata by commit) unless already recorded so;
2. per tag (strategies in order, stages-signature last): if the tag already names this content — its
   `werf-content-signature` is the image's content digest and its parent is the image's last stage — it is
   up to date and nothing is written;
3. otherwise take the image lock (`sync.image_lock_name(<repo>:<tag>)`), look again (another runner may have
   published meanwhile), and publish (see published_image.py: at manifest level from a registry stages storage,
   through the engine from `:local`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Protocol

from werf_core.errors import WerfError
from werf_core.publish.image_config import content_digest_with, edit_document
from werf_core.publish.images_repo import ImagesRepo
from werf_core.publish.published_image import (
    PublishedImage,
    publish_by_docker,
    publish_by_manifest,
    published_labels,
    reconfigure_published,
)
from werf_core.publish.report import PUBLISHED, UP_TO_DATE, PublishedTag, PublishReport
from werf_core.publish.tags import TagPlan
from werf_core.registry.protocol import Registry
from werf_core.storage.base import StageDescription, StagesStorage
from werf_core.storage.records import StageRecords
from werf_core.sync.synchronization import BuildSynchronization

if TYPE_CHECKING:
    import docker

    from werf_core.config.schema.image_spec import ImageSpec

CONTENT_SIGNATURE_LABEL = "werf-content-signature"


class _Stage(Protocol):
    @property
    def description(self) -> StageDescription: ...


class PublishableImage(Protocol):
    """What publishing reads of a built image (the conveyor's `ImageResult`)."""

    @property
    def name(self) -> str | None: ...

    @property
    def display_name(self) -> str: ...

    @property
    def is_artifact(self) -> bool: ...

    @property
    def content_digest(self) -> str: ...

    @property
    def last_stage(self) -> _Stage: ...


class PublishProgress(Protocol):
    def info(self, message: str) -> None: ...


class Publisher:
    def __init__(self, *, project: str, storage: StagesStorage, sync: BuildSynchronization, images_repo: ImagesRepo,
                 tag_plan: TagPlan, registry: Registry, records: StageRecords | None, progress: PublishProgress,
                 project_commit: str = "", docker_client_factory: Callable[[], docker.DockerClient],
                 docker_config: str | None = None,
                 image_specs: Mapping[str | None, ImageSpec | None] | None = None,
                 intermediate_images: frozenset[str | None] = frozenset()) -> None:
        self.project = project
        self.storage = storage
        self.sync = sync
        self.images_repo = images_repo
        self.tag_plan = tag_plan
        self.registry = registry            # RegistryClient for the images repo (and the stages, if remote)
        self.records = records              # the stages storage's records (None: a storage without records)
        self.progress = progress
        self.project_commit = project_commit
        self._client_factory = docker_client_factory
        self.docker_config = docker_config
        # imageSpec (with the meta build.imageSpec defaults merged) per image name: applied to the published config
        self.image_specs = {name: spec for name, spec in (image_specs or {}).items()
                            if spec is not None and edit_document(spec)}
        # `final: false` (werf 1.2): built for other images only, never published
        self.intermediate_images = intermediate_images

    def publish(self, images: Iterable[PublishableImage]) -> PublishReport:
        """Publish every non-artifact ImageResult of `images`."""
        report = PublishReport()
        for image in images:
            if image.is_artifact or image.name in self.intermediate_images:
                continue
            report.tags.extend(self.publish_image(image))
        return report

    def publish_image(self, image: PublishableImage) -> list[PublishedTag]:
        spec = self.image_specs.get(image.name)
        content = content_digest_with(image.content_digest, spec)
        if self.project_commit:
            self._record_commit(image, content)
        if getattr(image, "variants", ()):
            from werf_core.publish.platform_index import publish_index_tag
            return [publish_index_tag(self, image, strategy, meta_tag, content, spec)
                    for strategy, meta_tag in self.tag_plan.tags_for(content)]
        return [self._publish_tag(image, strategy, meta_tag, content, spec)
                for strategy, meta_tag in self.tag_plan.tags_for(content)]

    # ---------------------------------------------------------------- internals
    def _record_commit(self, image: PublishableImage, content_digest: str) -> None:
        if self.records is None:
            return
        known = self.records.image_metadata(self.project, image.name, self.project_commit)
        if known is None or known.content_digest != content_digest:
            self.records.put_image_metadata(self.project, image.name, self.project_commit, content_digest)

    def _publish_tag(self, image: PublishableImage, strategy: str, meta_tag: str, content_digest: str,
                     spec: ImageSpec | None) -> PublishedTag:
        repository = self.images_repo.repository(image.name)
        tag = self.images_repo.tag(image.name, meta_tag)
        target = self._checked_reference(image, repository, tag)
        last = image.last_stage.description

        def result(published: PublishedImage, status: str) -> PublishedTag:
            self.progress.info(f"{image.display_name}: {strategy} tag {tag} "
                               f"{'is up-to-date' if status == UP_TO_DATE else 'published'} → {target} "
                               f"({published.digest or published.image_id})")
            return PublishedTag(image=image.name, strategy=strategy, meta_tag=meta_tag, repository=repository,
                                tag=tag, image_id=published.image_id, digest=published.digest, status=status)

        current, seen = self._current(target, content_digest, last.image_id)
        if current is not None:
            return result(current, UP_TO_DATE)
        with self.sync.locker.locked(self.sync.image_lock_name(target),
                                     on_wait=lambda name: self.progress.info(f"Waiting for locked {name!r} ...")):
            # the re-check under the lock: a HEAD tells whether the tag still names what we saw (not current)
            if self.registry.head_manifest(target) != seen:
                current, _ = self._current(target, content_digest, last.image_id)
                if current is not None:
                    return result(current, UP_TO_DATE)
            labels = published_labels(full_name=target, strategy=strategy, image_name=image.name,
                                      meta_tag=meta_tag, content_digest=content_digest)
            published = self.push_stage_image(last, target, labels, spec)
        return result(published, PUBLISHED)

    def push_stage_image(self, last: StageDescription, target: str, labels: dict[str, str],
                         spec: ImageSpec | None) -> PublishedImage:
        """Publish the stage image `last` as `target` with `labels` (and the imageSpec edit): through the engine
        from `:local`, at manifest level from a registry stages storage (reusing the stage's manifest and config
        this build already holds)."""
        if self.storage.is_local():
            from werf_core.registry.reference import ImageReference
            from werf_core.storage.registry_storage import docker_push, engine_auth_config
            host = ImageReference.parse(target).registry
            published = publish_by_docker(
                self._client_factory(), last.image_id, target, labels,
                push=lambda name: docker_push(self._client_factory(), name, registry=host, say=self.progress.info,
                                              auth_config=engine_auth_config(self.docker_config, host)))
            if spec is not None:
                return reconfigure_published(self.registry, target, spec, tuple(labels))
            if not published.digest:
                return PublishedImage(published.image_id, self.registry.head_manifest(target) or "")
            return published
        documents = getattr(self.storage, "documents", None)
        return publish_by_manifest(self.registry, last.image_name, last.image_id, target, labels, spec,
                                   stage_documents=documents(last.image_name) if documents else None)

    def _current(self, target: str, content_digest: str, stage_image_id: str
                 ) -> tuple[PublishedImage | None, str | None]:
        """The image `target` names, if it already is this content built on this stage image; and the manifest
        digest the tag names now (None: no such tag)."""
        info = self.registry.image_info(target, check_layers=False)
        if info is None:
            return None, None
        if info.labels.get(CONTENT_SIGNATURE_LABEL) != content_digest or info.parent_id != stage_image_id:
            return None, info.digest
        return PublishedImage(info.id, info.digest), info.digest

    @staticmethod
    def _checked_reference(image: PublishableImage, repository: str, tag: str) -> str:
        from werf_core.registry.reference import ImageReference, InvalidReferenceError
        target = f"{repository}:{tag}"
        try:
            ImageReference.parse(target)
        except InvalidReferenceError as err:
            raise WerfError(f"image {image.display_name} cannot be published as {target}: {err.message}",
                            hint="image names become repository names (multirepo) or tag prefixes (monorepo): "
                                 "use lower-case letters, digits, '-', '_' and '.', or another --images-repo-mode"
                            ) from None
        return target
