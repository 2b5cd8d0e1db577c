"""LRU records of local stage images: written when an image comes to this host, refreshed on use, never written
for stages a registry-backed build only looked up."""

from __future__ import annotations

from werf_core.storage import lru


def test_refresh_use_updates_only_images_this_host_has_a_record_of(werf_home):
    lru.refresh_use("registry.example/app/stages:d-1", now=lambda: 10.0)
    assert lru.last_use("registry.example/app/stages:d-1") is None      # never here: no record, no write
    assert not lru.lru_dir().exists() or not any(lru.lru_dir().iterdir())
    lru.record_use("registry.example/app/stages:d-1", now=lambda: 20.0)   # pulled here
    lru.refresh_use("registry.example/app/stages:d-1", now=lambda: 30.0)
    assert lru.last_use("registry.example/app/stages:d-1") == 30.0
