"""A separate runner process for the cross-process tests: `python -m tests.sync.child COMMAND ARGS...`.

It reports on stdout, one line per event, and takes orders on stdin, so a test can hold it at any point, kill it
(-9) or freeze it (SIGSTOP) while it holds a lock.

    hold-lease KUBECONFIG NAMESPACE PROJECT LOCK TTL RENEW POLL   acquire a distributed lock; then on stdin:
                                                                  "check" → ensure_held(), "release", "exit"
    hold-file LOCKS_DIR LOCK shared|exclusive                     acquire a file lock; "release", "exit"
    fill-cache KUBECONFIG NAMESPACE PROJECT WORKER COUNT          wait for "go", then store COUNT own digests and
                                                                  append one stage to a shared digest per round
    hold-intent ADDRESS PROJECT DIGEST TTL RENEW POLL             announce a build intent through the project's
                                                                  synchronization (:local or kubernetes://...);
                                                                  then "release", "exit"
    hold-stage-leases ADDRESS PROJECT TTL RENEW POLL DIGEST...    hold a build's stage in-use leases (one batch with
                                                                  kubernetes://); then "release", "exit"
"""

from __future__ import annotations

import sys

from werf_core.errors import WerfError


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def orders():
    for line in sys.stdin:
        yield line.strip()


def serve_release(release, check=None) -> None:
    """Hold until stdin says "release" (then `release()`, and keep listening) or "exit"; "check" runs `check`."""
    for order in orders():
        if order == "check" and check is not None:
            check()
        elif order == "release":
            release()
            say("released")
        elif order == "exit":
            return


def hold_lease(kubeconfig, namespace, project, lock, ttl, renew, poll) -> None:
    from werf_core.sync.configmap_store import ConfigMapAnnotationsStore
    from werf_core.sync.distributed_locker import DistributedLocker
    from werf_core.sync.kube_api import KubeApi, KubeConfigSource
    from werf_core.sync.lease import LeaseTimings

    api = KubeApi.connect(KubeConfigSource(config_path=kubeconfig))
    timings = LeaseTimings(ttl=float(ttl), renew_period=float(renew), poll_period=float(poll),
                           optimistic_retry=0.05)
    locker = DistributedLocker(ConfigMapAnnotationsStore(api, namespace, f"werf-{project}"), timings=timings)
    handle = locker.acquire(lock, on_lost_lease=lambda h: say(f"lost-lease {h.name}"))
    say(f"acquired {handle.uuid}")

    def check() -> None:
        try:
            handle.ensure_held()
            say("held")
        except WerfError as err:
            say("LockError " + err.message.replace("\n", " "))
    serve_release(handle.release, check)


def hold_file(locks_dir, lock, mode) -> None:
    from werf_core.sync.file_locker import FileLocker

    locker = FileLocker(locks_dir, poll_interval=0.05)
    handle = locker.acquire(lock, shared=mode == "shared", on_wait=lambda name: say(f"waiting {name}"))
    say("acquired")
    serve_release(handle.release)


def fill_cache(kubeconfig, namespace, project, worker, count) -> None:
    from werf_core.storage.stage_id import StageID
    from werf_core.sync.configmap_store import ConfigMapAnnotationsStore
    from werf_core.sync.distributed_locker import DistributedLocker
    from werf_core.sync.kube_api import KubeApi, KubeConfigSource
    from werf_core.sync.kube_stages_cache import KubernetesStagesStorageCache
    from werf_core.sync.lease import LeaseTimings
    from werf_core.sync.lock_names import stage_cache_lock_name

    api = KubeApi.connect(KubeConfigSource(config_path=kubeconfig))
    cache = KubernetesStagesStorageCache(api, namespace)
    locker = DistributedLocker(ConfigMapAnnotationsStore(api, namespace, f"werf-{project}"),
                               timings=LeaseTimings(ttl=10, renew_period=2, poll_period=0.05,
                                                    optimistic_retry=0.02))
    say("ready")
    if next(orders(), None) != "go":
        return
    worker, count = int(worker), int(count)
    for i in range(count):
        digest = f"w{worker}d{i}"
        cache.store_stages(project, digest, [StageID(digest, 1_000 * worker + i)])
        # the builder's pattern for a digest many runners publish to: read-modify-write under the cache lock
        with locker.locked(stage_cache_lock_name(project, "shared", kubernetes=True)):
            ids = cache.get_stages(project, "shared") or []
            cache.store_stages(project, "shared", ids + [StageID("shared", 1_000 * worker + i)])
    say("done")


def hold_intent(address, project, digest, ttl, renew, poll) -> None:
    from werf_core.sync.lease import LeaseTimings
    from werf_core.sync.synchronization import open_synchronization

    timings = LeaseTimings(ttl=float(ttl), renew_period=float(renew), poll_period=float(poll), optimistic_retry=0.05)
    sync = open_synchronization(address, project, stages_storage=":local", timings=timings)
    with sync.intents.building(digest, what="child", find_published=lambda: None,
                               on_wait=lambda message: say("waiting")) as intent:
        say(f"acquired waited={intent.waited}")
        for order in orders():
            if order == "release":
                break
            if order == "exit":
                return
    say("released")


def hold_stage_leases(address, project, ttl, renew, poll, *digests) -> None:
    from werf_core.sync.lease import LeaseTimings
    from werf_core.sync.synchronization import open_synchronization

    timings = LeaseTimings(ttl=float(ttl), renew_period=float(renew), poll_period=float(poll), optimistic_retry=0.05)
    sync = open_synchronization(address, project, stages_storage=":local", timings=timings)
    leases = sync.stage_leases()
    for digest in digests:
        leases.hold(digest)
    say("acquired")
    serve_release(leases.release_all)


COMMANDS = {"hold-lease": hold_lease, "hold-file": hold_file, "fill-cache": fill_cache, "hold-intent": hold_intent,
            "hold-stage-leases": hold_stage_leases}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])
