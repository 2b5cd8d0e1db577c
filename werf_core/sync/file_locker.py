"""Host locks on files: `flock(2)`, shared or exclusive, as werf's `:local` synchronization and host locks.

The lock file is `<locks_dir>/<murmur3 hash of the lock name>` — werf v1.1's "legacy" hash, so werf and
werf-prefect on one host lock the same files. Every acquisition opens its own file descriptor, so two
acquisitions in one process are independent (two exclusive ones block each other), and the kernel drops the lock
when the process dies: there is no lease to expire. Lock files are never deleted (deleting one while another
process waits on it would let two processes hold "the same" lock on different inodes).
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
import uuid
from pathlib import Path

from werf_core.errors import LockError
from werf_core.hashing import murmur_hash
from werf_core.sync.locker import Locker, LockHandle, OnLostLease, OnWait

DEFAULT_POLL_INTERVAL = 0.5


class FileLockHandle(LockHandle):
    def __init__(self, locker: FileLocker, name: str, *, shared: bool, fd: int, path: Path) -> None:
        super().__init__(locker, name, uuid.uuid4().hex, shared=shared)
        self.fd = fd
        self.path = path


class FileLocker(Locker):
    """flock-based locks in `locks_dir` (werf: `~/.werf/service/locks`)."""

    def __init__(self, locks_dir: Path | str, *, poll_interval: float = DEFAULT_POLL_INTERVAL) -> None:
        self.locks_dir = Path(locks_dir)
        self.poll_interval = poll_interval
        self._mutex = threading.Lock()

    def lock_path(self, name: str) -> Path:
        return self.locks_dir / murmur_hash(name)

    def describe(self) -> str:
        return f"file locks in {self.locks_dir}"

    def acquire(self, name: str, *, shared: bool = False, timeout: float | None = None,
                non_blocking: bool = False, on_wait: OnWait | None = None,
                on_lost_lease: OnLostLease | None = None) -> FileLockHandle | None:
        path = self.lock_path(name)
        fd = self._open(path)
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        waiter = self._waiter(name, timeout=timeout, poll=self.poll_interval, on_wait=on_wait)
        try:
            while True:
                try:
                    fcntl.flock(fd, mode | fcntl.LOCK_NB)
                    return FileLockHandle(self, name, shared=shared, fd=fd, path=path)
                except OSError as err:
                    if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                        raise LockError(f'Cannot lock "{name}" ({path}): {err.strerror}',
                                        hint=f"Check that {self.locks_dir} is on a local file system "
                                             f"that supports flock.") from None
                if non_blocking:
                    os.close(fd)
                    return None
                waiter.pause()
        except BaseException:
            # on timeout, Ctrl-C or a failing on_wait the descriptor must not leak (it would keep nothing locked,
            # but a process that retries many times would run out of descriptors)
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
            raise

    def release(self, handle: LockHandle) -> None:
        assert isinstance(handle, FileLockHandle), "handle comes from another locker"
        with self._mutex:
            if handle.released:
                return
            handle._mark_released()
            fd, handle.fd = handle.fd, -1
        # closing the descriptor drops the flock; no explicit LOCK_UN needed
        os.close(fd)

    def check(self, handle: LockHandle) -> None:
        assert isinstance(handle, FileLockHandle), "handle comes from another locker"
        if handle.released or handle.fd < 0:
            raise self._released_error(handle)

    def _open(self, path: Path) -> int:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as err:
            raise LockError(f"Cannot open lock file {path}: {err.strerror}",
                            hint="Check WERF_HOME (--home-dir) points to a writable directory.") from None
