"""Opening a project's synchronization: the locker for stage/cache/image locks and the stages-storage cache.

    sync = open_synchronization(args.synchronization, project, stages_storage=args.stages_storage)
    with sync.locker.locked(sync.stage_lock_name(digest), on_wait=print_waiting) as lock:
        ...                   # re-check the storage
        lock.ensure_held()    # right before publishing
        ...                   # publish, then sync.cache.store_stages(project, digest, ids)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from werf_core.paths import locks_dir
from werf_core.storage.sync_protocol import StagesSynchronization
from werf_core.sync import lock_names
from werf_core.sync.address import LOCAL, SynchronizationAddress, parse_synchronization_address, with_kube_environment
from werf_core.sync.file_locker import FileLocker
from werf_core.sync.intents import DEFAULT_POLL as INTENT_POLL
from werf_core.sync.intents import BuildIntents
from werf_core.sync.lease import LeaseTimings
from werf_core.sync.locker import Locker
from werf_core.sync.stages_cache import FileStagesStorageCache, StagesStorageCache

if TYPE_CHECKING:
    from werf_core.sync.stage_leases import StageLeases
    from werf_core.sync.stores import ShardedStore


class BuildSynchronization(StagesSynchronization, Protocol):
    """What builds and publishing use: the locker and cache, and the names of stage and image locks."""

    @property
    def locker(self) -> Locker: ...

    def stage_lock_name(self, digest: str) -> str: ...

    def image_lock_name(self, image: str) -> str: ...

    def close(self) -> None: ...


@dataclass
class Synchronization:
    address: str
    project: str
    locker: Locker
    cache: StagesStorageCache
    is_kubernetes: bool = False
    in_use_locker: Locker | None = None       # where stage in-use leases live (default: `locker`)
    in_use_store: ShardedStore | None = None  # kubernetes://: their sharded ConfigMaps, for a build's lease batch
    in_use_timings: LeaseTimings = LeaseTimings()
    intents: BuildIntents | None = None      # None: every runner builds what it misses (no coordination)
    _on_close: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @property
    def leases_locker(self) -> Locker:
        return self.in_use_locker or self.locker

    def stage_lock_name(self, digest: str) -> str:
        return lock_names.stage_lock_name(self.project, digest, kubernetes=self.is_kubernetes)

    def stage_cache_lock_name(self, digest: str) -> str:
        return lock_names.stage_cache_lock_name(self.project, digest, kubernetes=self.is_kubernetes)

    def build_intent_lock_name(self, digest: str) -> str:
        return lock_names.build_intent_lock_name(self.project, digest, kubernetes=self.is_kubernetes)

    def image_lock_name(self, image: str) -> str:
        return lock_names.image_lock_name(image, kubernetes=self.is_kubernetes)

    def stage_in_use_lock_name(self, digest: str) -> str:
        return lock_names.stage_in_use_lock_name(self.project, digest, kubernetes=self.is_kubernetes)

    def stage_leases(self) -> StageLeases:
        """A build's set of shared stage leases (see stage_leases.py); release them with `release_all()`."""
        from werf_core.sync.stage_leases import StageLeases
        batch = None
        if self.in_use_store is not None:
            from werf_core.sync.lease_batch import SharedLeaseBatch
            batch = SharedLeaseBatch(self.in_use_store, timings=self.in_use_timings)
            self._on_close.append(batch.close)
        return StageLeases(self.project, self.leases_locker, kubernetes=self.is_kubernetes,
                           host_locker=host_locker(), batch=batch)

    def close(self) -> None:
        """Stop background lease renewal (held distributed locks then expire after their TTL)."""
        for close in self._on_close:
            close()
        self._on_close.clear()


def default_warn(message: str) -> None:
    sys.stderr.write(f"Warning: {message}\n")


