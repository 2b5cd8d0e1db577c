"""Publishing stages to a registry with our own client (no `docker push`).

- A layer-native stage (`push_layer_stage`): the parent stage's manifest and config are read (two small requests, no
  layer), the new layer blob is uploaded unless the repository has it, then the new config, then a manifest that
  reuses the parent's layers and adds the new one. Nothing is pulled and the engine is not involved.
- A stage the engine built (`push_engine_image`): the image's layers come from `docker save`; those the parent stage
  (or the base image, when it lives on the same registry) already has in the registry are reused or mounted, only the
  others are compressed and uploaded.

Every blob is confirmed (uploaded, present, or mounted) before the manifest is PUT, and the manifest PUT is the only
thing that makes the tag visible, so a failure never leaves a stage naming a missing blob.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from werf_core import paths
from werf_core.layers.config import ConfigChanges, append_layer, canonical_json
from werf_core.layers.engine_export import ExportError, export_layers
from werf_core.layers.writer import Layer
from werf_core.registry.image_info import ImageInfo
from werf_core.registry.manifest import (
    DOCKER_CONFIG,
    DOCKER_LAYER,
    DOCKER_MANIFEST,
    OCI_CONFIG,
    OCI_LAYER,
    OCI_MANIFEST,
    Descriptor,
    Manifest,
    manifest_document,
)
from werf_core.registry.reference import ImageReference
from werf_core.registry.retry import restartable


def _types(manifest_type: str) -> tuple[str, str, str]:
    if manifest_type == OCI_MANIFEST:
        return OCI_MANIFEST, OCI_CONFIG, OCI_LAYER
    return DOCKER_MANIFEST, DOCKER_CONFIG, DOCKER_LAYER


def _put_manifest(registry: Any, name: str, config: Descriptor, layers: list[Descriptor], media_type: str
                  ) -> Manifest:
    """PUT the manifest — called only once every blob it names is confirmed."""
    raw = manifest_document(config, layers, media_type)
    digest: list[str] = []
    restartable(lambda: digest.append(registry.put_manifest(name, raw, media_type)), what=f"pushing manifest {name}")
    return Manifest(digest=digest[-1], media_type=media_type, config=config, layers=tuple(layers), raw=raw)


def _info(name: str, manifest: Manifest, config: dict[str, Any]) -> ImageInfo:
    return ImageInfo.from_manifest_and_config(ImageReference.parse(name), manifest, config)


def push_layer_stage(registry: Any, repository: str, name: str, parent_name: str, parent_id: str,
                     parent: tuple[Manifest, bytes], layer: Layer | None, changes: ConfigChanges
                     ) -> tuple[ImageInfo, Manifest, bytes]:
    """Publish `parent` + `layer` (+ `changes`) as `name`; returns its description, manifest and config bytes."""
    parent_manifest, parent_config = parent
    manifest_type, config_type, layer_type = _types(parent_manifest.media_type)
    config = append_layer(json.loads(parent_config), layer, changes, parent_id=parent_id)
    layers = list(parent_manifest.layers)
    if layer is not None:
        layers.append(registry.upload_blob_file(repository, layer.path, layer.digest, layer.size, layer_type))
    raw = canonical_json(config)
    # a new stage's config carries its own creation time and labels: new by construction, so no existence check
    config_descriptor = registry.upload_blob_restartable(repository, raw, config_type, check_exists=False)
    manifest = _put_manifest(registry, name, config_descriptor, layers, manifest_type)
    return _info(name, manifest, config), manifest, raw


def _known_layers(registry: Any, stages_repository: str, parent_ref: str,
                  documents: tuple[Manifest, bytes] | None = None) -> tuple[str, dict[str, Descriptor]]:
    """diff_id -> descriptor of the image the engine built from, when it is in the same registry (its manifest and
    config from `documents` when the caller has them, else read)."""
    try:
        ref = ImageReference.parse(parent_ref)
        stages = ImageReference.parse(stages_repository)
    except ValueError:
        return "", {}
    if not ref.same_registry(stages) or not (ref.tag or ref.digest):
        return "", {}
    found = documents if documents is not None else registry.manifest_and_config(ref)
    if found is None:
        return "", {}
    manifest, raw = found
    diff_ids = (json.loads(raw).get("rootfs") or {}).get("diff_ids") or []
    if len(diff_ids) != len(manifest.layers):
        return "", {}
    return ref.name, dict(zip(diff_ids, manifest.layers, strict=True))


def _mount(registry: Any, source: str, repository: str, descriptor: Descriptor) -> None:
    restartable(lambda: registry.mount_or_copy_blob(source, repository, descriptor),
                what=f"mounting blob {descriptor.digest}")


def push_engine_image(registry: Any, engine: Any, image_id: str, repository: str, name: str, *,
                      parent_ref: str = "", parent_documents: tuple[Manifest, bytes] | None = None
                      ) -> tuple[ImageInfo, Manifest, bytes]:
    """Publish the engine's image `image_id` as `name`, uploading only the layers the registry does not have;
    returns its description, manifest and config bytes.

    The layers of `parent_ref` (default: the image's Config.Image), when it is in the same registry, are reused
    (mounted if it lives in another repository) and never exported or compressed."""
    inspect = engine.api.inspect_image(image_id)
    diff_ids = list((inspect.get("RootFS") or {}).get("Layers") or [])
    parent_ref = parent_ref or (inspect.get("Config") or {}).get("Image") or ""
    source, known = _known_layers(registry, repository, parent_ref, parent_documents) if parent_ref else ("", {})
    work = Path(tempfile.mkdtemp(prefix="werf-export-", dir=paths.tmp_dir()))
    try:
        try:
            exported = export_layers(engine, image_id, diff_ids, set(known), work)
        except ExportError as err:
            from werf_core.errors import StorageError
            raise StorageError(f"cannot read the layers of {image_id} from the Docker engine: {err}",
                               hint="check `docker save` of the image; nothing was published") from None
        manifest_type, config_type, layer_type = DOCKER_MANIFEST, DOCKER_CONFIG, DOCKER_LAYER
        layers: list[Descriptor] = []
        for diff_id in diff_ids:
            if diff_id in exported.layers:
                layer = exported.layers[diff_id]
                layers.append(registry.upload_blob_file(repository, layer.path, layer.digest, layer.size,
                                                        layer_type))
                continue
            descriptor = known[diff_id]
            if source and source != ImageReference.parse(repository).name \
                    and not registry.blob_exists(repository, descriptor.digest):
                _mount(registry, source, repository, descriptor)
            layers.append(Descriptor(media_type=layer_type if descriptor.media_type in (DOCKER_LAYER, OCI_LAYER)
                                     else descriptor.media_type, digest=descriptor.digest, size=descriptor.size))
        config_descriptor = registry.upload_blob_restartable(repository, exported.config, config_type)
        manifest = _put_manifest(registry, name, config_descriptor, layers, manifest_type)
        return _info(name, manifest, json.loads(exported.config)), manifest, exported.config
    finally:
        import shutil
        shutil.rmtree(work, ignore_errors=True)
