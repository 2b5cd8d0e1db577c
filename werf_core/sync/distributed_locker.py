"""Lease-based locks over an optimistic-concurrency store: lockgate's algorithm, so werf runners and werf-prefect
runners that share a store respect each other's locks.

Acquire: read the record; none, or expired (its holder stopped renewing) → write a new lease; shared request on a
shared lease → same UUID, holders + 1; anything else → wait (poll). Every write is a compare-and-swap; losing the
race means re-read after a short pause. A held lease is renewed by one background thread per lease UUID (shared
acquisitions in this process share it). When a renewal finds the record gone or carrying another UUID, every
handle of that lease is marked lost and `on_lost_lease` runs; `check`/`ensure_held` then raise `LockError`.

`check` does not trust the flag alone: it renews synchronously (read + compare-and-swap), so a process whose
renewal thread stalled — suspended, starved, partitioned — finds out before it publishes anything.
"""

from __future__ import annotations

import atexit
import logging
import random
import threading
import time
import weakref
from collections.abc import Callable

from werf_core.errors import LockError, WerfError
from werf_core.sync.lease import LeaseRecord, LeaseTimings, lease_key, lease_to_take, parse_lease_record
from werf_core.sync.locker import Locker, LockHandle, OnLostLease, OnWait
from werf_core.sync.stores import OptimisticStore, RecordVersionChanged

log = logging.getLogger("werf_core.sync")


_LIVE_LOCKERS: weakref.WeakSet[DistributedLocker] = weakref.WeakSet()


@atexit.register
def _stop_renewals_at_exit() -> None:
    # a renewal thread still talking to the API (or logging) while the interpreter finalises can abort the process
    for locker in list(_LIVE_LOCKERS):
        locker.close(wait=2.0)


class _LeaseLost(Exception):
    """The record is gone or belongs to another lease."""


class _RenewWorker:
    """Renews one lease UUID for all handles of this process that share it."""

    def __init__(self, locker: DistributedLocker, name: str, uuid: str) -> None:
        self.locker = locker
        self.name = name
        self.uuid = uuid
        self.handles: list[LockHandle] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"lease-renew {name}", daemon=True)

    def _run(self) -> None:
        period = self.locker.timings.renew_period
        while not self.stopped.wait(period):
            try:
                self.locker._renew(self.name, self.uuid, unless_fresh=True, cancelled=self.stopped.is_set)
            except _LeaseLost as lost:
                if not self.stopped.is_set():
                    self.locker._lose(self.uuid, str(lost))
                return
            except Exception as err:  # transient (API hiccup): lockgate logs and tries again next tick
                if not self.stopped.is_set():
                    log.warning('could not renew the lease of lock "%s": %s', self.name, err)


