"""Making the published image of one tag: the last stage image plus werf's published-image labels.

Two ways, both ending with the tag visible only once complete:

- **At manifest level** (stages in a registry): the new image has the stage's layers and a new config — the stage's
  config with the labels added and `config.Image` pointing at the stage image, which is how the up-to-date check
  recognises it later. Layers missing in the target repository are mounted from the stages repository (those it
  has are left alone), the small config blob is uploaded, the manifest is PUT last. Nothing is pulled and no layer
  is uploaded.
  The config keeps the stage's creation time, so publishing the same stage under the same tag twice gives the
  same image, byte for byte — concurrent publishers cannot disagree.
- **Through the engine** (`:local` stages): a one-line `FROM <stage image ID>` + `LABEL` build (no new layer, no
  container run), `docker push` (the engine skips layers the registry has), then the temporary local tag is removed.
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werf_core.errors import BuildError, StorageError
from werf_core.publish.image_config import apply_image_spec
from werf_core.registry.protocol import Registry

if TYPE_CHECKING:
    import docker

    from werf_core.config.schema.image_spec import ImageSpec
    from werf_core.registry.manifest import Manifest

PUBLISHED_IMAGE_VERSION = "1"


@dataclass(frozen=True)
class PublishedImage:
    image_id: str      # config digest = the image ID Docker shows after a pull
    digest: str        # manifest digest


def published_labels(*, full_name: str, strategy: str, image_name: str | None, meta_tag: str,
                     content_digest: str) -> dict[str, str]:
    """werf v1.1's labels of a published image."""
    return {
        "werf-docker-image-name": full_name,
        "werf-tag-strategy": strategy,
        "werf-image": "true",
        "werf-image-name": image_name or "",
        "werf-image-tag": meta_tag,
        "werf-content-signature": content_digest,
        "werf-image-version": PUBLISHED_IMAGE_VERSION,
    }


def published_config(stage_config: dict[str, Any], labels: dict[str, str], stage_image_id: str,
                     image_spec: ImageSpec | None = None) -> bytes:
    """The stage's image config with the imageSpec edit applied, `labels` added and the stage as parent; canonical
    JSON bytes."""
    config = apply_image_spec(stage_config, image_spec, tuple(labels)) if image_spec else copy.deepcopy(stage_config)
    container = config.get("config")
    if not isinstance(container, dict):
        container = config["config"] = {}
    container["Labels"] = {**(container.get("Labels") or {}), **labels}
    container["Image"] = stage_image_id
    return json.dumps(config, separators=(",", ":"), sort_keys=True).encode()


def publish_by_manifest(registry: Registry, stage_name: str, stage_image_id: str, target: str,
                        labels: dict[str, str], image_spec: ImageSpec | None = None, *,
                        stage_documents: tuple[Manifest, bytes] | None = None) -> PublishedImage:
    """Publish `target` from the stage `stage_name` without moving layers (see the module docstring).

    `stage_documents`: the stage's manifest and raw config when the caller already read them (the stages storage
    of this build), else they are read."""
    from werf_core.registry.manifest import manifest_document
    from werf_core.registry.reference import ImageReference

    found = stage_documents or registry.manifest_and_config(stage_name)
    if found is None:
        raise StorageError(f"stage {stage_name} is no longer in the stages storage",
                           hint="run the build again (it rebuilds what is missing), then publish")
    from werf_core.storage.registry_storage import ensure_blobs, put_manifest_settled

    manifest, raw_config = found
    config = published_config(json.loads(raw_config), labels, stage_image_id, image_spec)
    target_ref = ImageReference.parse(target)
    ensure_blobs(registry, stage_name, target, manifest.layers)
    config_descriptor = registry.upload_blob(target_ref.repository_ref(), config, manifest.config.media_type)
    raw = manifest_document(config_descriptor, manifest.layers, manifest.media_type)
    digest = put_manifest_settled(registry, stage_name, target, raw, manifest.media_type, manifest.layers)
    return PublishedImage(config_descriptor.digest, digest)


def reconfigure_published(registry: Registry, target: str, image_spec: ImageSpec, protected_labels: tuple[str, ...]
                          ) -> PublishedImage:
    """Apply `image_spec` to the image just pushed as `target`, at manifest level: a new config blob and a new
    manifest over the same layers, PUT under the same tag (the engine route cannot remove labels, clear history...)."""
    from werf_core.registry.manifest import manifest_document
    from werf_core.registry.reference import ImageReference

    manifest = registry.get_manifest(target)
    if manifest is None:
        raise StorageError(f"{target} vanished right after it was pushed", hint="publish again")
    config = apply_image_spec(registry.get_config(target), image_spec, protected_labels)
    raw_config = json.dumps(config, separators=(",", ":"), sort_keys=True).encode()
    descriptor = registry.upload_blob(ImageReference.parse(target).repository_ref(), raw_config,
                                      manifest.config.media_type)
    raw = manifest_document(descriptor, manifest.layers, manifest.media_type)
    digest = registry.put_manifest(target, raw, manifest.media_type)
    return PublishedImage(descriptor.digest, digest)


def label_dockerfile(base_image_id: str, labels: dict[str, str]) -> bytes:
    """`FROM <id>` plus one LABEL line; `$` is escaped so the builder does not expand it."""
    pairs = " ".join(f"{json.dumps(k)}={json.dumps(v)}".replace("$", "\\$") for k, v in labels.items())
    return f"FROM {base_image_id}\nLABEL {pairs}\n".encode()


def publish_by_docker(client: docker.DockerClient, stage_image_id: str, target: str, labels: dict[str, str], *,
                      push: Callable[[str], str]) -> PublishedImage:
    """Publish `target` from a local stage image: label build, `push(target)` (returns the digest), untag."""
    import docker.errors

    image_id = None
    try:
        for event in client.api.build(fileobj=io.BytesIO(label_dockerfile(stage_image_id, labels)), rm=True,
                                      forcerm=True, pull=False, decode=True, network_mode="none"):
            if "error" in event:
                raise BuildError(f"cannot label {stage_image_id} for {target}: {event['error']}",
                                 hint="check the Docker engine's log")
            image_id = (event.get("aux") or {}).get("ID") or image_id
    except docker.errors.APIError as err:
        raise BuildError(f"cannot label {stage_image_id} for {target}: {err.explanation or err}",
                         hint="check the Docker engine's log") from None
    if image_id is None:
        raise BuildError(f"the Docker engine built no image for {target}", hint="check the Docker engine's log")
    repository, _, tag = target.rpartition(":")
    client.api.tag(image_id, repository, tag)
    try:
        digest = push(target)
    finally:
        try:
            client.api.remove_image(target, noprune=True)
        except docker.errors.APIError:
            pass
    return PublishedImage(image_id, digest)
