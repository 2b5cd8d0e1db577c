"""Fixtures of the distributed-mode tests: a project whose stages live in the session registry."""

from __future__ import annotations

import pytest

from tests.registry_storage.support import APP_FILES, app_config
from tests.support.project import make_project


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