class DistributedLocker(Locker):
    """Locks whose records live in an `OptimisticStore` (in memory, or a Kubernetes ConfigMap's annotations)."""

    def __init__(self, store: OptimisticStore, *, timings: LeaseTimings = LeaseTimings(),
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.timings = timings
        self.clock = clock  # wall clock: expiry times are compared across machines, as lockgate does
        self._mutex = threading.Lock()
        self._workers: dict[str, _RenewWorker] = {}
        _LIVE_LOCKERS.add(self)

    def describe(self) -> str:
        return self.store.describe()

    # -------- acquire
    def acquire(self, name: str, *, shared: bool = False, timeout: float | None = None,
                non_blocking: bool = False, on_wait: OnWait | None = None,
                on_lost_lease: OnLostLease | None = None) -> LockHandle | None:
        waiter = self._waiter(name, timeout=timeout, poll=self.timings.poll_period, on_wait=on_wait)
        while True:
            lease = self._try_acquire(name, shared, waiter.deadline)
            if lease is not None:
                return self._register(lease, name, shared, on_lost_lease)
            if non_blocking:
                return None
            waiter.pause()

    def _try_acquire(self, name: str, shared: bool, deadline: float | None) -> LeaseRecord | None:
        """One acquisition attempt: the new (or joined) lease, or None when the caller must wait."""
        key = lease_key(name)
        while True:
            read = self.store.get_value(key)
            current = self._parse(name, key, read.data)
            lease = lease_to_take(current, name, shared=shared, now=self.clock(), ttl=self.timings.ttl)
            if lease is None:
                return None
            try:
                self.store.put_value(key, read, lease.to_json())
                return lease
            except RecordVersionChanged:
                if deadline is not None and time.monotonic() >= deadline:
                    return None
                time.sleep(self._retry_pause())

    def _register(self, lease: LeaseRecord, name: str, shared: bool,
                  on_lost_lease: OnLostLease | None) -> LockHandle:
        handle = LockHandle(self, name, lease.uuid, shared=shared, on_lost_lease=on_lost_lease)
        with self._mutex:
            worker = self._workers.get(lease.uuid)
            if worker is None:
                worker = self._workers[lease.uuid] = _RenewWorker(self, name, lease.uuid)
                worker.handles.append(handle)
                worker.thread.start()
            else:
                worker.handles.append(handle)
        return handle

    # -------- release, check
    def release(self, handle: LockHandle) -> None:
        with self._mutex:
            if handle.released:
                return
            handle._mark_released()
            self._forget(handle)
        if handle.lost:
            return  # the record belongs to someone else now; nothing of ours to give back
        try:
            self._change_lease(handle.name, handle.uuid, LeaseRecord.one_holder_less)
        except _LeaseLost:
            pass  # expired and taken over after our last renewal: already not ours

    def check(self, handle: LockHandle) -> None:
        if handle.released:
            raise self._released_error(handle)
        if not handle.lost:
            try:
                # a synchronous renewal is a read plus a compare-and-swap: success proves nobody took over
                self._renew(handle.name, handle.uuid)
            except _LeaseLost as lost:
                self._lose(handle.uuid, str(lost), also=handle)
            except WerfError as err:
                raise LockError(f'Cannot confirm that lock "{handle.name}" is still held: {err.message}',
                                hint=err.hint) from None
        if handle.lost:
            raise self._lost_error(handle)

    def close(self, wait: float = 0.0) -> None:
        """Stop renewing every lease of this locker without releasing (they expire after the TTL).

        `wait` > 0 also waits that long for renewals in flight, so none runs while the interpreter shuts down.
        """
        with self._mutex:
            workers, self._workers = list(self._workers.values()), {}
        for worker in workers:
            worker.stopped.set()
        for worker in workers:
            if wait > 0 and worker.thread.is_alive() and worker.thread is not threading.current_thread():
                worker.thread.join(wait)

    # -------- lease changes
    def _renew(self, name: str, uuid: str, *, unless_fresh: bool = False,
               cancelled: Callable[[], bool] | None = None) -> None:
        """Extend the lease to now + TTL. `unless_fresh` (the background renewal): a shared lease another holder
        renewed within the last half renewal period is left as it is — one holder's renewal keeps it alive for all,
        and six runners sharing a stage's lease need not all write it every period."""
        def fresh(lease: LeaseRecord) -> bool:
            if cancelled is not None and cancelled():
                return True     # released meanwhile: a renewal now would revive a record that is not ours any more
            return unless_fresh and lease.renewed_by_another(self.clock(), self.timings)

        self._change_lease(name, uuid, lambda lease: lease.renewed(self.clock(), self.timings.ttl), skip=fresh)

    def _change_lease(self, name: str, uuid: str,
                      change: Callable[[LeaseRecord], LeaseRecord | None],
                      skip: Callable[[LeaseRecord], bool] | None = None) -> None:
        key = lease_key(name)
        while True:
            read = self.store.get_value(key)
            current = self._parse(name, key, read.data)
            if current is None:
                raise _LeaseLost("its lease record is gone")
            if current.uuid != uuid:
                raise _LeaseLost(f"its lease was taken over by another holder (lease {current.uuid})")
            if skip is not None and skip(current):
                return
            changed = change(current)
            try:
                self.store.put_value(key, read, "" if changed is None else changed.to_json())
                return
            except RecordVersionChanged:
                time.sleep(self._retry_pause())

    def _retry_pause(self) -> float:
        """After a lost compare-and-swap: about `optimistic_retry`, jittered so runners that collided once do not
        collide again in lockstep."""
        return self.timings.optimistic_retry * random.uniform(0.5, 1.5)

    def _parse(self, name: str, key: str, data: str) -> LeaseRecord | None:
        return parse_lease_record(name, key, self.describe(), data)

    # -------- lost leases
    def _forget(self, handle: LockHandle) -> None:
        """Drop a handle from its renewal worker; stop the worker with its last handle. Call with _mutex held."""
        worker = self._workers.get(handle.uuid)
        if worker is None or handle not in worker.handles:
            return
        worker.handles.remove(handle)
        if not worker.handles:
            del self._workers[handle.uuid]
            worker.stopped.set()

    def _lose(self, uuid: str, reason: str, also: LockHandle | None = None) -> None:
        """Mark every handle of lease `uuid` lost (plus `also`, which a stopped worker may no longer list)."""
        with self._mutex:
            worker = self._workers.pop(uuid, None)
            handles = list(worker.handles) if worker else []
            if worker:
                worker.stopped.set()
        if also is not None and also not in handles:
            handles.append(also)
        for handle in handles:
            if handle.released or not handle._mark_lost(reason):
                continue
            log.error('lost the lease of lock "%s": %s', handle.name, reason)
            if handle.on_lost_lease is not None:
                try:
                    handle.on_lost_lease(handle)
                except Exception as err:
                    log.error("lost-lease handler for %r failed: %s", handle.name, err)

    def _lost_error(self, handle: LockHandle) -> LockError:
        return LockError(
            f'Lost lock "{handle.name}": {handle.lost_reason or "its lease was taken over"} ({self.describe()})',
            hint=f"This process did not renew the lease for longer than its TTL ({self.timings.ttl:g} s): it was "
                 f"suspended, overloaded or cut off from the lock store, and another runner took the lock over. "
                 f"Nothing was published by this process; run the build again.",
        )
