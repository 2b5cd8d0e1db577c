"""Session-wide test fixtures: the real Docker engine, a throw-away registry, offline base images, git repositories.

Fixtures stop exactly the processes they started (by PID) and remove what they created. Every test that builds
images gets a unique project name, so tests never see each other's images.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

from scripts import devenv
from tests.support.docker_cleanup import remove_project_images
from tests.support.gitrepo import GitRepo
from tests.support.registry import Registry, remove_registry, start_throwaway_registry

os.environ.setdefault("DO_NOT_TRACK", "1")


@pytest.fixture(scope="session")
def docker_client():
    try:
        devenv.ensure_docker_engine()
    except devenv.SetupError as err:
        pytest.exit(f"Docker engine unavailable: {err}", returncode=1)
    client = devenv.docker_client()
    yield client
    client.close()


@pytest.fixture(scope="session")
def registry() -> Registry:
    reg = start_throwaway_registry()
    yield reg
    remove_registry(reg)


@pytest.fixture(scope="session")
def busybox_image(docker_client) -> str:
    """The offline busybox base image in the local engine (name:tag)."""
    devenv.ensure_busybox_image(docker_client)
    return devenv.BUSYBOX_IMAGE


@pytest.fixture(scope="session")
def registry_busybox(docker_client, registry, busybox_image) -> str:
    """The busybox base image pushed to the throw-away registry (full reference)."""
    remote = registry.repo(busybox_image)
    devenv.push_image(docker_client, busybox_image, remote)
    yield remote
    docker_client.images.remove(remote, noprune=True)


@pytest.fixture
def project_name(request, docker_client) -> str:
    """A unique werf project name; every local image labelled or named with it is removed afterwards."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    yield name
    remove_project_images(docker_client, name)


@pytest.fixture
def werf_home(tmp_path, monkeypatch) -> Path:
    """An isolated WERF_HOME (host locks, stages-storage cache, git cache) per test."""
    home = tmp_path / "werf-home"
    home.mkdir()
    monkeypatch.setenv("WERF_HOME", str(home))
    return home


@pytest.fixture
def git_repo(tmp_path) -> GitRepo:
    return GitRepo.init(tmp_path / "repo")


@pytest.fixture
def make_git_repo(tmp_path):
    created = []

    def make(name: str = "repo") -> GitRepo:
        repo = GitRepo.init(tmp_path / name)
        created.append(repo.path)
        return repo

    yield make
    for path in created:
        shutil.rmtree(path, ignore_errors=True)
