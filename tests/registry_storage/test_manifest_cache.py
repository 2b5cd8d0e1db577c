"""The host manifest cache: stage descriptions remembered on disk, so idle builds ask the registry nothing."""

from __future__ import annotations

import json
import threading

import pytest

from werf_core.registry.image_info import ImageInfo
from werf_core.storage.manifest_cache import ManifestCache, storage_slug

NAME = "registry.example.com:5000/group/app/stages:abc123-1700000000000"


def info(name: str = NAME, **changes) -> ImageInfo:
    fields = dict(name=name, repository=name.rsplit(":", 1)[0], tag=name.rsplit(":", 1)[1],
                  repo_digest=name.rsplit(":", 1)[0] + "@sha256:" + "1" * 64, id="sha256:" + "2" * 64,
                  parent_id="sha256:" + "3" * 64, labels={"werf": "app", "werf-stage-signature": "abc123"},
                  size=1234, created_at_unix_nano=1_700_000_000_123_456_789)
    fields.update(changes)
    return ImageInfo(**fields)


@pytest.fixture
def cache(werf_home) -> ManifestCache:
    return ManifestCache("registry.example.com:5000/group/app/stages")


def test_a_stored_description_comes_back_exactly(cache):
    cache.put(NAME, info())
    assert cache.get(NAME) == info()


def test_unknown_image_is_a_miss(cache):
    assert cache.get(NAME) is None


def test_layout_is_werf_home_local_cache_manifests_slug_sha256(cache, werf_home):
    cache.put(NAME, info())
    files = list((werf_home / "local_cache" / "manifests").rglob("*"))
    entry = [f for f in files if f.is_file()]
    assert len(entry) == 1
    import hashlib
    assert entry[0].name == hashlib.sha256(NAME.encode()).hexdigest()
    assert entry[0].parent.name == storage_slug("registry.example.com:5000/group/app/stages")
    document = json.loads(entry[0].read_text())
    assert set(document) == {"AccessTimestamp", "Info"}
    assert document["Info"]["ID"] == "sha256:" + "2" * 64     # werf's field names
    assert document["Info"]["CreatedAtUnixNano"] == 1_700_000_000_123_456_789


def test_disabled_by_environment(cache, monkeypatch, werf_home):
    monkeypatch.setenv("WERF_DISABLE_MANIFEST_CACHE", "1")
    cache.put(NAME, info())
    assert cache.get(NAME) is None
    assert not (werf_home / "local_cache").exists()


def test_disabled_cache_ignores_entries_written_before(cache, monkeypatch):
    cache.put(NAME, info())
    monkeypatch.setenv("WERF_DISABLE_MANIFEST_CACHE", "true")
    assert cache.get(NAME) is None
    monkeypatch.setenv("WERF_DISABLE_MANIFEST_CACHE", "0")
    assert cache.get(NAME) == info()


@pytest.mark.parametrize("garbage", ["", "{", "[]", '{"Info": {}}', '{"Info": {"Name": 1}}', "null"])
def test_an_unreadable_entry_is_a_miss_and_is_replaced_on_store(cache, garbage):
    path = cache.path_of(NAME)
    path.parent.mkdir(parents=True)
    path.write_text(garbage)
    assert cache.get(NAME) is None
    cache.put(NAME, info())
    assert cache.get(NAME) == info()


def test_an_entry_naming_another_image_is_not_trusted(cache):
    other = NAME.replace("abc123", "def456")
    path = cache.path_of(NAME)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"AccessTimestamp": 0, "Info": info(other).to_json()}))
    assert cache.get(NAME) is None


def test_stored_under_the_name_asked_for_even_if_the_registry_canonicalised_it(cache):
    cache.put("docker.io/library/x:1", info("docker.io/library/x:1"))
    cache.put("x-short:1", info("docker.io/library/x-short:1"))
    assert cache.get("x-short:1").name == "x-short:1"


def test_delete_forgets_one_image(cache):
    other = NAME.replace("abc123", "def456")
    cache.put(NAME, info())
    cache.put(other, info(other))
    cache.delete(NAME)
    cache.delete(NAME)                     # twice is fine
    assert cache.get(NAME) is None and cache.get(other) == info(other)


def test_storages_do_not_share_entries(werf_home):
    a, b = ManifestCache("reg/a/stages"), ManifestCache("reg/b/stages")
    a.put(NAME, info())
    assert b.get(NAME) is None


def test_werf_home_is_read_on_every_call(cache, tmp_path, monkeypatch):
    cache.put(NAME, info())
    monkeypatch.setenv("WERF_HOME", str(tmp_path / "other-home"))
    assert cache.get(NAME) is None


def test_concurrent_writers_leave_a_whole_entry_and_no_temporary_files(cache):
    variants = [info(labels={"n": str(i) * 500}) for i in range(8)]
    errors = []

    def write(variant):
        try:
            for _ in range(30):
                cache.put(NAME, variant)
                got = cache.get(NAME)
                assert got in variants
        except AssertionError as err:   # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=write, args=(v,)) for v in variants]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert cache.get(NAME) in variants
    assert [p.name for p in cache.directory.iterdir()] == [cache.path_of(NAME).name]


@pytest.mark.parametrize("address, expected", [
    ("stages", "stages"),
    ("my-stages", "my-stages"),
])
def test_plain_slugs_stay_as_they_are(address, expected):
    assert storage_slug(address) == expected


def test_slugs_of_addresses_are_safe_distinct_and_bounded():
    addresses = ["127.0.0.1:5000/app/stages", "127.0.0.1:5000/app-stages", "registry.example.com/A/b",
                 "registry.example.com/a/b", "x" * 300 + "/stages", ":local"]
    slugs = [storage_slug(a) for a in addresses]
    assert len(set(slugs)) == len(slugs)
    for slug in slugs:
        assert slug and len(slug) <= 53
        assert all(c.isdigit() or "a" <= c <= "z" or c == "-" for c in slug), slug
    assert storage_slug("127.0.0.1:5000/app/stages").startswith("127-0-0-1-5000-app-stages-")
