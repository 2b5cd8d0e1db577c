"""The locker interface shared by host file locks and distributed (lease-based) locks.

A lock is named by a string (see `lock_names`). `acquire` blocks until the lock is free, gives up after `timeout`
seconds with a `LockError` naming the lock, or returns None at once when `non_blocking` is set and the lock is busy.
The returned `LockHandle` is what the caller releases; `handle.ensure_held()` proves the lock is still ours right
before doing something only the holder may do (publishing a stage).
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from werf_core.errors import LockError

log = logging.getLogger("werf_core.sync")

OnWait = Callable[[str], None]
OnLostLease = Callable[["LockHandle"], None]


class LockHandle:
    """One acquisition of a lock. Shared acquisitions of one distributed lease carry the same `uuid`."""

    def __init__(self, locker: Locker, name: str, uuid: str, *, shared: bool,
                 on_lost_lease: OnLostLease | None = None) -> None:
        self.locker = locker
        self.name = name
        self.uuid = uuid
        self.shared = shared
        self.on_lost_lease = on_lost_lease
        self._released = threading.Event()
        self._lost = threading.Event()
        self.lost_reason: str | None = None

    @property
    def released(self) -> bool:
        return self._released.is_set()

    @property
    def lost(self) -> bool:
        """True once the locker learned that another process took the lock over (or its record vanished)."""
        return self._lost.is_set()

    def ensure_held(self) -> None:
        """Raise `LockError` unless this handle still holds its lock; checks the lock's record, not just a flag."""
        self.locker.check(self)

    def release(self) -> None:
        self.locker.release(self)

    def __enter__(self) -> LockHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.locker.release(self)

    def __repr__(self) -> str:
        state = "lost" if self.lost else "released" if self.released else "held"
        kind = "shared" if self.shared else "exclusive"
        return f"<LockHandle {self.name!r} {kind} {state} uuid={self.uuid}>"

    # -------- used by lockers
    def _mark_released(self) -> None:
        self._released.set()

    def _mark_lost(self, reason: str) -> bool:
        """Mark lost once; returns True the first time, so the lost-lease callback runs exactly once."""
        if self._lost.is_set():
            return False
        self.lost_reason = reason
        self._lost.set()
        return True


class Locker(ABC):
    """Acquire and release named locks. Implementations: `FileLocker`, `DistributedLocker`."""

    @abstractmethod
    def acquire(self, name: str, *, shared: bool = False, timeout: float | None = None,
                non_blocking: bool = False, on_wait: OnWait | None = None,
                on_lost_lease: OnLostLease | None = None) -> LockHandle | None:
        """Take the lock `name`.

        Blocks until it is free; `timeout` (seconds) turns a long wait into a `LockError` naming the lock and the
        wait; `non_blocking` returns None at once when the lock is busy. `on_wait(name)` is called once, when the
        caller starts waiting. `on_lost_lease(handle)` is called (from a background thread) if a distributed lease
        is found taken over while held.
        """

    @abstractmethod
    def release(self, handle: LockHandle) -> None:
        """Give the lock back. Releasing an already released (or lost) handle does nothing."""

    @abstractmethod
    def check(self, handle: LockHandle) -> None:
        """Raise `LockError` unless `handle` still holds its lock."""

    @abstractmethod
    def describe(self) -> str:
        """Where the locks live, for messages (a directory, a ConfigMap)."""

    @contextmanager
    def locked(self, name: str, *, shared: bool = False, timeout: float | None = None, non_blocking: bool = False,
               on_wait: OnWait | None = None, on_lost_lease: OnLostLease | None = None) -> Iterator[LockHandle | None]:
        """`with locker.locked(name, ...) as handle:` — released on exit, even when the body raises.

        Yields None only with `non_blocking=True` when the lock is busy. A failure to release after the body itself
        failed is logged instead of raised, so it never hides the body's error.
        """
        handle = self.acquire(name, shared=shared, timeout=timeout, non_blocking=non_blocking, on_wait=on_wait,
                              on_lost_lease=on_lost_lease)
        try:
            yield handle
        except BaseException:
            if handle is not None:
                try:
                    self.release(handle)
                except Exception as err:  # the body's exception is the one the user must see
                    log.warning("could not release lock %r: %s", name, err)
            raise
        else:
            if handle is not None:
                self.release(handle)

    # -------- helpers for implementations
    def _waiter(self, name: str, *, timeout: float | None, poll: float, on_wait: OnWait | None) -> _Waiter:
        return _Waiter(self, name, timeout=timeout, poll=poll, on_wait=on_wait)

    def _timeout_error(self, name: str, waited: float) -> LockError:
        return LockError(
            f'Timed out after {waited:.1f} s waiting for lock "{name}" ({self.describe()})',
            hint="Another werf process holds this lock. Wait for it to finish and retry, or raise the timeout. "
                 "A holder that died frees a distributed lock within its lease TTL.",
        )

    def _released_error(self, handle: LockHandle) -> LockError:
        return LockError(f'Lock "{handle.name}" was already released by this process ({self.describe()})',
                         hint="This is a bug in the caller: take the lock again before publishing.")


class _Waiter:
    """The waiting half of a blocking acquire: poll, tell `on_wait` once, give up after `timeout`."""

    def __init__(self, locker: Locker, name: str, *, timeout: float | None, poll: float,
                 on_wait: OnWait | None) -> None:
        self.locker = locker
        self.name = name
        self.started = time.monotonic()
        self.deadline = None if timeout is None else self.started + timeout
        self.poll = poll
        self.on_wait = on_wait
        self.waiting = False

    def pause(self) -> None:
        """Sleep until the next attempt; raise the locker's timeout error when the time is up."""
        delay = self.poll
        if self.deadline is not None:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise self.locker._timeout_error(self.name, time.monotonic() - self.started)
            delay = min(delay, remaining)
        if not self.waiting:
            self.waiting = True
            if self.on_wait is not None:
                self.on_wait(self.name)
        time.sleep(delay)
