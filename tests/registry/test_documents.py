"""Pure parsing: manifests and indexes, platform choice, image descriptions, Go timestamps, record image configs."""

import json

import pytest

from werf_core.errors import RegistryError
from werf_core.registry import ImageInfo, ImageReference, Manifest, ManifestIndex, Platform
from werf_core.registry.image_info import format_go_time, parse_go_time_ns
from werf_core.registry.manifest import (
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_MANIFEST,
    Descriptor,
    UnsupportedManifestError,
    manifest_document,
    parse_manifest_document,
    sha256_digest,
)
from werf_core.registry.record_image import RECORD_NAME_LABEL, record_image_config, record_labels

D = lambda n: "sha256:" + f"{n:064x}"  # noqa: E731


def _doc(**fields) -> bytes:
    return json.dumps(fields).encode()


def test_docker_manifest_parses_config_layers_size_and_digest_of_exact_bytes():
    raw = _doc(schemaVersion=2, mediaType=DOCKER_MANIFEST,
               config={"mediaType": "c", "digest": D(1), "size": 7},
               layers=[{"mediaType": "l", "digest": D(2), "size": 100}, {"mediaType": "l", "digest": D(3), "size": 20}])
    m = parse_manifest_document(raw, "application/json", digest=None, where="x")
    assert isinstance(m, Manifest)
    assert m.digest == sha256_digest(raw)
    assert m.config.digest == D(1) and [layer.digest for layer in m.layers] == [D(2), D(3)]
    assert m.size == 120 and len(m.blobs) == 3


def test_oci_manifest_without_media_type_is_recognised_by_header_or_shape():
    raw = _doc(schemaVersion=2, config={"mediaType": "c", "digest": D(1), "size": 1}, layers=[])
    assert parse_manifest_document(raw, OCI_MANIFEST, digest="sha256:x", where="x").media_type == OCI_MANIFEST
    assert parse_manifest_document(raw, None, digest=None, where="x").media_type == OCI_MANIFEST
    index = _doc(schemaVersion=2, manifests=[])
    assert parse_manifest_document(index, "", digest=None, where="x").media_type == OCI_INDEX


def test_index_selects_the_wanted_platform_and_lists_the_available_ones_otherwise():
    raw = _doc(schemaVersion=2, mediaType=OCI_INDEX, manifests=[
        {"mediaType": OCI_MANIFEST, "digest": D(1), "size": 1, "platform": {"os": "linux", "architecture": "arm64",
                                                                           "variant": "v8"}},
        {"mediaType": OCI_MANIFEST, "digest": D(2), "size": 1, "platform": {"os": "linux", "architecture": "amd64"}},
        {"mediaType": OCI_MANIFEST, "digest": D(3), "size": 1, "platform": {"os": "unknown",
                                                                           "architecture": "unknown"}},
    ])
    index = parse_manifest_document(raw, None, digest=None, where="r/app:1")
    assert isinstance(index, ManifestIndex)
    assert index.select(Platform.parse("linux/amd64"), where="r/app:1").digest == D(2)
    assert index.select(Platform.parse("linux/arm64"), where="r/app:1").digest == D(1)
    assert index.select(Platform.parse("linux/arm64/v8"), where="r/app:1").digest == D(1)
    with pytest.raises(RegistryError) as info:
        index.select(Platform.parse("linux/s390x"), where="r/app:1")
    assert "r/app:1 has no image for platform linux/s390x" in info.value.message
    assert "linux/arm64/v8, linux/amd64" in info.value.message


def test_platform_parse_and_errors():
    assert str(Platform.parse("linux/arm/v7")) == "linux/arm/v7"
    with pytest.raises(ValueError):
        Platform.parse("linux")


@pytest.mark.parametrize("raw, content_type, expected", [
    (b"not json", None, "not JSON"),
    (b"[]", None, "not a JSON object"),
    (_doc(schemaVersion=1, name="x", fsLayers=[]), "application/vnd.docker.distribution.manifest.v1+prettyjws",
     "schema 1"),
    (_doc(schemaVersion=2, mediaType="application/vnd.example+json"), None, "unsupported manifest media type"),
    (_doc(schemaVersion=2, mediaType=DOCKER_MANIFEST), None, "no config descriptor"),
    (_doc(schemaVersion=2, mediaType=DOCKER_MANIFEST, config={"size": 1}), None, "malformed descriptor"),
])
def test_unusable_manifests_raise_clear_errors(raw, content_type, expected):
    with pytest.raises(UnsupportedManifestError) as info:
        parse_manifest_document(raw, content_type, digest=None, where="r.io/app:1")
    assert expected in info.value.message and "r.io/app:1" in info.value.message


