"""Where stage-task cache records live: with werf's stages-storage cache, on whatever the synchronization shares.

Prefect finds a cache hit by reading `<result storage>/<cache key>` on the client; the server is never asked. So
the records must sit where every runner of a project looks:

- `:local` synchronization (one host): `WerfStageCacheDirectory`, files under
  `$WERF_HOME/shared_context/prefect_stage_cache/`, next to werf's file stages-storage cache.
- `kubernetes://NAMESPACE` (many hosts): `WerfStageCacheConfigMap`, a ConfigMap per project in the namespace that
  already holds the locks and werf's cache (see `configmap_records`).

Both are Prefect filesystem blocks, saved once per server under a fixed name, because Prefect only accepts saved
blocks as result storage (the task run's result reference names the block). The saved documents hold no host
details and no credentials: the directory is resolved from `WERF_HOME` on the reading host, and the ConfigMap block
is bound at run time to the Kubernetes client the flow already opened for the synchronization.

Only stage records are stored. Prefect also writes a payload under a random UUID when a task fails; those are not
cache answers, nobody looks them up by key, and in a shared ConfigMap they would only eat the 1 MiB, so both
blocks drop them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar

from prefect.filesystems import WritableFileSystem
from pydantic import Field, PrivateAttr

from tasks.cache_key import is_stage_cache_key
from tasks.configmap_records import ConfigMapRecordStore
from werf_core.fsutil import atomic_write
from werf_core.paths import werf_home

LOCAL_BLOCK_NAME = "werf-stage-cache-local"


def local_cache_directory() -> Path:
    return werf_home() / "shared_context" / "prefect_stage_cache"


class StageRecordMissing(FileNotFoundError):
    """No record under this key (Prefect treats any read error as a cache miss)."""


class WerfStageCacheDirectory(WritableFileSystem):
    """Stage-task cache records as files under `$WERF_HOME/shared_context/prefect_stage_cache/` of each host."""

    _block_type_name: ClassVar[str] = "werf Stage Cache Directory"
    _description: ClassVar[str] = ("werf-prefect stage-task cache records (one small JSON file per stage digest) "
                                   "in $WERF_HOME/shared_context/prefect_stage_cache on the host running the flow.")

    def _path(self, key: str) -> Path:
        if not is_stage_cache_key(key):
            raise StageRecordMissing(f"{key!r} is not a stage cache key")
        return local_cache_directory() / key

    def read_path(self, path: str, _sync: bool | None = None) -> bytes:
        try:
            return self._path(path).read_bytes()
        except FileNotFoundError:
            raise StageRecordMissing(f"no stage cache record {path}") from None

    def write_path(self, path: str, content: bytes, _sync: bool | None = None) -> str:
        if not is_stage_cache_key(path):
            return path     # a failure payload: not a cache answer (see the module docstring)
        # a concurrent reader sees the old record or the new one, never half of one
        atomic_write(self._path(path), content)
        return path

    def delete_path(self, path: str) -> None:
        self._path(path).unlink(missing_ok=True)

    async def aread_path(self, path: str) -> bytes:
        return await asyncio.to_thread(self.read_path, path)

    async def awrite_path(self, path: str, content: bytes) -> str:
        return await asyncio.to_thread(self.write_path, path, content)


class WerfStageCacheConfigMap(WritableFileSystem):
    """Stage-task cache records in ConfigMaps `werf-<project>-prefect-stage-cache` of the synchronization namespace."""

    _block_type_name: ClassVar[str] = "werf Stage Cache ConfigMap"
    _description: ClassVar[str] = ("werf-prefect stage-task cache records in a ConfigMap per project, in the "
                                   "Kubernetes namespace used for werf's locks and stages-storage cache.")

    namespace: str = Field(description="Namespace of the werf synchronization (kubernetes://NAMESPACE).")
    _store: Any = PrivateAttr(default=None)

    @classmethod
    def block_name(cls, namespace: str) -> str:
        return f"werf-stage-cache-{namespace}"

    def bind(self, api) -> WerfStageCacheConfigMap:
        """Use this Kubernetes client (the synchronization's own) instead of connecting from the environment."""
        self._store = ConfigMapRecordStore(api, self.namespace)
        return self

    def store(self) -> ConfigMapRecordStore:
        if self._store is None:
            # a reader that did not open the synchronization (e.g. fetching an old result): default kubeconfig,
            # or the pod's service account
            from werf_core.sync.kube_api import KubeApi, KubeConfigSource
            self._store = ConfigMapRecordStore(KubeApi.connect(KubeConfigSource()), self.namespace)
        return self._store

    def read_path(self, path: str, _sync: bool | None = None) -> bytes:
        if not is_stage_cache_key(path):
            raise StageRecordMissing(f"{path!r} is not a stage cache key")
        content = self.store().read(path)
        if content is None:
            raise StageRecordMissing(f"no stage cache record {path} in {self.store().describe()}")
        return content

    def write_path(self, path: str, content: bytes, _sync: bool | None = None) -> str:
        if is_stage_cache_key(path):
            self.store().write(path, content)
        return path

    def delete_path(self, path: str) -> None:
        self.store().delete(path)

    async def aread_path(self, path: str) -> bytes:
        return await asyncio.to_thread(self.read_path, path)

    async def awrite_path(self, path: str, content: bytes) -> str:
        return await asyncio.to_thread(self.write_path, path, content)


def stage_cache_storage(sync) -> WritableFileSystem:
    """The saved block for a project's synchronization (a `werf_core.sync.Synchronization`), ready to use."""
    if getattr(sync, "is_kubernetes", False):
        namespace = sync.cache.namespace
        block = _load_or_save(WerfStageCacheConfigMap, WerfStageCacheConfigMap.block_name(namespace),
                              lambda: WerfStageCacheConfigMap(namespace=namespace))
        return block.bind(sync.cache.api)
    return _load_or_save(WerfStageCacheDirectory, LOCAL_BLOCK_NAME, WerfStageCacheDirectory)


def _load_or_save(block_class, name: str, make):
    """One API read in the usual case; the first flow on a server saves the block (a racing one then loads it)."""
    try:
        return block_class.load(name, _sync=True)
    except ValueError:          # "Unable to find block document named ..."
        pass
    block = make()
    try:
        block.save(name, _sync=True)
    except ValueError:          # "... a name that is already in use": another flow saved it meanwhile
        return block_class.load(name, _sync=True)
    return block
