"""The registry going away in the middle of a build: one clear error, nothing half-written, a rerun completes."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from scripts.devenv import push_image, start_registry
from tests.registry_storage.support import read_report, stage_tags, statuses
from tests.support.project import make_project, werf_env
from tests.support.registry import MANIFEST_TYPES, remove_registry, start_throwaway_registry

pytestmark = [pytest.mark.docker, pytest.mark.registry, pytest.mark.slow]


@pytest.fixture
def own_registry(docker_client, busybox_image):
    """A registry only this test stops and restarts, with the base image in it."""
    registry = start_throwaway_registry()
    base = registry.repo("busybox:latest")
    push_image(docker_client, busybox_image, base)
    yield registry
    remove_registry(registry)
    docker_client.images.remove(base, noprune=True)


def running_for(container, seconds: float) -> bool:
    started = container.attrs["State"].get("StartedAt", "")
    if not container.attrs["State"].get("Running") or not started or started.startswith("0001"):
        return False
    head = started.rstrip("Z").split(".")[0]
    since = datetime.fromisoformat(head).replace(tzinfo=UTC).timestamp()
    return time.time() - since >= seconds


def wait_for_slow_stage(client, project: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for container in client.containers.list(filters={"label": f"werf={project}"}):
            container.reload()
            if running_for(container, 1.5):
                return
        time.sleep(0.2)
    raise AssertionError("the slow stage never started")


def complete(registry, repository: str, tag: str) -> bool:
    manifest = httpx.get(f"{registry.url}/v2/{repository}/manifests/{tag}", headers={"Accept": MANIFEST_TYPES},
                         timeout=10).json()
    blobs = [manifest["config"], *manifest["layers"]]
    return all(httpx.head(f"{registry.url}/v2/{repository}/blobs/{b['digest']}", timeout=10).status_code == 200
               for b in blobs)


def test_registry_outage_is_one_clear_error_and_a_rerun_completes(own_registry, git_repo, werf_home, project_name,
                                                                  docker_client, tmp_path):
    registry = own_registry
    make_project(git_repo, f"""
    project: {project_name}
    configVersion: 1
    ---
    image: app
    from: {registry.repo("busybox:latest")}
    shell:
      beforeInstall:
      - echo one > /one
      install:
      - sleep 6
      - echo two > /two
      setup:
      - echo three > /three
    """)
    stages = registry.repo(f"{project_name}/stages")
    report = tmp_path / "report.json"
    werf_bin = str(Path(sys.executable).with_name("werf"))
    args = [werf_bin, "build", "--dir", str(git_repo.path), "--stages-storage", stages, "-S", ":local",
            "--report-path", str(report)]
    proc = subprocess.Popen(args, env=werf_env(werf_home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_slow_stage(docker_client, project_name)
        registry.stop()
        _, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, err
    assert "Traceback" not in err
    assert err.count("Error:") == 1, err
    assert f"registry {registry.address} is unreachable" in err and "rerun" in err
    assert not report.exists()

    registry.process = start_registry(registry.directory, registry.address, access_log=True)
    repository = f"{project_name}/stages"
    published = stage_tags(registry, repository)
    assert len(published) == 2            # `from` and beforeInstall, pushed before the outage
    assert all(complete(registry, repository, tag) for tag in published)
    assert docker_client.containers.list(all=True, filters={"label": f"werf={project_name}"}) == []

    rerun = subprocess.run(args, env=werf_env(werf_home), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    result = statuses(read_report(report), "app")
    assert result == {"from": "reused", "beforeInstall": "reused", "install": "built", "setup": "built"}
    assert len(stage_tags(registry, repository)) == 4
