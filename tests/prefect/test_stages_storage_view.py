"""The stage-cache view block: image runs starting together on a server that has none all end up with the one saved
block (a fanned-out build's first children race to save it)."""

from __future__ import annotations

import threading

import pytest

pytestmark = [pytest.mark.prefect]


def test_runs_saving_the_view_at_once_all_get_the_one_saved_block(prefect_api):
    from tasks.cache_storage import VIEW_BLOCK_NAME, WerfStagesStorageView, stages_storage_view
    slug = WerfStagesStorageView.get_block_type_slug()
    for document in prefect_api.post("/block_documents/filter", {"block_types": {"slug": {"any_": [slug]}}}):
        if document["name"] == VIEW_BLOCK_NAME:
            import httpx
            httpx.delete(f"{prefect_api.url}/block_documents/{document['id']}", timeout=30).raise_for_status()
    start = threading.Barrier(6)
    views: list = []
    errors: list = []

    def save() -> None:
        start.wait()
        try:
            views.append(stages_storage_view())
        except Exception as error:      # reported below
            errors.append(error)
    threads = [threading.Thread(target=save) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(views) == 6
    assert len({view._block_document_id for view in views}) == 1
