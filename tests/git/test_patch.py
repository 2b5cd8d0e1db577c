"""Patches between two commits: what gitCache/gitLatestPatch/user stages apply, in images without git."""

import hashlib
import os
import subprocess

import pytest

from tests.git.snapshot import snapshot
from werf_core.errors import GitError
from werf_core.git.archive import create_archive
from werf_core.git.mapping import GitMapping
from werf_core.git.patch import create_patch
from werf_core.git.repository import open_local_repository

MiB = 1024 * 1024


@pytest.fixture
def project(git_repo):
    git_repo.write("README.md", "readme\n")
    git_repo.write("src/app.py", "print('app')\n")
    git_repo.write("src/run.sh", "#!/bin/sh\necho run\n")
    git_repo.write("src/lib/util.py", "def util(): pass\n")
    git_repo.write("src/deep/er/est/file.txt", "deep\n")
    git_repo.write("src/logo.png", bytes(range(256)) * 4)
    git_repo.symlink("src/link", "app.py")
    git_repo.write("other/file.txt", "outside the mapping\n")
    git_repo.commit("A")
    return git_repo


def patch_between(git_repo, mapping, a, b, **kwargs):
    repo = open_local_repository(git_repo.path)
    return create_patch(repo, mapping, a, b, **kwargs)


def assert_patch_reproduces(git_repo, mapping, a, b, tmp_path, **kwargs):
    """Archive(A) + patch(A→B) == archive(B): the contract the builder relies on."""
    repo = open_local_repository(git_repo.path)
    patch = create_patch(repo, mapping, a, b, **kwargs)
    applied, expected = tmp_path / "applied", tmp_path / "expected"
    create_archive(repo, mapping, a, **kwargs).extract_to(applied)
    patch.apply_to_directory(applied)
    create_archive(repo, mapping, b, **kwargs).extract_to(expected)
    assert snapshot(applied) == snapshot(expected)
    return patch


SRC = GitMapping(to="/app", add="/src")


def test_modify_add_delete(project, tmp_path):
    a = project.head()
    project.write("src/app.py", "print('changed')\n")
    project.write("src/new/module.py", "x = 1\n")
    project.remove("src/lib/util.py")
    b = project.commit("B")
    p = assert_patch_reproduces(project, SRC, a, b, tmp_path)
    assert p.changed_paths == ["app.py"]
    assert p.added_paths == ["new/module.py"]
    assert p.deleted_paths == ["lib/util.py"]
    assert p.emptied_directories == ["lib"]
    assert p.new_directories == ["new"]
    assert not p.is_empty


def test_chmod_only(project, tmp_path):
    a = project.head()
    (project.path / "src/run.sh").chmod(0o755)
    b = project.commit("chmod")
    p = assert_patch_reproduces(project, SRC, a, b, tmp_path)
    assert p.changed_paths == ["run.sh"] and p.added_paths == p.deleted_paths == []
    assert snapshot(tmp_path / "applied")["run.sh"][1] == 0o755


def test_symlink_retarget_and_type_changes(project, tmp_path):
    a = project.head()
    project.symlink("src/link", "run.sh")                # retarget
    (project.path / "src/app.py").unlink()
    project.symlink("src/app.py", "run.sh")              # file → symlink
    project.write("src/run.sh", "new content\n")         # still a file; content change
    b = project.commit("links")
    p = assert_patch_reproduces(project, SRC, a, b, tmp_path)
    assert p.changed_paths == ["app.py", "link", "run.sh"]
    (project.path / "src/app.py").unlink()
    project.write("src/app.py", "a file again\n")        # symlink → file
    c = project.commit("unlink")
    assert_patch_reproduces(project, SRC, b, c, tmp_path / "2")


def test_file_becomes_directory_and_back(project, tmp_path):
    a = project.head()
    project.remove("src/app.py")
    project.write("src/app.py/main.py", "inside\n")
    b = project.commit("file to dir")
    p = assert_patch_reproduces(project, SRC, a, b, tmp_path)
    assert p.deleted_paths == ["app.py"] and p.added_paths == ["app.py/main.py"]
    assert p.new_directories == ["app.py"]
    project.remove("src/app.py")
    project.write("src/app.py", "file again\n")
    c = project.commit("dir to file")
    p = assert_patch_reproduces(project, SRC, b, c, tmp_path / "2")
    assert p.emptied_directories == ["app.py"]


