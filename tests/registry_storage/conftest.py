"""Fixtures of the distributed-mode tests: a project whose stages live in the session registry."""

from __future__ import annotations

import uuid

import pytest

from tests.registry_storage.support import APP_FILES, app_config, forget_project_images
from tests.support.project import make_project


@pytest.fixture
def project_name(docker_client) -> str:
    """A unique project name; the project's images are removed afterwards.

    Overrides the session-wide fixture, whose clean-up inspects every image of the engine and fails when another
    process removes an unrelated image meanwhile: this one looks only at what carries the project's name or label.
    """
    import docker.errors
    name = f"t-{uuid.uuid4().hex[:10]}"
    yield name
    for container in docker_client.containers.list(all=True, filters={"label": f"werf={name}"}):
        container.remove(force=True)
    forget_project_images(docker_client, name)
    for image in docker_client.api.images():
        for tag in image.get("RepoTags") or []:
            if f"/{name}/" in tag or f"/{name}:" in tag or tag.startswith(f"werf-test-{name}:"):
                try:
                    docker_client.api.remove_image(tag, force=True)
                except docker.errors.APIError:
                    pass


@pytest.fixture
def stages_repo(registry, project_name) -> str:
    return registry.repo(f"{project_name}/stages")


@pytest.fixture
def images_repo(registry, project_name) -> str:
    return registry.repo(project_name)


@pytest.fixture
def app_project(git_repo, project_name, registry_busybox):
    """The app + artifact project; its base image comes from the registry, so an emptied engine can build it."""
    make_project(git_repo, app_config(project_name, registry_busybox), APP_FILES)
    return git_repo


@pytest.fixture
def home_a(tmp_path):
    (tmp_path / "runner-a").mkdir()
    return tmp_path / "runner-a"


@pytest.fixture
def home_b(tmp_path):
    (tmp_path / "runner-b").mkdir()
    return tmp_path / "runner-b"
