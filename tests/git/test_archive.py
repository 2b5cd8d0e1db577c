"""gitArchive content: what a mapping puts into the image at `to`."""

import io
import os
import subprocess
import tarfile

import pytest

from tests.git.snapshot import snapshot
from werf_core.errors import GitError
from werf_core.git.archive import create_archive
from werf_core.git.mapping import GitMapping
from werf_core.git.repository import open_local_repository


@pytest.fixture
def project(git_repo):
    git_repo.write("README.md", "readme\n")
    git_repo.write("src/app.py", "print('app')\n")
    git_repo.write("src/run.sh", "#!/bin/sh\necho run\n", mode=0o755)
    git_repo.write("src/lib/util.py", "def util(): pass\n")
    git_repo.write("src/lib/blob.bin", bytes(range(256)) * 10)
    git_repo.symlink("src/current", "lib/util.py")
    git_repo.write("config/app.yaml", "key: value\n")
    git_repo.commit("initial")
    return git_repo


def archive(git_repo, mapping, **kwargs):
    repo = open_local_repository(git_repo.path)
    return create_archive(repo, mapping, repo.head_commit(), **kwargs)


def members(data: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: m for m in tar.getmembers()}


def test_directory_archive_names_are_relative_to_add(project):
    a = archive(project, GitMapping(to="/app", add="/src"))
    assert a.type == "directory" and a.extraction_directory == "/app" and not a.is_empty
    assert sorted(members(a.to_bytes())) == ["app.py", "current", "lib", "lib/blob.bin", "lib/util.py", "run.sh"]


def test_modes_symlinks_and_owner(project):
    a = archive(project, GitMapping(to="/app"), uid=1001, gid=2002)
    m = members(a.to_bytes())
    assert m["src/app.py"].mode == 0o644
    assert m["src/run.sh"].mode == 0o755
    assert m["src"].isdir() and m["src"].mode == 0o755
    assert m["src/current"].issym() and m["src/current"].linkname == "lib/util.py"
    assert {(i.uid, i.gid, i.uname, i.gname) for i in m.values()} == {(1001, 2002, "", "")}


def test_member_dates_are_the_commit_time_and_bytes_are_reproducible(project):
    a = archive(project, GitMapping(to="/app"))
    commit_time = int(project.git("show", "-s", "--format=%ct", "HEAD"))
    assert {i.mtime for i in members(a.to_bytes()).values()} == {commit_time}
    assert a.to_bytes() == archive(project, GitMapping(to="/app")).to_bytes()


def test_directories_come_before_their_contents(project):
    names = [i.name for i in tarfile.open(fileobj=io.BytesIO(archive(project, GitMapping(to="/a")).to_bytes()))]
    for i, name in enumerate(names):
        parent = name.rpartition("/")[0]
        if parent:
            assert parent in names[:i]


def test_include_and_exclude(project):
    a = archive(project, GitMapping(to="/app", include_paths=["src"], exclude_paths=["**/*.bin", "src/run.sh"]))
    assert sorted(members(a.to_bytes())) == ["src", "src/app.py", "src/current", "src/lib", "src/lib/util.py"]


def test_single_file_add(project):
    a = archive(project, GitMapping(to="/etc/myapp/config.yaml", add="/config/app.yaml"), uid=5, gid=6)
    assert a.type == "file"
    assert a.extraction_directory == "/etc/myapp"
    m = members(a.to_bytes())
    assert list(m) == ["config.yaml"]
    assert (m["config.yaml"].uid, m["config.yaml"].mode) == (5, 0o644)


def test_single_symlink_add_keeps_the_link(project):
    a = archive(project, GitMapping(to="/app/current", add="/src/current"))
    m = members(a.to_bytes())
    assert a.type == "file" and m["current"].issym() and m["current"].linkname == "lib/util.py"


