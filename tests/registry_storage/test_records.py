"""Managed-image and image-metadata records, in a registry (manifest-only images) and in the local engine."""

from __future__ import annotations

import pytest

from werf_core.registry.client import RegistryClient
from werf_core.storage.records import LocalRecords, RegistryRecords

pytestmark = [pytest.mark.registry]

C1 = "0123456789abcdef0123456789abcdef01234567"
C2 = "89abcdef0123456789abcdef0123456789abcdef"


@pytest.fixture
def registry_records(stages_repo):
    with RegistryClient() as client:
        yield RegistryRecords(stages_repo, client)


@pytest.fixture
def local_records(docker_client, project_name):
    return LocalRecords(docker_client)


@pytest.fixture(params=["registry", "local"])
def records(request):
    return request.getfixturevalue(f"{request.param}_records")


def test_managed_images_are_added_once_listed_and_removed(records, project_name):
    assert records.managed_images(project_name) == []
    assert records.add_managed_image(project_name, "app") is True
    assert records.add_managed_image(project_name, "app") is False          # exists: not written again
    assert records.add_managed_image(project_name, "backend/api") is True
    assert records.add_managed_image(project_name, None) is True
    assert records.managed_images(project_name) == [None, "app", "backend/api"]
    records.remove_managed_image(project_name, "app")
    assert records.managed_images(project_name) == [None, "backend/api"]


def test_upper_case_names_are_silently_not_recorded(records, project_name):
    assert records.add_managed_image(project_name, "App") is False
    assert records.managed_images(project_name) == []


def test_image_metadata_by_commit(records, project_name):
    assert records.image_metadata(project_name, "app", C1) is None
    records.put_image_metadata(project_name, "app", C1, "a" * 56)
    records.put_image_metadata(project_name, "app", C2, "b" * 56)
    records.put_image_metadata(project_name, None, C1, "c" * 56)
    assert records.image_metadata(project_name, "app", C1).content_digest == "a" * 56
    assert records.image_metadata(project_name, None, C1).content_digest == "c" * 56
    assert records.metadata_commits(project_name, "app") == sorted([C1, C2])
    records.put_image_metadata(project_name, "app", C1, "d" * 56)             # a rebuild at the same commit
    assert records.image_metadata(project_name, "app", C1).content_digest == "d" * 56


def test_registry_records_are_manifest_only_images_with_werfs_tags(registry_records, registry, project_name):
    registry_records.add_managed_image(project_name, "backend/api")
    registry_records.put_image_metadata(project_name, "app", C1, "a" * 56)
    repository = f"{project_name}/stages"
    assert registry.tags(repository) == [f"image-metadata-by-commit-app-{C1}", "managed-image-backend__slash__api"]
    manifest = registry.manifest(repository, f"image-metadata-by-commit-app-{C1}").json()
    assert manifest["layers"] == []
    assert registry.config(repository, f"image-metadata-by-commit-app-{C1}")["config"]["Labels"][
        "ContentSignature"] == "a" * 56


def test_local_records_use_werfs_repositories(local_records, docker_client, project_name):
    local_records.add_managed_image(project_name, "app")
    local_records.put_image_metadata(project_name, "app", C1, "a" * 56)
    names = {t for image in docker_client.images.list(filters={"label": f"werf={project_name}"})
             for t in image.tags}
    assert names == {f"werf-managed-images/{project_name}:app",
                     f"werf-images-metadata-by-commit/{project_name}:app-{C1}"}
