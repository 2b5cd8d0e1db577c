"""Records kept next to the stages: managed images, and image metadata by commit.

- A **managed image** record says "this project has (had) an image called NAME". It is written after a build that
  produced at least one new stage of a (non-artifact) image, so cleanup also knows images that exist only in other
  branches' werf.yaml.
- An **image metadata by commit** record says "at commit C, image NAME had content digest D". It is written when an
  image is published, for the project's HEAD; git-history-based cleanup reads it.

Where they live (werf v1.1's names):

| record | registry stages storage | local stages storage |
|---|---|---|
| managed image | `<REPO>:managed-image-<slug>` | `werf-managed-images/<project>:<slug>` |
| metadata by commit | `<REPO>:image-metadata-by-commit-<slug>-<commit>` | `werf-images-metadata-by-commit/<project>:<slug>-<commit>` |

In a registry a record is a manifest-only image (a config with labels, no layers); locally it is a tiny imported
image carrying the labels. `<slug>` spells `/` as `__slash__`, `+` as `__plus__` and the nameless image as
`__nameless__`. Like werf, image names with upper-case letters are not recorded (they cannot be part of a tag).
"""

from __future__ import annotations

import io
import json
import re
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from werf_core.hashing import murmur_hash
from werf_core.registry.protocol import Registry
from werf_core.storage.base import StagesStorage

if TYPE_CHECKING:
    import docker

    from werf_core.storage.local import LocalStagesStorage

MANAGED_IMAGE_PREFIX = "managed-image-"
METADATA_PREFIX = "image-metadata-by-commit-"
NAMELESS = "__nameless__"
CONTENT_SIGNATURE_LABEL = "ContentSignature"
TAG_MAX = 128
LOCAL_MANAGED_REPOSITORY = "werf-managed-images"
LOCAL_METADATA_REPOSITORY = "werf-images-metadata-by-commit"
_COMMIT = re.compile(r"[0-9a-f]{7,64}")


def image_name_slug(name: str | None) -> str:
    if not name:
        return NAMELESS
    return name.replace("/", "__slash__").replace("+", "__plus__")


def image_name_from_slug(slug: str) -> str | None:
    if slug == NAMELESS:
        return None
    return slug.replace("__slash__", "/").replace("__plus__", "+")


def recordable(name: str | None) -> bool:
    """werf silently skips names that cannot become part of a docker tag (upper-case letters)."""
    return name is None or name == name.lower()


def metadata_tag(name: str | None, commit: str) -> str:
    """`image-metadata-by-commit-<slug>-<commit>`, with the image part shortened (and `-` → `_`) beyond 128 chars."""
    slug = image_name_slug(name)
    tag = f"{METADATA_PREFIX}{slug}-{commit}"
    if len(tag) <= TAG_MAX:
        return tag
    room = TAG_MAX - len(METADATA_PREFIX) - len(commit) - 1
    suffix = murmur_hash(slug)
    short = f"{slug[:max(0, room - len(suffix) - 1)]}-{suffix}".replace("-", "_")
    return f"{METADATA_PREFIX}{short}-{commit}"


def parse_managed_tag(tag: str) -> str | None | Literal[False]:
    """The image name a managed-image tag records; False when `tag` is not such a record."""
    if not tag.startswith(MANAGED_IMAGE_PREFIX) or len(tag) == len(MANAGED_IMAGE_PREFIX):
        return False
    return image_name_from_slug(tag[len(MANAGED_IMAGE_PREFIX):])


@dataclass(frozen=True)
class ImageMetadata:
    content_digest: str


class StageRecords(Protocol):
    def managed_images(self, project: str) -> list[str | None]: ...
    def add_managed_image(self, project: str, name: str | None) -> bool: ...
    def remove_managed_image(self, project: str, name: str | None) -> None: ...
    def image_metadata(self, project: str, name: str | None, commit: str) -> ImageMetadata | None: ...
    def put_image_metadata(self, project: str, name: str | None, commit: str, content_digest: str) -> None: ...
    def metadata_commits(self, project: str, name: str | None) -> list[str]: ...
    def remove_image_metadata(self, project: str, name: str | None, commit: str) -> None: ...


# ====================================================================== registry

class RegistryRecords:
    """Records as manifest-only images in the stages repository."""

    def __init__(self, repository: str, registry: Registry,
                 listing: Callable[[], set[str] | None] | None = None) -> None:
        self.repository = repository
        self.registry = registry
        # the stages storage's listing of this repository, when the build made one (no request): `() -> set | None`
        self.listing = listing or (lambda: None)

    def _ref(self, tag: str) -> str:
        return f"{self.repository}:{tag}"

    def managed_images(self, project: str) -> list[str | None]:
        names: list[str | None] = []
        for tag in self.registry.list_tags(self.repository):
            name = parse_managed_tag(tag)
            if name is not False:
                names.append(name)
        return sorted(names, key=lambda n: n or "")

    def add_managed_image(self, project: str, name: str | None) -> bool:
        """Write the record unless it exists; True if it was written now."""
        if not recordable(name):
            return False
        tag = MANAGED_IMAGE_PREFIX + image_name_slug(name)
        ref = self._ref(tag)
        listed = self.listing()
        if listed is not None:
            # the build's listing answers; a record another runner wrote since is only rewritten (same content)
            if tag in listed:
                return False
        elif self.registry.head_manifest(ref) is not None:
            return False
        self.registry.push_manifest_only_image(ref, {"werf": project})
        return True

    def remove_managed_image(self, project: str, name: str | None) -> None:
        if recordable(name):
            self.registry.delete_tag(self._ref(MANAGED_IMAGE_PREFIX + image_name_slug(name)))

    def image_metadata(self, project: str, name: str | None, commit: str) -> ImageMetadata | None:
        if not recordable(name):
            return None
        info = self.registry.image_info(self._ref(metadata_tag(name, commit)), check_layers=False)
        if info is None or CONTENT_SIGNATURE_LABEL not in info.labels:
            return None
        return ImageMetadata(info.labels[CONTENT_SIGNATURE_LABEL])

    def put_image_metadata(self, project: str, name: str | None, commit: str, content_digest: str) -> None:
        if recordable(name):
            self.registry.push_manifest_only_image(self._ref(metadata_tag(name, commit)),
                                                   {"werf": project, CONTENT_SIGNATURE_LABEL: content_digest})

    def metadata_commits(self, project: str, name: str | None) -> list[str]:
        prefix = f"{METADATA_PREFIX}{image_name_slug(name)}-"
        commits = [t[len(prefix):] for t in self.registry.list_tags(self.repository) if t.startswith(prefix)]
        return sorted(c for c in commits if _COMMIT.fullmatch(c))

    def remove_image_metadata(self, project: str, name: str | None, commit: str) -> None:
        if recordable(name):
            self.registry.delete_tag(self._ref(metadata_tag(name, commit)))


