"""Files shared between processes: atomic replacement (readers see old or new, never half) and host file locks."""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def atomic_write(path: str | os.PathLike, content: str | bytes, *, mode: int | None = None) -> Path:
    """Write `content` beside `path` (same directory, so the rename stays on one filesystem) and rename it into place.

    Parent directories are created. `mode` sets the permissions before the file becomes visible (mkstemp makes it
    0600, which suits secrets; pass e.g. 0o644 for files others read).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb" if isinstance(content, bytes) else "w") as f:
            f.write(content)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


@contextmanager
def exclusive_file_lock(path: str | os.PathLike) -> Iterator[None]:
    """Hold `flock(LOCK_EX)` on `path` (created if missing) for the block; the kernel frees it if the process dies."""
    lock_path = Path(path)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


IN_USE_MARKER = ".werf-in-use.lock"


def hold_in_use_marker(directory: str | os.PathLike) -> int:
    """Mark a temporary directory as in use by this process (a held flock on a marker file inside it).

    `werf host cleanup` removes leftover directories of killed builds; it never touches one whose marker is held.
    Returns the descriptor; closing it (or the process dying) ends the mark.
    """
    fd = os.open(Path(directory) / IN_USE_MARKER, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def in_use_marker_held(directory: str | os.PathLike) -> bool | None:
    """True if a live process holds the directory's marker, False if the marker is free, None if there is none."""
    try:
        fd = os.open(Path(directory) / IN_USE_MARKER, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)
