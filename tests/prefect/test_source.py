"""Checking out the sources a build flow works on: in place, or a revision in a temporary worktree."""

from __future__ import annotations

import pytest

from flows.params import validate_build_parameters
from flows.source import checked_out
from werf_core.errors import GitError
from werf_core.git.remote import remote_cache_directory


@pytest.fixture
def origin(make_git_repo):
    repo = make_git_repo("origin")
    repo.write("werf.yaml", "project: demo\nconfigVersion: 1\n")
    repo.write("VERSION", "1\n")
    first = repo.commit("one")
    repo.tag("v1")
    repo.write("VERSION", "2\n")
    second = repo.commit("two")
    repo.branch("feature")
    repo.write("VERSION", "feature\n")
    feature = repo.commit("feature work")
    repo.checkout("main")
    return repo, {"first": first, "second": second, "feature": feature}


def params(repository, **kwargs):
    return validate_build_parameters(repository=str(repository), **kwargs)


def test_a_local_path_without_revision_is_built_in_place(origin, werf_home):
    repo, commits = origin
    repo.write("VERSION", "uncommitted\n")
    with checked_out(params(repo.path)) as source:
        assert source.project_dir == repo.path
        assert (source.project_dir / "VERSION").read_text() == "uncommitted\n"
        assert source.commit == commits["second"] and source.label == "main" and not source.temporary
    assert not (werf_home / "local_cache").exists()          # nothing cloned


@pytest.mark.parametrize("ref, version, commit_name, label", [
    ("main", "2\n", "second", "main"),
    ("refs/heads/feature", "feature\n", "feature", "feature"),
    ("v1", "1\n", "first", "v1"),
    ("refs/tags/v1", "1\n", "first", "v1"),
])
def test_a_ref_is_checked_out_in_a_temporary_worktree(origin, werf_home, ref, version, commit_name, label):
    repo, commits = origin
    with checked_out(params(repo.path, ref=ref)) as source:
        worktree = source.project_dir
        assert (worktree / "VERSION").read_text() == version
        assert source.commit == commits[commit_name] and source.label == label and source.temporary
        assert remote_cache_directory(str(repo.path)).is_dir()   # the clone lives in werf's host cache
    assert not worktree.exists()
    assert repo.git("status", "--porcelain") == ""                  # the user's repository is untouched


def test_a_commit_wins_over_the_ref_and_new_commits_are_fetched(origin, werf_home):
    repo, commits = origin
    with checked_out(params(repo.path, ref="main")):
        pass                                                          # clone now, before the next commit
    repo.write("VERSION", "3\n")
    third = repo.commit("three")
    with checked_out(params(repo.path, ref="main", commit=commits["first"])) as source:
        assert (source.project_dir / "VERSION").read_text() == "1\n"
        assert source.label == "main"
    with checked_out(params(repo.path, commit=third[:10])) as source:
        assert source.commit == third and source.label == third[:12]
    with checked_out(params(repo.path, ref="main")) as source:
        assert source.commit == third                                 # the branch moved: fetched again


def test_pull_request_refs_are_fetched_explicitly(origin, werf_home):
    repo, commits = origin
    repo.git("update-ref", "refs/pull/7/head", commits["feature"])
    repo.git("branch", "-D", "feature")
    with checked_out(params(repo.path, ref="refs/pull/7/head")) as source:
        assert (source.project_dir / "VERSION").read_text() == "feature\n"
    with checked_out(params(repo.path, ref="refs/pull/7/head", commit=commits["feature"])) as source:
        assert source.commit == commits["feature"]


def test_project_dir_inside_the_repository(origin, werf_home):
    repo, _ = origin
    repo.write("services/api/werf.yaml", "project: api\nconfigVersion: 1\n")
    repo.commit("api")
    with checked_out(params(repo.path, ref="main", project_dir="services/api")) as source:
        assert (source.project_dir / "werf.yaml").read_text().startswith("project: api")


@pytest.mark.parametrize("kwargs, fragment", [
    ({"ref": "nope"}, "neither a branch nor a tag"),
    ({"commit": "deadbeef" * 5}, "does not exist"),
    ({"ref": "refs/pull/99/head"}, "cannot fetch refs/pull/99/head"),
])
def test_missing_revisions_are_clear_errors(origin, werf_home, kwargs, fragment):
    repo, _ = origin
    with pytest.raises(GitError) as err:
        with checked_out(params(repo.path, **kwargs)):
            pass
    assert fragment in err.value.message and err.value.hint


def test_a_missing_local_directory_is_a_clear_error(tmp_path, werf_home):
    with pytest.raises(GitError, match="not a directory"):
        with checked_out(params(tmp_path / "absent")):
            pass


def test_the_worktree_is_removed_when_the_build_fails(origin, werf_home):
    repo, _ = origin
    with pytest.raises(RuntimeError):
        with checked_out(params(repo.path, ref="main")) as source:
            worktree = source.project_dir
            raise RuntimeError("build failed")
    assert not worktree.exists()
    cache = remote_cache_directory(str(repo.path))
    assert not (cache / "worktrees").exists() or not any((cache / "worktrees").iterdir())


@pytest.mark.parametrize("ref, branch, tag", [("main", "main", None), ("refs/heads/feature", "feature", None),
                                              ("v1", None, "v1"), ("refs/tags/v1", None, "v1")])
def test_the_source_knows_whether_a_branch_or_a_tag_was_built(origin, werf_home, ref, branch, tag):
    repo, _ = origin
    with checked_out(params(repo.path, ref=ref)) as source:
        assert (source.branch, source.tag) == (branch, tag)
    with checked_out(params(repo.path)) as source:          # in place: the checked-out branch
        assert (source.branch, source.tag) == ("main", None)
