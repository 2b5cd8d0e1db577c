"""Build intents: before building a stage a runner announces it, so other runners wait for it instead of building
the same stage too.

An intent is a lock named after the digest (`lock_names.build_intent_lock_name`), taken through the project's
synchronization: a file lock for `:local` (the kernel drops it when the holder dies), a lease in the project's
ConfigMap for `kubernetes://` (renewed while the holder builds; it expires `ttl` seconds after the holder died or
froze). The holder keeps it from the start of the build until the stage is published (or the build failed).

A runner that finds the intent taken waits, and while it waits it polls two things: whether the stage has appeared
(`find_published`, a fresh read of the stages-storage cache entry — the holder writes it while publishing), and
whether the intent is free (the holder released it, or its lease expired). Published → reuse it; free → take the
intent and build. So when six runners reach a new stage at once, one builds it and five reuse it the moment it is
published, and if the builder dies one of the five takes over within the lease TTL.

Intents are an optimisation, not the safety net: publication stays optimistic (stage lock, re-check, discard a
stage somebody else published first), so a werf v1.1 runner, which knows nothing of intents, stays correct.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

from werf_core.errors import LockError
from werf_core.sync.locker import Locker, LockHandle

T = TypeVar("T")

TIMEOUT_ENV = "WERF_BUILD_INTENT_TIMEOUT"
DEFAULT_TIMEOUT = 3600.0     # one hour: a stage build may be long, but a wait must end
DEFAULT_POLL = 0.25         # a waiter notices a publication ~0.12 s late on average; one cache read each


def timeout_from_env(default: float = DEFAULT_TIMEOUT) -> float:
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise LockError(f"{TIMEOUT_ENV}={text!r} is not a number of seconds",
                        hint=f"set {TIMEOUT_ENV} to the longest time a runner may wait for another runner's "
                             f"stage build, e.g. {TIMEOUT_ENV}=1800") from None
    if value <= 0:
        raise LockError(f"{TIMEOUT_ENV}={text!r} must be positive", hint=f"e.g. {TIMEOUT_ENV}=1800")
    return value


@dataclass
class IntentOutcome(Generic[T]):
    """What `BuildIntents.building` found: `found` is what another runner published while we waited (then no
    intent is held); otherwise we hold the intent and build. `waited` says whether someone else held it first."""

    found: T | None
    waited: bool
    handle: LockHandle | None = None


class BuildIntents:
    def __init__(self, locker: Locker, lock_name: Callable[[str], str], *, poll: float = DEFAULT_POLL,
                 retake_every: float | None = None, timeout: float | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        """`poll`: how often a waiter looks for the published stage; `retake_every`: how often it tries the intent
        itself (default: every poll) — a lease acquisition attempt costs more than a cache read, and only matters
        when the holder died, which a lease reveals only after its TTL anyway."""
        self.locker = locker
        self.lock_name = lock_name
        self.poll = poll
        self.retake_every = poll if retake_every is None else max(poll, retake_every)
        self.timeout = timeout
        self.clock = clock
        self.sleep = sleep

    @contextmanager
    def building(self, digest: str, *, what: str, find_published: Callable[[], T | None],
                 on_wait: Callable[[str], None] | None = None) -> Iterator[IntentOutcome[T]]:
        """Hold the intent to build `digest` for the body, unless `find_published()` answers while waiting."""
        outcome = self._announce(digest, what=what, find_published=find_published, on_wait=on_wait)
        try:
            yield outcome
        finally:
            if outcome.handle is not None:
                outcome.handle.release()

    def _announce(self, digest: str, *, what: str, find_published: Callable[[], T | None],
                  on_wait: Callable[[str], None] | None) -> IntentOutcome[T]:
        name = self.lock_name(digest)
        handle = self.locker.acquire(name, non_blocking=True)
        if handle is not None:
            return IntentOutcome(None, waited=False, handle=handle)
        timeout = self.timeout if self.timeout is not None else timeout_from_env()
        started = self.clock()
        if on_wait is not None:
            on_wait(f"{what}: waiting for another runner that is building stage {digest} "
                    f'(build intent "{name}" in {self.locker.describe()}; up to {timeout:g} s)')
        last_try = started
        while True:
            self.sleep(self.poll)
            found = find_published()
            if found is not None:
                return IntentOutcome(found, waited=True)
            if self.clock() - last_try >= self.retake_every - 1e-3:
                last_try = self.clock()
                handle = self.locker.acquire(name, non_blocking=True)
                if handle is not None:
                    return IntentOutcome(None, waited=True, handle=handle)
            waited = self.clock() - started
            if waited >= timeout:
                raise LockError(
                    f"{what}: timed out after {waited:.0f} s waiting for another runner to build stage {digest} "
                    f'(build intent "{name}" in {self.locker.describe()})',
                    hint=f"That runner is still building (its intent is renewed). Wait for it and rerun, or allow "
                         f"a longer wait with {TIMEOUT_ENV}=SECONDS. A runner that died frees its intent by itself "
                         f"(a file lock at once, a Kubernetes lease within its TTL).")
