"""What the rest of werf_core needs from a registry client: the seam `RegistryClient` implements.

Code that reads or writes images (stages storage, stages sync, publishing) takes a `Registry`, so it states which
operations it relies on and tests can hand it any object with these methods.
"""

from __future__ import annotations

from typing import Any, Protocol

from werf_core.registry.image_info import ImageInfo
from werf_core.registry.manifest import Descriptor, Manifest, Platform
from werf_core.registry.reference import ImageReference

ImageRef = ImageReference | str


class Registry(Protocol):
    def list_tags(self, repository: ImageRef, *, page_size: int | None = None) -> list[str]: ...

    def head_manifest(self, ref: ImageRef) -> str | None: ...

    def get_manifest(self, ref: ImageRef, platform: Platform | str | None = None) -> Manifest | None: ...

    def put_manifest(self, ref: ImageRef, raw: bytes, media_type: str) -> str: ...

    def get_config(self, ref: ImageRef, platform: Platform | str | None = None) -> dict[str, Any]: ...

    def manifest_and_config(self, ref: ImageRef) -> tuple[Manifest, bytes] | None: ...

    def image_info(self, ref: ImageRef, *, platform: Platform | str | None = None,
                   check_layers: bool = True) -> ImageInfo | None: ...

    def delete_tag(self, ref: ImageRef) -> bool: ...

    def blob_exists(self, repository: ImageRef, digest: str) -> bool: ...

    def upload_blob(self, repository: ImageRef, data: bytes, media_type: str = "application/octet-stream",
                    *, check_exists: bool = True) -> Descriptor: ...

    def push_manifest_only_image(self, ref: ImageRef, labels: dict[str, str]) -> str: ...

    def mount_or_copy_blob(self, source: ImageRef, destination: ImageRef, descriptor: Descriptor) -> str: ...

    def copy_image(self, source: ImageRef, destination: ImageRef) -> str: ...

    def close(self) -> None: ...
