"""Which tags of a stages repository are stages, and how failed pushes and pulls are reported (pure logic)."""

from __future__ import annotations

import pytest

from werf_core.errors import RegistryError, StorageError
from werf_core.registry.errors import RegistryUnreachableError
from werf_core.storage.registry_storage import RegistryStagesStorage, parse_stage_tags, transfer_error
from werf_core.storage.stage_id import StageID

D1 = "a" * 56
D2 = "b" * 56


def test_stage_tags_are_hex_digest_and_unique_id():
    tags = [f"{D1}-1700000000001", f"{D2}-1700000000002", f"{D1}-1700000000003"]
    assert parse_stage_tags(tags) == [StageID(D1, 1700000000001), StageID(D1, 1700000000003),
                                      StageID(D2, 1700000000002)]


def test_filter_by_digest():
    tags = [f"{D1}-1", f"{D2}-2"]
    assert parse_stage_tags(tags, D2) == [StageID(D2, 2)]
    assert parse_stage_tags(tags, "c" * 56) == []


def test_rejected_stages_are_skipped_and_markers_are_not_stages():
    tags = [f"{D1}-1", f"{D1}-1-rejected", f"{D1}-2", f"{D2}-3-rejected"]
    assert parse_stage_tags(tags) == [StageID(D1, 2)]


@pytest.mark.parametrize("tag", [
    "managed-image-app", "managed-image-__nameless__", "image-metadata-by-commit-app-0123456789abcdef",
    "image-metadata-by-commit-app-1234567", "client-id-3f2a-1700000000000", "latest", "v1.2.3",
    "ABCDEF-1", "xyz-12", f"{D1}-", f"{D1}-12a", f"-{1}",
])
def test_record_and_foreign_tags_are_not_stages(tag):
    assert parse_stage_tags([tag]) == []


def test_addresses_must_name_a_repository():
    with pytest.raises(StorageError, match="names an image"):
        RegistryStagesStorage("127.0.0.1:5000/app/stages:latest", lambda: None)
    with pytest.raises(RegistryError, match="invalid image reference"):
        RegistryStagesStorage("127.0.0.1:5000/App/Stages", lambda: None)


def test_opening_a_registry_storage_touches_neither_docker_nor_the_registry():
    def no_docker():
        raise AssertionError("the Docker client must not be created")
    storage = RegistryStagesStorage("127.0.0.1:9/app/stages", no_docker)
    assert storage.stage_image_name("app", StageID(D1, 5)) == f"127.0.0.1:9/app/stages:{D1}-5"
    assert storage.is_local() is False
    assert storage._registry is None


@pytest.mark.parametrize("detail", [
    'Get "http://127.0.0.1:5999/v2/": dial tcp 127.0.0.1:5999: connect: connection refused',
    "dial tcp: lookup registry.invalid: no such host",
])
def test_unreachable_registry_is_one_clear_error(detail):
    err = transfer_error("push", "127.0.0.1:5999/app/stages:x-1", detail, "127.0.0.1:5999")
    assert isinstance(err, RegistryUnreachableError)
    assert "127.0.0.1:5999 is unreachable" in err.message and "push 127.0.0.1:5999/app/stages:x-1" in err.message
    assert "rerunning" in err.hint


def test_denied_push_asks_for_credentials():
    err = transfer_error("push", "r.example.com/a:b", "denied: requested access to the resource is denied",
                         "r.example.com")
    assert "refused" in err.message and "docker login" in err.hint


def test_other_failures_keep_the_engine_message():
    err = transfer_error("pull", "r.example.com/a:b", "something odd happened", "r.example.com")
    assert type(err) is RegistryError and "something odd happened" in err.message
