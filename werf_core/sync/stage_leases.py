"""Stage leases: what makes a running build and a concurrent cleanup safe together.

A build holds a *shared* lease on every stage digest it looks up, taken **before** the lookup and kept until the
build (and the publication that follows it) ends. Cleanup deletes the stages of a digest only while holding the same
lease *exclusively*, taken without waiting: a digest some build is using is skipped (reported as in use), and a build
that comes to a digest while cleanup is deleting it waits until the deletion and the cache update are done, then
finds the stage gone and builds it again. So a stage a running build selected or just published is never deleted.

Two lock families carry the lease:

| where | lock name | who probes it |
|---|---|---|
| the project's synchronization (`:local` file locks or `kubernetes://`) | `<project>.<digest>.in-use` / `stage-in-use/<digest>` | images/stages cleanup, on any machine |
| host file locks (always) | `<project>.<digest>.in-use` | `werf host cleanup` (LRU GC of local stage images) |

With `:local` synchronization both are the same file lock, taken once. With `kubernetes://` the build's leases are
one `SharedLeaseBatch` (lease_batch.py): the same lockgate records, but taken, renewed and given back one
compare-and-swap per shard ConfigMap for all of the build's digests in it, instead of one per digest.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werf_core.sync.lease_batch import SharedLeaseBatch
from werf_core.sync.lock_names import stage_in_use_lock_name as in_use_lock_name
from werf_core.sync.locker import Locker, LockHandle


class StageLeases:
    """The shared leases one build holds; `hold(digest)` is idempotent, `release_all()` ends them."""

    def __init__(self, project: str, sync_locker: Locker, *, kubernetes: bool, host_locker: Locker | None,
                 batch: SharedLeaseBatch | None = None) -> None:
        """`batch`: where the synchronization's leases go when given (kubernetes://), else `sync_locker`."""
        self.project = project
        self.sync_locker = sync_locker
        self.batch = batch
        self.kubernetes = kubernetes
        # with :local synchronization the sync locks already are host file locks: one lease is enough
        self.host_locker = host_locker if kubernetes else None
        self._held: dict[str, list[LockHandle]] = {}
        self._mutex = threading.Lock()
        self._digest_locks: dict[str, threading.Lock] = {}

    def hold(self, digest: str) -> None:
        """Take the shared lease on `digest` (waits while a cleanup deletes the digest's stages)."""
        with self._mutex:
            if digest in self._held:
                return
            per_digest = self._digest_locks.setdefault(digest, threading.Lock())
        with per_digest:
            with self._mutex:
                if digest in self._held:
                    return
            handles: list[LockHandle] = []
            sync_name = in_use_lock_name(self.project, digest, kubernetes=self.kubernetes)
            if self.batch is not None:
                self.batch.hold(sync_name)
            else:
                sync_handle = self.sync_locker.acquire(sync_name, shared=True)
                if sync_handle is not None:
                    handles.append(sync_handle)
            if self.host_locker is not None:
                host_handle = self.host_locker.acquire(in_use_lock_name(self.project, digest), shared=True)
                if host_handle is not None:
                    handles.append(host_handle)
            with self._mutex:
                self._held[digest] = handles

    @property
    def digests(self) -> list[str]:
        with self._mutex:
            return sorted(self._held)

    def release_all(self) -> None:
        """Give every lease back — in parallel: each is a read and a write of a record, and a build holds one per
        stage it looked at, so one after the other they would add up at the end of every build."""
        with self._mutex:
            held, self._held = self._held, {}
        if self.batch is not None:
            self.batch.release_all()
        handles = [handle for digest_handles in held.values() for handle in digest_handles]

        def release(handle: LockHandle) -> None:
            try:
                handle.release()
            except Exception:   # an expired lease is already gone: nothing left to give back
                pass

        if len(handles) <= 1:
            for handle in handles:
                release(handle)
            return
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=min(8, len(handles)), thread_name_prefix="lease-release") as pool:
            list(pool.map(release, handles))


@contextmanager
def exclusive_stage_lease(locker: Locker, project: str, digest: str, *,
                          kubernetes: bool) -> Iterator[LockHandle | None]:
    """Cleanup's side: the lease on `digest` exclusively if nobody uses it right now, else None (do not wait)."""
    with locker.locked(in_use_lock_name(project, digest, kubernetes=kubernetes), non_blocking=True) as handle:
        yield handle
