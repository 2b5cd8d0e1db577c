"""Build intents (`werf_core.sync.intents`): one runner builds a stage, the others wait for it — and take over when
it dies. File locks (`:local`), leases in memory, and leases in ConfigMaps (emulator; a real cluster with
WERF_TEST_KUBECONFIG)."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from tests.sync.conftest import FAST
from werf_core.errors import LockError
from werf_core.sync.distributed_locker import DistributedLocker
from werf_core.sync.file_locker import FileLocker
from werf_core.sync.intents import TIMEOUT_ENV, BuildIntents, timeout_from_env
from werf_core.sync.lock_names import build_intent_lock_name
from werf_core.sync.stores import InMemoryStore

DIGEST = "e" * 56


@pytest.fixture(params=["file", "memory", "emulator", "cluster"])
def locker(request, tmp_path):
    if request.param == "file":
        yield FileLocker(tmp_path / "locks", poll_interval=0.05)
        return
    if request.param == "memory":
        distributed = DistributedLocker(InMemoryStore(), timings=FAST)
        yield distributed
        distributed.close()
        return
    from tests.support.kube_emulator import KubeEmulator
    from tests.sync.conftest import _cluster_target, _delete_namespace
    from werf_core.sync.configmap_store import ShardedConfigMapAnnotationsStore
    if request.param == "cluster":
        target = _cluster_target()
        distributed = DistributedLocker(ShardedConfigMapAnnotationsStore(target.api(), target.namespace,
                                                                         "werf-p-intents"), timings=FAST)
        yield distributed
        distributed.close()
        _delete_namespace(target)
        return
    with KubeEmulator() as emulator:
        path = emulator.write_kubeconfig(tmp_path / "kubeconfig")
        from tests.sync.conftest import KubeTarget
        target = KubeTarget(path, "werf-synchronization", emulator)
        distributed = DistributedLocker(ShardedConfigMapAnnotationsStore(target.api(), target.namespace,
                                                                         "werf-p-intents"), timings=FAST)
        yield distributed
        distributed.close()


def intents_of(locker, **options) -> BuildIntents:
    return BuildIntents(locker, lambda digest: build_intent_lock_name("p", digest), poll=0.05, **options)


def test_lock_names():
    assert build_intent_lock_name("proj", DIGEST) == f"proj.{DIGEST}.intent"
    assert build_intent_lock_name("proj", DIGEST, kubernetes=True) == f"stage-intent/{DIGEST}"


def test_a_second_runner_waits_and_reuses_what_the_first_published(locker):
    builder, waiter = intents_of(locker), intents_of(locker)
    published: list[str] = []
    messages: list[str] = []
    outcome = {}
    with builder.building(DIGEST, what="app/install", find_published=lambda: None) as mine:
        assert mine.found is None and not mine.waited and mine.handle is not None

        def wait() -> None:
            with waiter.building(DIGEST, what="app/install", find_published=lambda: published[0] if published
                                 else None, on_wait=messages.append) as theirs:
                outcome["intent"] = theirs

        thread = threading.Thread(target=wait)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive() and len(messages) == 1
        assert "app/install: waiting for another runner that is building stage " + DIGEST in messages[0]
        published.append("stage-by-builder")
    thread.join(10)
    theirs = outcome["intent"]
    assert theirs.found == "stage-by-builder" and theirs.waited and theirs.handle is None


def test_an_intent_given_up_without_publication_is_taken_over(locker):
    builder, waiter = intents_of(locker), intents_of(locker)
    outcome = {}
    with builder.building(DIGEST, what="x", find_published=lambda: None):
        def wait() -> None:
            with waiter.building(DIGEST, what="x", find_published=lambda: None) as theirs:
                outcome["held"] = theirs.handle is not None and not theirs.handle.released
                outcome["waited"] = theirs.waited
        thread = threading.Thread(target=wait)
        thread.start()
        time.sleep(0.3)
        assert thread.is_alive()
    thread.join(10)
    assert outcome == {"held": True, "waited": True}
    # released afterwards: a third runner gets it at once
    with intents_of(locker).building(DIGEST, what="x", find_published=lambda: None) as third:
        assert not third.waited and third.handle is not None


def test_a_wait_times_out_with_a_clear_error(locker):
    with intents_of(locker).building(DIGEST, what="app/setup", find_published=lambda: None):
        with pytest.raises(LockError) as info:
            with intents_of(locker, timeout=0.3).building(DIGEST, what="app/setup", find_published=lambda: None):
                pass
    assert "app/setup: timed out after" in info.value.message and DIGEST in info.value.message
    assert TIMEOUT_ENV in info.value.hint


def test_timeout_from_the_environment(monkeypatch):
    monkeypatch.delenv(TIMEOUT_ENV, raising=False)
    assert timeout_from_env() == 3600
    monkeypatch.setenv(TIMEOUT_ENV, "90")
    assert timeout_from_env() == 90
    for bad in ("soon", "0", "-5"):
        monkeypatch.setenv(TIMEOUT_ENV, bad)
        with pytest.raises(LockError) as info:
            timeout_from_env()
        assert TIMEOUT_ENV in info.value.message


def test_intents_of_different_digests_do_not_interfere():
    locker = DistributedLocker(InMemoryStore(), timings=FAST)
    with intents_of(locker).building("a" * 56, what="x", find_published=lambda: None) as first:
        with intents_of(locker).building("b" * 56, what="y", find_published=lambda: None) as second:
            assert not first.waited and not second.waited
    locker.close()


# -------- a holder killed with -9, through the project's synchronization as the builder opens it
def _takeover(spawn, address: str, project: str, ttl: float) -> float:
    from werf_core.sync.lease import LeaseTimings
    from werf_core.sync.synchronization import open_synchronization

    holder = spawn("hold-intent", address, project, DIGEST, str(ttl), str(ttl / 5), "0.1")
    holder.expect("acquired waited=False", timeout=60)
    timings = LeaseTimings(ttl=ttl, renew_period=ttl / 5, poll_period=0.1, optimistic_retry=0.05)
    sync = open_synchronization(address, project, stages_storage=":local", timings=timings)
    messages: list[str] = []
    result = {}

    def wait() -> None:
        with sync.intents.building(DIGEST, what="app/install", find_published=lambda: None,
                                   on_wait=messages.append) as intent:
            result["at"] = time.monotonic()
            result["held"] = intent.handle is not None and intent.waited

    thread = threading.Thread(target=wait)
    thread.start()
    time.sleep(1.0)
    assert thread.is_alive() and messages, "the waiter did not wait for the holder"
    os.kill(holder.pid, signal.SIGKILL)
    killed = time.monotonic()
    thread.join(ttl + 30)
    sync.close()
    assert result.get("held"), result
    return result["at"] - killed


def test_a_killed_file_intent_holder_is_replaced_at_once(spawn, tmp_path, monkeypatch, project):
    monkeypatch.setenv("WERF_HOME", str(tmp_path / "home"))
    assert _takeover(spawn, ":local", project, ttl=2.0) < 2.0     # the kernel drops the flock with the process


@pytest.mark.slow
def test_a_killed_lease_intent_holder_is_replaced_within_the_ttl(spawn, kube_target, project):
    ttl = 3.0
    took = _takeover(spawn, kube_target.address(), project, ttl=ttl)
    assert took <= ttl + 2.0, f"took over {took:.1f}s after the kill (TTL {ttl}s)"
    if kube_target.emulator is not None:
        # intents live in their own ConfigMaps, not in werf's lock ConfigMap
        assert kube_target.emulator.config_map(kube_target.namespace, f"werf-{project}") is None