def open_synchronization(address: str | None, project: str, *, stages_storage: str,
                         warn: Callable[[str], None] = default_warn,
                         env: Mapping[str, str] | None = None,
                         timings: LeaseTimings = LeaseTimings(),
                         cache_budget: int | None = None,
                         request_timeout: float | tuple[float, float] | None = None) -> Synchronization:
    """The synchronization named by `address`, else `$WERF_SYNCHRONIZATION`, else `:local`.

    Unset with a non-local stages storage still means `:local` (werf would use its public server, which we do not
    run) — with a warning, because runners on other machines are then not coordinated.
    `timings`, `cache_budget` and `request_timeout` exist for tests and unusual clusters; keep the defaults so
    werf runners sharing the locks agree on lease lengths.
    """
    env = os.environ if env is None else env
    text = (address or env.get("WERF_SYNCHRONIZATION") or "").strip()
    if not text:
        if stages_storage.strip() != LOCAL:
            warn(f"no --synchronization (WERF_SYNCHRONIZATION) given: using {LOCAL}. Runners on other machines "
                 f"that use the stages storage {stages_storage} will not be coordinated with this one; give "
                 f"every runner --synchronization=kubernetes://NAMESPACE to coordinate them.")
        text = LOCAL
    parsed = parse_synchronization_address(text)
    if parsed.is_local:
        locker = FileLocker(locks_dir())
        intents = BuildIntents(locker, lambda digest: lock_names.build_intent_lock_name(project, digest))
        return Synchronization(LOCAL, project, locker, FileStagesStorageCache(), intents=intents)
    return _open_kubernetes(with_kube_environment(parsed, env), project, timings=timings,
                            cache_budget=cache_budget, request_timeout=request_timeout)


def _open_kubernetes(address: SynchronizationAddress, project: str, *, timings: LeaseTimings,
                     cache_budget: int | None,
                     request_timeout: float | tuple[float, float] | None) -> Synchronization:
    from werf_core.sync.configmap_store import ConfigMapAnnotationsStore, ShardedConfigMapAnnotationsStore
    from werf_core.sync.distributed_locker import DistributedLocker
    from werf_core.sync.kube_api import KubeApi
    from werf_core.sync.kube_stages_cache import KubernetesStagesStorageCache, config_map_name
    from werf_core.sync.stages_cache import check_path_component

    check_path_component("project", project)
    assert address.kube is not None and address.namespace is not None, "a kubernetes:// address names both"
    options: dict[str, Any] = {} if request_timeout is None else {"request_timeout": request_timeout}
    api = KubeApi.connect(address.kube, **options)
    store = ConfigMapAnnotationsStore(api, address.namespace, config_map_name(project))
    locker = DistributedLocker(store, timings=timings)
    # stage in-use leases (stage_leases.py) are many and renewed often: spread over their own ConfigMaps. Every
    # runner of a commit joins and leaves the same shared records at about the same moment, so compare-and-swap
    # races are the rule there: retried after ~0.1 s, not lockgate's 1 s (they are ours alone, like intents)
    # a build holds them as one batch (lease_batch.py: one compare-and-swap per shard for all of its digests there);
    # `in_use_locker` is how cleanup probes them one by one
    in_use_store = ShardedConfigMapAnnotationsStore(api, address.namespace, f"{config_map_name(project)}-in-use")
    in_use_timings = replace(timings, optimistic_retry=min(timings.optimistic_retry, 0.1))
    in_use_locker = DistributedLocker(in_use_store, timings=in_use_timings)
    cache_options: dict[str, Any] = {} if cache_budget is None else {"budget": cache_budget}
    cache = KubernetesStagesStorageCache(api, address.namespace, **cache_options)
    # intents are ours alone: their leases live apart from werf's lock records (fewer write conflicts), and a lost
    # compare-and-swap race is retried sooner than lockgate's 1 s; the TTL (how soon a dead builder is replaced)
    # stays the same
    intent_store = ShardedConfigMapAnnotationsStore(api, address.namespace, f"{config_map_name(project)}-intents")
    intent_locker = DistributedLocker(intent_store, timings=replace(
        timings, optimistic_retry=min(timings.optimistic_retry, 0.1)))
    intents = BuildIntents(intent_locker, lambda digest: lock_names.build_intent_lock_name(
        project, digest, kubernetes=True), poll=min(timings.poll_period, INTENT_POLL), retake_every=timings.poll_period)
    return Synchronization(address.text, project, locker, cache, is_kubernetes=True, intents=intents,
                           in_use_locker=in_use_locker, in_use_store=in_use_store, in_use_timings=in_use_timings,
                           _on_close=[locker.close, intent_locker.close, in_use_locker.close, api.close])


def host_locker() -> FileLocker:
    """Host locks (`image.<name>`, `container.<name>`, ...) — always file locks under the werf home."""
    return FileLocker(locks_dir())
