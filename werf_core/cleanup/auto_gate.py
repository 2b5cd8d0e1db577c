"""Whether the automatic host cleanup after a build is due: decided in the build's own process, in milliseconds.

The cleanup itself runs in a process of its own (a Python start, the Docker SDK: about a CPU-second), so starting
it after every build would cost more than an idle build; on a runner that builds all day, or with several runners on
one machine, those processes compete with the builds that follow. What it removes does not need that: leftovers
(containers, temporary directories, dangling images) are only removed once older than `MIN_AGE` (10 minutes), so
looking every `AUTO_INTERVAL` delays a removal by at most that much; and the LRU GC of stage images is needed only
when the Docker volume is above the allowed usage, which is checked on every build (one engine request and a
statvfs, where the engine's root directory is visible from this host).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

from werf_core import paths

AUTO_DISABLE_ENV = "WERF_DISABLE_AUTO_HOST_CLEANUP"
AUTO_INTERVAL = 300.0


def auto_cleanup_disabled(environ: dict[str, str] | None = None) -> bool:
    value = (os.environ if environ is None else environ).get(AUTO_DISABLE_ENV, "")
    return value.strip().lower() in ("1", "true", "yes")


def stamp_path(project: str) -> Path:
    """When this project's last automatic cleanup started (the file's mtime)."""
    name = hashlib.sha256(project.encode()).hexdigest()[:16]
    return paths.werf_home() / "service" / "auto-host-cleanup" / name


def cleanup_due(stamp: Path, *, allowed_usage: float, usage_percent: Callable[[], float | None],
                now: float | None = None, interval: float = AUTO_INTERVAL) -> bool:
    """Due when the last run started `interval` ago or more (or never, or in the future: a clock that moved back),
    or when the Docker volume is above `allowed_usage` % (`usage_percent` answers None where it cannot tell)."""
    now = time.time() if now is None else now
    try:
        last = stamp.stat().st_mtime
    except OSError:
        return True
    if not 0 <= now - last < interval:
        return True
    percent = usage_percent()
    return percent is not None and percent > allowed_usage


def mark_started(stamp: Path, now: float | None = None) -> None:
    """Record a start (before the process is started, so that concurrent builds mostly leave it to this one)."""
    now = time.time() if now is None else now
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.touch()
    os.utime(stamp, (now, now))
