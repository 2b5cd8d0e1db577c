"""The ansible runtime in the Docker engine: built once, found quickly, pruned, replaced when its version changes."""

from __future__ import annotations

import io
import tarfile
import threading
import time
import uuid

import pytest

from werf_core.builders.ansible.runtime.image import (
    CONTAINER_PREFIX,
    IMAGE_REPOSITORY,
    VERSION_LABEL,
    AnsibleRuntime,
    remove_stale_runtimes,
)
from werf_core.builders.ansible.runtime.sources import pinned_requirements

pytestmark = [pytest.mark.docker]


def runtime_listing(client, container: str) -> dict[str, tarfile.TarInfo]:
    stream, _ = client.api.get_archive(container, "/.werf/ansible")
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
        return {m.name.removeprefix("ansible/"): m for m in tar.getmembers()}


def test_runtime_is_found_again_with_one_quick_check(docker_client, ansible_runtime):
    timings = []
    for _ in range(3):
        started = time.monotonic()
        info = AnsibleRuntime(docker_client).ensure()
        timings.append(time.monotonic() - started)
        assert not info.built and info.container == ansible_runtime.container
    assert min(timings) < 0.5, timings
    container = docker_client.api.inspect_container(ansible_runtime.container)
    assert container["State"]["Status"] == "created"  # never started: it only lends its volume
    assert "/.werf/ansible" in (docker_client.api.inspect_image(ansible_runtime.image)["Config"]["Volumes"] or {})
    assert ansible_runtime.image == f"{IMAGE_REPOSITORY}:{ansible_runtime.version}"


def test_runtime_holds_what_ansible_needs_and_nothing_it_does_not(docker_client, ansible_runtime):
    files = runtime_listing(docker_client, ansible_runtime.container)
    for needed in ("bin/sh", "bin/su", "bin/busybox", "bin/python3", "bin/ansible-playbook", "libexec/python3.11",
                   "lib/ld-linux-x86-64.so.2", "lib/libc.so.6", "lib/python3.11/json/__init__.py",
                   "lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so", "locale/C.utf8/LC_CTYPE",
                   "site-packages/sitecustomize.py", "site-packages/ansible/modules/copy.py",
                   "site-packages/ansible/plugins/test/core.py", "site-packages/jinja2/__init__.py",
                   "plugins/callback/werf_live.py", "plugins/become/werf_su.py", "tools/chown", "tools/mkdir",
                   "VERSION"):
        assert needed in files, needed
    for left_out in ("site-packages/ansible_test", "site-packages/cryptography", "site-packages/bin",
                     "lib/python3.11/test", "lib/python3.11/sqlite3", "lib/python3.11/config-3.11-x86_64-linux-gnu",
                     "lib/python3.11/lib-dynload/_sqlite3.cpython-311-x86_64-linux-gnu.so",
                     "lib/python3.11/sitecustomize.py", "site-packages/ansible/galaxy/data", "lib/libsqlite3.so.0"):
        assert left_out not in files, left_out
    assert all(m.uid == 0 and m.mode & 0o004 for m in files.values() if not m.issym())  # readable by become users
    # bytecode is compiled ahead (the mount is read-only) and never checked against source times
    pycs = [name for name in files if name.endswith(".pyc")]
    assert len(pycs) > 1000
    pyc = "/.werf/ansible/site-packages/ansible/__pycache__/__init__.cpython-311.pyc"
    stream, _ = docker_client.api.get_archive(ansible_runtime.container, pyc)
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
        header = tar.extractfile(tar.getmembers()[0]).read(8)
    assert int.from_bytes(header[4:8], "little") == 0b01  # hash-based, unchecked
    size_mb = sum(m.size for m in files.values()) / 1e6
    assert 30 < size_mb < 80, size_mb
    version_file = docker_client.api.get_archive(ansible_runtime.container, "/.werf/ansible/VERSION")[0]
    with tarfile.open(fileobj=io.BytesIO(b"".join(version_file))) as tar:
        lines = tar.extractfile(tar.getmembers()[0]).read().decode().splitlines()
    assert lines[0] == ansible_runtime.version and lines[1:] == list(pinned_requirements())


