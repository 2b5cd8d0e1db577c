"""fromLatest: the base image's current ID in its registry enters the `from` digest, asked on every build."""

from __future__ import annotations

import json

import pytest

from scripts.devenv import push_image
from tests.support.project import make_project, run_werf, werf_env

pytestmark = [pytest.mark.docker, pytest.mark.registry]


def from_digest(repo, werf_home) -> str:
    result = run_werf(["stages", "plan", "--dir", str(repo.path), "--stages-storage", ":local", "--output", "json"],
                      env=werf_env(werf_home))
    return json.loads(result.stdout)["images"]["app"]["stages"][0]["digest"]


def test_from_latest_follows_the_registry(git_repo, werf_home, registry, docker_client, busybox_image, project_name):
    base = registry.repo(f"{project_name}/base:latest")
    push_image(docker_client, busybox_image, base)
    make_project(git_repo, f"""
    project: {project_name}
    configVersion: 1
    ---
    image: app
    from: {base}
    fromLatest: true
    herebyIAdmitThatFromLatestMightBreakReproducibility: true
    shell:
      install: [echo hi]
    """)
    first = from_digest(git_repo, werf_home)
    assert from_digest(git_repo, werf_home) == first
    # the tag moves to another image in the registry: the `from` digest follows, without any local pull
    container = docker_client.api.create_container(busybox_image, command=["true"])["Id"]
    changed = docker_client.api.commit(container)["Id"]
    docker_client.api.remove_container(container)
    push_image(docker_client, changed, base)    # the project clean-up removes it by its tag
    assert from_digest(git_repo, werf_home) != first


def test_from_latest_with_a_missing_image_is_one_clear_error(git_repo, werf_home, registry, project_name):
    make_project(git_repo, f"""
    project: {project_name}
    configVersion: 1
    ---
    image: app
    from: {registry.repo(project_name + '/nothing:here')}
    fromLatest: true
    herebyIAdmitThatFromLatestMightBreakReproducibility: true
    """)
    result = run_werf(["stages", "plan", "--dir", str(git_repo.path), "--stages-storage", ":local"],
                      env=werf_env(werf_home), check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "is not in its registry" in result.stderr
