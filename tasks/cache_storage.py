"""The stage tasks' Prefect result storage: a view over werf's stages storage, not a second record store.

Prefect decides a cache hit by reading `<result storage>/<cache key>`. Here that read answers from werf's own
selection: before a stage task is called, `PrefectStageRunner` asks werf (`kind.select` over the stages-storage
cache, which checks git ancestry and that the stage still exists) and *offers* the chosen stage image under the
task's cache key. The view serves an offered key as a Prefect result record — the task run finishes `Cached`
without running its body — and treats every other key as a miss. So `Cached` means exactly "werf's selection found
a suitable stored stage", whoever built it (another runner, a build without Prefect), and there is nothing to keep
in step: nothing is written here, since the stages storage already holds what the body published.

Prefect only accepts saved blocks as result storage, so the view is saved once per server under a fixed name. The
saved document has no fields; the offers live in the process that runs the tasks.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, ClassVar

from prefect.filesystems import WritableFileSystem
from prefect.results import ResultRecord, ResultRecordMetadata
from prefect.serializers import JSONSerializer
from pydantic import PrivateAttr

VIEW_BLOCK_NAME = "werf-stages-storage-view"


class StageNotSelected(FileNotFoundError):
    """werf's selection offered no stored stage for this key: a cache miss (Prefect treats read errors so)."""


class WerfStagesStorageView(WritableFileSystem):
    """Stage-task cache answers taken from werf's stages-storage selection."""

    _block_type_name: ClassVar[str] = "werf Stages Storage View"
    _description: ClassVar[str] = ("werf-prefect stage-task cache: a hit is a stage that werf's selection found in "
                                   "the stages storage. Nothing is stored in this block.")

    _offers: dict[str, bytes] = PrivateAttr(default_factory=dict)
    _guard: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def offer(self, key: str, value: dict[str, Any]) -> None:
        """Serve `value` as the cached result of `key` until withdrawn."""
        record = ResultRecord(result=value, metadata=ResultRecordMetadata(
            storage_key=key, serializer=JSONSerializer(), storage_block_id=self._block_document_id))
        with self._guard:
            self._offers[key] = record.serialize()

    def withdraw(self, key: str) -> None:
        with self._guard:
            self._offers.pop(key, None)

    # Prefect declares these async and dispatches on `_sync`; the sync methods are what its result store calls
    def read_path(self, path: str, _sync: bool | None = None) -> bytes:  # type: ignore[override]
        with self._guard:
            content = self._offers.get(path)
        if content is None:
            raise StageNotSelected(f"werf's selection found no stored stage for {path}")
        return content

    def write_path(self, path: str, content: bytes, _sync: bool | None = None) -> str:  # type: ignore[override]
        return path     # the task body already published the stage in the stages storage: nothing else to keep

    async def aread_path(self, path: str) -> bytes:
        return await asyncio.to_thread(self.read_path, path)

    async def awrite_path(self, path: str, content: bytes) -> str:
        return path


SAVE_ATTEMPTS = 5


def stages_storage_view() -> WerfStagesStorageView:
    """The saved view block: one API read in the usual case; the first flow on a server saves it.

    Image runs of a fanned-out build start together: on a fresh server several may save the block at once, and
    all but one find the block type, schema or document already created (409); they read what the winner saved."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    for attempt in range(SAVE_ATTEMPTS):
        with get_client(sync_client=True) as client:
            try:
                return _view_from_document(client.read_block_document_by_name(
                    name=VIEW_BLOCK_NAME, block_type_slug=WerfStagesStorageView.get_block_type_slug()))
            except ObjectNotFound:
                pass
        block = WerfStagesStorageView()
        try:
            block.save(VIEW_BLOCK_NAME, _sync=True)  # type: ignore[call-arg]  # Prefect's sync/async dispatch
            return block
        except (ValueError, ObjectAlreadyExists):  # "... already in use"/409: another run saved it meanwhile
            if attempt == SAVE_ATTEMPTS - 1:
                raise
            time.sleep(0.2 * (attempt + 1))    # the winner may still be between its schema and its document
    raise AssertionError("unreachable")


def _view_from_document(document: Any) -> WerfStagesStorageView:
    """The view for its saved block document, as `Block.load` would make it — but without its look-up of the block
    class by slug, which first imports every installed Prefect integration (prefect-docker, prefect-kubernetes and
    their clients: ~2 s of CPU in every flow run). The view has no fields: only the document's identity matters."""
    block = WerfStagesStorageView()
    block._block_document_id = document.id
    block._block_document_name = document.name
    block._is_anonymous = document.is_anonymous
    WerfStagesStorageView._block_schema_id = document.block_schema_id
    WerfStagesStorageView._block_type_id = document.block_type_id
    return block
