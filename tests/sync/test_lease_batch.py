"""A build's stage in-use leases as one batch (werf_core/sync/lease_batch.py): the same lockgate records as one
`DistributedLocker` lease per digest — respected and joinable both ways, expiring the same way — but one
compare-and-swap per shard ConfigMap to take, renew and give back. In memory, on the emulator, and on a real cluster
with WERF_TEST_KUBECONFIG."""

from __future__ import annotations

import signal
import threading
import time
import uuid

import pytest

from tests.sync.conftest import FAST, KubeTarget
from werf_core.errors import LockError
from werf_core.sync.configmap_store import ShardedConfigMapAnnotationsStore
from werf_core.sync.distributed_locker import DistributedLocker
from werf_core.sync.lease import LeaseRecord, LeaseTimings, lease_key
from werf_core.sync.lease_batch import SharedLeaseBatch
from werf_core.sync.stores import InMemoryShardedStore

# expiry has whole-second resolution (Go int64 seconds): a lease lasts up to TTL + 1 s after its last renewal
TAKEOVER_BOUND = FAST.ttl + 1 + FAST.poll_period


@pytest.fixture(params=["memory", "emulator", "cluster"])
def sharded_store(request, tmp_path):
    """The in-use leases' sharded store: in memory, or ConfigMaps on the emulator / a real cluster."""
    if request.param == "memory":
        yield InMemoryShardedStore()
        return
    target = request.getfixturevalue("kube_target_" + request.param)
    yield ShardedConfigMapAnnotationsStore(target.api(), target.namespace, f"werf-p{uuid.uuid4().hex[:6]}-in-use")


@pytest.fixture
def kube_target_emulator(tmp_path):
    from tests.support.kube_emulator import KubeEmulator
    with KubeEmulator() as emulator:
        path = emulator.write_kubeconfig(tmp_path / "kubeconfig")
        yield KubeTarget(path, f"werf-test-{uuid.uuid4().hex[:8]}", emulator)


@pytest.fixture
def kube_target_cluster():
    from tests.sync.conftest import _cluster_target, _delete_namespace
    target = _cluster_target()
    yield target
    _delete_namespace(target)


def names(count: int) -> list[str]:
    return [f"stage-in-use/{uuid.uuid4().hex}{n}" for n in range(count)]


def record(store, name: str) -> LeaseRecord | None:
    key = lease_key(name)
    data = store.read_shard(store.shard_of(key)).values.get(key, "")
    return LeaseRecord.from_json(data) if data else None


def test_batch_records_are_lockgate_leases_that_lockers_respect_and_join(sharded_store):
    batch = SharedLeaseBatch(sharded_store, timings=FAST)
    locker = DistributedLocker(sharded_store, timings=FAST)   # what cleanup probes with, one lease at a time
    try:
        [name] = names(1)
        batch.hold(name)
        held = record(sharded_store, name)
        assert held is not None and held.is_shared and held.shared_holders == 1 and held.lock_name == name
        assert locker.acquire(name, non_blocking=True) is None          # cleanup: in use, skip it
        joined = locker.acquire(name, shared=True, non_blocking=True)   # another (unbatched) build joins
        assert joined is not None and joined.uuid == held.uuid
        assert record(sharded_store, name).shared_holders == 2
        batch.release_all()
        assert record(sharded_store, name).shared_holders == 1          # the other holder remains
        assert locker.acquire(name, non_blocking=True) is None
        joined.release()
        assert record(sharded_store, name) is None
        probe = locker.acquire(name, non_blocking=True)
        assert probe is not None
        probe.release()
        # and a batch joins a lease somebody else holds shared
        other = locker.acquire(name, shared=True)
        batch.hold(name)
        assert record(sharded_store, name).uuid == other.uuid and record(sharded_store, name).shared_holders == 2
        batch.release_all()
        other.release()
        assert record(sharded_store, name) is None
    finally:
        batch.close()
        locker.close()


