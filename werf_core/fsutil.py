"""Writing files so that a concurrent reader sees the old content or the new one, never half of either."""

from __future__ import annotations

import os
import tempfile
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
