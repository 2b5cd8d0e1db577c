"""Two runners sharing a registry stages storage: what is reused, what is pulled, what is pushed.

One Docker engine stands in for two machines: runner B has its own WERF_HOME, and the project's images are removed
from the engine before it runs, so everything it needs must come from the registry.
"""

from __future__ import annotations

import time

import pytest

from tests.registry_storage.support import (
    all_statuses,
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
    statuses,
    werf,
)

pytestmark = [pytest.mark.docker, pytest.mark.registry]


def repository_of(registry, reference: str) -> str:
    return reference[len(registry.address) + 1:]


@pytest.fixture
def published_by_runner_a(app_project, home_a, stages_repo, images_repo, docker_client, project_name, tmp_path):
    report = tmp_path / "a.json"
    werf(build_args("build-and-publish", app_project.path, stages_repo, "--images-repo", images_repo,
                    "--tag-custom", "v1", report=report), home_a)
    forget_project_images(docker_client, project_name)
    return read_report(report)


def test_runner_b_reuses_every_stage_and_pulls_nothing(published_by_runner_a, app_project, home_b, stages_repo,
                                                       registry, docker_client, project_name, tmp_path):
    first = published_by_runner_a
    digests = {s["digest"] for i in first["images"].values() for s in i["stages"]}
    assert first["counts"]["built"] == len(digests)      # `from` is shared by the artifact and the image
    position, since = registry.log_position(), time.time()
    report_path = tmp_path / "b.json"
    result = werf(build_args("build", app_project.path, stages_repo, report=report_path), home_b)
    report = read_report(report_path)
    assert all_statuses(report) == {"reused"}
    assert report["images"]["app"]["stageImage"] == first["images"]["app"]["stageImage"]
    assert image_events(docker_client, since, "pull", stages_repo) == []
    assert container_creates(docker_client, since, project_name) == []
    # the registry served only descriptions: tag lists, manifests and the small config blobs, never a layer
    repository = repository_of(registry, stages_repo)
    requests = registry.requests_since(position)
    layers = layer_digests(registry, repository, stage_tags(registry, repository))
    assert blob_downloads(requests) and not set(blob_downloads(requests)) & layers
    assert blob_uploads(requests) == []
    assert "Pulling" not in result.stderr


def test_idle_build_with_warm_caches_sends_no_registry_request(published_by_runner_a, app_project, home_b,
                                                               stages_repo, registry):
    werf(build_args("build", app_project.path, stages_repo), home_b)
    position = registry.log_position()
    result = werf(build_args("build", app_project.path, stages_repo), home_b)
    assert "reused" in result.stderr and "built" not in result.stderr
    assert registry.requests_since(position) == []


def test_runner_b_after_a_commit_pulls_nothing_and_pushes_one_layer(published_by_runner_a, app_project, home_b,
                                                                     stages_repo, registry, docker_client,
                                                                     tmp_path):
    """The patch and the config change are built layer-natively: no pull of the stage under them, no container."""
    app_project.write("src/VERSION", "2.0\n")
    app_project.commit("bump version")
    position, since = registry.log_position(), time.time()
    report_path = tmp_path / "b.json"
    werf(build_args("build", app_project.path, stages_repo, report=report_path), home_b)
    report = read_report(report_path)
    app = statuses(report, "app")
    assert {k for k, v in app.items() if v == "built"} == {"gitLatestPatch", "dockerInstructions"}
    assert all(v == "reused" for k, v in app.items() if k not in ("gitLatestPatch", "dockerInstructions"))
    assert set(statuses(report, "tools").values()) == {"reused"}

    stages = report["images"]["app"]["stages"]
    assert image_events(docker_client, since, "pull", stages_repo) == []

    repository = repository_of(registry, stages_repo)
    new_tags = [s["image"].rsplit(":", 1)[1] for s in stages if s["status"] == "built"]
    old_tags = [s["image"].rsplit(":", 1)[1] for s in stages if s["status"] == "reused"]
    uploaded = set(blob_uploads(registry.requests_since(position)))
    new_layers = layer_digests(registry, repository, new_tags) - layer_digests(registry, repository, old_tags)
    configs = {manifest(registry, repository, tag)["config"]["digest"] for tag in new_tags}
    assert uploaded & new_layers == new_layers and len(uploaded - configs) == 1, (uploaded, new_layers, configs)
    out = docker_client.containers.run(stages[-1]["image"], ["/bin/cat", "/app/VERSION"], entrypoint=[""],
                                       remove=True, network_disabled=True)
    assert out.decode() == "2.0\n"
