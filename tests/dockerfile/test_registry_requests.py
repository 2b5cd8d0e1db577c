"""What a fresh runner asks the registry and the engine for a Dockerfile image on a registry stages storage (counted
in the registry's access log and the engine's events), as tests/registry_storage/test_request_economy.py does for
stapel images: an idle build lists the stages repository once, requests no URL twice and downloads no layer; a
one-file change creates no container, pulls nothing into the engine and reads only the small top layers it needs
(the attributes of the directory a COPY writes into), never the base image's."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from tests.dockerfile.test_dockerfile_build import DOCKERFILE, FILES, werf_yaml
from tests.registry_storage.support import (
    blob_downloads,
    blob_uploads,
    build_args,
    container_creates,
    forget_project_images,
    image_events,
    layer_digests,
    manifest,
    read_report,
    stage_tags,
    werf,
)
from tests.support.project import make_project

pytestmark = [pytest.mark.docker, pytest.mark.registry]


def statuses_of(report: dict) -> dict[str, str]:
    return {s["name"]: s["status"] for s in report["images"]["app"]["stages"]}


def repeated(requests: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    return {request: n for request, n in Counter(requests).items() if n > 1}


@pytest.fixture
def built_once(git_repo, project_name, registry, registry_busybox, tmp_path):
    """The Dockerfile project built once by runner a; returns the stages repository address."""
    make_project(git_repo, werf_yaml(project_name, registry_busybox),
                 {**FILES, "Dockerfile": DOCKERFILE.format(base=registry_busybox)})
    stages = registry.repo(f"{project_name}/stages")
    (tmp_path / "a").mkdir()
    werf(build_args("build", git_repo.path, stages, report=tmp_path / "a" / "r.json"), tmp_path / "a")
    return stages


def test_a_fresh_runners_idle_dockerfile_build_lists_once_repeats_nothing_and_downloads_no_layer(
        built_once, git_repo, project_name, registry, docker_client, tmp_path):
    forget_project_images(docker_client, project_name)
    (tmp_path / "b").mkdir()
    position, since = registry.log_position(), time.time()
    werf(build_args("build", git_repo.path, built_once, report=tmp_path / "b" / "r.json"), tmp_path / "b")
    assert set(statuses_of(read_report(tmp_path / "b" / "r.json")).values()) == {"reused"}
    requests = registry.requests_since(position)
    repository = f"{project_name}/stages"
    assert sum(1 for m, p in requests if m == "GET" and p.startswith(f"/v2/{repository}/tags/list")) == 1, requests
    assert repeated(requests) == {}, repeated(requests)
    stage_layers = layer_digests(registry, repository, stage_tags(registry, repository))
    assert stage_layers and not set(blob_downloads(requests)) & stage_layers
    assert container_creates(docker_client, since, project_name) == []


def test_a_one_file_change_on_a_fresh_runner_pulls_nothing_into_the_engine_and_reads_only_top_layers(
        built_once, git_repo, project_name, registry, registry_busybox, docker_client, tmp_path):
    git_repo.write("main.sh", "echo changed\n")
    forget_project_images(docker_client, project_name)
    (tmp_path / "c").mkdir()
    position, since = registry.log_position(), time.time()
    werf(build_args("build", git_repo.path, built_once, report=tmp_path / "c" / "r.json"), tmp_path / "c")
    built = [n for n, s in statuses_of(read_report(tmp_path / "c" / "r.json")).items() if s == "built"]
    assert built == ["COPY#10", "CMD#11"]
    assert container_creates(docker_client, since, project_name) == []
    assert image_events(docker_client, since, "pull", built_once) == []
    requests = registry.requests_since(position)
    # what the COPY needs of its parent (the attributes of /app) comes from the top layers, not from the base image
    repository, _, base_tag = registry_busybox.partition("/")[2].rpartition(":")
    base_layers = {layer["digest"] for layer in manifest(registry, repository, base_tag)["layers"]}
    assert not set(blob_downloads(requests)) & base_layers
    assert [r for r in repeated(requests) if r[0] == "GET"] == [], repeated(requests)


def test_a_cold_dockerfile_build_neither_uploads_nor_downloads_the_base_images_layers(
        git_repo, project_name, registry, registry_busybox, tmp_path):
    """FROM reuses the base image's layers by a cross-repository mount (the base lives in the same registry), RUN
    stages reuse their parent's layers without exporting them again, and a COPY's parent attributes come from the
    engine when it built the parent: no base layer moves through this process."""
    make_project(git_repo, werf_yaml(project_name, registry_busybox),
                 {**FILES, "Dockerfile": DOCKERFILE.format(base=registry_busybox)})
    stages = registry.repo(f"{project_name}/stages")
    position = registry.log_position()
    werf(build_args("build", git_repo.path, stages), tmp_path)
    requests = registry.requests_since(position)
    repository, _, base_tag = registry_busybox.partition("/")[2].rpartition(":")
    base_layers = {layer["digest"] for layer in manifest(registry, repository, base_tag)["layers"]}
    assert not set(blob_uploads(requests)) & base_layers
    assert not set(blob_downloads(requests)) & base_layers
    mounts = [p for m, p in requests if m == "POST" and "mount=" in p]
    assert mounts, "the base layers are mounted into the stages repository"
