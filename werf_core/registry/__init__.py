"""A Docker/OCI registry client (Distribution API over httpx): tags, manifests, configs, deletes, auth, retries.

`httpx` is imported only when a request is made, so importing this package stays cheap on CLI paths.
"""

from werf_core.registry.client import RegistryClient
from werf_core.registry.counter import RequestCounter
from werf_core.registry.errors import BrokenImageError, ImageNotFoundError, RegistryAuthError, RegistryUnreachableError
from werf_core.registry.image_info import ImageInfo
from werf_core.registry.manifest import Descriptor, Manifest, ManifestIndex, Platform
from werf_core.registry.record_image import RECORD_NAME_LABEL
from werf_core.registry.reference import ImageReference, InvalidReferenceError

__all__ = [
    "RegistryClient", "RequestCounter", "ImageReference", "InvalidReferenceError", "ImageInfo", "Manifest",
    "ManifestIndex", "Descriptor", "Platform", "BrokenImageError", "ImageNotFoundError", "RegistryAuthError",
    "RegistryUnreachableError", "RECORD_NAME_LABEL",
]
