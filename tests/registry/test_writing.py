"""Writing to the real registry: werf's manifest-only record images, tag deletion, manifests naming missing blobs."""

import pytest

from tests.registry.conftest import fast_client
from tests.registry.servers import start_registry, stop_process
from werf_core.errors import RegistryError
from werf_core.registry import RECORD_NAME_LABEL, ImageReference

pytestmark = pytest.mark.registry


def test_record_image_is_a_labelled_image_without_layers(client, repo, registry):
    name = repo("stages")
    digest = client.push_manifest_only_image(f"{name}:managed-image-backend", {"werf": "proj"})
    info = client.image_info(f"{name}:managed-image-backend")
    assert info.labels == {"werf": "proj", RECORD_NAME_LABEL: f"{name}:managed-image-backend"}
    assert info.size == 0 and info.digest == digest
    manifest = client.get_manifest(f"{name}:managed-image-backend")
    assert manifest.layers == () and manifest.media_type == "application/vnd.docker.distribution.manifest.v2+json"
    assert registry.tags(ImageReference.parse(name).repository) == ["managed-image-backend"]


@pytest.mark.docker
def test_docker_engine_can_pull_a_record_image(client, repo, docker_client):
    name = repo("records")
    client.push_manifest_only_image(f"{name}:client-id-abc-1700000000000", {"werf": "proj", "k": "v"})
    image = docker_client.images.pull(name, tag="client-id-abc-1700000000000")
    try:
        assert image.labels["k"] == "v" and image.labels["werf"] == "proj"
        assert image.attrs["RootFS"].get("Layers") in (None, [])
    finally:
        docker_client.images.remove(image.id, force=True)


def test_records_with_equal_labels_get_distinct_manifests_so_deleting_one_keeps_the_other(client, repo):
    name = repo("stages")
    first = client.push_manifest_only_image(f"{name}:abc-1700000000000-rejected", {})
    second = client.push_manifest_only_image(f"{name}:def-1700000000001-rejected", {})
    assert first != second
    assert client.delete_tag(f"{name}:abc-1700000000000-rejected") is True
    assert client.list_tags(name) == ["def-1700000000001-rejected"]
    assert client.image_info(f"{name}:def-1700000000001-rejected") is not None


def test_delete_tag_removes_the_manifest_and_reports_absence(client, raw, repo, registry):
    name = repo("stages")
    image = raw.push_image(ImageReference.parse(name).repository, "abc-1")
    position = registry.log_position()
    assert client.delete_tag(f"{name}:abc-1") is True
    requests = registry.requests_since(position)
    assert ("DELETE", f"/v2/{ImageReference.parse(name).repository}/manifests/{image.digest}") in requests
    assert client.image_info(f"{name}:abc-1") is None
    assert client.delete_tag(f"{name}:abc-1") is False
    assert client.delete_tag(repo("never") + ":x") is False


def test_deleting_by_digest_removes_every_tag_sharing_the_manifest(client, raw, repo):
    # Documented registry behaviour: a tag cannot be deleted alone when another tag shares its manifest.
    name = repo("shared")
    repository = ImageReference.parse(name).repository
    image = raw.push_image(repository, "one")
    client.copy_image(f"{name}:one", f"{name}:two")
    assert sorted(client.list_tags(name)) == ["one", "two"]
    client.delete_tag(f"{name}:two")
    assert client.list_tags(name) == [] and client.head_manifest(f"{name}@{image.digest}") is None


def test_delete_on_a_registry_without_deletes_explains_how_to_enable_them(tmp_path, client):
    registry = start_registry(directory=tmp_path / "reg", deletes=False)
    try:
        client.push_manifest_only_image(f"{registry.address}/r:t", {})
        with pytest.raises(RegistryError) as info:
            client.delete_tag(f"{registry.address}/r:t")
        assert registry.address in info.value.message and "does not allow deleting" in info.value.message
        assert "storage.delete.enabled" in info.value.hint
    finally:
        stop_process(registry.process)


def test_pushing_a_manifest_that_names_a_missing_blob_is_refused_clearly(client, repo):
    from werf_core.registry.manifest import DOCKER_MANIFEST, Descriptor, manifest_document
    missing = Descriptor("application/vnd.docker.container.image.v1+json", "sha256:" + "e" * 64, 10)
    with pytest.raises(RegistryError) as info:
        client.put_manifest(repo("app") + ":t", manifest_document(missing), DOCKER_MANIFEST)
    assert "names blobs the repository does not have" in info.value.message
    assert "before its manifest" in info.value.hint


def test_upload_blob_skips_blobs_already_present(client, repo):
    name = repo("blobs")
    client.upload_blob(name, b"config bytes")
    client.counter.reset()
    descriptor = client.upload_blob(name, b"config bytes")
    assert client.counter.snapshot() == {}              # this client pushed it: known present, nothing asked
    with fast_client() as other:                        # another client asks once, and uploads nothing
        assert other.upload_blob(name, b"config bytes") == descriptor
        assert other.counter.snapshot() == {"HEAD blob": 1}
    assert descriptor.size == 12 and client.blob_exists(name, descriptor.digest)


def test_record_push_costs_three_requests(client, repo):
    client.push_manifest_only_image(repo("r") + ":t", {"a": "b"})
    assert client.counter.snapshot() == {"POST upload": 1, "PUT upload": 1, "PUT manifest": 1}
