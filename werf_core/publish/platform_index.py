"""Publishing an image built for several platforms (`platform:` lists more than one): an image index per tag.

Each platform's final stage is published as usual (same labels, imageSpec edit, route) under a temporary tag, its
manifest is then referenced by digest from the index, and the temporary tag is removed again by pointing it at a
unique record image that is deleted (registries delete by digest only; deleting the platform image itself would take
the index's child with it). The index is PUT last: until then the tag shows the previous content, never a partial
list. A tag is up to date when every platform it lists carries this content signature on this stage image.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from werf_core.errors import WerfError
from werf_core.publish.published_image import PublishedImage, published_labels
from werf_core.publish.report import PUBLISHED, UP_TO_DATE, PublishedTag
from werf_core.registry.manifest import DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST
from werf_core.storage.base import StageDescription

if TYPE_CHECKING:
    from werf_core.config.schema.image_spec import ImageSpec
    from werf_core.publish.publisher import PublishableImage, Publisher

CONTENT_SIGNATURE_LABEL = "werf-content-signature"


class _Stage(Protocol):
    @property
    def description(self) -> StageDescription: ...


class PlatformVariant(Protocol):
    """One platform's build of a multi-platform image (the conveyor's ImageResult variants)."""

    @property
    def platform(self) -> str: ...

    @property
    def last_stage(self) -> _Stage: ...


def temporary_tag(target: str, platform: str) -> str:
    """A bounded, valid tag name for the platform image while the index is assembled."""
    return "werf-platform-" + hashlib.sha256(f"{target}\0{platform}".encode()).hexdigest()[:40]


def index_document(children: Sequence[tuple[str, str, int, dict[str, str]]]) -> tuple[bytes, str]:
    """The index over (media type, digest, size, platform) children: a Docker manifest list for Docker schema 2
    children, an OCI index when any child is an OCI manifest."""
    media_type = OCI_INDEX if any(c[0] == OCI_MANIFEST for c in children) else DOCKER_MANIFEST_LIST
    document: dict[str, Any] = {
        "schemaVersion": 2, "mediaType": media_type,
        "manifests": [{"mediaType": kind, "digest": digest, "size": size, "platform": platform}
                      for kind, digest, size, platform in children]}
    return json.dumps(document, separators=(",", ":")).encode(), media_type


def current_index(publisher: Publisher, target: str, content_digest: str,
                  variants: Sequence[PlatformVariant]) -> PublishedImage | None:
    """The index `target` names, if every platform of it already is this content on this stage image."""
    digest = publisher.registry.head_manifest(target)
    if digest is None:
        return None
    for variant in variants:
        try:
            info = publisher.registry.image_info(target, platform=variant.platform, check_layers=False)
        except WerfError:
            return None
        if info is None or info.labels.get(CONTENT_SIGNATURE_LABEL) != content_digest \
                or info.parent_id != variant.last_stage.description.image_id:
            return None
    return PublishedImage("", digest)


def publish_index_tag(publisher: Publisher, image: PublishableImage, strategy: str, meta_tag: str,
                      content_digest: str, spec: ImageSpec | None) -> PublishedTag:
    variants: Sequence[PlatformVariant] = getattr(image, "variants", ())
    repository = publisher.images_repo.repository(image.name)
    tag = publisher.images_repo.tag(image.name, meta_tag)
    target = publisher._checked_reference(image, repository, tag)

    def result(published: PublishedImage, status: str) -> PublishedTag:
        platforms = ", ".join(v.platform for v in variants)
        publisher.progress.info(f"{image.display_name}: {strategy} tag {tag} "
                                f"{'is up-to-date' if status == UP_TO_DATE else 'published'} → {target} "
                                f"(index of {platforms}: {published.digest})")
        return PublishedTag(image=image.name, strategy=strategy, meta_tag=meta_tag, repository=repository, tag=tag,
                            image_id=published.image_id, digest=published.digest, status=status)

    current = current_index(publisher, target, content_digest, variants)
    if current is not None:
        return result(current, UP_TO_DATE)
    sync = publisher.sync
    with sync.locker.locked(sync.image_lock_name(target),
                            on_wait=lambda name: publisher.progress.info(f"Waiting for locked {name!r} ...")):
        current = current_index(publisher, target, content_digest, variants)
        if current is not None:
            return result(current, UP_TO_DATE)
        labels = published_labels(full_name=target, strategy=strategy, image_name=image.name, meta_tag=meta_tag,
                                  content_digest=content_digest)
        children: list[tuple[str, str, int, dict[str, str]]] = []
        for variant in variants:
            temporary = f"{repository}:{temporary_tag(target, variant.platform)}"
            publisher.push_stage_image(variant.last_stage.description, temporary, labels, spec)
            manifest = publisher.registry.get_manifest(temporary)
            if manifest is None:
                raise WerfError(f"{temporary} vanished right after it was pushed", hint="publish again")
            config = publisher.registry.get_config(temporary)
            platform = {"architecture": str(config.get("architecture") or ""), "os": str(config.get("os") or "")}
            if config.get("variant"):
                platform["variant"] = str(config["variant"])
            children.append((manifest.media_type, manifest.digest, len(manifest.raw), platform))
        raw, media_type = index_document(children)
        digest = publisher.registry.put_manifest(target, raw, media_type)
        for variant in variants:
            _drop_temporary_tag(publisher, f"{repository}:{temporary_tag(target, variant.platform)}")
    return result(PublishedImage("", digest), PUBLISHED)


def _drop_temporary_tag(publisher: Publisher, temporary: str) -> None:
    """Point the tag at a unique record image and delete that (the platform image stays, named by the index)."""
    try:
        publisher.registry.push_manifest_only_image(temporary, {"werf-temporary": "true"})
        publisher.registry.delete_tag(temporary)
    except WerfError as err:
        publisher.progress.info(f"could not remove the temporary tag {temporary}: {err}")