def test_rename_is_delete_plus_add(project, tmp_path):
    a = project.head()
    project.git("mv", "src/deep", "src/shallow")
    b = project.commit("rename")
    p = assert_patch_reproduces(project, SRC, a, b, tmp_path)
    assert p.deleted_paths == ["deep/er/est/file.txt"]
    assert p.added_paths == ["shallow/er/est/file.txt"]
    assert p.emptied_directories == ["deep/er/est", "deep/er", "deep"]     # deepest first
    assert p.new_directories == ["shallow", "shallow/er", "shallow/er/est"]


def test_binary_change(project, tmp_path):
    a = project.head()
    project.write("src/logo.png", bytes(reversed(range(256))) * 4)
    b = project.commit("binary")
    p = assert_patch_reproduces(project, SRC, a, b, tmp_path)
    assert p.changed_paths == ["logo.png"]
    assert b"Binary files" in p.text()


def test_changes_outside_the_mapping_give_an_empty_patch(project):
    a = project.head()
    project.write("other/file.txt", "changed\n")
    project.write("README.md", "changed\n")
    b = project.commit("outside")
    p = patch_between(project, SRC, a, b)
    assert p.is_empty and p.size() == 0 and p.text_digest() == "" and p.tar_members() == []


def test_include_exclude_filter_the_patch(project, tmp_path):
    a = project.head()
    project.write("src/app.py", "changed\n")
    project.write("src/lib/util.py", "changed\n")
    b = project.commit("two changes")
    mapping = GitMapping(to="/app", add="/src", exclude_paths=["lib"])
    p = assert_patch_reproduces(project, mapping, a, b, tmp_path)
    assert p.changed_paths == ["app.py"]


def test_single_file_mapping(project, tmp_path):
    mapping = GitMapping(to="/etc/app.py", add="/src/app.py")
    a = project.head()
    project.write("src/app.py", "changed\n")
    project.write("src/run.sh", "changed too\n")
    b = project.commit("file")
    p = assert_patch_reproduces(project, mapping, a, b, tmp_path)
    assert p.type == "file" and p.extraction_directory == "/etc"
    assert p.changed_paths == ["app.py"] and p.emptied_directories == []
    project.remove("src/app.py")
    c = project.commit("file removed")
    p = patch_between(project, mapping, b, c)
    assert p.type == "file" and p.deleted_paths == ["app.py"]


def test_patch_tar_owner(project, tmp_path):
    a = project.head()
    project.write("src/new/file.txt", "new\n")
    b = project.commit("new")
    assert_patch_reproduces(project, SRC, a, b, tmp_path, uid=1500, gid=1600)
    snap = snapshot(tmp_path / "applied")
    assert snap["new"][2:] == (1500, 1600) and snap["new/file.txt"][3:] == (1500, 1600)


def test_size_is_the_full_context_binary_diff(project):
    a = project.head()
    project.write("src/app.py", "print('changed')\n")
    project.write("src/logo.png", os.urandom(1000))
    b = project.commit("B")
    expected = subprocess.run(["git", "diff", "--no-renames", "--binary", "--full-index", "-U2147483647", a, b,
                               "--", "src"], cwd=project.path, capture_output=True, check=True).stdout
    p = patch_between(project, SRC, a, b)
    assert p.size() == len(expected)


def test_size_crosses_the_gitcache_threshold_for_big_changes(project):
    a = project.head()
    project.write("src/big.bin", os.urandom(MiB))       # incompressible: the binary diff is larger than 1 MiB
    b = project.commit("big")
    p = patch_between(project, SRC, a, b)
    assert p.size() // MiB >= 1
    project.write("src/app.py", "small\n")
    c = project.commit("small")
    assert patch_between(project, SRC, b, c).size() // MiB == 0


def test_size_with_patterns_counts_only_matched_files(project):
    a = project.head()
    project.write("src/app.py", "print('changed')\n")
    project.write("src/lib/util.py", "x" * 5000 + "\n")
    b = project.commit("B")
    only_app = patch_between(project, GitMapping(to="/app", add="/src", include_paths=["app.py"]), a, b)
    everything = patch_between(project, SRC, a, b)
    assert 0 < only_app.size() < everything.size()


