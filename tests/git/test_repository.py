"""Opening the project's repository and asking it about commits: refs, ancestry, shallow clones, objects."""

import os
import subprocess
import time

import pytest

from tests.support.gitrepo import GIT_ENV
from werf_core.errors import GitError
from werf_core.git.repository import open_local_repository


@pytest.fixture
def history(git_repo):
    git_repo.write("README.md", "one\n")
    first = git_repo.commit("first")
    git_repo.write("README.md", "two\n")
    second = git_repo.commit("second")
    return git_repo, first, second


def test_open_from_a_subdirectory_of_the_project(history):
    git_repo, _, second = history
    sub = git_repo.path / "deploy" / "chart"
    sub.mkdir(parents=True)
    repo = open_local_repository(sub)
    assert repo.head_commit() == second
    assert repo.name == "own"
    assert repo.work_tree == git_repo.path


def test_open_a_worktree(history, tmp_path):
    git_repo, _, second = history
    worktree = tmp_path / "wt"
    git_repo.git("worktree", "add", "-q", "-b", "feature", str(worktree))
    git_repo.git("-C", str(worktree), "commit", "-q", "--allow-empty", "-m", "in worktree")
    repo = open_local_repository(worktree)
    head = repo.head_commit()
    assert head != second
    assert repo.is_ancestor(second, head)
    assert "README.md" in repo.tree_listing(head).by_path


def test_not_a_repository_is_a_clear_error(tmp_path):
    with pytest.raises(GitError) as err:
        open_local_repository(tmp_path)
    assert str(tmp_path) in err.value.message
    assert "git init" in err.value.hint


@pytest.mark.parametrize("damage", ["bad HEAD", "dangling worktree link"])
def test_damaged_repository_is_named_as_unreadable(tmp_path, damage):
    project = tmp_path / "project"
    project.mkdir()
    if damage == "bad HEAD":
        subprocess.run(["git", "init", "-q", str(project)], check=True)
        (project / ".git" / "HEAD").write_text("garbage\n")
    else:
        (project / ".git").write_text("gitdir: /nonexistent/worktree\n")
    with pytest.raises(GitError) as err:
        open_local_repository(project)
    assert f"cannot read the git repository at {project}" in err.value.message
    assert "git status" in err.value.hint


def test_missing_project_directory(tmp_path):
    with pytest.raises(GitError, match="does not exist"):
        open_local_repository(tmp_path / "nope")


def test_repository_without_commits(git_repo):
    repo = open_local_repository(git_repo.path)
    with pytest.raises(GitError) as err:
        repo.head_commit()
    assert "no commits" in err.value.message and "git commit" in err.value.hint


def test_resolve_branches_tags_and_short_shas(history):
    git_repo, first, second = history
    git_repo.git("tag", "light", first)
    git_repo.git("tag", "-a", "annotated", "-m", "release", first)
    git_repo.git("branch", "old", first)
    repo = open_local_repository(git_repo.path)
    assert repo.resolve_commit("light") == first
    assert repo.resolve_commit("annotated") == first    # peeled to the commit, not the tag object
    assert repo.resolve_commit("old") == first
    assert repo.resolve_commit("main") == second
    assert repo.resolve_commit(second[:8]) == second
    assert repo.resolve_commit("HEAD~1") == first


@pytest.mark.parametrize("ref", ["no-such-branch", "0" * 40, "--help", ""])
def test_unknown_refs_name_the_ref_and_the_repository(history, ref):
    git_repo, _, _ = history
    repo = open_local_repository(git_repo.path)
    with pytest.raises(GitError) as err:
        repo.resolve_commit(ref)
    assert repr(ref) in err.value.message and str(git_repo.path) in err.value.message
    assert err.value.hint


def test_ancestry(history):
    git_repo, first, second = history
    git_repo.git("checkout", "-q", "-b", "side", first)
    side = git_repo.commit("side")
    repo = open_local_repository(git_repo.path)
    assert repo.is_ancestor(first, second)
    assert repo.is_ancestor(second, second)       # equal counts
    assert not repo.is_ancestor(second, first)
    assert not repo.is_ancestor(side, second)
    assert not repo.is_ancestor(second, side)


def test_commit_questions_are_asked_of_git_once(history):
    """An idle build asks whether the same commits exist and descend from HEAD for every stage of every image."""
    git_repo, first, second = history
    repo = open_local_repository(git_repo.path)
    asked: list[tuple[str, ...]] = []
    original = repo._exit_code
    repo._exit_code = lambda *args: asked.append(args) or original(*args)
    for _ in range(3):
        assert repo.is_ancestor(first, second) and not repo.is_ancestor(second, first)
        assert repo.commit_exists(first) and not repo.commit_exists("f" * 40)
    assert len([a for a in asked if a[0] == "merge-base"]) == 2
    assert len([a for a in asked if a[-1] == f"{first}^{{commit}}"]) == 1
    assert len([a for a in asked if a[-1] == f"{'f' * 40}^{{commit}}"]) == 3   # a missing commit may be fetched


def test_ancestry_with_an_unknown_commit_is_an_error(history):
    git_repo, first, _ = history
    repo = open_local_repository(git_repo.path)
    with pytest.raises(GitError) as err:
        repo.is_ancestor("1234567890" * 4, first)
    assert "1234567890" in err.value.message and "force-push" in err.value.hint


