"""Many shared leases held together: one build's stage in-use leases, written one compare-and-swap per shard.

A build holds a shared in-use lease on every stage digest it looks up (stage_leases.py). Taken one by one through
`DistributedLocker`, each lease costs a read and a write to take, a read and a write every renewal period, and a
read and a write to give back — with the records spread over 16 ConfigMaps, ~170 of the ~230 API requests of a
20-image idle build. A `SharedLeaseBatch` keeps the very same records (lockgate's JSON under lockgate's key, one per
lock name, so cleanup's `DistributedLocker` probes them unchanged and a shared `DistributedLocker` holder joins
them) but changes all of a build's records of one shard together:

- **take** (`hold`): the callers waiting on one shard are served by one read and one compare-and-swap (group
  commit: while one write of a shard is in flight, the names that arrive for that shard queue up and go together
  in the next). A record held exclusively (cleanup deleting that digest) is left out and its caller polls, as a
  `DistributedLocker` waiter does; an expired one is replaced by a new lease, a live shared one joined.
- **renew**: one background thread for the whole batch; per renewal period one read per shard and at most one
  write, leaving alone records another holder renewed within the last half period (six runners sharing a lease
  need not all write it). A record found gone or carrying another lease's UUID was taken over after we stopped
  renewing it (the process was frozen longer than the TTL): it is dropped from the batch and reported.
- **give back** (`release_all`): per shard one read and one write, shards in parallel.

Expiry is lockgate's: a holder that dies (kill -9) leaves records that nobody renews, and `ttl` seconds later
cleanup (or a build) takes them over.
"""

from __future__ import annotations

import atexit
import logging
import random
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from werf_core.errors import LockError
from werf_core.sync.lease import LeaseRecord, LeaseTimings, lease_key, lease_to_take, parse_lease_record
from werf_core.sync.stores import RecordVersionChanged, ShardedStore

log = logging.getLogger("werf_core.sync")

OnLost = Callable[[str, str], None]     # (lock name, why)

_LIVE_BATCHES: weakref.WeakSet[SharedLeaseBatch] = weakref.WeakSet()


@atexit.register
def _stop_renewals_at_exit() -> None:
    # a renewal still talking to the API while the interpreter finalises can abort the process
    for batch in list(_LIVE_BATCHES):
        batch.close(wait=2.0)


@dataclass(frozen=True)
class _Held:
    name: str
    uuid: str
    shard: int