def test_foreign_layers_are_recognised():
    assert Descriptor("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", D(1), 1).is_foreign
    assert Descriptor("x", D(1), 1, urls=("https://mcr/x",)).is_foreign
    assert not Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", D(1), 1).is_foreign


def test_manifest_document_is_canonical_and_round_trips():
    config = Descriptor("application/vnd.docker.container.image.v1+json", D(9), 42)
    raw = manifest_document(config, [Descriptor("l", D(8), 5)])
    assert raw == manifest_document(config, [Descriptor("l", D(8), 5)])
    parsed = parse_manifest_document(raw, None, digest=None, where="x")
    assert parsed.config == config and parsed.layers[0].digest == D(8) and parsed.media_type == DOCKER_MANIFEST


@pytest.mark.parametrize("text, ns", [
    ("2024-05-06T07:08:09.123456789Z", 1714979289_123456789),
    ("2024-05-06T07:08:09Z", 1714979289_000000000),
    ("2024-05-06T07:08:09.5Z", 1714979289_500000000),
    ("2024-05-06T09:08:09.000000001+02:00", 1714979289_000000001),
    ("1970-01-01T00:00:00Z", 0),
    ("", 0),
    (None, 0),
    ("yesterday", 0),
])
def test_go_timestamps_keep_nanoseconds(text, ns):
    assert parse_go_time_ns(text) == ns


def test_format_go_time_round_trips():
    for ns in (1714979289_123456789, 1714979289_000000000, 1):
        assert parse_go_time_ns(format_go_time(ns)) == ns


def _manifest(layers=(5, 7)) -> Manifest:
    return Manifest(digest=D(100), media_type=DOCKER_MANIFEST, config=Descriptor("c", D(101), 10),
                    layers=tuple(Descriptor("l", D(200 + i), s) for i, s in enumerate(layers)), raw=b"")


def test_image_info_takes_labels_ids_sizes_and_parent_from_config_image():
    ref = ImageReference.parse("127.0.0.1:5000/stages:abc-1700000000000")
    config = {"created": "2024-05-06T07:08:09.123456789Z",
              "config": {"Image": "sha256:parent", "Labels": {"werf": "proj", "werf.io/base-image-id": "ignored"}}}
    info = ImageInfo.from_manifest_and_config(ref, _manifest(), config)
    assert info.name == "127.0.0.1:5000/stages:abc-1700000000000"
    assert info.repository == "127.0.0.1:5000/stages" and info.tag == "abc-1700000000000"
    assert info.repo_digest == f"127.0.0.1:5000/stages@{D(100)}" and info.digest == D(100)
    assert info.id == D(101) and info.parent_id == "sha256:parent"
    assert info.labels["werf"] == "proj" and info.size == 12
    assert info.created_at_unix_nano == 1714979289_123456789
    assert info.created_at.year == 2024


def test_image_info_parent_falls_back_to_werf_base_image_label_then_empty():
    ref = ImageReference.parse("r.io/a:1")
    with_label = {"config": {"Labels": {"werf.io/base-image-id": "sha256:base"}}}
    assert ImageInfo.from_manifest_and_config(ref, _manifest(), with_label).parent_id == "sha256:base"
    assert ImageInfo.from_manifest_and_config(ref, _manifest(), {"config": {"Labels": None}}).parent_id == ""
    assert ImageInfo.from_manifest_and_config(ref, _manifest(), {}).labels == {}


def test_image_info_json_uses_werf_field_names_and_round_trips():
    info = ImageInfo.from_manifest_and_config(ImageReference.parse("r.io/a:1"), _manifest(),
                                              {"config": {"Labels": {"k": "v"}}, "created": "2024-01-01T00:00:00Z"})
    data = info.to_json()
    assert set(data) == {"Name", "Repository", "Tag", "RepoDigest", "ID", "ParentID", "Labels", "Size",
                         "CreatedAtUnixNano"}
    assert ImageInfo.from_json(json.loads(json.dumps(data))) == info


def test_record_config_carries_labels_and_no_layers():
    config = json.loads(record_image_config({"a": "1"}, 1714979289_123456789))
    assert config["config"]["Labels"] == {"a": "1"}
    assert config["rootfs"] == {"type": "layers", "diff_ids": []}
    assert config["created"] == "2024-05-06T07:08:09.123456789Z"
    assert config["os"] == "linux" and config["architecture"] == "amd64"


def test_record_labels_add_the_name_and_refuse_a_contradicting_one():
    assert record_labels({"a": "1"}, "r/x:t") == {"a": "1", RECORD_NAME_LABEL: "r/x:t"}
    assert record_labels({RECORD_NAME_LABEL: "r/x:t"}, "r/x:t") == {RECORD_NAME_LABEL: "r/x:t"}
    with pytest.raises(ValueError):
        record_labels({RECORD_NAME_LABEL: "other"}, "r/x:t")