def test_a_held_batch_gives_back_only_what_is_still_its_own(sharded_store):
    batch = SharedLeaseBatch(sharded_store, timings=FAST)
    try:
        many = names(20)
        for name in many:
            batch.hold(name)
        assert batch.names == sorted(many)
        for name in many[:2]:   # cleanup took these over after they expired (say, the runner was frozen)
            key = lease_key(name)
            shard = sharded_store.shard_of(key)
            foreign = LeaseRecord.new(name, shared=False, now=time.time(), ttl=60).to_json()
            sharded_store.write_shard(shard, sharded_store.read_shard(shard), {key: foreign})
        batch.release_all()
        assert [record(sharded_store, n) is None for n in many] == [False, False] + [True] * 18
        assert not record(sharded_store, many[0]).is_shared     # cleanup's leases were left alone
    finally:
        batch.close()


def test_a_digest_held_exclusively_makes_hold_wait_and_time_out_clearly(sharded_store):
    locker = DistributedLocker(sharded_store, timings=FAST)
    batch = SharedLeaseBatch(sharded_store, timings=FAST)
    try:
        [name] = names(1)
        cleanup = locker.acquire(name)          # cleanup is deleting this digest's stages
        with pytest.raises(LockError) as info:
            batch.hold(name, timeout=0.3)
        assert name in info.value.message and "Timed out" in info.value.message
        waits: list[str] = []
        done = threading.Event()
        thread = threading.Thread(target=lambda: (batch.hold(name, on_wait=waits.append), done.set()))
        thread.start()
        time.sleep(0.4)
        assert not done.is_set() and waits == [name]
        cleanup.release()
        assert done.wait(5), "hold did not notice the exclusive lease was given back"
        thread.join()
        assert record(sharded_store, name).is_shared
    finally:
        batch.release_all()
        batch.close()
        locker.close()


