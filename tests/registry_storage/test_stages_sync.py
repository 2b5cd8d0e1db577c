"""`werf stages sync` and `werf stages switch-from-local` between the local engine and registries."""

from __future__ import annotations

import pytest

from tests.registry_storage.support import (
    blob_downloads,
    blob_uploads,
    build_args,
    forget_project_images,
    layer_digests,
    manifest_puts,
    read_report,
    stage_tags,
    werf,
)

pytestmark = [pytest.mark.docker, pytest.mark.registry]


def local_stage_tags(client, project: str) -> list[str]:
    prefix = f"werf-stages-storage/{project}:"
    return sorted(t[len(prefix):] for image in client.images.list(name=f"werf-stages-storage/{project}")
                  for t in image.tags if t.startswith(prefix))


def sync(app_project, home, source: str, destination: str, *extra: str, check: bool = True):
    return werf(["stages", "sync", "--dir", str(app_project.path), "--from", source, "--to", destination, *extra],
                home, check=check)


@pytest.fixture
def built_locally(app_project, home_a, docker_client, project_name):
    werf(build_args("build", app_project.path, ":local"), home_a)
    tags = local_stage_tags(docker_client, project_name)
    assert len(tags) == 8
    return tags


def test_local_to_registry_copies_only_what_is_missing(built_locally, app_project, home_a, stages_repo, registry,
                                                       project_name):
    repository = f"{project_name}/stages"
    first = sync(app_project, home_a, ":local", stages_repo)
    assert stage_tags(registry, repository) == built_locally          # same names: <digest>-<uniqueID>
    assert "8 copied, 0 already present" in first.stderr

    position = registry.log_position()
    second = sync(app_project, home_a, ":local", stages_repo)
    assert "0 copied, 8 already present" in second.stderr
    requests = registry.requests_since(position)
    assert manifest_puts(requests) == [] and blob_uploads(requests) == []

    # resumable: a stage lost in the destination (an interrupted run) is the only one copied again
    registry_tag = built_locally[3]
    import httpx
    digest = registry.manifest(repository, registry_tag).headers["Docker-Content-Digest"]
    httpx.delete(f"{registry.url}/v2/{repository}/manifests/{digest}", timeout=10).raise_for_status()
    third = sync(app_project, home_a, ":local", stages_repo)
    assert "1 copied, 7 already present" in third.stderr
    assert stage_tags(registry, repository) == built_locally


def test_registry_to_registry_on_one_registry_mounts_layers(built_locally, app_project, home_a, home_b,
                                                            stages_repo, registry, project_name, tmp_path):
    sync(app_project, home_a, ":local", stages_repo)
    other = registry.repo(f"{project_name}/stages-copy")
    position = registry.log_position()
    result = sync(app_project, home_a, stages_repo, other)
    assert "8 copied" in result.stderr
    requests = registry.requests_since(position)
    layers = layer_digests(registry, f"{project_name}/stages", built_locally)
    assert not set(blob_downloads(requests)) & layers and not set(blob_uploads(requests)) & layers
    assert sum(1 for method, path in requests if method == "POST" and "mount=" in path) >= len(layers)
    assert stage_tags(registry, f"{project_name}/stages-copy") == built_locally

    report = tmp_path / "b.json"                       # the copy is complete: a fresh runner reuses everything
    werf(build_args("build", app_project.path, other, report=report), home_b)
    assert read_report(report)["counts"] == {"reused": 9}


def test_registry_to_local_pulls_into_the_engine(built_locally, app_project, home_a, home_b, stages_repo,
                                                 docker_client, project_name, tmp_path):
    sync(app_project, home_a, ":local", stages_repo)
    forget_project_images(docker_client, project_name)
    result = sync(app_project, home_b, stages_repo, ":local")
    assert "8 copied" in result.stderr
    assert local_stage_tags(docker_client, project_name) == built_locally
    report = tmp_path / "b.json"
    werf(build_args("build", app_project.path, ":local", report=report), home_b)
    assert read_report(report)["counts"] == {"reused": 9}


def test_switch_from_local_moves_the_stages_and_refuses_local_afterwards(built_locally, app_project, home_a,
                                                                         stages_repo, registry, docker_client,
                                                                         project_name, tmp_path):
    werf(["stages", "switch-from-local", "--dir", str(app_project.path), "--to", stages_repo], home_a)
    assert stage_tags(registry, f"{project_name}/stages") == built_locally
    assert local_stage_tags(docker_client, project_name) == []

    refused = werf(build_args("build", app_project.path, ":local"), home_a, check=False)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert f"was switched from the local stages storage to {stages_repo}" in refused.stderr
    assert f"--stages-storage {stages_repo}" in refused.stderr

    report = tmp_path / "r.json"
    werf(build_args("build", app_project.path, stages_repo, report=report), home_a)
    assert read_report(report)["counts"] == {"reused": 9}


@pytest.mark.parametrize("args, message", [
    (["--to", ":local"], "--to must be a registry repository"),
    (["--from", "127.0.0.1:1/x/stages", "--to", "127.0.0.1:1/y/stages"], "moves stages from :local"),
])
def test_switch_from_local_refuses_other_directions(app_project, home_a, args, message):
    result = werf(["stages", "switch-from-local", "--dir", str(app_project.path), *args], home_a, check=False)
    assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr


def test_sync_to_the_same_storage_is_refused(app_project, home_a, stages_repo):
    result = sync(app_project, home_a, stages_repo, stages_repo + "/", check=False)
    assert result.returncode == 1 and "name the same stages storage" in result.stderr
