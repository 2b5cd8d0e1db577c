"""Lease takeover between real processes through the Kubernetes API (emulator; a real cluster when
WERF_TEST_KUBECONFIG is set): a runner killed with -9 frees its lock within TTL + poll, and a runner that was frozen
(SIGSTOP) while another took over finds out before it could publish."""

from __future__ import annotations

import signal
import time

import pytest

from werf_core.sync.distributed_locker import DistributedLocker
from werf_core.sync.lease import LeaseTimings

TIMINGS = LeaseTimings(ttl=2, renew_period=0.4, poll_period=0.2, optimistic_retry=0.05)
# expiry has whole-second resolution (Go int64 seconds), so a lease lasts up to TTL + 1 s after its last renewal
TAKEOVER_BOUND = TIMINGS.ttl + 1 + TIMINGS.poll_period


def hold(spawn, kube_target, project, lock):
    child = spawn("hold-lease", str(kube_target.kubeconfig), kube_target.namespace, project, lock,
                  str(TIMINGS.ttl), str(TIMINGS.renew_period), str(TIMINGS.poll_period))
    child.expect("acquired")
    return child


@pytest.mark.slow
def test_lock_of_a_killed_runner_is_taken_over_within_ttl_plus_poll(spawn, kube_target, project):
    child = hold(spawn, kube_target, project, "stage/abc")
    locker = DistributedLocker(kube_target.store(project), timings=TIMINGS)
    time.sleep(TIMINGS.ttl + 1)  # the live child keeps renewing past its TTL...
    assert locker.acquire("stage/abc", non_blocking=True) is None
    child.signal(signal.SIGKILL)  # ...until it dies without releasing anything
    child.proc.wait(10)
    started = time.monotonic()
    waits: list[str] = []
    handle = locker.acquire("stage/abc", timeout=30, on_wait=waits.append)
    took = time.monotonic() - started
    assert took <= TAKEOVER_BOUND + 0.5, f"takeover took {took:.2f}s"
    assert waits == ["stage/abc"]
    handle.ensure_held()
    handle.release()


@pytest.mark.slow
def test_frozen_runner_learns_it_lost_the_lock_and_cannot_confirm_it(spawn, kube_target, project):
    child = hold(spawn, kube_target, project, "stage/frozen")
    child.signal(signal.SIGSTOP)  # e.g. a CI runner's VM paused: no renewals
    try:
        locker = DistributedLocker(kube_target.store(project), timings=TIMINGS)
        handle = locker.acquire("stage/frozen", timeout=30)
    finally:
        child.signal(signal.SIGCONT)
    child.send("check")  # what the builder does right before publishing
    verdict = child.expect("LockError", timeout=20)
    assert 'Lost lock "stage/frozen"' in verdict and "taken over" in verdict
    # its renewal thread also noticed on waking up and called the lost-lease callback
    if not any(line.startswith("lost-lease") for line in child.seen):
        child.expect("lost-lease stage/frozen", timeout=10)
    handle.ensure_held()  # the new holder is unaffected
    child.send("release")
    child.expect("released")
    handle.ensure_held()  # the old holder's release did not free the new holder's lock
    assert DistributedLocker(kube_target.store(project), timings=TIMINGS).acquire(
        "stage/frozen", non_blocking=True) is None
    handle.release()


@pytest.mark.slow
def test_live_holder_in_another_process_passes_its_check_and_releases(spawn, kube_target, project):
    child = hold(spawn, kube_target, project, "stage/live")
    time.sleep(TIMINGS.ttl + 1.5)
    child.send("check")
    assert child.expect("held") == "held"
    child.send("release")
    child.expect("released")
    handle = DistributedLocker(kube_target.store(project), timings=TIMINGS).acquire("stage/live",
                                                                                   non_blocking=True)
    assert handle is not None
    handle.release()
