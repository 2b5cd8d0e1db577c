"""The Prefect cache key of a stage task: the stage digest, namespaced by project and stages storage.

    werf-stage.<project>.<stages storage slug>.<digest>

The digest alone already covers everything that decides the stage's content (it chains the stage name, its inputs
and the previous stage). The project and the stages storage are added because the same digest stored in two
storages (`:local` on a laptop, a registry in CI) are two different stage images, and the cached answer names the
image. The key is a file name (directory storage) and a ConfigMap data key (Kubernetes storage), so it keeps to
`[A-Za-z0-9._-]` and well under the 253 characters a ConfigMap key may have. This module imports nothing heavy: the
key is computed for every stage.
"""

from __future__ import annotations

import hashlib
import re

KEY_PREFIX = "werf-stage"
_PLAIN = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_DIGEST = re.compile(r"^[0-9a-f]{16,128}$")
_KEY = re.compile(r"^werf-stage\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[0-9a-f]{16,128}$")


def key_component(value: str) -> str:
    """`value` itself when it is already safe, else a readable slug plus a short hash of the original.

    The hash keeps two values apart that slug alike (`registry:5000/a` and `registry-5000/a`).
    """
    if not value:
        raise ValueError("an empty value cannot be part of a stage cache key")
    if _PLAIN.match(value):
        return value
    slug = _UNSAFE.sub("-", value).strip("-")[:60] or "x"
    return f"{slug}-{hashlib.sha256(value.encode()).hexdigest()[:10]}"


def stage_cache_key(project: str, stages_storage: str, digest: str) -> str:
    if not _DIGEST.match(digest or ""):
        raise ValueError(f"not a stage digest: {digest!r}")
    return ".".join((KEY_PREFIX, key_component(project), key_component(stages_storage.strip()), digest))


def is_stage_cache_key(key: str) -> bool:
    """Records under any other name are not stage answers (Prefect also stores failure payloads by UUID)."""
    return bool(_KEY.match(key or ""))
