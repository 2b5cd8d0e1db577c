"""The sharded Kubernetes stages-storage cache (emulator; a real cluster with WERF_TEST_KUBECONFIG): where it lives,
its format, one read per shard per build, writes that touch one key, concurrent writers, and the size bound."""

from __future__ import annotations

import json

import pytest

from werf_core.storage.base import StageDescription
from werf_core.storage.stage_id import StageID
from werf_core.sync.kube_stages_cache import (
    CONFIG_MAP_LIMIT,
    LEGACY_DATA_KEY,
    KubernetesStagesStorageCache,
    all_shards,
    shard_config_map_name,
    shard_of,
)
from werf_core.sync.stages_cache import CacheEntry

DIGEST = "b" * 56


def cache_of(kube_target, **options) -> KubernetesStagesStorageCache:
    return KubernetesStagesStorageCache(kube_target.api(), kube_target.namespace, **options)


def read_cm(kube_target, name) -> dict | None:
    return kube_target.api().read_config_map(kube_target.namespace, name)


def shard_cm(kube_target, project, digest) -> dict | None:
    return read_cm(kube_target, shard_config_map_name(project, shard_of(digest)))


def described(digest: str, unique_id: int, storage: str = "registry.example/p/stages") -> StageDescription:
    return StageDescription(StageID(digest, unique_id), f"{storage}:{digest}-{unique_id}", f"sha256:{unique_id:064x}",
                            {"werf": "p", "werf-stage-signature": digest}, 1234, 1700000000.5)


def test_entries_live_in_the_digest_prefix_shard_under_their_digest(kube_target, project):
    cache = cache_of(kube_target)
    assert cache.get_stages(project, DIGEST) is None
    assert shard_cm(kube_target, project, DIGEST) is None     # reading a missing cache creates nothing
    ids = [StageID(DIGEST, 1700000000000), StageID(DIGEST, 1700000000001)]
    cache.store_stages(project, DIGEST, ids)                  # creates namespace and ConfigMap on first write
    cache.store_stages(project, "c" * 56, [])
    assert cache.get_stages(project, DIGEST) == ids and cache.get_stages(project, "c" * 56) == []
    cm = shard_cm(kube_target, project, DIGEST)
    assert cm["metadata"]["name"] == f"werf-{project}-stages-cache-bb"
    stored = json.loads(cm["data"][DIGEST])
    assert stored["stages"] == [{"signature": DIGEST, "uniqueID": 1700000000000},
                                {"signature": DIGEST, "uniqueID": 1700000000001}]   # werf's entry format
    assert "c" * 56 not in cm["data"] and "c" * 56 in shard_cm(kube_target, project, "c" * 56)["data"]
    # the project's lock ConfigMap holds no cache
    assert read_cm(kube_target, f"werf-{project}") is None


def test_entries_carry_descriptions_so_a_fresh_runner_needs_no_storage(kube_target, project):
    stages = [described(DIGEST, 1), described(DIGEST, 2)]
    cache_of(kube_target).store_entry(project, DIGEST, stages)
    entry = cache_of(kube_target).get_entry(project, DIGEST)
    assert entry.ids == [StageID(DIGEST, 1), StageID(DIGEST, 2)]
    assert entry.descriptions == {s.stage_id: s for s in stages} and entry.stored_at > 0


def test_one_read_per_shard_per_build_then_fresh_reads_on_demand(kube_target, project):
    writer = cache_of(kube_target)
    digests = [f"{i:02x}" + "0" * 54 for i in range(0, 256, 16)] + ["0f" + "1" * 54]
    for digest in digests:
        writer.store_stages(project, digest, [StageID(digest, 1)])
    reader = cache_of(kube_target)
    for _ in range(3):
        for digest in digests:
            assert reader.get_entry(project, digest).ids == [StageID(digest, 1)]
    assert reader.reads == len({shard_of(d) for d in digests})      # 16 shards, each read once
    writer.store_stages(project, digests[0], [StageID(digests[0], 2)])
    assert reader.get_entry(project, digests[0]).ids == [StageID(digests[0], 1)]     # the build's snapshot
    assert reader.get_entry(project, digests[0], fresh=True).ids == [StageID(digests[0], 2)]
    assert reader.get_entry(project, digests[0]).ids == [StageID(digests[0], 2)]    # the snapshot follows
    # our own writes update the snapshot without a read
    reads = reader.reads
    reader.store_stages(project, digests[1], [StageID(digests[1], 9)])
    assert reader.get_entry(project, digests[1]).ids == [StageID(digests[1], 9)] and reader.reads == reads