def test_concurrent_holds_share_writes_and_renewal_and_release_are_one_write_per_shard():
    store = InMemoryShardedStore(shards=4)
    batch = SharedLeaseBatch(store, timings=LeaseTimings(ttl=30, renew_period=10, poll_period=0.05,
                                                         optimistic_retry=0.01))
    try:
        many = names(60)
        threads = [threading.Thread(target=lambda part=many[n::6]: [batch.hold(name) for name in part])
                   for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert batch.names == sorted(many)
        assert all(record(store, name).shared_holders == 1 for name in many)   # each lease counted once
        assert store.writes <= 60          # never more than one write per lease, usually fewer (group commit)
        writes = store.writes
        for shard in range(4):
            batch.renew_shard(shard)
        assert store.writes - writes == 4  # one write renews all of a shard's leases
        writes = store.writes
        batch.release_all()
        assert store.writes - writes == 4
        assert all(record(store, name) is None for name in many)
    finally:
        batch.close()


def test_renewal_skips_a_shared_lease_another_holder_just_renewed_and_reports_a_taken_over_one():
    now = [1000.0]
    store = InMemoryShardedStore(shards=1)
    timings = LeaseTimings(ttl=10, renew_period=3, poll_period=1, optimistic_retry=0.01)
    lost: list[tuple[str, str]] = []
    batch = SharedLeaseBatch(store, timings=timings, clock=lambda: now[0], on_lost=lambda n, why: lost.append((n, why)))
    other = SharedLeaseBatch(store, timings=timings, clock=lambda: now[0])
    try:
        shared, alone, taken = names(3)
        for name in (shared, alone, taken):
            batch.hold(name)
        other.hold(shared)
        batch.close()       # renew by hand below
        other.close()
        now[0] += 1.0
        before = {n: record(store, n).expire_at for n in (shared, alone)}
        key = lease_key(taken)
        store.write_shard(0, store.read_shard(0), {key: LeaseRecord.new(taken, shared=False, now=now[0],
                                                                        ttl=10).to_json()})
        batch.renew_shard(0)
        assert record(store, shared).expire_at == before[shared]     # `other` renewed it 1 s ago
        assert record(store, alone).expire_at > before[alone]
        assert [n for n, _ in lost] == [taken] and "taken over" in lost[0][1]
        assert taken not in batch.names
        batch.release_all()
        assert record(store, shared).shared_holders == 1 and not record(store, taken).is_shared
    finally:
        batch.close()
        other.close()


def test_a_batch_that_stopped_renewing_is_taken_over_after_its_ttl(sharded_store):
    batch = SharedLeaseBatch(sharded_store, timings=FAST)
    locker = DistributedLocker(sharded_store, timings=FAST)
    try:
        many = names(5)
        for name in many:
            batch.hold(name)
        time.sleep(FAST.ttl + 1)     # renewed past its TTL while alive
        assert all(locker.acquire(name, non_blocking=True) is None for name in many)
        batch.close(wait=5)          # frozen: no renewal, nothing given back
        started = time.monotonic()
        handles = [locker.acquire(name, timeout=30) for name in many]
        assert time.monotonic() - started <= TAKEOVER_BOUND + 0.5
        for handle in handles:
            handle.release()
    finally:
        batch.close()
        locker.close()


def test_stage_leases_of_a_kubernetes_build_cost_one_write_per_shard_to_release_and_renew(kube_emulator,
                                                                                         kubeconfig_path):
    from werf_core.sync.synchronization import open_synchronization
    timings = LeaseTimings(ttl=6, renew_period=1, poll_period=0.1, optimistic_retry=0.05)
    sync = open_synchronization(f"kubernetes://werf-synchronization@{kubeconfig_path}", "batchproj",
                                stages_storage=":local", timings=timings)
    try:
        leases = sync.stage_leases()
        batch = leases.batch
        assert batch is not None
        batch._start_renewing = lambda: None    # counted apart below, however slow the machine is
        digests = [uuid.uuid4().hex for _ in range(40)]
        leases.hold(digests[0])
        start = len(kube_emulator.requests)
        for digest in digests[1:]:
            leases.hold(digest)
        taken = kube_emulator.requests[start:]
        assert sum(r.verb == "update" for r in taken) <= 39 and sum(r.verb == "get" for r in taken) <= 39
        shards = {sync.in_use_store.shard_of(lease_key(sync.stage_in_use_lock_name(d))) for d in digests}
        del batch._start_renewing
        start = len(kube_emulator.requests)
        batch._start_renewing()
        time.sleep(timings.renew_period * 2.5)          # two renewals of every shard
        batch.close(wait=10)
        renewals = sum(r.verb == "update" and r.name.startswith("werf-batchproj-in-use")
                       for r in kube_emulator.requests[start:])
        assert len(shards) <= renewals <= 3 * len(shards), renewals   # not 40 per period
        start = len(kube_emulator.requests)
        leases.release_all()
        released = kube_emulator.requests[start:]
        assert sum(r.verb == "update" for r in released) == len(shards)
        assert sum(r.verb == "get" for r in released) == len(shards)
        for digest in digests:
            key = lease_key(sync.stage_in_use_lock_name(digest))
            shard = sync.in_use_store.shard_of(key)
            assert key not in sync.in_use_store.read_shard(shard).values
    finally:
        sync.close()


@pytest.mark.slow
def test_leases_of_a_killed_runner_are_free_for_cleanup_within_ttl_plus_poll(spawn, kube_target, project):
    from werf_core.sync.stage_leases import exclusive_stage_lease
    from werf_core.sync.synchronization import open_synchronization
    digests = [uuid.uuid4().hex for _ in range(6)]
    child = spawn("hold-stage-leases", kube_target.address(), project, str(FAST.ttl), str(FAST.renew_period),
                  str(FAST.poll_period), *digests)
    child.expect("acquired")
    sync = open_synchronization(kube_target.address(), project, stages_storage=":local", timings=FAST)
    try:
        def free() -> list[bool]:
            result = []
            for digest in digests:
                with exclusive_stage_lease(sync.leases_locker, project, digest, kubernetes=True) as handle:
                    result.append(handle is not None)
            return result

        time.sleep(FAST.ttl + 1)       # the live child keeps renewing its whole batch past the TTL...
        assert free() == [False] * len(digests)
        child.signal(signal.SIGKILL)   # ...until it dies without giving anything back
        child.proc.wait(10)
        started = time.monotonic()
        while not all(free()):
            assert time.monotonic() - started <= TAKEOVER_BOUND + 1.0, "leases of a dead runner never expired"
            time.sleep(FAST.poll_period)
    finally:
        sync.close()