# ====================================================================== local Docker engine

def _empty_tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w"):
        pass
    return buf.getvalue()


class LocalRecords:
    """Records as tiny labelled images in the local Docker engine."""

    def __init__(self, client: docker.DockerClient | None = None, *,
                 storage: LocalStagesStorage | None = None) -> None:
        """`client`, or the local `storage` whose client (made when first needed) and inspections it shares: an
        existing record then costs no docker-py import."""
        self._client = client
        self._storage = storage

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            assert self._storage is not None, "LocalRecords needs a client or a storage"
            self._client = self._storage.client
        return self._client

    def _exists(self, reference: str) -> dict[str, Any] | None:
        if self._storage is not None:
            return self._storage.inspect_image(reference)
        import docker.errors
        try:
            info: dict[str, Any] = self.client.api.inspect_image(reference)
            return info
        except docker.errors.ImageNotFound:
            return None

    def _write(self, repository: str, tag: str, labels: dict[str, str]) -> None:
        changes = ["LABEL " + " ".join(f"{json.dumps(k)}={json.dumps(v)}" for k, v in labels.items())]
        self.client.api.import_image_from_data(_empty_tar(), repository=repository, tag=tag, changes=changes)

    def _remove(self, reference: str) -> None:
        import docker.errors
        try:
            self.client.api.remove_image(reference)
        except docker.errors.ImageNotFound:
            pass

    def _tags(self, repository: str) -> list[str]:
        tags = []
        for image in self.client.api.images(name=repository):
            for ref in image.get("RepoTags") or []:
                repo, _, tag = ref.rpartition(":")
                if repo == repository:
                    tags.append(tag)
        return tags

    def managed_images(self, project: str) -> list[str | None]:
        names = [image_name_from_slug(t) for t in self._tags(f"{LOCAL_MANAGED_REPOSITORY}/{project}")]
        return sorted(names, key=lambda n: n or "")

    def add_managed_image(self, project: str, name: str | None) -> bool:
        if not recordable(name):
            return False
        repository = f"{LOCAL_MANAGED_REPOSITORY}/{project}"
        if self._exists(f"{repository}:{image_name_slug(name)}"):
            return False
        self._write(repository, image_name_slug(name), {"werf": project})
        return True

    def remove_managed_image(self, project: str, name: str | None) -> None:
        if recordable(name):
            self._remove(f"{LOCAL_MANAGED_REPOSITORY}/{project}:{image_name_slug(name)}")

    def _metadata_ref(self, project: str, name: str | None, commit: str) -> tuple[str, str]:
        tag = metadata_tag(name, commit)[len(METADATA_PREFIX):]
        return f"{LOCAL_METADATA_REPOSITORY}/{project}", tag

    def image_metadata(self, project: str, name: str | None, commit: str) -> ImageMetadata | None:
        if not recordable(name):
            return None
        repository, tag = self._metadata_ref(project, name, commit)
        info = self._exists(f"{repository}:{tag}")
        labels = ((info or {}).get("Config") or {}).get("Labels") or {}
        return ImageMetadata(labels[CONTENT_SIGNATURE_LABEL]) if CONTENT_SIGNATURE_LABEL in labels else None

    def put_image_metadata(self, project: str, name: str | None, commit: str, content_digest: str) -> None:
        if recordable(name):
            repository, tag = self._metadata_ref(project, name, commit)
            self._write(repository, tag, {"werf": project, CONTENT_SIGNATURE_LABEL: content_digest})

    def metadata_commits(self, project: str, name: str | None) -> list[str]:
        prefix = f"{image_name_slug(name)}-"
        tags = self._tags(f"{LOCAL_METADATA_REPOSITORY}/{project}")
        return sorted(t[len(prefix):] for t in tags if t.startswith(prefix) and _COMMIT.fullmatch(t[len(prefix):]))

    def remove_image_metadata(self, project: str, name: str | None, commit: str) -> None:
        if recordable(name):
            repository, tag = self._metadata_ref(project, name, commit)
            self._remove(f"{repository}:{tag}")


def records_for(storage: StagesStorage) -> StageRecords | None:
    """The records of a stages storage, where werf keeps them; None for storages without records (test doubles)."""
    from werf_core.storage.local import LocalStagesStorage
    from werf_core.storage.registry_storage import RegistryStagesStorage
    if isinstance(storage, LocalStagesStorage):
        return LocalRecords(storage=storage)
    if isinstance(storage, RegistryStagesStorage):
        return RegistryRecords(storage.address, storage.registry, storage.listed)
    return None
