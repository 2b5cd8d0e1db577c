"""The published image's labels and config, and the label-only Dockerfile (pure logic)."""

from __future__ import annotations

import json

from werf_core.publish.published_image import label_dockerfile, published_config, published_labels
from werf_core.publish.report import PublishedTag, PublishReport

STAGE_CONFIG = {
    "architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
    "config": {"Cmd": ["/app/run"], "Env": ["PATH=/bin"], "Labels": {"werf": "p", "werf-image": "false"}},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "1" * 64, "sha256:" + "2" * 64]},
    "history": [{"created_by": "a"}, {"created_by": "b"}],
}


def test_published_labels_are_werfs():
    labels = published_labels(full_name="r/p/app:v1", strategy="custom", image_name="app", meta_tag="v1",
                              content_digest="c" * 56)
    assert labels == {"werf-docker-image-name": "r/p/app:v1", "werf-tag-strategy": "custom", "werf-image": "true",
                      "werf-image-name": "app", "werf-image-tag": "v1", "werf-content-signature": "c" * 56,
                      "werf-image-version": "1"}
    assert published_labels(full_name="r/p:v1", strategy="custom", image_name=None, meta_tag="v1",
                            content_digest="c")["werf-image-name"] == ""


def test_config_keeps_everything_but_adds_labels_and_the_stage_as_parent():
    raw = published_config(STAGE_CONFIG, {"werf-image": "true", "x": "y"}, "sha256:" + "9" * 64)
    config = json.loads(raw)
    assert config["config"]["Labels"] == {"werf": "p", "werf-image": "true", "x": "y"}
    assert config["config"]["Image"] == "sha256:" + "9" * 64
    assert config["config"]["Cmd"] == ["/app/run"] and config["rootfs"] == STAGE_CONFIG["rootfs"]
    assert config["created"] == STAGE_CONFIG["created"] and config["history"] == STAGE_CONFIG["history"]
    assert STAGE_CONFIG["config"]["Labels"]["werf-image"] == "false"     # the input is not modified


def test_config_bytes_are_deterministic():
    a = published_config(STAGE_CONFIG, {"b": "1", "a": "2"}, "sha256:x")
    b = published_config(json.loads(json.dumps(STAGE_CONFIG)), {"a": "2", "b": "1"}, "sha256:x")
    assert a == b


def test_config_without_container_config_gets_one():
    config = json.loads(published_config({"rootfs": {}}, {"k": "v"}, "sha256:x"))
    assert config["config"] == {"Labels": {"k": "v"}, "Image": "sha256:x"}


def test_label_dockerfile_quotes_and_escapes():
    text = label_dockerfile("sha256:abc", {"werf-image": "true", "odd": 'a "b" $HOME'}).decode()
    assert text.splitlines()[0] == "FROM sha256:abc"
    assert text.splitlines()[1] == 'LABEL "werf-image"="true" "odd"="a \\"b\\" \\$HOME"'


def test_report_has_werfs_shape_one_entry_per_image_last_tag_wins(tmp_path):
    report = PublishReport([
        PublishedTag("app", "custom", "v1", "r/p/app", "v1", "sha256:i1", "sha256:d1", "published"),
        PublishedTag("app", "stages-signature", "c" * 56, "r/p/app", "c" * 56, "sha256:i2", "sha256:d2",
                     "up-to-date"),
        PublishedTag(None, "custom", "v1", "r/p", "v1", "sha256:i3", "sha256:d3", "published"),
    ])
    path = tmp_path / "sub" / "report.json"
    report.write(path)
    assert json.loads(path.read_text()) == {"Images": {
        "app": {"WerfImageName": "app", "DockerRepo": "r/p/app", "DockerTag": "c" * 56, "DockerImageID": "sha256:i2",
                "DockerImageDigest": "sha256:d2"},
        "": {"WerfImageName": "", "DockerRepo": "r/p", "DockerTag": "v1", "DockerImageID": "sha256:i3",
             "DockerImageDigest": "sha256:d3"}}}
    assert [p.name for p in path.parent.iterdir()] == ["report.json"]
