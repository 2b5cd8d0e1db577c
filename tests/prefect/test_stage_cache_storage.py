"""Where stage-task cache records live: files under the werf home (:local), a ConfigMap (kubernetes://)."""

from __future__ import annotations

import json
import threading

import pytest

from tasks.cache_key import stage_cache_key
from tasks.cache_storage import (
    StageRecordMissing,
    WerfStageCacheConfigMap,
    WerfStageCacheDirectory,
    local_cache_directory,
)
from tasks.configmap_records import WRITTEN_KEY, ConfigMapRecordStore, config_map_name
from werf_core.sync.kube_api import KubeApi, KubeConfigSource

NS = "werf-synchronization"


def key(n: int, project: str = "app", storage: str = ":local") -> str:
    return stage_cache_key(project, storage, f"{n:056x}")


def record(n: int, size: int = 100) -> bytes:
    return json.dumps({"metadata": {"storage_key": key(n)}, "result": "x" * size}).encode()


@pytest.fixture
def api(kubeconfig_path) -> KubeApi:
    return KubeApi.connect(KubeConfigSource(config_path=str(kubeconfig_path)))


# ---------------------------------------------------------------- directory (:local)
def test_directory_records_live_under_the_werf_home(werf_home):
    block = WerfStageCacheDirectory()
    block.write_path(key(1), record(1), _sync=True)
    assert (werf_home / "shared_context" / "prefect_stage_cache" / key(1)).read_bytes() == record(1)
    assert block.read_path(key(1), _sync=True) == record(1)
    assert local_cache_directory() == werf_home / "shared_context" / "prefect_stage_cache"


def test_directory_missing_record_and_failure_payloads(werf_home):
    block = WerfStageCacheDirectory()
    with pytest.raises(StageRecordMissing):
        block.read_path(key(2), _sync=True)
    # Prefect stores a failed task's payload under a random UUID: not a cache answer, not kept
    block.write_path("6614c620-5e6c-4428-a718-765cbdc7ecff", b'{"result": "null"}', _sync=True)
    assert not (werf_home / "shared_context" / "prefect_stage_cache").exists()
    with pytest.raises(StageRecordMissing):
        block.read_path("../../etc/passwd", _sync=True)


def test_directory_overwrite_is_atomic_and_leaves_no_temporary_files(werf_home):
    block = WerfStageCacheDirectory()
    for n in range(3):
        block.write_path(key(7), record(n), _sync=True)
    directory = werf_home / "shared_context" / "prefect_stage_cache"
    assert [p.name for p in directory.iterdir()] == [key(7)]
    assert block.read_path(key(7), _sync=True) == record(2)


def test_directory_follows_werf_home_of_the_reading_process(tmp_path, monkeypatch):
    block = WerfStageCacheDirectory()
    monkeypatch.setenv("WERF_HOME", str(tmp_path / "a"))
    block.write_path(key(1), record(1), _sync=True)
    monkeypatch.setenv("WERF_HOME", str(tmp_path / "b"))
    with pytest.raises(StageRecordMissing):
        block.read_path(key(1), _sync=True)


# ---------------------------------------------------------------- ConfigMap (kubernetes://)
def test_configmap_records_per_project_next_to_werfs_configmap(api, kube_emulator):
    block = WerfStageCacheConfigMap(namespace=NS).bind(api)
    block.write_path(key(1, "app"), record(1), _sync=True)
    block.write_path(key(2, "other"), record(2), _sync=True)
    assert block.read_path(key(1, "app"), _sync=True) == record(1)
    data = kube_emulator.config_map(NS, config_map_name("app"))["data"]
    assert set(data) == {key(1, "app"), WRITTEN_KEY}
    assert kube_emulator.config_map(NS, "werf-other-prefect-stage-cache")["data"][key(2, "other")] == record(2).decode()
    with pytest.raises(StageRecordMissing):
        block.read_path(key(3, "app"), _sync=True)


def test_configmap_drops_failure_payloads(api, kube_emulator):
    block = WerfStageCacheConfigMap(namespace=NS).bind(api)
    block.write_path("0b7e2d9c-1111-2222-3333-444455556666", b"{}", _sync=True)
    assert kube_emulator.count("create", "configmaps") == 0


def test_configmap_stays_under_its_budget_dropping_the_oldest(api, kube_emulator):
    store = ConfigMapRecordStore(api, NS, budget=20_000)
    for n in range(40):
        store.write(key(n), record(n, size=1000))
    data = kube_emulator.config_map(NS, config_map_name("app"))["data"]
    kept = sorted(k for k in data if k != WRITTEN_KEY)
    assert sum(len(k) + len(v) for k, v in data.items()) <= 20_000
    assert 10 <= len(kept) < 40
    assert kept == sorted(key(n) for n in range(40 - len(kept), 40))    # the newest survive
    assert store.read(key(39)) == record(39, size=1000)
    assert store.read(key(0)) is None


def test_concurrent_writers_lose_no_records(api, kube_emulator):
    store = ConfigMapRecordStore(api, NS)
    threads = [threading.Thread(target=store.write, args=(key(n), record(n))) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(store.read(key(n)) == record(n) for n in range(12))


def test_configmap_delete_invalidates_one_record(api):
    store = ConfigMapRecordStore(api, NS)
    store.write(key(1), record(1))
    store.write(key(2), record(2))
    store.delete(key(1))
    store.delete(key(9))          # absent: nothing to do
    assert store.read(key(1)) is None and store.read(key(2)) == record(2)


def test_unbound_configmap_block_connects_with_the_default_kubeconfig(kubeconfig_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig_path))
    block = WerfStageCacheConfigMap(namespace=NS)
    block.write_path(key(5), record(5), _sync=True)
    assert WerfStageCacheConfigMap(namespace=NS).read_path(key(5), _sync=True) == record(5)
