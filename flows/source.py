"""The project sources a build flow works on: a local working tree, or a revision of a (remote) repository.

- A local path without ref or commit is built as it is, like `werf build --dir PATH`.
- Otherwise the repository is cloned once into werf's host cache (`$WERF_HOME/local_cache/git_repos/…`, shared with
  remote git mappings and safe against concurrent processes — `werf_core.git.remote`), fetched, and the wanted
  commit is checked out into a temporary `git worktree` that is removed when the build ends. The full history stays
  in the cached clone, which werf's git-ancestry stage selection needs.
- The image runs of a fanned-out build (and their parent) ask for a `shared` checkout instead: one per commit per
  host, reused by every build of that commit there (`werf_core.git.shared_checkout`).

A commit wins over a ref; a ref that only exists outside branches and tags (`refs/pull/7/head`,
`refs/merge-requests/7/head`) is fetched explicitly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flows.params import BuildParameters
from werf_core.errors import GitError
from werf_core.fsutil import exclusive_file_lock
from werf_core.leftovers import make_build_tmp_dir


@dataclass(frozen=True)
class Source:
    project_dir: Path          # where werf.yaml is
    commit: str                # the commit built ("" for a working tree outside git: werf_core reports that)
    label: str                 # how run names call the revision: branch or tag name, else the short commit
    temporary: bool            # a worktree removed after the build
    branch: str | None = None  # the branch built, if the revision was named by one (for git-branch image tags)
    tag: str | None = None     # the git tag built, if named by one (for git-tag image tags)


@contextmanager
def checked_out(params: BuildParameters, *, shared: bool = False) -> Iterator[Source]:
    """The sources of `params`. `shared`: a revision is checked out once per commit on this host and reused by the
    other builds of that commit (`werf_core.git.shared_checkout`; the image runs of a fanned-out build) instead of
    into a private temporary worktree."""
    if params.builds_in_place:
        root = Path(params.repository)
        if not root.is_dir():
            raise GitError(f"repository {root} is not a directory on this host",
                           hint="give a path that exists where the flow runs, or a repository URL")
        commit = _head_or_empty(root)
        branch: str | None = _branch(root)
        yield Source(project_dir=root / params.project_dir, commit=commit,
                     label=branch or commit[:12] or "worktree", temporary=False, branch=branch or None)
        return
    from werf_core.git.remote import open_remote_repository
    remote = open_remote_repository(params.repository)
    commit = resolve_revision(remote, ref=params.ref, commit=params.commit)
    branch, tag = ref_kind(remote, params.ref)
    label = params.label if params.ref else commit[:12]
    if shared:
        from werf_core.git.shared_checkout import shared_checkout
        with shared_checkout(remote.directory, remote.lock_path, commit) as tree:
            if tree is not None:
                yield Source(project_dir=tree / params.project_dir, commit=commit, label=label, temporary=False,
                             branch=branch, tag=tag)
                return
    holder = make_build_tmp_dir("source")        # named so `werf host cleanup` finds it after a kill -9
    worktree = holder / "tree"
    with exclusive_file_lock(remote.lock_path):  # the lock werf_core.git.remote takes
        _git(remote.directory, "worktree", "add", "--detach", "--quiet", str(worktree), commit)
    try:
        yield Source(project_dir=worktree / params.project_dir, commit=commit, label=label, temporary=True,
                     branch=branch, tag=tag)
    finally:
        with exclusive_file_lock(remote.lock_path):  # the lock werf_core.git.remote takes
            _git(remote.directory, "worktree", "remove", "--force", str(worktree), check=False)
            _git(remote.directory, "worktree", "prune", check=False)
        shutil.rmtree(holder, ignore_errors=True)


def resolve_revision(remote, *, ref: str | None, commit: str | None) -> str:
    """The full commit SHA to build, fetching what is missing from the remote."""
    if commit:
        if not remote.commit_exists(commit):
            remote.fetch()
        if not remote.commit_exists(commit) and ref and not _is_branch_or_tag(ref):
            fetch_ref(remote, ref)
        if not remote.commit_exists(commit):
            raise GitError(f"commit {commit} does not exist in {remote.url}",
                           hint="push it first, or check the commit given to the flow (a force-push may have "
                                "removed it)")
        return remote.resolve_commit(commit)
    remote.fetch()        # a branch moves: always ask the remote (a given commit above may need no fetch at all)
    if not ref:
        return remote.resolve()                       # the default branch
    if ref.startswith("refs/heads/"):
        return remote.resolve(branch=ref[len("refs/heads/"):])
    if ref.startswith("refs/tags/"):
        return remote.resolve(tag=ref[len("refs/tags/"):])
    if ref.startswith("refs/"):
        return fetch_ref(remote, ref)
    try:
        return remote.resolve(branch=ref)
    except GitError:
        pass
    try:
        return remote.resolve(tag=ref)
    except GitError:
        raise GitError(f"{ref!r} is neither a branch nor a tag of {remote.url}",
                       hint=f"`git ls-remote {remote.url}` lists what exists") from None


def ref_kind(remote, ref: str | None) -> tuple[str | None, str | None]:
    """(branch, tag): what `ref` names — as `resolve_revision` reads it (a plain name: branch first)."""
    if not ref:
        return None, None
    if ref.startswith("refs/heads/"):
        return ref[len("refs/heads/"):], None
    if ref.startswith("refs/tags/"):
        return None, ref[len("refs/tags/"):]
    if ref.startswith("refs/"):
        return None, None
    if remote.commit_exists(f"refs/heads/{ref}"):
        return ref, None
    return None, ref


def fetch_ref(remote, ref: str) -> str:
    """Fetch one ref that the cached clone does not mirror (pull/merge-request heads) and return its commit."""
    local = f"refs/werf-prefect/{ref.removeprefix('refs/')}"
    with exclusive_file_lock(remote.lock_path):  # the lock werf_core.git.remote takes
        result = subprocess.run(remote.remote_git_command("fetch", "--quiet", "--force", "--", remote.url,
                                                          f"+{ref}:{local}"),
                                capture_output=True, text=True, env=remote.remote_git_env())
    if result.returncode != 0:
        raise GitError(f"cannot fetch {ref} from {remote.url}: {result.stderr.strip().splitlines()[-1:] or ''}",
                       hint=f"check that the ref exists (`git ls-remote {remote.url} {ref}`)")
    return remote.resolve_commit(local)


def _is_branch_or_tag(ref: str) -> bool:
    return not ref.startswith("refs/") or ref.startswith(("refs/heads/", "refs/tags/"))


def _head_or_empty(path: Path) -> str:
    result = subprocess.run(["git", "-C", str(path), "rev-parse", "--verify", "--quiet", "HEAD^{commit}"],
                            capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else ""


def _branch(path: Path) -> str:
    result = subprocess.run(["git", "-C", str(path), "symbolic-ref", "--quiet", "--short", "HEAD"],
                            capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else ""


def _git(git_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    from werf_core.git.repository import NON_INTERACTIVE_ENV
    env = {**os.environ, **NON_INTERACTIVE_ENV, "LC_ALL": "C"}
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
    result = subprocess.run(["git", "--git-dir", str(git_dir), *args], capture_output=True, text=True, env=env)
    if check and result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise GitError(f"git {args[0]} {args[1] if len(args) > 1 else ''} failed in {git_dir}: {last}",
                       hint="check that the cached clone is readable; removing it makes the next build clone again")
    return result
