"""`--as-file`: the script goes to a private file under `<werf home>/service/tmp/ci_env/`, and its path is printed.

The usual call is `. $(werf ci-env gitlab --as-file)`: sourcing a file instead of `eval`-ing captured output keeps
multi-line values intact and lets the job log show a path instead of tokens. The directory keeps at most 100 files;
when it is full, the oldest are removed down to 50, as werf does.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

MAX_SOURCE_FILES = 100
KEEP_AFTER_PRUNE = 50


def source_files_dir(werf_home: Path) -> Path:
    return werf_home / "service" / "tmp" / "ci_env"


def write_source_file(text: str, *, werf_home: Path, suffix: str = "", env_file: bool = False,
                      output_path: Path | None = None) -> Path:
    """Write `text` to `output_path`, or to a new uniquely named file; either way readable by the owner only."""
    if output_path is not None:
        fd = os.open(output_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
        path = output_path
    else:
        directory = source_files_dir(werf_home)
        directory.mkdir(parents=True, exist_ok=True)
        prune_source_files(directory)
        prefix = f".env_{int(time.time())}_" if env_file else f"source_{int(time.time())}_"
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=directory)  # mkstemp: mode 0600
        path = Path(name)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def prune_source_files(directory: Path, *, limit: int = MAX_SOURCE_FILES, keep: int = KEEP_AFTER_PRUNE) -> None:
    """When `directory` holds `limit` files or more, remove the oldest so that `keep - 1` remain (room for one)."""
    files = [entry for entry in directory.iterdir() if entry.is_file()]
    if len(files) < limit:
        return
    files.sort(key=_mtime)
    for entry in files[:len(files) - (keep - 1)]:
        entry.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0