def test_text_digest_ignores_user_diff_settings(project):
    a = project.head()
    project.write("src/app.py", "def a():\n    pass\n\n\ndef b():\n    pass\n")
    b = project.commit("B")
    before = patch_between(project, SRC, a, b).text_digest()
    for key, value in [("diff.algorithm", "histogram"), ("color.ui", "always"), ("diff.noprefix", "true"),
                       ("diff.mnemonicPrefix", "true"), ("diff.renames", "copies"), ("core.quotePath", "false")]:
        project.git("config", key, value)
    p = patch_between(project, SRC, a, b)
    assert p.text_digest() == before == hashlib.sha256(p.text()).hexdigest()
    assert p.text().startswith(b"diff --git a/src/app.py b/src/app.py")


def test_text_digest_follows_content(project):
    a = project.head()
    project.write("src/app.py", "one\n")
    b = project.commit("B")
    project.write("src/app.py", "two\n")
    c = project.commit("C")
    assert patch_between(project, SRC, a, b).text_digest() != patch_between(project, SRC, a, c).text_digest()


def test_many_changed_paths_with_patterns_are_batched(project):
    a = project.head()
    for i in range(2500):
        project.write(f"src/gen/{i:04}.txt", f"{i}\n")
    b = project.commit("many")
    mapping = GitMapping(to="/app", add="/src", include_paths=["gen"])
    p = patch_between(project, mapping, a, b)
    assert len(p.added_paths) == 2500
    whole = patch_between(project, SRC, a, b)
    assert p.size() == whole.size() and p.text_digest() == whole.text_digest()


def test_missing_base_commit_is_a_clear_error(project):
    with pytest.raises(GitError) as err:
        patch_between(project, SRC, "b" * 40, project.head())
    assert "b" * 40 in err.value.message and "force-push" in err.value.hint


def test_submodule_change_is_skipped_with_a_warning(project):
    a = project.head()
    project.git("update-index", "--add", "--cacheinfo", f"160000,{a},src/vendor")
    project.git("commit", "-q", "-m", "submodule")
    b = project.head()
    p = patch_between(project, SRC, a, b)
    assert p.is_empty and "submodule change at src/vendor" in p.warnings[0]


def test_shell_script_applies_the_patch_with_busybox_only(project, tmp_path):
    """The container recipe: busybox sh, xargs, rm, rmdir and tar; no git, no Python."""
    a = project.head()
    project.write("src/app.py", "print('changed')\n")
    project.remove("src/deep")
    project.write("src/-dash file\n.txt", "awkward name\n")
    (project.path / "src/run.sh").chmod(0o755)
    project.symlink("src/link", "run.sh")
    b = project.commit("B")
    repo = open_local_repository(project.path)
    p = create_patch(repo, SRC, a, b)
    target, expected = tmp_path / "target", tmp_path / "expected"
    create_archive(repo, SRC, a).extract_to(target)
    create_archive(repo, SRC, b).extract_to(expected)
    (target / "deep/er/est/user-file").write_text("made by a build command\n")   # must survive
    files = tmp_path / "files"
    files.mkdir()
    p.write_file(files / "patch.tar")
    p.write_path_list(p.removal_paths, files / "removals")
    p.write_path_list(p.emptied_directories, files / "directories")
    script = p.shell_apply_script(str(target), tar_path=str(files / "patch.tar"),
                                  removals_path=str(files / "removals"),
                                  directories_path=str(files / "directories"), command_prefix="busybox ")
    subprocess.run(["busybox", "sh", "-e", "-c", script], check=True, env={"PATH": "/bin:/usr/bin"})
    result = snapshot(target)
    assert result.pop("deep/er/est/user-file")[2] == b"made by a build command\n"
    assert {k for k in result if k.startswith("deep")} == {"deep", "deep/er", "deep/er/est"}
    assert {k: v for k, v in result.items() if not k.startswith("deep")} == snapshot(expected)


def test_file_names_that_are_not_utf8(project, tmp_path):
    a = project.head()
    raw = os.path.join(os.fsencode(project.path), b"src", b"caf\xe9 latin1.txt")
    with open(raw, "wb") as f:
        f.write(b"bytes name\n")
    b = project.commit("latin-1 name")
    p = assert_patch_reproduces(project, GitMapping(to="/app", add="/src", include_paths=["*.txt"]), a, b, tmp_path)
    assert p.added_paths == [os.fsdecode(b"caf\xe9 latin1.txt")]
    assert p.size() > 0
    assert os.path.exists(os.path.join(os.fsencode(tmp_path / "applied"), b"caf\xe9 latin1.txt"))
