"""How a build marks what it creates on the host, so that what a killed build (`kill -9`, OOM, power loss) leaves
behind can be found and removed later by `werf host cleanup`.

Every build process has an *owner id*: `<pid>.<start time>` (the process start time in clock ticks since boot, from
`/proc/self/stat`, so a recycled pid is not mistaken for the original process; `0` where /proc is missing).

- **Build containers** (the containers stage instructions run in, and the short-lived ones imports read from) carry
  the labels `werf-build-container=<owner id>` and `werf-build-host=<host name>`, next to `werf=<project>`:
  `docker ps -a --filter label=werf-build-container` lists them.
- **Temporary directories** are created in werf's tmp dir (`--tmp-dir` / `$WERF_TMP_DIR`, else `$TMPDIR`, else
  `/tmp`) and named `werf-build-tmp.<owner id>.<what>.<random>`.

A leftover is one whose owner is not alive on this host (`owner_alive`). A build that ends in any other way —
success, failure, Ctrl-C, SIGTERM, a second interrupt during cleanup — removes its own containers and directories.
"""

from __future__ import annotations

import functools
import os
import re
import socket
import tempfile
from pathlib import Path

from werf_core import paths

__all__ = ["BUILD_CONTAINER_LABEL", "BUILD_HOST_LABEL", "TMP_DIR_PREFIX", "owner_id", "owner_alive",
           "build_container_labels", "make_build_tmp_dir", "tmp_dir_owner"]

BUILD_CONTAINER_LABEL = "werf-build-container"
BUILD_HOST_LABEL = "werf-build-host"
TMP_DIR_PREFIX = "werf-build-tmp."
_OWNER = re.compile(r"^(\d+)\.(\d+)$")
_TMP_DIR = re.compile(r"^" + re.escape(TMP_DIR_PREFIX) + r"(\d+\.\d+)\.")


def _start_ticks(pid: int) -> int | None:
    """The process start time (field 22 of /proc/PID/stat), None when the process does not exist."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return 0
    # the command name (field 2) may contain spaces and parentheses: split after its closing parenthesis
    fields = stat[stat.rfind(")") + 2:].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return 0


@functools.lru_cache(maxsize=8)
def _owner_of(pid: int) -> str:
    return f"{pid}.{_start_ticks(pid) or 0}"


def owner_id() -> str:
    """This process's owner id (`<pid>.<start ticks>`)."""
    return _owner_of(os.getpid())


def owner_alive(owner: str) -> bool:
    """Whether the process that owns a container or directory is still running on this host."""
    match = _OWNER.match(owner)
    if not match:
        return False
    pid, ticks = int(match.group(1)), int(match.group(2))
    current = _start_ticks(pid)
    if current is None:
        if not Path("/proc").is_dir():        # no /proc: fall back to "a process with that pid exists"
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return True
            return True
        return False
    return ticks == 0 or current == 0 or current == ticks


def build_container_labels() -> dict[str, str]:
    return {BUILD_CONTAINER_LABEL: owner_id(), BUILD_HOST_LABEL: socket.gethostname()}


def make_build_tmp_dir(what: str, parent: Path | None = None) -> Path:
    """A new private (0700) temporary directory of this build, named by the convention above."""
    label = re.sub(r"[^A-Za-z0-9_-]+", "_", what)[:40] or "tmp"
    base = Path(parent) if parent is not None else paths.tmp_dir()
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{TMP_DIR_PREFIX}{owner_id()}.{label}.", dir=base))


def tmp_dir_owner(name: str) -> str | None:
    """The owner id in a temporary directory's name, None for names not made by `make_build_tmp_dir`."""
    match = _TMP_DIR.match(name)
    return match.group(1) if match else None
