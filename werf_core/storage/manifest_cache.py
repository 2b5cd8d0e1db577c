"""The host manifest cache: what a registry said about a stage image, kept on disk so it is asked only once.

A stage image never changes under its name (`<digest>-<uniqueID>` is written once), so its description — image ID,
labels, size, creation time — can be remembered for good. With the stages-storage cache answering "which stages
exist" and this cache answering "what does each look like", an idle build sends no request to the registry at all.

Layout (werf's, minus its version folder): `<werf home>/local_cache/manifests/<slug(storage)>/<sha256(image name)>`,
JSON `{"AccessTimestamp": <unix s>, "Info": <ImageInfo in werf's field names>}`. Files are written to a temporary
name and renamed into place, so concurrent builds read the old or the new entry, never half of one. A file that
cannot be parsed is treated as absent (and overwritten on the next store). `WERF_DISABLE_MANIFEST_CACHE=1` turns
the cache off (every lookup then asks the registry).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import replace
from pathlib import Path

from werf_core import paths
from werf_core.fsutil import atomic_write
from werf_core.hashing import murmur_hash
from werf_core.registry.image_info import ImageInfo

DISABLE_ENV = "WERF_DISABLE_MANIFEST_CACHE"
_PLAIN_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_MAX = 53   # werf's default slug length: room for a readable part plus the hash suffix


def storage_slug(address: str) -> str:
    """A directory name for a storage address: kept as is when already a plain slug, else slug + murmur hash.

    The hash of the original text keeps `a/b-c` and `a-b/c` apart even though both slug to `a-b-c`.
    """
    if _PLAIN_SLUG.fullmatch(address) and len(address) <= SLUG_MAX:
        return address
    readable = re.sub(r"[^a-z0-9]+", "-", address.lower()).strip("-")
    suffix = murmur_hash(address)
    room = SLUG_MAX - len(suffix) - 1
    readable = readable[:room].rstrip("-")
    return f"{readable}-{suffix}" if readable else suffix


def cache_disabled() -> bool:
    return os.environ.get(DISABLE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


class ManifestCache:
    """Image descriptions of one storage (registry repository), by full image name."""

    def __init__(self, storage_address: str) -> None:
        self.storage_address = storage_address

    @property
    def directory(self) -> Path:
        # resolved on every use: WERF_HOME may change between calls (tests, --home-dir)
        return paths.werf_home() / "local_cache" / "manifests" / storage_slug(self.storage_address)

    def path_of(self, image_name: str) -> Path:
        return self.directory / hashlib.sha256(image_name.encode()).hexdigest()

    def get(self, image_name: str) -> ImageInfo | None:
        if cache_disabled():
            return None
        try:
            document = json.loads(self.path_of(image_name).read_text())
            info = ImageInfo.from_json(document["Info"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        # Two names hashing alike is practically impossible; a hand-copied file naming another image is not.
        return info if info.name == image_name else None

    def put(self, image_name: str, info: ImageInfo) -> None:
        if cache_disabled():
            return
        if info.name != image_name:
            info = replace(info, name=image_name)
        text = json.dumps({"AccessTimestamp": int(time.time()), "Info": info.to_json()}, separators=(",", ":"))
        atomic_write(self.path_of(image_name), text)

    def delete(self, image_name: str) -> None:
        """Forget one image (it was deleted, rejected, or found different from what we remembered)."""
        try:
            self.path_of(image_name).unlink()
        except FileNotFoundError:
            pass
