"""Last-use times of local stage images, for the LRU garbage collection of `werf host cleanup`.

Every time a build uses a stage (selects it, builds on it, stores it), the storage records "now" for the stage's
image name in `<werf home>/local_cache/lru_images/1/<sha256(name)>` (JSON `{"name", "lastUsed"}`). The GC removes the
least recently used images first; an image without a record counts as used when it was created.
Records are written atomically (temporary file + rename) and are only hints: a lost record costs nothing but order.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path

from werf_core.fsutil import atomic_write
from werf_core.paths import werf_home

LRU_VERSION = "1"


def lru_dir() -> Path:
    return werf_home() / "local_cache" / "lru_images" / LRU_VERSION


def _record_path(name: str) -> Path:
    return lru_dir() / hashlib.sha256(name.encode()).hexdigest()


def record_use(name: str, *, now: Callable[[], float] = time.time) -> None:
    """Remember that the image `name` was used now. Never fails a build: a record is only a hint."""
    try:
        atomic_write(_record_path(name), json.dumps({"name": name, "lastUsed": now()}) + "\n", mode=0o644)
    except OSError:
        pass


def refresh_use(name: str, *, now: Callable[[], float] = time.time) -> None:
    """`record_use` for an image this host already has a record of (it was pulled, built or loaded here); nothing
    for others. A registry-backed build uses many stages it never brings to this host: a stat each, not a write."""
    if _record_path(name).exists():
        record_use(name, now=now)


def last_use(name: str) -> float | None:
    """When `name` was last used (Unix seconds), or None if never recorded (or unreadable)."""
    try:
        data = json.loads(_record_path(name).read_text())
        return float(data["lastUsed"]) if data.get("name") == name else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def forget(name: str) -> None:
    try:
        _record_path(name).unlink()
    except FileNotFoundError:
        pass
