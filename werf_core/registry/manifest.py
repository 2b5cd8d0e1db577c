"""Manifests as the registry returns them: Docker v2 schema 2 and OCI image manifests, manifest lists / OCI indexes.

Parsing is pure (bytes in, records out); the client fetches. A digest is always the sha256 of the exact bytes the
registry serves, so records keep `raw` for copying between repositories byte for byte.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from werf_core.errors import RegistryError

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_SCHEMA1 = ("application/vnd.docker.distribution.manifest.v1+json",
                  "application/vnd.docker.distribution.manifest.v1+prettyjws")
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"

IMAGE_MANIFEST_TYPES = (DOCKER_MANIFEST, OCI_MANIFEST)
INDEX_TYPES = (DOCKER_MANIFEST_LIST, OCI_INDEX)
# Sent as Accept on every manifest request; without it registries may down-convert to schema 1.
ACCEPT_MANIFESTS = ", ".join(IMAGE_MANIFEST_TYPES + INDEX_TYPES)


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class UnsupportedManifestError(RegistryError):
    """A manifest we cannot use (schema 1, unknown media type, malformed JSON)."""


@dataclass(frozen=True)
class Platform:
    os: str
    architecture: str
    variant: str | None = None

    @classmethod
    def parse(cls, text: str) -> Platform:
        """`os/arch[/variant]`, as in `docker pull --platform` (e.g. `linux/amd64`, `linux/arm64/v8`)."""
        parts = text.strip().split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise ValueError(f"platform {text!r} must look like os/architecture[/variant], e.g. linux/amd64")
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else None)

    def matches(self, other: Platform) -> bool:
        """True if `other` (a platform from an index) satisfies this wanted platform; no variant wanted = any."""
        if (self.os, self.architecture) != (other.os, other.architecture):
            return False
        return self.variant is None or self.variant == other.variant

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


DEFAULT_PLATFORM = Platform("linux", "amd64")


@dataclass(frozen=True)
class Descriptor:
    """A content-addressed pointer: a blob (config, layer) or a child manifest."""

    media_type: str
    digest: str
    size: int
    platform: Platform | None = None
    urls: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any], *, where: str) -> Descriptor:
        try:
            platform = None
            if isinstance(data.get("platform"), dict):
                p = data["platform"]
                platform = Platform(p.get("os", ""), p.get("architecture", ""), p.get("variant") or None)
            return cls(media_type=data.get("mediaType", ""), digest=data["digest"], size=int(data.get("size", 0)),
                       platform=platform, urls=tuple(data.get("urls") or ()))
        except (KeyError, TypeError, ValueError) as err:
            raise UnsupportedManifestError(f"malformed descriptor in {where}: {err!r}") from None

    @property
    def is_foreign(self) -> bool:
        """Layers hosted elsewhere (Windows base layers): registries do not store them, so they are never copied."""
        return bool(self.urls) or "foreign" in self.media_type or "nondistributable" in self.media_type

    def to_json(self) -> dict[str, Any]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


@dataclass(frozen=True)
class Manifest:
    """One image manifest: a config blob plus layers. `index_digest` is set when resolved through a list/index."""

    digest: str
    media_type: str
    config: Descriptor
    layers: tuple[Descriptor, ...]
    raw: bytes = field(repr=False)
    index_digest: str | None = None
    index_media_type: str | None = None
    platform: Platform | None = None

    @property
    def size(self) -> int:
        """Compressed size of all layers — what a pull transfers (werf reports this as the image size)."""
        return sum(layer.size for layer in self.layers)

    @property
    def blobs(self) -> tuple[Descriptor, ...]:
        return (self.config, *self.layers)


@dataclass(frozen=True)
class ManifestIndex:
    """A Docker manifest list or an OCI index: one manifest per platform."""

    digest: str
    media_type: str
    manifests: tuple[Descriptor, ...]
    raw: bytes = field(repr=False)

    def select(self, wanted: Platform, *, where: str) -> Descriptor:
        for descriptor in self.manifests:
            if descriptor.platform and wanted.matches(descriptor.platform):
                return descriptor
        available = ", ".join(str(d.platform) for d in self.manifests if d.platform) or "none"
        raise RegistryError(f"{where} has no image for platform {wanted} (available: {available})",
                            hint="pick one of the available platforms")


def parse_manifest_document(raw: bytes, content_type: str | None, *, digest: str | None, where: str
                            ) -> Manifest | ManifestIndex:
    """Parse the bytes of a manifest response. `digest` defaults to the sha256 of `raw`."""
    try:
        document = json.loads(raw)
    except ValueError:
        raise UnsupportedManifestError(f"{where}: the registry returned a manifest that is not JSON") from None
    if not isinstance(document, dict):
        raise UnsupportedManifestError(f"{where}: the manifest is not a JSON object")
    media_type = _media_type(document, content_type)
    digest = digest or sha256_digest(raw)
    if media_type in DOCKER_SCHEMA1 or document.get("schemaVersion") == 1:
        raise UnsupportedManifestError(
            f"{where} uses the deprecated Docker image manifest schema 1",
            hint="re-push the image with a current Docker or buildah (schema 2 / OCI)")
    if media_type in INDEX_TYPES:
        children = tuple(Descriptor.from_json(d, where=where) for d in document.get("manifests") or ())
        return ManifestIndex(digest=digest, media_type=media_type, manifests=children, raw=raw)
    if media_type in IMAGE_MANIFEST_TYPES:
        if not isinstance(document.get("config"), dict):
            raise UnsupportedManifestError(f"{where}: the image manifest has no config descriptor")
        return Manifest(digest=digest, media_type=media_type,
                        config=Descriptor.from_json(document["config"], where=where),
                        layers=tuple(Descriptor.from_json(d, where=where) for d in document.get("layers") or ()),
                        raw=raw)
    raise UnsupportedManifestError(f"{where} has unsupported manifest media type {media_type!r}",
                                   hint="only Docker schema 2 and OCI image manifests and indexes are supported")


def _media_type(document: dict[str, Any], content_type: str | None) -> str:
    declared = document.get("mediaType")
    if isinstance(declared, str) and declared:
        return declared
    header = (content_type or "").split(";")[0].strip()
    if header in IMAGE_MANIFEST_TYPES + INDEX_TYPES + DOCKER_SCHEMA1:
        return header
    # OCI allows omitting mediaType; the shape tells an index from an image manifest.
    if "manifests" in document:
        return OCI_INDEX
    if "config" in document:
        return OCI_MANIFEST
    return header


def manifest_document(config: Descriptor, layers: list[Descriptor] | tuple[Descriptor, ...] = (),
                      media_type: str = DOCKER_MANIFEST) -> bytes:
    """Serialise an image manifest (canonical compact JSON, so equal inputs give equal digests)."""
    document = {"schemaVersion": 2, "mediaType": media_type, "config": config.to_json(),
                "layers": [layer.to_json() for layer in layers]}
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