class SharedLeaseBatch:
    """Shared leases on many lock names in a `ShardedStore`, taken, renewed and given back per shard."""

    def __init__(self, store: ShardedStore, *, timings: LeaseTimings = LeaseTimings(),
                 clock: Callable[[], float] = time.time, on_lost: OnLost | None = None) -> None:
        self.store = store
        self.timings = timings
        self.clock = clock      # wall clock: expiry times are compared across machines, as lockgate does
        self.on_lost = on_lost
        self._mutex = threading.Lock()
        self._shard_locks = [threading.Lock() for _ in range(store.shards)]
        self._held: dict[str, _Held] = {}                           # lease key → our lease
        self._pending: list[dict[str, str]] = [{} for _ in range(store.shards)]   # per shard: key → name
        self._renewer: threading.Thread | None = None
        self._stop = threading.Event()
        _LIVE_BATCHES.add(self)

    def describe(self) -> str:
        return self.store.describe()

    @property
    def names(self) -> list[str]:
        with self._mutex:
            return sorted(held.name for held in self._held.values())

    # -------- take
    def hold(self, name: str, *, timeout: float | None = None, on_wait: Callable[[str], None] | None = None) -> None:
        """Hold a shared lease on `name` until `release_all` (a no-op when already held). Waits while the lock is
        held exclusively; `timeout` turns a long wait into a `LockError` naming the lock."""
        key = lease_key(name)
        shard = self.store.shard_of(key)
        with self._mutex:
            if key in self._held:
                return
            self._pending[shard][key] = name
        started = time.monotonic()
        announced = False
        try:
            while True:
                with self._shard_locks[shard]:
                    with self._mutex:
                        if key in self._held:
                            return
                        # names other threads still wait for, except those a write of another thread already took
                        # (their callers have not woken up yet): taking them again would count us twice
                        batch = {k: n for k, n in self._pending[shard].items() if k not in self._held}
                    self._take(shard, batch)
                    with self._mutex:
                        taken = key in self._held
                    if taken:
                        self._start_renewing()
                        return
                # held exclusively by someone else (cleanup deleting this digest's stages): wait as lockgate does
                waited = time.monotonic() - started
                if timeout is not None and waited >= timeout:
                    raise LockError(f'Timed out after {waited:.1f} s waiting for lock "{name}" ({self.describe()})',
                                    hint="Another werf process holds this lock exclusively. Wait for it to finish "
                                         "and retry. A holder that died frees it within its lease TTL.")
                if not announced:
                    announced = True
                    if on_wait is not None:
                        on_wait(name)
                pause = self.timings.poll_period
                if timeout is not None:
                    pause = min(pause, max(0.0, timeout - waited))
                time.sleep(pause)
        finally:
            with self._mutex:
                self._pending[shard].pop(key, None)

    def _take(self, shard: int, batch: dict[str, str]) -> None:
        """One compare-and-swap joining or creating the records of `batch` (key → name) in `shard`; records held
        exclusively by others are left out. Runs under the shard's lock."""
        while True:
            read = self.store.read_shard(shard)
            now = self.clock()
            changes: dict[str, str] = {}
            taken: dict[str, _Held] = {}
            for key, name in batch.items():
                current = self._parse(name, key, shard, read.values.get(key, ""))
                lease = lease_to_take(current, name, shared=True, now=now, ttl=self.timings.ttl)
                if lease is None:
                    continue
                changes[key] = lease.to_json()
                taken[key] = _Held(name, lease.uuid, shard)
            if not changes:
                return
            try:
                self.store.write_shard(shard, read, changes)
            except RecordVersionChanged:
                time.sleep(self._retry_pause())
                continue
            with self._mutex:
                self._held.update(taken)
            return

    # -------- renew
    def _start_renewing(self) -> None:
        with self._mutex:
            if self._renewer is not None and self._renewer.is_alive() and not self._stop.is_set():
                return
            self._stop = threading.Event()
            self._renewer = threading.Thread(target=self._renew_loop, args=(self._stop,),
                                             name="lease-batch-renew", daemon=True)
            self._renewer.start()

    def _renew_loop(self, stop: threading.Event) -> None:
        while not stop.wait(self.timings.renew_period):
            for shard in self._held_shards():
                if stop.is_set():
                    return
                try:
                    self.renew_shard(shard, cancelled=stop.is_set)
                except Exception as err:    # transient (API hiccup): lockgate logs and tries again next tick
                    if not stop.is_set():
                        log.warning("could not renew the stage leases in %s: %s", self.store.describe_shard(shard),
                                    err)

    def _held_shards(self) -> list[int]:
        with self._mutex:
            return sorted({held.shard for held in self._held.values()})

    def renew_shard(self, shard: int, *, cancelled: Callable[[], bool] | None = None) -> None:
        """Extend our leases in `shard` to now + TTL with one compare-and-swap, except those another holder renewed
        within the last half renewal period. Leases taken over by someone else are dropped and reported. After a lost
        compare-and-swap it pauses without the shard's lock, so the build's lookups are not held up meanwhile."""
        while True:
            with self._shard_locks[shard]:
                if cancelled is not None and cancelled():
                    return      # released or closed meanwhile: a renewal now would revive records not ours
                with self._mutex:
                    ours = {key: held for key, held in self._held.items() if held.shard == shard}
                if not ours:
                    return
                read = self.store.read_shard(shard)
                now = self.clock()
                changes: dict[str, str] = {}
                lost: list[tuple[str, _Held, str]] = []
                for key, held in ours.items():
                    current = self._parse(held.name, key, shard, read.values.get(key, ""))
                    if current is None:
                        lost.append((key, held, "its lease record is gone"))
                    elif current.uuid != held.uuid:
                        lost.append((key, held, f"its lease was taken over by another holder (lease {current.uuid})"))
                    elif not current.renewed_by_another(now, self.timings):
                        changes[key] = current.renewed(now, self.timings.ttl).to_json()
                written = True
                if changes:
                    try:
                        self.store.write_shard(shard, read, changes)
                    except RecordVersionChanged:
                        written = False
                if written:
                    self._lose(lost)
                    return
            time.sleep(self._retry_pause())

    def _lose(self, lost: list[tuple[str, _Held, str]]) -> None:
        for key, held, why in lost:
            with self._mutex:
                if self._held.get(key) != held:
                    continue
                del self._held[key]
            log.error('lost the lease of lock "%s": %s', held.name, why)
            if self.on_lost is not None:
                try:
                    self.on_lost(held.name, why)
                except Exception as err:
                    log.error("lost-lease handler for %r failed: %s", held.name, err)

    # -------- give back
    def release_all(self) -> None:
        """Give every lease back: per shard one read and one write, shards in parallel. A lease that expired and
        was taken over meanwhile is left alone (it is not ours any more); errors are not raised — what could not be
        given back expires after the TTL."""
        with self._mutex:
            held, self._held = self._held, {}
            self._stop.set()
        by_shard: dict[int, dict[str, _Held]] = {}
        for key, lease in held.items():
            by_shard.setdefault(lease.shard, {})[key] = lease

        def release(shard: int) -> None:
            try:
                self._release_shard(shard, by_shard[shard])
            except Exception as err:
                log.warning("could not give back the stage leases in %s (they expire by themselves): %s",
                            self.store.describe_shard(shard), err)

        if len(by_shard) <= 1:
            for shard in by_shard:
                release(shard)
            return
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=min(8, len(by_shard)), thread_name_prefix="lease-release") as pool:
            list(pool.map(release, sorted(by_shard)))

    def _release_shard(self, shard: int, ours: dict[str, _Held]) -> None:
        with self._shard_locks[shard]:
            while True:
                read = self.store.read_shard(shard)
                changes: dict[str, str] = {}
                for key, held in ours.items():
                    data = read.values.get(key, "")
                    try:
                        current = LeaseRecord.from_json(data) if data else None
                    except (ValueError, TypeError, AttributeError):
                        continue    # not a record of ours any more
                    if current is None or current.uuid != held.uuid:
                        continue
                    remaining = current.one_holder_less()
                    changes[key] = "" if remaining is None else remaining.to_json()
                if not changes:
                    return
                try:
                    self.store.write_shard(shard, read, changes)
                    return
                except RecordVersionChanged:
                    time.sleep(self._retry_pause())

    def close(self, wait: float = 0.0) -> None:
        """Stop renewing without giving anything back (the leases expire after the TTL); `wait` > 0 also waits that
        long for a renewal in flight."""
        with self._mutex:
            self._stop.set()
            renewer = self._renewer
        if wait > 0 and renewer is not None and renewer.is_alive() and renewer is not threading.current_thread():
            renewer.join(wait)

    # -------- helpers
    def _retry_pause(self) -> float:
        return self.timings.optimistic_retry * random.uniform(0.5, 1.5)

    def _parse(self, name: str, key: str, shard: int, data: str) -> LeaseRecord | None:
        return parse_lease_record(name, key, self.store.describe_shard(shard), data)

