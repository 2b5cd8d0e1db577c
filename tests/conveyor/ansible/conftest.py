"""Fixtures for ansible stages: the real runtime (built once, then reused) and a builder that uses it."""

from __future__ import annotations

import time

import pytest

from werf_core.builders.ansible.builder import AnsibleBuilder
from werf_core.builders.ansible.runtime.image import AnsibleRuntime


@pytest.fixture(scope="session")
def ansible_runtime(docker_client):
    """The runtime container for this engine. Like the build toolchain it is host state that real builds share, so it
    stays after the session; a new version replaces (and removes) it."""
    started = time.monotonic()
    info = AnsibleRuntime(docker_client).ensure()
    if info.built:
        print(f"\nansible runtime {info.version} built in {time.monotonic() - started:.1f}s, "
              f"{(info.size_bytes or 0) / 1e6:.1f} MB")
    return info


@pytest.fixture
def ansible_builder(docker_client, ansible_runtime) -> AnsibleBuilder:
    return AnsibleBuilder(AnsibleRuntime(docker_client))


@pytest.fixture
def stage_workdir(tmp_path):
    return tmp_path / "ansible-workdir"