def test_a_write_is_a_patch_of_one_key_and_never_conflicts(kube_target, project):
    a, b = cache_of(kube_target), cache_of(kube_target)
    first, second = "aa" + "1" * 54, "aa" + "2" * 54            # same shard
    a.get_entry(project, first)                                  # both hold an old snapshot of the shard
    b.get_entry(project, second)
    a.store_stages(project, first, [StageID(first, 1)])
    b.store_stages(project, second, [StageID(second, 2)])
    fresh = cache_of(kube_target)
    assert fresh.get_stages(project, first) == [StageID(first, 1)]
    assert fresh.get_stages(project, second) == [StageID(second, 2)]
    if kube_target.emulator is not None:
        assert kube_target.emulator.count("update", "configmaps") == 0       # no read-modify-write
        assert kube_target.emulator.count(status=409) == 0


def test_storing_a_listing_never_overwrites_a_publishers_entry(kube_target, project):
    publisher, lister = cache_of(kube_target), cache_of(kube_target)
    assert lister.get_entry(project, DIGEST) is None               # lister listed the storage: nothing yet
    publisher.store_entry(project, DIGEST, [described(DIGEST, 5)])  # meanwhile somebody published
    found = lister.store_entry_if_absent(project, DIGEST, [])
    assert found is not None and found.ids == [StageID(DIGEST, 5)]
    assert cache_of(kube_target).get_stages(project, DIGEST) == [StageID(DIGEST, 5)]
    other = "cd" * 28
    assert lister.store_entry_if_absent(project, other, []) is None  # absent: stored
    assert cache_of(kube_target).get_stages(project, other) == []


def test_delete_one_delete_all_get_all(kube_target, project):
    cache = cache_of(kube_target)
    for i, digest in enumerate(["d1", "d2", "d3"]):
        cache.store_stages(project, digest, [StageID(digest, i)])
    cache.delete_stages(project, "d2")
    cache.delete_stages(project, "never-stored")
    assert cache.get_all(project) == {"d1": [StageID("d1", 0)], "d3": [StageID("d3", 2)]}
    cache.delete_all(project)
    assert cache.get_all(project) == {} and cache.get_stages(project, "d1") is None
    assert cache.get_entry(project, "d3") is None         # the snapshot was reset too


def test_delete_all_also_clears_werf_v1_1s_document_and_keeps_the_locks(kube_target, project):
    from tests.sync.conftest import FAST
    from werf_core.sync.distributed_locker import DistributedLocker
    api = kube_target.api()
    cm = api.get_or_create_config_map(kube_target.namespace, f"werf-{project}")
    cm["data"] = {LEGACY_DATA_KEY: json.dumps({"stagesBySignature": {DIGEST: []}}), "unrelated": "kept"}
    api.replace_config_map(kube_target.namespace, cm)
    locker = DistributedLocker(kube_target.store(project), timings=FAST)
    cache = cache_of(kube_target)
    with locker.locked("stage/x") as handle:
        cache.store_stages(project, DIGEST, [StageID(DIGEST, 1)])
        assert read_cm(kube_target, f"werf-{project}")["data"][LEGACY_DATA_KEY]    # untouched by our writes
        cache.delete_all(project)
        handle.ensure_held()          # the reset did not wipe the lease annotation
    data = read_cm(kube_target, f"werf-{project}")["data"]
    assert LEGACY_DATA_KEY not in data and data["unrelated"] == "kept"


def test_deleting_from_a_cache_that_never_existed_creates_nothing(kube_target, project):
    cache = cache_of(kube_target)
    cache.delete_all(project)
    cache.delete_stages(project, DIGEST)
    assert read_cm(kube_target, f"werf-{project}") is None
    assert all(read_cm(kube_target, shard_config_map_name(project, s)) is None for s in ("00", "bb", "ff"))


