"""Broken images (blobs gone from the registry's storage) and copying images between repositories and registries."""

import shutil
from urllib.parse import parse_qs, urlparse

import pytest

from tests.registry.servers import blob_data_dir
from tests.support.registry import remove_registry, start_throwaway_registry
from werf_core.registry import BrokenImageError, Descriptor, ImageNotFoundError, ImageReference

pytestmark = pytest.mark.registry


def _remove_blob(registry, digest):
    shutil.rmtree(blob_data_dir(registry, digest))


def test_missing_config_blob_makes_the_image_broken(client, raw, repo, registry):
    name = repo("stages")
    image = raw.push_image(ImageReference.parse(name).repository, "abc-1")
    _remove_blob(registry, image.config_digest)
    with pytest.raises(BrokenImageError) as info:
        client.image_info(f"{name}:abc-1")
    assert info.value.missing_digest == image.config_digest
    assert info.value.reference == f"{name}:abc-1"
    assert "config blob" in info.value.message and registry.address in info.value.message


def test_missing_layer_blob_is_detected_only_when_layers_are_checked(client, raw, repo, registry):
    name = repo("stages")
    image = raw.push_image(ImageReference.parse(name).repository, "abc-2", layers=3)
    _remove_blob(registry, image.layer_digests[1])
    assert client.image_info(f"{name}:abc-2", check_layers=False) is not None
    with pytest.raises(BrokenImageError) as info:
        client.image_info(f"{name}:abc-2")
    assert info.value.missing_digest == image.layer_digests[1] and "layer blob" in info.value.message


def test_manifest_list_naming_a_deleted_platform_manifest_is_broken(client, raw, repo):
    name = repo("multi")
    repository = ImageReference.parse(name).repository
    amd64 = raw.push_image(repository, None)
    raw.push_index(repository, "1", [(amd64, {"os": "linux", "architecture": "amd64"})])
    assert client.delete_tag(f"{name}@{amd64.digest}")
    with pytest.raises(BrokenImageError) as info:
        client.get_manifest(f"{name}:1")
    assert info.value.missing_digest == amd64.digest and "linux/amd64" in info.value.message


def test_copy_within_one_registry_mounts_blobs_and_downloads_nothing(client, raw, repo, registry):
    src, dst = repo("stages"), repo("images/backend")
    image = raw.push_image(ImageReference.parse(src).repository, "abc-1", layers=3, labels={"werf": "p"})
    position = registry.log_position()
    digest = client.copy_image(f"{src}:abc-1", f"{dst}:v1.0")
    requests = registry.requests_since(position)
    assert digest == image.digest                                       # byte-identical manifest
    assert not [r for r in requests if r[0] == "GET" and "/blobs/" in r[1]], requests
    mounts = [p for m, p in requests if m == "POST" and "mount=" in p]
    assert len(mounts) == 4                                             # config + 3 layers
    assert all(parse_qs(urlparse(p).query)["from"] == [ImageReference.parse(src).repository] for p in mounts)
    info = client.image_info(f"{dst}:v1.0")
    assert info.labels == {"werf": "p"} and info.id == image.config_digest


def test_copy_of_a_manifest_list_keeps_every_platform(client, raw, repo):
    src, dst = repo("multi"), repo("published")
    repository = ImageReference.parse(src).repository
    amd64 = raw.push_image(repository, None, oci=True, labels={"a": "amd64"})
    arm64 = raw.push_image(repository, None, oci=True, labels={"a": "arm64"}, architecture="arm64")
    index = raw.push_index(repository, "2.0", [(amd64, {"os": "linux", "architecture": "amd64"}),
                                               (arm64, {"os": "linux", "architecture": "arm64"})], oci=True)
    assert client.copy_image(f"{src}:2.0", dst) == index                  # destination takes the source tag
    assert client.image_info(f"{dst}:2.0").labels == {"a": "amd64"}
    assert client.image_info(f"{dst}:2.0", platform="linux/arm64").labels == {"a": "arm64"}


def test_copy_between_registries_streams_blobs_and_skips_present_ones(client, raw, repo):
    other = start_throwaway_registry()
    try:
        src = repo("stages")
        image = raw.push_image(ImageReference.parse(src).repository, "abc-1", layers=2)
        dst = f"{other.address}/mirror/stages:abc-1"
        assert client.copy_image(f"{src}:abc-1", dst) == image.digest
        assert client.counter.count("GET", "blob") == 3                   # config + 2 layers, through us
        assert client.image_info(dst).id == image.config_digest
        client.counter.reset()
        client.copy_image(f"{src}:abc-1", f"{other.address}/mirror/stages:again")
        assert client.counter.count("GET", "blob") == 0                   # all blobs already there
        assert client.counter.count("HEAD", "blob") == 0                  # this client just copied them there
    finally:
        remove_registry(other)


def test_mount_reports_what_it_did(client, raw, repo):
    src = repo("src")
    raw.push_image(ImageReference.parse(src).repository, "t", layers=1)
    descriptor = client.get_manifest(f"{src}:t").layers[0]
    assert client.mount_or_copy_blob(src, repo("dst"), descriptor) == "mounted"
    assert client.mount_or_copy_blob(src, src, descriptor) == "present"
    foreign = Descriptor("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", descriptor.digest, 1,
                         urls=("https://example.com/layer",))
    assert client.mount_or_copy_blob(src, repo("dst"), foreign) == "skipped"


def test_declined_mount_falls_back_to_copying_and_names_a_source_without_the_blob(client, raw, repo):
    # The registry declines a mount (202 + an open upload) when the source repository does not hold the blob;
    # the client then copies the bytes itself, which fails clearly when the source really lacks them.
    src = repo("src")
    raw.push_image(ImageReference.parse(src).repository, "t", layers=1)
    descriptor = client.get_manifest(f"{src}:t").layers[0]
    empty = repo("empty")
    raw.push_image(ImageReference.parse(empty).repository, "t", layers=0)
    with pytest.raises(BrokenImageError) as info:
        client.mount_or_copy_blob(empty, repo("dst"), descriptor)
    assert info.value.missing_digest == descriptor.digest and empty in info.value.message
    assert client.counter.count("GET", "blob") == 1


def test_copy_of_a_missing_image_is_a_clear_error(client, repo):
    with pytest.raises(ImageNotFoundError) as info:
        client.copy_image(repo("nothing") + ":x", repo("dst") + ":x")
    assert "cannot copy" in info.value.message
