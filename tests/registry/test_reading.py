"""Reading from the real registry: tags (several pages), manifests of every kind, configs and image descriptions."""

import pytest

from tests.registry.rawapi import DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST
from tests.registry.servers import PaginatingProxy
from werf_core.registry import ImageNotFoundError, ImageReference, Manifest

pytestmark = pytest.mark.registry


def test_list_tags_follows_pagination_across_several_pages(client, raw, repo, registry):
    repository = ImageReference.parse(repo("stages")).repository
    image = raw.push_image(repository, "seed")
    expected = ["seed"] + [f"sig{i:02d}-{1700000000000 + i}" for i in range(11)]
    for tag in expected[1:]:
        raw.put_manifest(repository, tag, _manifest_json(raw, repository, image.digest), DOCKER_MANIFEST)
    proxy = PaginatingProxy(registry.url)
    try:
        tags = client.list_tags(f"{proxy.address}/{repository}", page_size=5)
    finally:
        proxy.stop()
    assert tags == sorted(expected)                  # every page, in order, nothing repeated
    assert proxy.pages_served == 3                   # 12 tags, 5 per page
    assert client.counter.count("GET", "tags") == 3


def test_list_tags_when_the_registry_ignores_page_size(client, raw, repo):
    # Debian's docker-registry 2.8 answers with every tag at once and no Link header.
    name = repo("unpaged")
    repository = ImageReference.parse(name).repository
    for i in range(7):
        raw.push_image(repository, f"t{i}", layers=0)
    assert sorted(client.list_tags(name, page_size=2)) == [f"t{i}" for i in range(7)]
    assert client.counter.count("GET", "tags") == 1


def _manifest_json(raw, repository, digest):
    import httpx
    return httpx.get(f"{raw.base_url}/v2/{repository}/manifests/{digest}",
                     headers={"Accept": DOCKER_MANIFEST}).json()


def test_list_tags_of_unknown_repository_is_empty(client, repo):
    assert client.list_tags(repo("never-pushed")) == []


def test_docker_v2_manifest_from_docker_push(client, registry_busybox, docker_client):
    manifest = client.get_manifest(registry_busybox)
    assert manifest.media_type == DOCKER_MANIFEST
    assert manifest.index_digest is None and len(manifest.layers) == 1
    local = docker_client.images.get(registry_busybox)
    assert manifest.config.digest == local.id                  # config digest is the image ID Docker shows
    assert any(d.endswith(manifest.digest) for d in local.attrs["RepoDigests"])
    assert client.head_manifest(registry_busybox) == manifest.digest


def test_config_and_image_info_of_a_pushed_image(client, raw, repo):
    name = repo("app")
    labels = {"werf": "proj", "werf-stage-signature": "abc", "werf-cache-version": "1.1"}
    image = raw.push_image(ImageReference.parse(name).repository, "abc-1700000000001", labels=labels,
                           parent="sha256:" + "1" * 64)
    ref = f"{name}:abc-1700000000001"
    assert client.get_config(ref)["config"]["Labels"] == labels
    info = client.image_info(ref)
    assert info.labels == labels
    assert info.id == image.config_digest and info.parent_id == "sha256:" + "1" * 64
    assert info.repo_digest == f"{name}@{image.digest}" and info.tag == "abc-1700000000001"
    assert info.size == sum(image.layer_sizes)
    assert info.created_at_unix_nano == 1714979289_123456789


def test_oci_manifest(client, raw, repo):
    name = repo("oci")
    image = raw.push_image(ImageReference.parse(name).repository, "v1", oci=True, labels={"k": "oci"})
    manifest = client.get_manifest(f"{name}:v1")
    assert manifest.media_type == OCI_MANIFEST and manifest.digest == image.digest
    assert client.image_info(f"{name}:v1").labels == {"k": "oci"}


@pytest.mark.parametrize("oci", [False, True], ids=["docker-manifest-list", "oci-index"])
def test_index_resolves_to_amd64_by_default_or_to_a_given_platform(client, raw, repo, oci):
    name = repo("multi")
    repository = ImageReference.parse(name).repository
    amd64 = raw.push_image(repository, None, oci=oci, labels={"arch": "amd64"})
    arm64 = raw.push_image(repository, None, oci=oci, labels={"arch": "arm64"}, architecture="arm64",
                           variant="v8")
    index_digest = raw.push_index(repository, "1.0", [
        (arm64, {"os": "linux", "architecture": "arm64", "variant": "v8"}),
        (amd64, {"os": "linux", "architecture": "amd64"})], oci=oci)

    default = client.get_manifest(f"{name}:1.0")
    assert isinstance(default, Manifest) and default.digest == amd64.digest
    assert default.index_digest == index_digest
    assert default.index_media_type == (OCI_INDEX if oci else DOCKER_LIST)
    assert str(default.platform) == "linux/amd64"
    assert client.get_manifest(f"{name}:1.0", platform="linux/arm64").digest == arm64.digest
    assert client.image_info(f"{name}:1.0", platform="linux/arm64/v8").labels == {"arch": "arm64"}
    assert client.head_manifest(f"{name}:1.0") == index_digest


def test_by_digest_reference(client, raw, repo):
    name = repo("pinned")
    image = raw.push_image(ImageReference.parse(name).repository, "t")
    assert client.get_manifest(f"{name}@{image.digest}").digest == image.digest
    assert client.image_info(f"{name}@{image.digest}").id == image.config_digest


def test_missing_images(client, raw, repo):
    name = repo("absent")
    assert client.get_manifest(f"{name}:nope") is None            # NAME_UNKNOWN
    assert client.image_info(f"{name}:nope") is None
    assert client.head_manifest(f"{name}:nope") is None
    raw.push_image(ImageReference.parse(name).repository, "exists")
    assert client.image_info(f"{name}:nope") is None              # MANIFEST_UNKNOWN
    with pytest.raises(ImageNotFoundError) as info:
        client.get_config(f"{name}:nope")                          # the caller needs this one
    assert f"{name}:nope" in info.value.message


def test_unreadable_platform_choice_names_what_exists(client, raw, repo):
    name = repo("armonly")
    repository = ImageReference.parse(name).repository
    arm = raw.push_image(repository, None, architecture="arm64")
    raw.push_index(repository, "1", [(arm, {"os": "linux", "architecture": "arm64"})])
    from werf_core.errors import RegistryError
    with pytest.raises(RegistryError) as info:
        client.image_info(f"{name}:1")
    assert "no image for platform linux/amd64" in info.value.message and "linux/arm64" in info.value.message


def test_request_counts_of_a_description(client, raw, repo):
    name = repo("counted")
    raw.push_image(ImageReference.parse(name).repository, "t", layers=3)
    client.image_info(f"{name}:t")
    assert client.counter.snapshot() == {"GET manifest": 1, "GET blob": 1, "HEAD blob": 3}
    client.counter.reset()
    client.image_info(f"{name}:t", check_layers=False)
    assert client.counter.snapshot() == {"GET manifest": 1, "GET blob": 1}
