"""Mutual exclusion under concurrency (a property test over random schedules), and the guarantee that a holder whose
renewal thread stalled cannot publish after a takeover."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from werf_core.errors import LockError
from werf_core.sync.distributed_locker import DistributedLocker
from werf_core.sync.lease import LeaseTimings, lease_key
from werf_core.sync.stores import InMemoryStore, StoreValue

# no expiry during a schedule (TTL far longer than any example), but fast polling and compare-and-swap retries
TIGHT = LeaseTimings(ttl=30, renew_period=0.05, poll_period=0.002, optimistic_retry=0.001)


class Occupancy:
    """What the holders of each lock see: records any moment where exclusion was broken."""

    def __init__(self) -> None:
        self.mutex = threading.Lock()
        self.exclusive: dict[str, int] = {}
        self.shared: dict[str, int] = {}
        self.max_shared: dict[str, int] = {}
        self.violations: list[str] = []

    def enter(self, name: str, shared: bool) -> None:
        with self.mutex:
            ex, sh = self.exclusive.get(name, 0), self.shared.get(name, 0)
            if ex or (not shared and sh):
                self.violations.append(f"{name}: {'shared' if shared else 'exclusive'} entered with "
                                       f"{ex} exclusive and {sh} shared holders")
            if shared:
                self.shared[name] = sh + 1
                self.max_shared[name] = max(self.max_shared.get(name, 0), sh + 1)
            else:
                self.exclusive[name] = ex + 1

    def leave(self, name: str, shared: bool) -> None:
        with self.mutex:
            table = self.shared if shared else self.exclusive
            table[name] -= 1


schedules = st.lists(  # per thread: a list of (lock index, shared?, hold time in ms)
    st.lists(st.tuples(st.integers(0, 1), st.booleans(), st.integers(0, 3)), min_size=1, max_size=6),
    min_size=2, max_size=6)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules, st.booleans())
def test_never_two_exclusive_holders_nor_shared_with_exclusive(schedule, one_locker_per_thread):
    store = InMemoryStore()
    common = DistributedLocker(store, timings=TIGHT)
    occupancy = Occupancy()
    errors: list[BaseException] = []
    start = threading.Barrier(len(schedule))

    def run(ops):
        locker = DistributedLocker(store, timings=TIGHT) if one_locker_per_thread else common
        try:
            start.wait()
            for index, shared, hold_ms in ops:
                name = f"stage/{index}"
                with locker.locked(name, shared=shared, timeout=30) as handle:
                    occupancy.enter(name, shared)
                    time.sleep(hold_ms / 1000)
                    handle.ensure_held()
                    occupancy.leave(name, shared)
            locker.close()
        except BaseException as err:  # surfaced below; a thread's assertion would otherwise vanish
            errors.append(err)

    threads = [threading.Thread(target=run, args=(ops,)) for ops in schedule]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert not occupancy.violations, occupancy.violations
    for index in (0, 1):  # everything released: no record left behind
        assert store.get_value(lease_key(f"stage/{index}")).data == ""


def test_shared_holders_really_hold_at_the_same_time():
    store = InMemoryStore()
    together = threading.Barrier(4, timeout=10)
    uuids: list[str] = []

    def hold():
        with DistributedLocker(store, timings=TIGHT).locked("image/x", shared=True) as handle:
            uuids.append(handle.uuid)
            together.wait()  # would time out (BrokenBarrierError) if shared holders excluded each other

    threads = [threading.Thread(target=hold) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert len(uuids) == 4 and len(set(uuids)) == 1


def test_in_process_shared_acquisitions_share_one_renewal_worker():
    store = InMemoryStore()
    locker = DistributedLocker(store, timings=LeaseTimings(ttl=1, renew_period=0.2, poll_period=0.05,
                                                           optimistic_retry=0.01))
    first = locker.acquire("l", shared=True)
    second = locker.acquire("l", shared=True)
    assert len(locker._workers) == 1
    first.release()
    time.sleep(2.5)  # well past the TTL: the remaining holder's renewals keep the lease
    second.ensure_held()
    assert DistributedLocker(store).acquire("l", non_blocking=True) is None
    second.release()
    assert locker._workers == {}


class StallableStore(InMemoryStore):
    """An in-memory store whose calls from lease-renewal threads can be frozen, like a hung API request."""

    def __init__(self) -> None:
        super().__init__()
        self.renewals_flowing = threading.Event()
        self.renewals_flowing.set()

    def _maybe_stall(self) -> None:
        if threading.current_thread().name.startswith("lease-renew"):
            self.renewals_flowing.wait()

    def get_value(self, key: str) -> StoreValue:
        self._maybe_stall()
        return super().get_value(key)


def test_stalled_renewal_thread_cannot_hide_a_takeover():
    store = StallableStore()
    fast = LeaseTimings(ttl=1, renew_period=0.2, poll_period=0.05, optimistic_retry=0.01)
    holder = DistributedLocker(store, timings=fast)
    handle = holder.acquire("stage/s")
    store.renewals_flowing.clear()  # the renewal thread hangs; the lost flag will never be set by it
    taker = DistributedLocker(store, timings=fast).acquire("stage/s", timeout=10)
    assert not handle.lost  # nothing told the holder yet...
    with pytest.raises(LockError, match="taken over"):
        handle.ensure_held()  # ...but the synchronous check reads the record and refuses
    store.renewals_flowing.set()
    taker.ensure_held()
    taker.release()


def test_check_renews_so_a_holder_with_a_stalled_thread_but_no_rival_keeps_its_lock():
    store = StallableStore()
    fast = LeaseTimings(ttl=1, renew_period=0.2, poll_period=0.05, optimistic_retry=0.01)
    handle = DistributedLocker(store, timings=fast).acquire("stage/t")
    store.renewals_flowing.clear()
    time.sleep(2.2)  # the lease expired, but nobody took it over
    handle.ensure_held()  # the compare-and-swap renewal succeeds: still ours, with a fresh lease
    assert DistributedLocker(store, timings=fast).acquire("stage/t", non_blocking=True) is None
    store.renewals_flowing.set()
    handle.release()
