"""RegistryStagesStorage on the real registry and engine: store, list, describe (cached), fetch (lazy), reject."""

from __future__ import annotations

import io
import os
import tarfile
import time

import httpx
import pytest

from tests.registry_storage.support import forget_project_images, image_events
from werf_core.errors import ShouldResetStagesStorageCache
from werf_core.session.project import docker_client as make_docker_client
from werf_core.storage.base import BrokenStage
from werf_core.storage.registry_storage import RegistryStagesStorage
from werf_core.storage.stage_id import StageID

pytestmark = [pytest.mark.docker, pytest.mark.registry]

DIGEST = "d" * 56


def random_image(client, project: str, labels: dict | None = None) -> str:
    """A one-layer image with random content (its blobs belong to this test only); returns its ID.

    It keeps a throw-away tag (an untagged image would be deleted when the stage name is removed); the project's
    label gets it removed after the test."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = os.urandom(4096)
        info = tarfile.TarInfo("payload.bin")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    all_labels = {"werf": project, "werf-stage-signature": DIGEST, **(labels or {})}
    changes = ["LABEL " + " ".join(f'"{k}"="{v}"' for k, v in all_labels.items()), 'CMD ["/payload.bin"]']
    tag = os.urandom(6).hex()
    client.api.import_image_from_data(buf.getvalue(), repository=f"werf-test-{project}", tag=tag, changes=changes)
    return client.api.inspect_image(f"werf-test-{project}:{tag}")["Id"]


@pytest.fixture
def storage(stages_repo, werf_home, docker_client):
    store = RegistryStagesStorage(stages_repo, make_docker_client)
    yield store
    store.registry.close()


def test_store_pushes_and_describes_the_stage(storage, docker_client, project_name, registry):
    image_id = random_image(docker_client, project_name)
    stage_id = StageID(DIGEST, 1700000000001)
    description = storage.store(project_name, image_id, stage_id)
    assert description.image_name == f"{storage.address}:{DIGEST}-1700000000001"
    assert description.image_id == image_id                    # the registry's config digest is the engine's ID
    assert description.labels["werf"] == project_name and description.size > 4096
    assert registry.tags(f"{project_name}/stages") == [stage_id.tag]
    assert storage.list_stage_ids(project_name) == [stage_id]
    assert storage.list_stage_ids(project_name, DIGEST) == [stage_id]
    assert storage.list_stage_ids(project_name, "e" * 56) == []


def test_describe_asks_the_registry_once_then_answers_from_the_manifest_cache(storage, docker_client,
                                                                             project_name, werf_home):
    stage_id = StageID(DIGEST, 1700000000002)
    stored = storage.store(project_name, random_image(docker_client, project_name), stage_id)
    # a new process: no memo, only the host manifest cache written by store()
    fresh = RegistryStagesStorage(storage.address, make_docker_client)
    assert fresh.describe(project_name, stage_id) == stored
    assert fresh.registry.counter.total == 0

    fresh.manifest_cache.delete(stored.image_name)
    assert fresh.describe(project_name, stage_id) == stored
    assert fresh.registry.counter.snapshot() == {"GET blob": 1, "GET manifest": 1, "HEAD manifest": 1}


def test_describe_with_the_cache_disabled_always_asks(storage, docker_client, project_name, monkeypatch):
    stage_id = StageID(DIGEST, 1700000000003)
    storage.store(project_name, random_image(docker_client, project_name), stage_id)
    monkeypatch.setenv("WERF_DISABLE_MANIFEST_CACHE", "1")
    fresh = RegistryStagesStorage(storage.address, make_docker_client)
    fresh.describe(project_name, stage_id)
    fresh.describe(project_name, stage_id)
    assert fresh.registry.counter.count("GET", "manifest") == 2


def test_missing_stage_is_none(storage, project_name):
    assert storage.describe(project_name, StageID(DIGEST, 1)) is None
    assert storage.list_stage_ids(project_name) == []


def test_rejected_stage_is_neither_listed_nor_described(storage, docker_client, project_name, registry):
    kept, rejected = StageID(DIGEST, 1700000000010), StageID(DIGEST, 1700000000011)
    storage.store(project_name, random_image(docker_client, project_name), kept)
    storage.store(project_name, random_image(docker_client, project_name), rejected)
    storage.reject(project_name, rejected)
    assert f"{rejected.tag}-rejected" in registry.tags(f"{project_name}/stages")
    assert storage.list_stage_ids(project_name) == [kept]
    fresh = RegistryStagesStorage(storage.address, make_docker_client)
    assert fresh.describe(project_name, rejected) is None
    assert fresh.describe(project_name, kept) is not None


def test_a_stage_whose_config_blob_is_gone_is_broken(storage, docker_client, project_name, registry):
    stage_id = StageID(DIGEST, 1700000000020)
    stored = storage.store(project_name, random_image(docker_client, project_name), stage_id)
    httpx.delete(f"{registry.url}/v2/{project_name}/stages/blobs/{stored.image_id}", timeout=10).raise_for_status()
    storage.manifest_cache.delete(stored.image_name)
    with pytest.raises(BrokenStage, match="config blob"):
        storage.describe(project_name, stage_id)


def test_fetch_pulls_nothing_when_the_engine_has_the_image(storage, docker_client, project_name):
    stage_id = StageID(DIGEST, 1700000000030)
    stored = storage.store(project_name, random_image(docker_client, project_name), stage_id)
    since = time.time()
    docker_client.api.remove_image(stored.image_name, noprune=True)      # only the name is gone, the ID stays
    assert storage.fetch(project_name, stored) == stored.image_name
    assert docker_client.api.inspect_image(stored.image_name)["Id"] == stored.image_id
    assert image_events(docker_client, since, "pull", storage.address) == []


def test_fetch_pulls_a_missing_image_once(storage, docker_client, project_name):
    stage_id = StageID(DIGEST, 1700000000040)
    stored = storage.store(project_name, random_image(docker_client, project_name), stage_id)
    forget_project_images(docker_client, project_name)
    since = time.time()
    assert storage.fetch(project_name, stored) == stored.image_name
    assert storage.fetch(project_name, stored) == stored.image_name
    assert docker_client.api.inspect_image(stored.image_name)["Id"] == stored.image_id
    assert image_events(docker_client, since, "pull", storage.address) == [stored.image_name]


def test_fetch_of_a_vanished_stage_resets_the_cache(storage, docker_client, project_name):
    stage_id = StageID(DIGEST, 1700000000050)
    stored = storage.store(project_name, random_image(docker_client, project_name), stage_id)
    forget_project_images(docker_client, project_name)
    storage.delete(project_name, stage_id)
    with pytest.raises(ShouldResetStagesStorageCache, match="no longer in"):
        storage.fetch(project_name, stored)
    assert storage.describe(project_name, stage_id) is None


def test_fetch_of_a_stage_with_a_lost_layer_rejects_it(storage, docker_client, project_name, registry):
    stage_id = StageID(DIGEST, 1700000000060)
    stored = storage.store(project_name, random_image(docker_client, project_name), stage_id)
    layer = registry.manifest(f"{project_name}/stages", stage_id.tag).json()["layers"][0]["digest"]
    httpx.delete(f"{registry.url}/v2/{project_name}/stages/blobs/{layer}", timeout=10).raise_for_status()
    forget_project_images(docker_client, project_name)
    with pytest.raises(ShouldResetStagesStorageCache, match="rejected"):
        storage.fetch(project_name, stored)
    assert storage.list_stage_ids(project_name) == []
    assert f"{stage_id.tag}-rejected" in registry.tags(f"{project_name}/stages")


def test_delete_removes_the_tag_and_the_cached_description(storage, docker_client, project_name, registry):
    stage_id = StageID(DIGEST, 1700000000070)
    stored = storage.store(project_name, random_image(docker_client, project_name), stage_id)
    storage.delete(project_name, stage_id)
    assert registry.tags(f"{project_name}/stages") == []
    assert storage.manifest_cache.get(stored.image_name) is None


def test_push_to_an_unreachable_registry_is_one_clear_error_and_leaves_no_local_name(docker_client, project_name,
                                                                                    werf_home):
    from tests.support.net import free_port
    from werf_core.registry.errors import RegistryUnreachableError
    dead = RegistryStagesStorage(f"127.0.0.1:{free_port()}/{project_name}/stages", make_docker_client)
    image_id = random_image(docker_client, project_name)
    with pytest.raises(RegistryUnreachableError, match="is unreachable") as info:
        dead.store(project_name, image_id, StageID(DIGEST, 1700000000080))
    assert "nothing half-written" in info.value.hint
    tags = docker_client.api.inspect_image(image_id)["RepoTags"]
    assert [t for t in tags if "/stages:" in t] == []
