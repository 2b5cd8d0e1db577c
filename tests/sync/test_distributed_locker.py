"""The lease-based locker over every store: in memory, a ConfigMap through the emulator, a real cluster
(WERF_TEST_KUBECONFIG). Lease constants are shrunk (see conftest.FAST) so expiry takes seconds, not minutes."""

from __future__ import annotations

import json
import threading
import time

import pytest

from tests.sync.conftest import FAST
from werf_core.errors import LockError
from werf_core.sync.distributed_locker import DistributedLocker
from werf_core.sync.lease import LeaseRecord, lease_key


def test_exclusive_lock_excludes_until_released(lock_store):
    a, b = DistributedLocker(lock_store, timings=FAST), DistributedLocker(lock_store, timings=FAST)
    handle = a.acquire("stage/one")
    assert b.acquire("stage/one", non_blocking=True) is None
    assert b.acquire("stage/one", shared=True, non_blocking=True) is None
    other = b.acquire("stage/two", non_blocking=True)  # other names are independent
    assert other is not None
    a.release(handle)
    again = b.acquire("stage/one", non_blocking=True)
    assert again is not None
    b.release(again)
    b.release(other)
    assert lock_store.get_value(lease_key("stage/one")).data == ""  # released leases leave no record


def test_lease_record_is_lockgates_format_under_lockgates_key(lock_store):
    locker = DistributedLocker(lock_store, timings=FAST)
    with locker.locked("stage/abc") as handle:
        record = json.loads(lock_store.get_value(lease_key("stage/abc")).data)
        assert list(record) == ["uuid", "lockName", "ExpireAtTimestamp", "SharedHoldersCount", "IsShared"]
        assert record["uuid"] == handle.uuid and record["lockName"] == "stage/abc"
        assert record["SharedHoldersCount"] == 1 and record["IsShared"] is False
        assert isinstance(record["ExpireAtTimestamp"], int) and record["ExpireAtTimestamp"] >= time.time()


def test_shared_holders_share_one_lease_and_counter(lock_store):
    a, b = DistributedLocker(lock_store, timings=FAST), DistributedLocker(lock_store, timings=FAST)
    first = a.acquire("image/app:v1", shared=True)
    second = b.acquire("image/app:v1", shared=True)
    third = a.acquire("image/app:v1", shared=True)
    assert first.uuid == second.uuid == third.uuid
    record = LeaseRecord.from_json(lock_store.get_value(lease_key("image/app:v1")).data)
    assert record.is_shared and record.shared_holders == 3
    assert b.acquire("image/app:v1", non_blocking=True) is None  # exclusive waits for all of them
    a.release(first)
    b.release(second)
    assert LeaseRecord.from_json(lock_store.get_value(lease_key("image/app:v1")).data).shared_holders == 1
    third.ensure_held()
    a.release(third)
    assert lock_store.get_value(lease_key("image/app:v1")).data == ""


def test_exclusive_waiter_gets_the_lock_once_shared_holders_leave(lock_store):
    holders = [DistributedLocker(lock_store, timings=FAST).acquire("l", shared=True) for _ in range(2)]
    waiter = DistributedLocker(lock_store, timings=FAST)
    waits: list[str] = []
    got: list = []
    thread = threading.Thread(target=lambda: got.append(waiter.acquire("l", on_wait=waits.append, timeout=20)))
    thread.start()
    time.sleep(0.5)
    assert not got and waits == ["l"]
    for handle in holders:
        handle.release()
    thread.join(20)
    assert got and got[0].ensure_held() is None
    assert waits == ["l"]  # on_wait is called once, however many polls it took
    got[0].release()


def test_timeout_names_the_lock_and_the_wait(lock_store):
    holder = DistributedLocker(lock_store, timings=FAST).acquire("stage/busy")
    started = time.monotonic()
    with pytest.raises(LockError) as info:
        DistributedLocker(lock_store, timings=FAST).acquire("stage/busy", timeout=0.5)
    waited = time.monotonic() - started
    assert 0.5 <= waited < 3
    assert 'waiting for lock "stage/busy"' in info.value.message and "Timed out after 0." in info.value.message
    assert lock_store.describe() in info.value.message
    holder.release()


def test_lease_is_renewed_while_held(lock_store):
    locker = DistributedLocker(lock_store, timings=FAST)
    handle = locker.acquire("long")
    time.sleep(FAST.ttl * 2)  # two TTLs: without renewal anyone could have taken it over
    assert DistributedLocker(lock_store, timings=FAST).acquire("long", non_blocking=True) is None
    handle.ensure_held()
    handle.release()


def test_lease_of_a_holder_that_stopped_renewing_is_taken_over(lock_store):
    stalled = DistributedLocker(lock_store, timings=FAST)
    old = stalled.acquire("stage/x")
    stalled.close()  # renewal stops, as when the process is frozen or dead
    started = time.monotonic()
    new = DistributedLocker(lock_store, timings=FAST).acquire("stage/x", timeout=10)
    took = time.monotonic() - started
    assert took <= FAST.ttl + 1 + FAST.poll_period + 0.5
    assert new.uuid != old.uuid
    with pytest.raises(LockError) as info:
        old.ensure_held()
    assert 'Lost lock "stage/x"' in info.value.message and "taken over" in info.value.message
    assert "Nothing was published" in info.value.hint
    assert old.lost
    old.release()  # releasing a lost handle leaves the new holder alone
    new.ensure_held()
    new.release()


