"""The file stages-storage cache of `:local` synchronization: werf's layout and format, atomic writes."""

from __future__ import annotations

import json
import threading

import pytest

from werf_core.storage.stage_id import StageID
from werf_core.sync.stages_cache import FileStagesStorageCache

DIGEST = "a" * 56


def test_round_trip_and_werf_layout(werf_home):
    cache = FileStagesStorageCache()
    assert cache.get_stages("proj", DIGEST) is None
    ids = [StageID(DIGEST, 1700000000000), StageID(DIGEST, 1700000000500)]
    cache.store_stages("proj", DIGEST, ids)
    assert cache.get_stages("proj", DIGEST) == ids
    path = werf_home / "shared_context/storage/stages_storage_cache/1/proj" / DIGEST
    assert json.loads(path.read_text()) == {"stages": [{"signature": DIGEST, "uniqueID": 1700000000000},
                                                       {"signature": DIGEST, "uniqueID": 1700000000500}]}
    assert path.read_text().endswith("\n")


def test_empty_list_is_cached_as_none_found(werf_home):
    cache = FileStagesStorageCache()
    cache.store_stages("proj", DIGEST, [])
    assert cache.get_stages("proj", DIGEST) == []


def test_file_written_by_werf_is_read(werf_home):
    directory = werf_home / "shared_context/storage/stages_storage_cache/1/proj"
    directory.mkdir(parents=True)
    (directory / DIGEST).write_text(f'{{"stages":[{{"signature":"{DIGEST}","uniqueID":42}}]}}\n')
    assert FileStagesStorageCache().get_stages("proj", DIGEST) == [StageID(DIGEST, 42)]


def test_delete_one_and_all_and_get_all(werf_home):
    cache = FileStagesStorageCache()
    for i, digest in enumerate(["a1", "b2", "c3"]):
        cache.store_stages("proj", digest, [StageID(digest, i)])
    cache.store_stages("other", "a1", [StageID("a1", 9)])
    cache.delete_stages("proj", "b2")
    cache.delete_stages("proj", "missing")  # nothing to do is fine
    assert cache.get_all("proj") == {"a1": [StageID("a1", 0)], "c3": [StageID("c3", 2)]}
    cache.delete_all("proj")
    assert cache.get_all("proj") == {} and cache.get_stages("proj", "a1") is None
    assert cache.get_all("other") == {"a1": [StageID("a1", 9)]}  # other projects untouched
    cache.delete_all("proj")  # again: nothing to delete


def test_damaged_entry_is_a_cache_miss(werf_home):
    cache = FileStagesStorageCache()
    cache.store_stages("proj", DIGEST, [StageID(DIGEST, 1)])
    cache.entry_path("proj", DIGEST).write_text('{"stages": [{"signa')
    assert cache.get_stages("proj", DIGEST) is None


def test_werf_home_is_read_at_each_call(tmp_path, monkeypatch):
    cache = FileStagesStorageCache()
    monkeypatch.setenv("WERF_HOME", str(tmp_path / "one"))
    cache.store_stages("proj", DIGEST, [StageID(DIGEST, 1)])
    monkeypatch.setenv("WERF_HOME", str(tmp_path / "two"))
    assert cache.get_stages("proj", DIGEST) is None


@pytest.mark.parametrize("project, digest", [("../etc", DIGEST), ("proj", "../../x"), ("proj", ".hidden"),
                                             ("", DIGEST), ("proj", "a/b")])
def test_names_that_could_escape_the_cache_directory_are_refused(werf_home, project, digest):
    with pytest.raises(ValueError, match="invalid"):
        FileStagesStorageCache().store_stages(project, digest, [])


def test_readers_never_see_a_half_written_entry(werf_home):
    cache = FileStagesStorageCache()
    big = [StageID(DIGEST, i) for i in range(2000)]
    small = [StageID(DIGEST, 1)]
    cache.store_stages("proj", DIGEST, small)
    stop = threading.Event()
    seen_bad: list = []

    def read():
        while not stop.is_set():
            got = cache.get_stages("proj", DIGEST)
            if got not in (big, small):
                seen_bad.append(got)

    readers = [threading.Thread(target=read) for _ in range(2)]
    for r in readers:
        r.start()
    for i in range(100):
        cache.store_stages("proj", DIGEST, big if i % 2 == 0 else small)
    stop.set()
    for r in readers:
        r.join()
    assert not seen_bad
    leftovers = [p.name for p in cache.project_dir("proj").iterdir() if p.name != DIGEST]
    assert leftovers == []  # no temporary files left behind
