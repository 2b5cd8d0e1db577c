"""The patch recipe inside a real build container: a busybox image with no git and no Python."""

import io
import tarfile

import pytest

from tests.git.snapshot import tar_snapshot
from werf_core.git.archive import create_archive
from werf_core.git.mapping import GitMapping
from werf_core.git.patch import create_patch
from werf_core.git.repository import open_local_repository

pytestmark = pytest.mark.docker


def bundle(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def path_list(names):
    return b"".join(n.encode() + b"\0" for n in names)


def test_patch_applied_in_a_busybox_container_gives_the_new_archive(git_repo, docker_client, busybox_image,
                                                                     project_name):
    git_repo.write("app/main.py", "print('v1')\n")
    git_repo.write("app/run.sh", "#!/bin/sh\n")
    git_repo.write("app/old/deep/file.txt", "old\n")
    git_repo.write("app/data.bin", b"\0\1\2" * 100)
    git_repo.symlink("app/current", "main.py")
    a = git_repo.commit("A")
    git_repo.write("app/main.py", "print('v2')\n")
    (git_repo.path / "app/run.sh").chmod(0o755)
    git_repo.remove("app/old")
    git_repo.write("app/new/module.py", "x = 1\n")
    git_repo.write("app/data.bin", b"\3\0\4" * 120)
    git_repo.symlink("app/current", "run.sh")
    b = git_repo.commit("B")

    repo = open_local_repository(git_repo.path)
    mapping = GitMapping(to="/srv/app", add="/app")
    uid, gid = 1000, 1000
    patch = create_patch(repo, mapping, a, b, uid=uid, gid=gid)
    script = patch.shell_apply_script("/srv/app", tar_path="/werf/patch.tar", removals_path="/werf/removals",
                                      directories_path="/werf/dirs")
    command = "set -e; mkdir -p /srv/app /srv/expected; tar -xf /werf/a.tar -C /srv/app; " \
              "tar -xf /werf/b.tar -C /srv/expected; " + script
    container = docker_client.containers.create(busybox_image, ["sh", "-c", command], labels={"werf": project_name},
                                                name=f"{project_name}-patch", network_disabled=True)
    try:
        container.put_archive("/", bundle({
            "werf/a.tar": create_archive(repo, mapping, a, uid=uid, gid=gid).to_bytes(),
            "werf/b.tar": create_archive(repo, mapping, b, uid=uid, gid=gid).to_bytes(),
            "werf/patch.tar": patch.to_bytes(),
            "werf/removals": path_list(patch.removal_paths),
            "werf/dirs": path_list(patch.emptied_directories),
        }))
        container.start()
        status = container.wait(timeout=60)
        assert status["StatusCode"] == 0, container.logs().decode()
        applied = tar_snapshot(io.BytesIO(b"".join(container.get_archive("/srv/app")[0])), strip="app")
        expected = tar_snapshot(io.BytesIO(b"".join(container.get_archive("/srv/expected")[0])), strip="expected")
    finally:
        container.remove(force=True)
    assert applied == expected
    assert "old" not in applied and applied["run.sh"][:2] == ("file", 0o755)
    assert applied["current"] == ("symlink", "run.sh")
    assert applied["new/module.py"][3:] == (uid, gid)
