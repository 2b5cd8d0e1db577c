"""Every way a `werf build` ends cleans up: SIGTERM like Ctrl-C (exit 143), a second signal during cleanup does not
skip it, and what the build creates on the host is marked so `werf host cleanup` can find leftovers of kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.project import make_project, werf_env
from werf_core.fsutil import in_use_marker_held
from werf_core.leftovers import (
    BUILD_CONTAINER_LABEL,
    TMP_DIR_PREFIX,
    make_build_tmp_dir,
    owner_alive,
    owner_id,
    tmp_dir_owner,
)

BUSYBOX = "werf-prefect/busybox:latest"


def build_containers(client, project: str) -> list:
    return client.containers.list(all=True, filters={"label": f"werf={project}"}, sparse=True)


def slow_project(git_repo, project_name: str, *, parallel_images: int = 1) -> None:
    documents = "".join(f"""
---
image: slow{n}
from: {BUSYBOX}
shell:
  install:
  - echo started{n}
  - sleep 120
""" for n in range(parallel_images))
    make_project(git_repo, f"project: {project_name}\nconfigVersion: 1\n{documents}")


def start_build(git_repo, werf_home: Path, tmp: Path) -> subprocess.Popen:
    werf = str(Path(sys.executable).with_name("werf"))
    return subprocess.Popen([werf, "build", "--dir", str(git_repo.path), "--stages-storage", ":local"],
                            env=werf_env(werf_home, WERF_TMP_DIR=str(tmp)), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for_containers(client, project: str, count: int, proc: subprocess.Popen) -> list:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        running = [c for c in build_containers(client, project) if c.status == "running"]
        if len(running) >= count:
            return running
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    raise AssertionError("the build containers never started")


@pytest.fixture
def build_tmp(tmp_path) -> Path:
    path = tmp_path / "werf-tmp"
    path.mkdir()
    return path


def assert_nothing_left(client, project: str, build_tmp: Path) -> None:
    assert build_containers(client, project) == []
    assert client.images.list(filters={"label": f"werf={project}", "dangling": True}) == []
    assert [p.name for p in build_tmp.iterdir()] == []


def test_sigterm_stops_and_removes_the_build_container_and_exits_143(git_repo, werf_home, docker_client,
                                                                     project_name, busybox_image, build_tmp):
    slow_project(git_repo, project_name)
    proc = start_build(git_repo, werf_home, build_tmp)
    (container,) = wait_for_containers(docker_client, project_name, 1, proc)
    # the marks `werf host cleanup` relies on, while the build runs
    owner = container.attrs["Labels"][BUILD_CONTAINER_LABEL]
    assert owner.startswith(f"{proc.pid}.") and owner_alive(owner)
    # every directory of the build: named after its owner, or holding the in-use marker `werf host cleanup` honours
    assert all(tmp_dir_owner(p.name) == owner or in_use_marker_held(p) for p in build_tmp.iterdir())
    assert any(tmp_dir_owner(p.name) == owner for p in build_tmp.iterdir())
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert time.monotonic() - started < 30
    assert "Traceback" not in err and "Interrupted" in err
    assert_nothing_left(docker_client, project_name, build_tmp)
    assert not owner_alive(owner)


def test_a_second_sigint_during_cleanup_does_not_skip_it(git_repo, werf_home, docker_client, project_name,
                                                         busybox_image, build_tmp):
    slow_project(git_repo, project_name, parallel_images=2)      # two containers, removed one after the other
    proc = start_build(git_repo, werf_home, build_tmp)
    wait_for_containers(docker_client, project_name, 2, proc)
    proc.send_signal(signal.SIGINT)
    for _ in range(5):                # impatient user: Ctrl-C Ctrl-C Ctrl-C while the cleanup runs
        time.sleep(0.05)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "again: still stopping" in err          # the later signals arrived during the cleanup
    assert_nothing_left(docker_client, project_name, build_tmp)


def test_sigterm_then_sigint_exits_143_after_the_full_cleanup(git_repo, werf_home, docker_client, project_name,
                                                              busybox_image, build_tmp):
    slow_project(git_repo, project_name)
    proc = start_build(git_repo, werf_home, build_tmp)
    wait_for_containers(docker_client, project_name, 1, proc)
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.02)
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    assert_nothing_left(docker_client, project_name, build_tmp)


def test_kill_9_leftovers_are_marked_with_a_dead_owner(git_repo, werf_home, docker_client, project_name,
                                                       busybox_image, build_tmp):
    slow_project(git_repo, project_name)
    proc = start_build(git_repo, werf_home, build_tmp)
    (container,) = wait_for_containers(docker_client, project_name, 1, proc)
    proc.kill()
    proc.communicate(timeout=30)
    try:
        owner = container.attrs["Labels"][BUILD_CONTAINER_LABEL]
        assert not owner_alive(owner)
        listed = docker_client.containers.list(all=True, filters={"label": f"{BUILD_CONTAINER_LABEL}={owner}"})
        assert [c.id for c in listed] == [container.id]
        leftovers = [p for p in build_tmp.iterdir() if p.name.startswith(TMP_DIR_PREFIX)]
        assert leftovers and all(tmp_dir_owner(p.name) == owner for p in leftovers)
        assert all(in_use_marker_held(p) is not True for p in build_tmp.iterdir())   # nothing claims to be live
    finally:
        docker_client.api.remove_container(container.id, force=True)


def test_owner_ids_and_tmp_dir_names(tmp_path):
    me = owner_id()
    assert me.startswith(f"{os.getpid()}.") and owner_alive(me)
    pid, ticks = me.split(".")
    assert not owner_alive(f"{pid}.{int(ticks) + 1}")          # same pid, another process (pid reuse)
    assert not owner_alive("not-an-owner") and not owner_alive("999999999.1")
    made = make_build_tmp_dir("my/image name", parent=tmp_path)
    assert made.parent == tmp_path and oct(made.stat().st_mode & 0o777) == "0o700"
    assert tmp_dir_owner(made.name) == me
    assert tmp_dir_owner("werf-something-else") is None