def test_commit_exists(history):
    git_repo, first, _ = history
    repo = open_local_repository(git_repo.path)
    blob = git_repo.git("rev-parse", f"{first}:README.md")
    assert repo.commit_exists(first)
    assert not repo.commit_exists("f" * 40)
    assert not repo.commit_exists(blob)          # an object, but not a commit
    assert not repo.commit_exists("")


def shallow_clone(source, destination):
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{source}", str(destination)], check=True,
                   env={**os.environ, **GIT_ENV})


def test_shallow_clone_is_refused_with_a_hint(history, tmp_path):
    git_repo, _, second = history
    clone = tmp_path / "shallow"
    shallow_clone(git_repo.path, clone)
    with pytest.raises(GitError) as err:
        open_local_repository(clone)
    assert "shallow" in err.value.message and str(clone) in err.value.message
    assert "git fetch --unshallow" in err.value.hint and "--allow-git-shallow-clone" in err.value.hint
    assert "Hint:" in err.value.render()


def test_shallow_clone_allowed_and_unshallowed(history, tmp_path):
    git_repo, first, second = history
    clone = tmp_path / "shallow"
    shallow_clone(git_repo.path, clone)
    repo = open_local_repository(clone, allow_shallow=True)
    assert repo.is_shallow()
    assert repo.head_commit() == second
    assert not repo.commit_exists(first)
    repo.unshallow()
    assert not repo.is_shallow()
    assert repo.commit_exists(first)
    open_local_repository(clone)  # no longer refused


def test_repository_owned_by_another_user_names_safe_directory(history, tmp_path, monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("needs root to chown the repository")
    git_repo, _, _ = history
    monkeypatch.setenv("HOME", str(tmp_path))          # no global safe.directory settings
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    subprocess.run(["chown", "-R", "54321:54321", str(git_repo.path)], check=True)
    with pytest.raises(GitError) as err:
        open_local_repository(git_repo.path)
    assert "another user" in err.value.message
    assert f"safe.directory {git_repo.path}" in err.value.hint


def test_tree_listing_is_parsed_once_per_commit(history):
    git_repo, first, second = history
    repo = open_local_repository(git_repo.path)
    listing = repo.tree_listing(second)
    assert repo.tree_listing(second) is listing
    assert listing.get("README.md").sha == git_repo.git("rev-parse", f"{second}:README.md")


def test_images_asking_for_one_commit_at_once_share_one_ls_tree(history):
    """Images built in parallel list the same commit at the same moment: one `git ls-tree`, not one per image."""
    import threading
    git_repo, _, second = history
    repo = open_local_repository(git_repo.path)
    listed: list[str] = []
    original = repo.run_git

    def run_git(*args, **options):
        if args[0] == "ls-tree":
            listed.append(args[-1])
            time.sleep(0.2)     # a big tree: the other images arrive while it is being listed
        return original(*args, **options)

    repo.run_git = run_git
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(repo.tree_listing(second))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert listed == [second] and len(results) == 4 and all(r is results[0] for r in results)


def test_a_pinned_head_is_every_mappings_commit_even_when_head_moves(history):
    from werf_core.git.mapping import GitMapping
    git_repo, _, second = history
    repo = open_local_repository(git_repo.path)
    repo.pin_head(repo.head_commit())
    git_repo.write("README.md", "three\n")
    third = git_repo.commit("third")       # a commit lands while the build runs
    assert repo.mapping_commit(GitMapping(add="/", to="/app")) == second
    assert repo.head_commit() == third


def test_read_blobs_streams_many_large_objects_in_order(git_repo):
    contents = [os.urandom(1024) * (i % 7 + 1) * 30 for i in range(200)]  # up to ~215 KB each, ~20 MB total
    for i, data in enumerate(contents):
        git_repo.write(f"blobs/{i:03}.bin", data)
    commit = git_repo.commit("blobs")
    repo = open_local_repository(git_repo.path)
    listing = repo.tree_listing(commit)
    shas = [listing.get(f"blobs/{i:03}.bin").sha for i in range(len(contents))]
    assert list(repo.read_blobs(shas)) == contents


def test_read_blobs_with_a_missing_object(history):
    git_repo, _, _ = history
    repo = open_local_repository(git_repo.path)
    with pytest.raises(GitError, match="missing"):
        list(repo.read_blobs(["e" * 40]))


def test_stopping_early_while_reading_blobs_does_not_hang(git_repo):
    for i in range(50):
        git_repo.write(f"big/{i}.bin", os.urandom(200_000))
    commit = git_repo.commit("big blobs")
    repo = open_local_repository(git_repo.path)
    shas = [e.sha for e in repo.tree_listing(commit).walk([]) if e.path.startswith("big/")]
    reader = repo.read_blobs(shas * 60)   # more requests than a pipe buffer holds
    assert len(next(reader)) == 200_000
    started = time.monotonic()
    reader.close()                       # must return promptly, with git's process reaped
    assert time.monotonic() - started < 2
    assert len(list(repo.read_blobs(shas[:2]))) == 2


def test_tree_listing_by_ref_follows_the_ref(history):
    git_repo, _, _ = history
    repo = open_local_repository(git_repo.path)
    before = repo.tree_listing("HEAD")
    git_repo.write("NEW.md", "new\n")
    git_repo.commit("third")
    assert "NEW.md" not in before.by_path
    assert "NEW.md" in repo.tree_listing("HEAD").by_path
