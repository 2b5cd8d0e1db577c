"""The automatic host cleanup after a build starts its process only when due: at most every AUTO_INTERVAL per
project, or at once when the Docker volume is above the allowed usage."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from tests.support.project import build, make_project
from werf_cli.auto_cleanup import _docker_volume_percent
from werf_core.cleanup.auto_gate import AUTO_INTERVAL, cleanup_due, mark_started, stamp_path


def _due(stamp, *, age: float | None, usage: float | None = 10.0, allowed: float = 70.0) -> bool:
    now = 2_000_000_000.0
    if age is not None:
        mark_started(stamp, now - age)
    elif stamp.exists():
        stamp.unlink()
    return cleanup_due(stamp, allowed_usage=allowed, usage_percent=lambda: usage, now=now)


def test_due_by_time_or_by_volume_usage(tmp_path):
    stamp = tmp_path / "stamp"
    assert _due(stamp, age=None)                                    # never ran
    assert not _due(stamp, age=60)                                  # ran a minute ago, the volume is fine
    assert _due(stamp, age=AUTO_INTERVAL)                           # the interval is over
    assert _due(stamp, age=-3600)                                   # a start "in the future": the clock moved back
    assert _due(stamp, age=60, usage=71.0)                          # the volume is above the allowed usage
    assert not _due(stamp, age=60, usage=70.0)
    assert not _due(stamp, age=60, usage=None)                      # cannot tell (a remote engine): time decides


def test_the_stamp_is_per_project_inside_werf_home(tmp_path, monkeypatch):
    monkeypatch.setenv("WERF_HOME", str(tmp_path))
    one, other = stamp_path("one"), stamp_path("other")
    assert one != other and one.parent == other.parent and tmp_path in one.parents
    assert stamp_path("../../escape").parent == one.parent          # a name never becomes a path


def test_the_volume_usage_of_the_engine_root_is_read_without_docker_py(docker_client):
    percent = _docker_volume_percent()
    assert percent is not None
    root = docker_client.info()["DockerRootDir"]
    df = subprocess.run(["df", "-P", root], capture_output=True, text=True, check=True).stdout.splitlines()[-1]
    assert abs(percent - float(df.split()[4].rstrip("%"))) <= 1.5


@pytest.fixture
def auto_cleanup_env():
    # the LRU part never triggers here (usage is never above 100 %): the shared test engine's images stay
    return {"WERF_DISABLE_AUTO_HOST_CLEANUP": "", "WERF_ALLOWED_DOCKER_STORAGE_VOLUME_USAGE": "100"}


def test_builds_start_the_cleanup_only_when_it_is_due(git_repo, project_name, busybox_image, werf_home,
                                                      auto_cleanup_env, monkeypatch):
    make_project(git_repo, f"project: {project_name}\nconfigVersion: 1\n---\nimage: app\nfrom: {busybox_image}\n")
    monkeypatch.setenv("WERF_HOME", str(werf_home))
    stamp, log = stamp_path(project_name), werf_home / "logs" / "auto-host-cleanup.log"
    build(git_repo, werf_home, env_extra=auto_cleanup_env)
    assert stamp.exists() and log.exists()                          # the first build starts it
    recent = time.time() - 60
    os.utime(stamp, (recent, recent))
    build(git_repo, werf_home, env_extra=auto_cleanup_env)
    assert stamp.stat().st_mtime == recent                          # a minute later: not again
    old = time.time() - AUTO_INTERVAL - 1
    os.utime(stamp, (old, old))
    build(git_repo, werf_home, env_extra=auto_cleanup_env)
    assert stamp.stat().st_mtime > recent                           # the interval is over: started again
    os.utime(stamp, (old, old))
    build(git_repo, werf_home, env_extra={**auto_cleanup_env, "WERF_DISABLE_AUTO_HOST_CLEANUP": "1"})
    assert stamp.stat().st_mtime == old                             # switched off: never
