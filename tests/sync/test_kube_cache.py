"""The stages-storage cache in ConfigMap `werf-<project>` (emulator; a real cluster with WERF_TEST_KUBECONFIG):
werf's format, concurrent writers, and the size bound."""

from __future__ import annotations

import json

import pytest

from werf_core.storage.stage_id import StageID
from werf_core.sync.cache_document import CacheDocument
from werf_core.sync.kube_stages_cache import CONFIG_MAP_LIMIT, KubernetesStagesStorageCache

DIGEST = "b" * 56


def cache_of(kube_target, **options) -> KubernetesStagesStorageCache:
    return KubernetesStagesStorageCache(kube_target.api(), kube_target.namespace, **options)


def read_cm(kube_target, project) -> dict | None:
    return kube_target.api().read_config_map(kube_target.namespace, f"werf-{project}")


def test_round_trip_in_werfs_config_map_and_format(kube_target, project):
    cache = cache_of(kube_target)
    assert cache.get_stages(project, DIGEST) is None
    assert read_cm(kube_target, project) is None  # reading a missing cache creates nothing
    ids = [StageID(DIGEST, 1700000000000), StageID(DIGEST, 1700000000001)]
    cache.store_stages(project, DIGEST, ids)  # creates namespace and ConfigMap on first write
    cache.store_stages(project, "c" * 56, [])
    assert cache.get_stages(project, DIGEST) == ids
    assert cache.get_stages(project, "c" * 56) == []
    data = json.loads(read_cm(kube_target, project)["data"]["stagesStorageCache"])
    assert data == {"stagesBySignature": {
        DIGEST: [{"signature": DIGEST, "uniqueID": 1700000000000}, {"signature": DIGEST, "uniqueID": 1700000000001}],
        "c" * 56: []}}


def test_delete_one_delete_all_get_all(kube_target, project):
    cache = cache_of(kube_target)
    for i, digest in enumerate(["d1", "d2", "d3"]):
        cache.store_stages(project, digest, [StageID(digest, i)])
    cache.delete_stages(project, "d2")
    cache.delete_stages(project, "never-stored")
    assert cache.get_all(project) == {"d1": [StageID("d1", 0)], "d3": [StageID("d3", 2)]}
    cache.delete_all(project)
    assert cache.get_all(project) == {} and cache.get_stages(project, "d1") is None
    assert "stagesStorageCache" not in (read_cm(kube_target, project).get("data") or {})


def test_deleting_from_a_cache_that_never_existed_creates_nothing(kube_target, project):
    cache = cache_of(kube_target)
    cache.delete_all(project)
    cache.delete_stages(project, DIGEST)
    assert read_cm(kube_target, project) is None


def test_unparsable_cache_json_is_treated_as_empty_and_replaced(kube_target, project):
    api = kube_target.api()
    cm = api.get_or_create_config_map(kube_target.namespace, f"werf-{project}")
    cm["data"] = {"stagesStorageCache": "{broken", "unrelated": "kept"}
    api.replace_config_map(kube_target.namespace, cm)
    cache = cache_of(kube_target)
    assert cache.get_stages(project, DIGEST) is None and cache.get_all(project) == {}
    cache.store_stages(project, DIGEST, [StageID(DIGEST, 7)])
    assert cache.get_all(project) == {DIGEST: [StageID(DIGEST, 7)]}
    assert read_cm(kube_target, project)["data"]["unrelated"] == "kept"


def test_cache_writes_keep_lock_annotations_and_vice_versa(kube_target, project):
    from tests.sync.conftest import FAST
    from werf_core.sync.distributed_locker import DistributedLocker
    locker = DistributedLocker(kube_target.store(project), timings=FAST)
    cache = cache_of(kube_target)
    with locker.locked("stage-cache/x") as handle:
        cache.store_stages(project, DIGEST, [StageID(DIGEST, 1)])
        handle.ensure_held()  # the cache write did not wipe the lease annotation
        with locker.locked("stage/y"):
            pass
    assert cache.get_stages(project, DIGEST) == [StageID(DIGEST, 1)]  # the lock writes kept the data