def test_an_unparsable_entry_is_a_miss_and_is_replaced(kube_target, project):
    api = kube_target.api()
    name = shard_config_map_name(project, shard_of(DIGEST))
    api.get_or_create_config_map(kube_target.namespace, name)
    cm = api.read_config_map(kube_target.namespace, name)
    cm["data"] = {DIGEST: "{broken", "unrelated": "kept"}
    api.replace_config_map(kube_target.namespace, cm)
    cache = cache_of(kube_target)
    assert cache.get_stages(project, DIGEST) is None
    assert cache.store_entry_if_absent(project, DIGEST, [described(DIGEST, 7)]) is None
    assert cache.get_stages(project, DIGEST) == [StageID(DIGEST, 7)]
    assert shard_cm(kube_target, project, DIGEST)["data"]["unrelated"] == "kept"


@pytest.mark.slow
def test_eight_processes_writing_at_once_lose_no_entry(spawn, kube_target, project):
    workers, rounds = 8, 6
    children = [spawn("fill-cache", str(kube_target.kubeconfig), kube_target.namespace, project, str(w),
                      str(rounds)) for w in range(workers)]
    for child in children:
        child.expect("ready", timeout=240)   # eight interpreters starting at once on a busy machine
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


# -------- size
def test_a_full_shard_evicts_its_least_recently_stored_entries(kube_target, project):
    budget = 4096
    cache = cache_of(kube_target, budget=budget)
    digests = [f"ab{i:054x}" for i in range(60)]          # all in shard "ab"
    for i, digest in enumerate(digests):
        entry = CacheEntry([StageID(digest, 1700000000000 + i)], stored_at=1_000_000 + i)
        cache._put_entry(project, digest, entry)
        if i == 55:   # stored again → recent again
            cache._put_entry(project, digests[0], CacheEntry([StageID(digests[0], 1)], stored_at=1_000_000 + i))
    data = shard_cm(kube_target, project, digests[0])["data"]
    assert sum(len(k) + len(v) for k, v in data.items()) <= budget
    kept = sorted(data)
    assert digests[-1] in kept and len(kept) < len(digests)
    assert digests[0] in kept and digests[1] not in kept    # evicted first: least recently stored
    assert cache_of(kube_target).get_stages(project, digests[1]) is None     # an evicted digest is a miss


def test_twenty_thousand_digests_fit_without_eviction(kube_target, project):
    """~80 entries per shard at 20,000 digests: far from a shard's budget, so nothing live is evicted."""
    cache = cache_of(kube_target)
    api = kube_target.api()
    per_shard = 20_000 // 256 + 1
    shard = "5e"
    name = shard_config_map_name(project, shard)
    cache.store_stages(project, shard + "0" * 54, [])
    cm = api.read_config_map(kube_target.namespace, name)
    cm["data"] = {f"{shard}{i:054x}": CacheEntry.of([described(f"{shard}{i:054x}", i)]).serialize()
                  for i in range(per_shard)}
    api.replace_config_map(kube_target.namespace, cm)
    size = sum(len(k) + len(v) for k, v in cm["data"].items())
    assert size * 10 < cache.budget            # room for ten times as many
    digest = f"{shard}{per_shard + 1:054x}"
    cache.store_entry(project, digest, [described(digest, 1)])
    assert len(shard_cm(kube_target, project, digest)["data"]) == per_shard + 1
    assert len(all_shards()) == 256


def test_the_api_server_rejects_a_config_map_over_one_mebibyte(kube_target, project):
    from werf_core.sync.kube_api import ObjectTooLarge
    api = kube_target.api()
    api.get_or_create_config_map(kube_target.namespace, f"werf-{project}")  # makes sure the namespace exists
    with pytest.raises(ObjectTooLarge) as info:
        api.create_config_map(kube_target.namespace, {"metadata": {"name": f"werf-{project}-big"},
                                                      "data": {"k": "x" * (CONFIG_MAP_LIMIT + 1)}})
    # "Too long: must have at most 1048576 bytes" (newer API servers: "may not be more than 1048576 bytes")
    assert "1048576 bytes" in info.value.message and "(422 Invalid" in info.value.message
    assert "docs/synchronization.md" in info.value.hint
