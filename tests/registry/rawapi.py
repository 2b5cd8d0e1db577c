"""Pushing test images with plain httpx calls, independent of the client under test.

Images are made of random bytes so that every test owns its blobs: deleting one from the registry's filesystem never
breaks another test's image.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass

import httpx

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class PushedImage:
    repository: str
    tag: str | None
    digest: str             # manifest digest
    config_digest: str
    layer_digests: list[str]
    layer_sizes: list[int]
    media_type: str
    config: dict


class RawRegistryAPI:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def put_blob(self, repository: str, data: bytes) -> str:
        digest = digest_of(data)
        start = httpx.post(f"{self.base_url}/v2/{repository}/blobs/uploads/", timeout=10)
        assert start.status_code == 202, start.text
        location = httpx.URL(self.base_url).join(start.headers["Location"])
        done = httpx.put(location.copy_merge_params({"digest": digest}), content=data,
                         headers={"Content-Type": "application/octet-stream"}, timeout=10)
        assert done.status_code == 201, done.text
        return digest

    def put_manifest(self, repository: str, reference: str, document: dict, media_type: str) -> str:
        raw = json.dumps(document, indent=3).encode()   # deliberately non-compact: digests cover exact bytes
        response = httpx.put(f"{self.base_url}/v2/{repository}/manifests/{reference}", content=raw,
                             headers={"Content-Type": media_type}, timeout=10)
        assert response.status_code == 201, response.text
        return digest_of(raw)

    def push_image(self, repository: str, tag: str | None, *, oci: bool = False, labels: dict | None = None,
                   layers: int = 2, architecture: str = "amd64", variant: str | None = None,
                   parent: str | None = None, created: str = "2024-05-06T07:08:09.123456789Z") -> PushedImage:
        layer_blobs = [os.urandom(1000 + 10 * i) for i in range(layers)]
        config = {"architecture": architecture, "os": "linux", "created": created,
                  "config": {"Labels": labels or {}, **({"Image": parent} if parent else {})},
                  "rootfs": {"type": "layers", "diff_ids": [digest_of(b) for b in layer_blobs]}}
        if variant:
            config["variant"] = variant
        config_bytes = json.dumps(config).encode()
        config_digest = self.put_blob(repository, config_bytes)
        layer_digests = [self.put_blob(repository, blob) for blob in layer_blobs]
        media_type = OCI_MANIFEST if oci else DOCKER_MANIFEST
        document = {"schemaVersion": 2,
                    "config": {"mediaType": OCI_CONFIG if oci else DOCKER_CONFIG, "digest": config_digest,
                               "size": len(config_bytes)},
                    "layers": [{"mediaType": OCI_LAYER if oci else DOCKER_LAYER, "digest": d, "size": len(b)}
                               for d, b in zip(layer_digests, layer_blobs, strict=True)]}
        if not oci:
            document["mediaType"] = media_type   # OCI manifests may omit it; Docker's always carry it
        reference = tag or digest_of(json.dumps(document, indent=3).encode())
        digest = self.put_manifest(repository, reference, document, media_type)
        return PushedImage(repository, tag, digest, config_digest, layer_digests, [len(b) for b in layer_blobs],
                           media_type, config)

    def push_index(self, repository: str, tag: str, children: list[tuple[PushedImage, dict]], *,
                   oci: bool = False) -> str:
        """A manifest list / OCI index over already pushed images; each child comes with its platform dict."""
        media_type = OCI_INDEX if oci else DOCKER_LIST
        manifests = []
        for image, platform in children:
            raw_child = httpx.get(f"{self.base_url}/v2/{repository}/manifests/{image.digest}",
                                  headers={"Accept": image.media_type}, timeout=10).content
            manifests.append({"mediaType": image.media_type, "digest": image.digest, "size": len(raw_child),
                              "platform": platform})
        document = {"schemaVersion": 2, "mediaType": media_type, "manifests": manifests}
        return self.put_manifest(repository, tag, document, media_type)