def test_ansible_playbook_reports_the_runtime_python_and_our_ansible_core(docker_client, busybox_image,
                                                                         ansible_runtime, project_name):
    output = docker_client.containers.run(
        busybox_image, entrypoint=["/.werf/ansible/bin/ansible-playbook"], command=["--version"],
        volumes_from=[f"{ansible_runtime.container}:ro"], network_disabled=True, network_mode="none",
        labels={"werf": project_name}, remove=True).decode()
    assert f"core {pinned_requirements()[0].split('==')[1]}" in output
    assert "ansible python module location = /.werf/ansible/site-packages/ansible" in output
    assert "python version = 3.11" in output and "(/.werf/ansible/bin/python3)" in output
    assert "with libyaml" in output  # PyYAML's C extension loads with the runtime's own libraries


def small_assembler(calls: list):
    def assemble(root, sources, version):
        calls.append(version)
        time.sleep(0.3)  # long enough for a second caller to arrive while the first builds
        (root / "bin").mkdir(parents=True)
        (root / "bin" / "marker").write_text(version)
    return assemble


@pytest.fixture
def throwaway_versions(docker_client, werf_home):
    """Versions used by life-cycle tests with a small assembler; their containers and images go afterwards."""
    versions = []

    def make(prefix: str) -> str:
        versions.append(f"{prefix}-{uuid.uuid4().hex[:8]}")
        return versions[-1]

    yield make
    for version in versions:
        for call, name in ((docker_client.api.remove_container, CONTAINER_PREFIX + version),
                           (docker_client.api.remove_image, f"{IMAGE_REPOSITORY}:{version}")):
            try:
                call(name, **({"v": True, "force": True} if call == docker_client.api.remove_container else {}))
            except Exception:  # already gone: that is what some tests check
                pass


def test_concurrent_first_use_builds_once(docker_client, throwaway_versions):
    version = throwaway_versions("lock")
    calls: list = []
    results = []

    def use():
        runtime = AnsibleRuntime(docker_client, assembler=small_assembler(calls), version=version,
                                 remove_stale=False)
        results.append(runtime.ensure())

    threads = [threading.Thread(target=use) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [version]
    assert sorted(r.built for r in results) == [False, False, True]
    assert {r.container for r in results} == {CONTAINER_PREFIX + version}
    labels = docker_client.api.inspect_container(CONTAINER_PREFIX + version)["Config"]["Labels"]
    assert labels[VERSION_LABEL] == version


def test_missing_container_is_recreated_from_the_existing_image(docker_client, throwaway_versions):
    version = throwaway_versions("recreate")
    calls: list = []
    runtime = AnsibleRuntime(docker_client, assembler=small_assembler(calls), version=version, remove_stale=False)
    assert runtime.ensure().built
    docker_client.api.remove_container(runtime.container, v=True)
    again = runtime.ensure()
    assert again.built and calls == [version]  # the container is new, the image was not assembled again


def test_stale_runtimes_are_removed_and_current_ones_kept(docker_client, throwaway_versions, ansible_runtime):
    old = throwaway_versions("old")
    new = throwaway_versions("new")
    calls: list = []
    for version in (old, new):
        AnsibleRuntime(docker_client, assembler=small_assembler(calls), version=version, remove_stale=False).ensure()
    removed = remove_stale_runtimes(docker_client, keep={new, ansible_runtime.version})
    remaining = {c["Labels"][VERSION_LABEL] for c in docker_client.api.containers(
        all=True, filters={"label": VERSION_LABEL})}
    assert old not in remaining and {new, ansible_runtime.version} <= remaining
    assert len(removed) == 2  # the old container and the old image
    images = {i["Labels"][VERSION_LABEL] for i in docker_client.api.images(filters={"label": VERSION_LABEL})}
    assert old not in images and new in images