def test_renewal_that_finds_the_lease_gone_reports_a_lost_lease(lock_store):
    lost: list = []
    locker = DistributedLocker(lock_store, timings=FAST)
    handle = locker.acquire("stage/y", on_lost_lease=lost.append)
    read = lock_store.get_value(lease_key("stage/y"))
    lock_store.put_value(lease_key("stage/y"), read, "")  # an operator deleted the annotation
    deadline = time.monotonic() + FAST.renew_period * 5
    while not lost and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lost == [handle] and handle.lost
    with pytest.raises(LockError, match="lease record is gone"):
        handle.ensure_held()


def test_a_werf_runners_lease_is_respected_and_joinable(lock_store):
    """Records written by werf (Go lockgate) look exactly like this; both sides must honour each other."""
    key = lease_key("stage/werf")
    expire_at = int(time.time()) + 60       # one value: the expired record below is made by replacing it
    werf_exclusive = ('{"uuid":"11111111-2222-3333-4444-555555555555","lockName":"stage/werf",'
                      f'"ExpireAtTimestamp":{expire_at},"SharedHoldersCount":1,"IsShared":false}}')
    lock_store.put_value(key, lock_store.get_value(key), werf_exclusive)
    locker = DistributedLocker(lock_store, timings=FAST)
    assert locker.acquire("stage/werf", non_blocking=True) is None
    assert locker.acquire("stage/werf", shared=True, non_blocking=True) is None

    werf_shared = werf_exclusive.replace('"IsShared":false', '"IsShared":true')
    lock_store.put_value(key, lock_store.get_value(key), werf_shared)
    joined = locker.acquire("stage/werf", shared=True, non_blocking=True)
    assert joined.uuid == "11111111-2222-3333-4444-555555555555"
    record = LeaseRecord.from_json(lock_store.get_value(key).data)
    assert record.shared_holders == 2
    locker.release(joined)
    assert LeaseRecord.from_json(lock_store.get_value(key).data).shared_holders == 1  # werf's holder remains

    expired = werf_exclusive.replace(str(expire_at), str(int(time.time()) - 1))
    assert expired != werf_exclusive
    lock_store.put_value(key, lock_store.get_value(key), expired)
    taken = locker.acquire("stage/werf", non_blocking=True)  # a dead werf runner's lease is taken over
    assert taken is not None and taken.uuid != "11111111-2222-3333-4444-555555555555"
    taken.release()


def test_corrupt_lease_record_is_a_clear_error(lock_store):
    key = lease_key("stage/bad")
    lock_store.put_value(key, lock_store.get_value(key), "not json")
    with pytest.raises(LockError) as info:
        DistributedLocker(lock_store, timings=FAST).acquire("stage/bad", non_blocking=True)
    assert key in info.value.message and key in info.value.hint


def test_locked_context_releases_when_the_body_fails(lock_store):
    locker = DistributedLocker(lock_store, timings=FAST)
    with pytest.raises(RuntimeError):
        with locker.locked("stage/z"):
            raise RuntimeError("build failed")
    again = locker.acquire("stage/z", non_blocking=True)
    assert again is not None
    again.release()  # no renewal may outlive the test (and its store)


def test_releasing_twice_is_harmless_and_a_released_handle_is_not_held(lock_store):
    locker = DistributedLocker(lock_store, timings=FAST)
    handle = locker.acquire("stage/r")
    handle.release()
    handle.release()
    with pytest.raises(LockError, match="already released"):
        handle.ensure_held()


def test_zero_timeout_fails_at_once_without_announcing_a_wait(lock_store):
    holder = DistributedLocker(lock_store, timings=FAST).acquire("stage/now")
    waits: list[str] = []
    started = time.monotonic()
    with pytest.raises(LockError):
        DistributedLocker(lock_store, timings=FAST).acquire("stage/now", timeout=0, on_wait=waits.append)
    assert waits == [] and time.monotonic() - started < 1
    holder.release()


def test_a_shared_lease_another_holder_just_renewed_is_not_written_again():
    """Six runners sharing a stage's in-use lease: one renewal per period keeps it alive, not six."""
    from werf_core.sync.lease import LeaseTimings
    from werf_core.sync.stores import InMemoryStore
    now = [1000.0]
    store = InMemoryStore()
    timings = LeaseTimings(ttl=10, renew_period=3, poll_period=1, optimistic_retry=0.01)
    first = DistributedLocker(store, timings=timings, clock=lambda: now[0])
    second = DistributedLocker(store, timings=timings, clock=lambda: now[0])
    try:
        a = first.acquire("stage/d", shared=True)
        b = second.acquire("stage/d", shared=True)
        assert a.uuid == b.uuid
        writes = store.writes
        now[0] += 1.0
        first._renew("stage/d", a.uuid, unless_fresh=True)      # renewed 1 s ago by `second`: left alone
        assert store.writes == writes
        now[0] += 2.0
        first._renew("stage/d", a.uuid, unless_fresh=True)      # 3 s ago: due
        assert store.writes == writes + 1
        first._renew("stage/d", a.uuid)                         # a check (ensure_held) always writes
        assert store.writes == writes + 2
        second.release(b)                                       # alone again: every renewal writes
        writes = store.writes
        first._renew("stage/d", a.uuid, unless_fresh=True)
        assert store.writes == writes + 1
        record = LeaseRecord.from_json(store.get_value(lease_key("stage/d")).data)
        assert record.expire_at >= now[0] + timings.ttl
    finally:
        first.close()
        second.close()