def test_nothing_matched_is_an_empty_archive(project):
    a = archive(project, GitMapping(to="/app", add="/does/not/exist"))
    assert a.type == "directory" and a.is_empty and members(a.to_bytes()) == {}
    assert archive(project, GitMapping(to="/app", include_paths=["*.none"])).is_empty


def test_submodules_are_skipped_with_a_warning(project):
    project.git("update-index", "--add", "--cacheinfo", f"160000,{project.head()},vendor/lib")
    project.git("commit", "-q", "-m", "submodule")
    a = archive(project, GitMapping(to="/app"))
    assert "vendor/lib" not in members(a.to_bytes()) and "vendor" not in members(a.to_bytes())
    assert len(a.warnings) == 1 and "submodule vendor/lib" in a.warnings[0]


def test_unknown_commit(project):
    repo = open_local_repository(project.path)
    with pytest.raises(GitError, match="does not exist"):
        create_archive(repo, GitMapping(to="/app"), "a" * 40)


def test_large_archive_streams_to_a_file(project, tmp_path):
    for i in range(300):
        project.write(f"many/{i:03}.txt", f"file {i}\n" * 100)
    project.commit("many files")
    a = archive(project, GitMapping(to="/app", add="/many"))
    assert a.file_count == 300
    target = a.write_file(tmp_path / "archive.tar")
    assert len(members(target.read_bytes())) == 300


@pytest.mark.parametrize("tar_command", [["tar"], ["busybox", "tar"]])
def test_system_tar_extracts_what_the_reference_extraction_does(project, tmp_path, tar_command):
    """The builder runs tar (GNU or busybox) as root in the image; it must give the reference result."""
    if os.geteuid() != 0:
        pytest.skip("ownership checks need root")
    a = archive(project, GitMapping(to="/app"), uid=1234, gid=4321)
    tar_file = a.write_file(tmp_path / "a.tar")
    reference, system = tmp_path / "reference", tmp_path / "system"
    a.extract_to(reference)
    system.mkdir()
    subprocess.run([*tar_command, "-xf", str(tar_file), "-C", str(system)], check=True)
    assert snapshot(system) == snapshot(reference)
    assert snapshot(reference)["src/run.sh"][:2] == ("file", 0o755)
    assert snapshot(reference)["src/current"] == ("symlink", "lib/util.py")
    assert snapshot(reference)["src/lib/util.py"][3:] == (1234, 4321)


def test_long_names_and_link_targets_survive_every_tar_reader(git_repo, tmp_path):
    long_dir = "/".join(["a-rather-long-directory-name"] * 6)
    git_repo.write(f"{long_dir}/file-with-a-long-name.txt", "deep\n")
    git_repo.symlink("link", f"{long_dir}/file-with-a-long-name.txt")
    git_repo.write("ünïcødé name.txt", "unicode\n")
    git_repo.commit("long names")
    a = archive(git_repo, GitMapping(to="/app"))
    data = a.write_file(tmp_path / "a.tar")
    m = members(data.read_bytes())
    assert f"{long_dir}/file-with-a-long-name.txt" in m and "ünïcødé name.txt" in m
    assert m["link"].linkname == f"{long_dir}/file-with-a-long-name.txt"
    reference = tmp_path / "reference"
    a.extract_to(reference)
    for command in (["tar"], ["busybox", "tar"]):
        target = tmp_path / command[0]
        target.mkdir()
        subprocess.run([*command, "-xf", str(data), "-C", str(target)], check=True)
        assert snapshot(target) == snapshot(reference), command


def test_ids_too_big_for_octal_fields_still_work(project, tmp_path):
    a = archive(project, GitMapping(to="/app", add="/src/lib"), uid=3_000_000, gid=4_000_000)
    m = members(a.to_bytes())
    assert {(i.uid, i.gid) for i in m.values()} == {(3_000_000, 4_000_000)}
    subprocess.run(["tar", "-xf", "-", "-C", str(tmp_path)], input=a.to_bytes(), check=True)
    assert (tmp_path / "util.py").read_text() == "def util(): pass\n"