@pytest.mark.slow
def test_eight_processes_writing_at_once_lose_no_entry(spawn, kube_target, project):
    workers, rounds = 8, 6
    children = [spawn("fill-cache", str(kube_target.kubeconfig), kube_target.namespace, project, str(w),
                      str(rounds)) for w in range(workers)]
    for child in children:
        child.expect("ready", timeout=60)
    for child in children:  # release them together
        child.send("go")
    for child in children:
        child.expect("done", timeout=240)
    everything = cache_of(kube_target).get_all(project)
    own = {d: ids for d, ids in everything.items() if d != "shared"}
    assert own == {f"w{w}d{i}": [StageID(f"w{w}d{i}", 1_000 * w + i)]
                   for w in range(workers) for i in range(rounds)}
    # read-modify-write under the stage-cache lock: every runner's stage is in the shared digest's list
    assert sorted(s.unique_id for s in everything["shared"]) == sorted(
        1_000 * w + i for w in range(workers) for i in range(rounds))
    if kube_target.emulator is not None:
        assert kube_target.emulator.count("update", "configmaps", status=409) > 0  # there really were races


# -------- size bound
def test_cache_stays_under_its_budget_evicting_the_least_recently_stored(kube_target, project):
    budget = 4096
    cache = cache_of(kube_target, budget=budget)
    digests = [f"{i:056x}" for i in range(60)]
    for i, digest in enumerate(digests):
        cache.store_stages(project, digest, [StageID(digest, 1700000000000 + i)])
        if i == 10:
            cache.store_stages(project, digests[0], [StageID(digests[0], 1)])  # stored again → recent again
    text = read_cm(kube_target, project)["data"]["stagesStorageCache"]
    assert len(text.encode()) <= budget
    kept = CacheDocument.parse(text).digests()
    assert kept[-1] == digests[-1] and len(kept) < len(digests)
    assert kept == [d for d in digests if d in kept]  # survivors are a newest-first suffix
    assert digests[1] not in kept  # evicted first: least recently stored
    # an evicted digest is simply a cache miss
    assert cache.get_stages(project, digests[1]) is None


def test_cache_leaves_room_for_other_data_in_the_config_map(kube_target, project):
    api = kube_target.api()
    cm = api.get_or_create_config_map(kube_target.namespace, f"werf-{project}")
    other = CONFIG_MAP_LIMIT - 40 * 1024
    cm["data"] = {"someoneElses": "x" * other}
    api.replace_config_map(kube_target.namespace, cm)
    cache = cache_of(kube_target)  # default budget (512 KiB) no longer fits: only ~24 KiB is left
    for i in range(300):  # ~45 KiB of entries
        digest = f"{i:056x}"
        cache.store_stages(project, digest, [StageID(digest, 1700000000000 + i)])
    data = read_cm(kube_target, project)["data"]
    assert len(data["someoneElses"]) == other
    assert len(data["stagesStorageCache"]) <= CONFIG_MAP_LIMIT - other
    assert cache.get_stages(project, f"{299:056x}") is not None


def test_the_api_server_rejects_a_config_map_over_one_mebibyte(kube_target, project):
    from werf_core.sync.errors import SynchronizationError
    api = kube_target.api()
    api.get_or_create_config_map(kube_target.namespace, f"werf-{project}")  # makes sure the namespace exists
    with pytest.raises(SynchronizationError) as info:
        api.create_config_map(kube_target.namespace, {"metadata": {"name": f"werf-{project}-big"},
                                                      "data": {"k": "x" * (CONFIG_MAP_LIMIT + 1)}})
    # "Too long: must have at most 1048576 bytes" (newer API servers: "may not be more than 1048576 bytes")
    assert "1048576 bytes" in info.value.message and "(422 Invalid" in info.value.message
    assert "docs/synchronization.md" in info.value.hint
