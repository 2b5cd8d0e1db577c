"""Checkouts of one commit shared by the builds on a host: reuse, concurrency, recovery, eviction."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.params import validate_build_parameters
from flows.source import checked_out
from werf_core.git.remote import open_remote_repository
from werf_core.git.shared_checkout import checkouts_root, shared_checkout

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def origin(make_git_repo):
    repo = make_git_repo("origin")
    repo.write("werf.yaml", "project: demo\nconfigVersion: 1\n")
    repo.write("VERSION", "1\n")
    repo.write(".gitignore", "*.log\n")
    first = repo.commit("one")
    repo.write("VERSION", "2\n")
    second = repo.commit("two")
    return repo, first, second


@pytest.fixture
def clone(origin, werf_home):
    repo, _, _ = origin
    return open_remote_repository(str(repo.path))


def registered_worktrees(clone) -> list[str]:
    out = subprocess.run(["git", "--git-dir", str(clone.directory), "worktree", "list", "--porcelain"],
                         capture_output=True, text=True, check=True).stdout
    return [line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("worktree ")
            and Path(line.split(" ", 1)[1]) != clone.directory]


def test_the_commit_is_checked_out_once_and_reused(origin, clone):
    _, first, _ = origin
    with shared_checkout(clone.directory, clone.lock_path, first) as tree:
        assert tree is not None and (tree / "VERSION").read_text() == "1\n"
        marker = tree.parent / "complete"
        created = marker.stat().st_ino
    assert tree.is_dir()                                   # kept for the next build of this commit
    with shared_checkout(clone.directory, clone.lock_path, first) as again:
        assert again == tree and marker.stat().st_ino == created     # not made again
    assert registered_worktrees(clone) == [str(tree)]


def test_a_different_commit_gets_its_own_checkout(origin, clone):
    _, first, second = origin
    with shared_checkout(clone.directory, clone.lock_path, first) as one, \
            shared_checkout(clone.directory, clone.lock_path, second) as two:
        assert one is not None and two is not None and one != two
        assert (one / "VERSION").read_text() == "1\n" and (two / "VERSION").read_text() == "2\n"


USER = """
import sys, time
from pathlib import Path
from werf_core.git.shared_checkout import shared_checkout
clone, lock, commit, release = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
with shared_checkout(clone, lock, commit) as tree:
    print(tree, (tree / "VERSION").read_text().strip(), (tree.parent / "complete").stat().st_ino, flush=True)
    while not release.exists():
        time.sleep(0.05)
"""


def test_concurrent_builds_of_one_commit_share_one_checkout(origin, clone, tmp_path):
    _, first, _ = origin
    release = tmp_path / "release"
    users = [subprocess.Popen([sys.executable, "-c", USER, str(clone.directory), str(clone.lock_path), first,
                               str(release)], cwd=ROOT, stdout=subprocess.PIPE, text=True, env=os.environ.copy())
             for _ in range(3)]
    try:
        lines = [user.stdout.readline().split() for user in users]     # all three inside at once
        assert all(line[1] == "1" for line in lines)
        assert len({line[0] for line in lines}) == 1 and len({line[2] for line in lines}) == 1
        tree = Path(lines[0][0])
        # in use: neither evicted (keep=0) nor made again by a build that finds it damaged meanwhile
        (tree / "stray.log").write_text("left by a build\n")
        with shared_checkout(clone.directory, clone.lock_path, first, keep=0) as damaged:
            assert damaged is None                      # the caller checks out a private copy
        assert tree.is_dir()
        (tree / "stray.log").unlink()
    finally:
        release.write_text("")
        for user in users:
            assert user.wait(timeout=30) == 0
    assert registered_worktrees(clone) == [str(tree)]


@pytest.mark.parametrize("damage", ["incomplete", "modified", "untracked", "ignored", "removed behind git",
                                    "wrong commit"])
def test_a_partial_or_damaged_checkout_is_made_again(origin, clone, damage):
    _, first, second = origin
    with shared_checkout(clone.directory, clone.lock_path, first) as tree:
        assert tree is not None
    entry = tree.parent
    if damage == "incomplete":                # killed while checking out: no marker yet, files half written
        (entry / "complete").unlink()
        (tree / "VERSION").unlink()
    elif damage == "modified":
        (tree / "VERSION").write_text("changed by a build\n")
    elif damage == "untracked":
        (tree / "new-file").write_text("x\n")
    elif damage == "ignored":
        (tree / "build.log").write_text("x\n")
    elif damage == "removed behind git":      # the directory is gone, git still lists the worktree
        shutil.rmtree(entry)
    elif damage == "wrong commit":
        subprocess.run(["git", "-C", str(tree), "checkout", "--quiet", "--detach", second], check=True)
    with shared_checkout(clone.directory, clone.lock_path, first) as again:
        assert again == tree
        assert (tree / "VERSION").read_text() == "1\n"
        assert sorted(p.name for p in tree.iterdir() if p.name != ".git") == [".gitignore", "VERSION", "werf.yaml"]
    assert registered_worktrees(clone) == [str(tree)]


def test_only_the_most_recently_used_checkouts_are_kept(make_git_repo, werf_home):
    repo = make_git_repo("many")
    commits = []
    for n in range(4):
        repo.write("VERSION", f"{n}\n")
        commits.append(repo.commit(f"c{n}"))
    clone = open_remote_repository(str(repo.path))
    root = checkouts_root(clone.directory)
    with shared_checkout(clone.directory, clone.lock_path, commits[0], keep=2):     # in use all along
        for commit in commits[1:]:
            with shared_checkout(clone.directory, clone.lock_path, commit, keep=2):
                pass
            time.sleep(0.02)       # distinct last-use times
        kept = {p.name for p in root.iterdir() if p.is_dir()}
        assert kept == {commits[0], commits[2], commits[3]}      # the oldest unused one went; the used one stays
    # released, it is the least recently used one beyond the two kept
    assert {p.name for p in root.iterdir() if p.is_dir()} == {commits[2], commits[3]}
    assert len(registered_worktrees(clone)) == 2


def test_image_runs_check_out_a_commit_once_per_host(origin, werf_home):
    repo, first, _ = origin
    params = validate_build_parameters(repository=str(repo.path), commit=first)
    with checked_out(params, shared=True) as one, checked_out(params, shared=True) as two:
        assert one.project_dir == two.project_dir and not one.temporary
        assert (one.project_dir / "VERSION").read_text() == "1\n" and one.commit == first
    assert one.project_dir.is_dir()
    with checked_out(params) as private:                    # other builds keep their temporary worktree
        assert private.temporary and private.project_dir != one.project_dir


def test_a_damaged_checkout_in_use_gives_the_build_a_private_copy(origin, werf_home):
    repo, first, _ = origin
    params = validate_build_parameters(repository=str(repo.path), commit=first)
    with checked_out(params, shared=True) as using:
        (using.project_dir / "VERSION").write_text("changed\n")
        with checked_out(params, shared=True) as other:
            assert other.temporary and other.project_dir != using.project_dir
            assert (other.project_dir / "VERSION").read_text() == "1\n"
        assert not other.project_dir.exists()


def test_only_a_full_commit_sha_names_a_checkout(clone):
    with pytest.raises(ValueError), shared_checkout(clone.directory, clone.lock_path, "HEAD"):
        pass
