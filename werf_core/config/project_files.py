"""Reading the files that rendering werf.yaml needs, confined to one directory (normally the project).

werf.yaml, its `.werf/**/*.tmpl` partials and the files `.Files.*` reads come from a repository that a pull request
controls. Each of them must
- resolve inside the root after symlinks (a committed symlink to /etc/passwd or ~/.docker/config.json, a `..` path
  or an absolute path never reaches outside),
- be a regular file: FIFOs, devices, sockets and directories are refused from `stat` alone; the open itself is
  non-blocking and does not follow a symlink swapped in after the check, and the opened file is checked again,
- be bounded in size, both per file and per render (`werf_core.config.limits`).

Problems raise `UnsafeProjectFile`, naming the file relative to the root; callers turn it into the error of their
context (a template error at the `.Files.Get` action, a config error for a partial).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from werf_core.config.limits import MAX_READ_BYTES_PER_RENDER, human_size

_HINT_OUTSIDE = ("werf.yaml and the files it reads must stay inside the project directory; commit the file itself "
                 "instead of a symlink to a path outside the project")
_HINT_NOT_REGULAR = "only regular files can be read while rendering werf.yaml; point to a regular file of the project"
_HINT_TOO_BIG = "read smaller files while rendering werf.yaml (the limits are in werf_core/config/limits.py)"


class UnsafeProjectFile(Exception):
    """A file rendering may not read: outside the root, not a regular file, or too big."""

    def __init__(self, display: str, problem: str, hint: str) -> None:
        super().__init__(f"{display}: {problem}")
        self.display = display
        self.problem = problem
        self.hint = hint


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


@dataclass
class ReadBudget:
    """Bytes one render may still read, shared by every reader of that render."""

    remaining: int = MAX_READ_BYTES_PER_RENDER

    def take(self, display: str, size: int) -> None:
        if size > self.remaining:
            raise UnsafeProjectFile(
                display, f"reading it would exceed the {human_size(MAX_READ_BYTES_PER_RENDER)} that rendering "
                         "werf.yaml may read in total", _HINT_TOO_BIG)
        self.remaining -= size


class ConfinedReader:
    """Reads regular files below `root` (a directory), refusing anything that resolves outside it."""

    def __init__(self, root: str | os.PathLike[str], budget: ReadBudget | None = None) -> None:
        self.root = os.path.abspath(os.fspath(root))
        self.real_root = os.path.realpath(self.root)
        self.budget = budget if budget is not None else ReadBudget()

    # -- paths

    def contains(self, real: str) -> bool:
        """Whether an already resolved path is the root or below it."""
        return real == self.real_root or real.startswith(self.real_root.rstrip(os.sep) + os.sep)

    def display(self, path: str) -> str:
        """A path as messages show it: relative to the root when it is lexically inside, else as given."""
        full = os.path.normpath(os.path.join(self.root, path))
        if full == self.root:
            return "."
        if full.startswith(self.root.rstrip(os.sep) + os.sep):
            return os.path.relpath(full, self.root).replace(os.sep, "/")
        return path

    def resolve(self, path: str) -> str:
        """The real path of `path` (relative to the root, or absolute) if it lies inside the root."""
        full = os.path.normpath(os.path.join(self.root, path))
        real = os.path.realpath(full)
        if not self.contains(real):
            if os.path.islink(full) or real != full:
                problem = "is a symlink that leads outside the project directory"
            else:
                problem = "is outside the project directory"
            raise UnsafeProjectFile(self.display(path), problem, _HINT_OUTSIDE)
        return real

    # -- reading

    def is_regular_file(self, path: str) -> bool:
        """`.Files.Exists`: a regular file inside the root (no error for anything else)."""
        try:
            real = self.resolve(path)
        except UnsafeProjectFile:
            return False
        try:
            return stat.S_ISREG(os.stat(real).st_mode)
        except OSError:
            return False

    def read(self, path: str, max_bytes: int) -> bytes | None:
        """The bytes of a regular file inside the root; None when it does not exist."""
        display = self.display(path)
        real = self.resolve(path)
        try:
            before = os.stat(real)
        except FileNotFoundError:
            return None
        except OSError as err:
            raise UnsafeProjectFile(display, f"cannot be read: {err.strerror or err}", _HINT_NOT_REGULAR) from None
        if not stat.S_ISREG(before.st_mode):
            raise UnsafeProjectFile(display, f"is {_kind(before.st_mode)}, not a regular file", _HINT_NOT_REGULAR)
        self._check_size(display, before.st_size, max_bytes)
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(real, flags)
        except FileNotFoundError:
            return None
        except OSError as err:
            raise UnsafeProjectFile(display, f"cannot be read: {err.strerror or err}", _HINT_NOT_REGULAR) from None
        try:
            after = os.fstat(fd)
            if not stat.S_ISREG(after.st_mode) or (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino):
                raise UnsafeProjectFile(display, "changed while it was being opened", _HINT_NOT_REGULAR)
            data = _read_at_most(fd, max_bytes + 1)
        finally:
            os.close(fd)
        self._check_size(display, len(data), max_bytes)
        self.budget.take(display, len(data))
        return data

    def _check_size(self, display: str, size: int, max_bytes: int) -> None:
        if size > max_bytes:
            raise UnsafeProjectFile(display, f"is larger than {human_size(max_bytes)}, the limit for a file read "
                                             "while rendering werf.yaml", _HINT_TOO_BIG)

    def walk_files(self, start: str) -> Iterator[tuple[str, str]]:
        """(path relative to the root, path relative to `start`) of every non-directory entry below `start` (a
        directory inside the root), sorted. Paths are spelled through `start` even when it is a symlink; symlinked
        directories below it are not entered, symlinked files are listed (and must resolve inside when read)."""
        real_start = self.resolve(start)
        if not os.path.isdir(real_start):
            return
        prefix = os.path.normpath(start).replace(os.sep, "/")
        prefix = "" if prefix == "." else prefix + "/"
        for dirpath, dirnames, filenames in os.walk(real_start):
            dirnames.sort()
            for name in sorted(filenames):
                below = os.path.relpath(os.path.join(dirpath, name), real_start).replace(os.sep, "/")
                yield prefix + below, below


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while total < limit:
        chunk = os.read(fd, min(1024 * 1024, limit - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)
