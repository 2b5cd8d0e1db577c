"""Remote git repositories (`git: - url: ...` mappings), kept as bare clones in the host cache.

Each URL gets one bare clone under `$WERF_HOME/local_cache/git_repos/<repoID slug>-<sha256(url)[:16]>`. Cloning and
fetching take an exclusive `flock` on `<that directory>.lock`, so any number of processes (parallel CI jobs on one
host, Prefect workers) can open the same remote at once: one clones, the others wait and then reuse it. A clone is
made in a temporary directory and renamed into place, so a half-finished clone is never used.

A mapping's commit is `commit:` if set (fetched only if missing), else the tag, else the branch, else the remote's
default branch. Those are fetched first, at most once per `FETCH_MAX_AGE_SECONDS` per process, so the mappings of one
build share one fetch and a long-lived worker still sees new branch heads. Resolve each mapping's commit once per
build and pass it along: a branch may move during a build.
A local path or `file://` URL works like any other remote.

Credentials never reach the disk: a URL's embedded `user:token@` is removed before the URL is used as the cache key,
given to `git clone` (which records it in the clone's config) or shown; the token is handed to each git process
through `werf_core.git.credentials` (GIT_ASKPASS from the environment), as are credentials from the worker's
environment or a Prefect Secret block. The cache directory is private to the user (0700).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from werf_core.errors import GitError
from werf_core.fsutil import exclusive_file_lock
from werf_core.git.credentials import (
    GitCredentials,
    credentials_for,
    git_credential_args,
    git_credential_env,
    split_url_credentials,
)
from werf_core.git.mapping import repository_id_from_url
from werf_core.git.repository import NON_INTERACTIVE_ENV, GitRepository
from werf_core.paths import werf_home
from werf_core.redaction import redact, redact_url

if TYPE_CHECKING:  # pragma: no cover
    from werf_core.git.mapping import GitMapping

__all__ = ["RemoteGitRepository", "open_remote_repository", "remote_cache_directory"]

UNREACHABLE_HINT = ("check the URL, the network and the credentials: a private repository needs an SSH key or a "
                    "git credential helper that works without a prompt")

_FETCH_REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
FETCH_MAX_AGE_SECONDS = 30.0
_last_fetch: dict[str, float] = {}   # cache directory → monotonic time of this process's last fetch or clone
_fetched_lock = threading.Lock()


def normalize_url(url: str) -> str:
    """Local paths become absolute (so the cache key does not depend on the current directory)."""
    if "://" not in url and not re.match(r"^[^/]+@[^/]+:", url) and Path(url).exists():
        return str(Path(url).resolve())
    return url


def _safe_message(text: str, url: str) -> str:
    return redact(text.replace(url, redact_url(url)))


def remote_cache_directory(url: str) -> Path:
    url = split_url_credentials(normalize_url(url))[0]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", repository_id_from_url(url)).strip("-")[:60] or "repo"
    key = hashlib.sha256(url.encode()).hexdigest()[:16]
    return werf_home() / "local_cache" / "git_repos" / f"{slug}-{key}"


def _git_env(credentials: GitCredentials | None = None) -> dict[str, str]:
    env = {**os.environ, **NON_INTERACTIVE_ENV, "LC_ALL": "C", **git_credential_env(credentials)}
    if "GIT_SSH_COMMAND" not in os.environ and "GIT_SSH" not in os.environ:
        env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"
    return env


def _private_cache_root() -> None:
    root = werf_home() / "local_cache" / "git_repos"
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o700)       # clones of private repositories: readable by this user only


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _clone(url: str, destination: Path, credentials: GitCredentials | None = None) -> None:
    temporary = destination.with_name(f"{destination.name}.tmp-{os.getpid()}")
    shutil.rmtree(temporary, ignore_errors=True)
    result = subprocess.run(["git", *git_credential_args(credentials), "clone", "--bare", "--quiet", "--", url,
                             str(temporary)], capture_output=True, text=True, env=_git_env(credentials))
    if result.returncode != 0:
        shutil.rmtree(temporary, ignore_errors=True)
        raise GitError(_safe_message(f"cannot clone git repository {url}: {_last_line(result.stderr)}", url),
                       hint=UNREACHABLE_HINT)
    os.rename(temporary, destination)


def _remember_fetch(directory: Path) -> None:
    with _fetched_lock:
        _last_fetch[str(directory)] = time.monotonic()


class RemoteGitRepository(GitRepository):
    """A bare clone of a remote repository in the host cache."""

    def __init__(self, *, url: str, directory: Path, credentials: GitCredentials | None = None) -> None:
        super().__init__(git_dir=directory, name=repository_id_from_url(url), description=redact_url(url))
        self.url = url                  # without credentials
        self.directory = directory
        self.credentials = credentials

    def remote_git_command(self, *args: str) -> list[str]:
        """A `git` command line that talks to the remote (credentials, if any, go through `remote_git_env`)."""
        return ["git", *git_credential_args(self.credentials), "--git-dir", str(self.directory), *args]

    def remote_git_env(self) -> dict[str, str]:
        return _git_env(self.credentials)

    @property
    def lock_path(self) -> Path:
        return self.directory.with_name(self.directory.name + ".lock")

    def fetch(self) -> None:
        """Fetch all branches and tags (pruning deleted ones), under the cache entry's lock."""
        with exclusive_file_lock(self.lock_path):
            result = subprocess.run(self.remote_git_command("fetch", "--quiet", "--prune", "--force", "--", self.url,
                                                            *_FETCH_REFSPECS),
                                    capture_output=True, text=True, env=self.remote_git_env())
        if result.returncode != 0:
            raise GitError(_safe_message(f"cannot fetch git repository {self.url}: {_last_line(result.stderr)}",
                                         self.url), hint=UNREACHABLE_HINT)
        _remember_fetch(self.directory)

    def refresh(self, max_age: float = FETCH_MAX_AGE_SECONDS) -> None:
        """Fetch unless this process fetched (or cloned) within `max_age` seconds."""
        with _fetched_lock:
            last = _last_fetch.get(str(self.directory))
        if last is None or time.monotonic() - last > max_age:
            self.fetch()

    def resolve(self, *, branch: str = "", tag: str = "", commit: str = "") -> str:
        """The commit a remote mapping uses: `commit`, else `tag`, else `branch` (latest), else the default branch."""
        if commit:
            if not self.commit_exists(commit):
                self.fetch()
            if not self.commit_exists(commit):
                raise GitError(f"commit {commit} does not exist in git repository {self.description}",
                               hint="check the `commit:` of the git mapping in werf.yaml; it must be on a branch "
                                    "or tag of that repository")
            return self.run_git("rev-parse", "--verify", f"{commit}^{{commit}}")
        self.refresh()
        if tag:
            return self._resolve_ref(f"refs/tags/{tag}", f"tag {tag!r}")
        if branch:
            return self._resolve_ref(f"refs/heads/{branch}", f"branch {branch!r}")
        return self._resolve_ref("HEAD", "the default branch (HEAD)")

    def _resolve_ref(self, ref: str, what: str) -> str:
        if self._exit_code("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}") != 0:
            raise GitError(f"{what} does not exist in git repository {self.description}",
                           hint="check the `branch:`/`tag:` of the git mapping in werf.yaml "
                                f"(`git ls-remote {self.description}` lists what exists)")
        return self.run_git("rev-parse", "--verify", f"{ref}^{{commit}}")

    def mapping_commit(self, mapping: GitMapping) -> str:
        return self.resolve(branch=mapping.branch, tag=mapping.tag, commit=mapping.commit)


def open_remote_repository(url: str) -> RemoteGitRepository:
    """The cached bare clone of `url`, cloned now if this host has none yet (safe against concurrent processes)."""
    url, embedded = split_url_credentials(normalize_url(url))
    credentials = credentials_for(url, embedded)
    directory = remote_cache_directory(url)
    if not (directory / "HEAD").exists():
        _private_cache_root()
        with exclusive_file_lock(directory.with_name(directory.name + ".lock")):
            if not (directory / "HEAD").exists():
                _clone(url, directory, credentials)
                _remember_fetch(directory)  # a fresh clone is up to date
    if not _is_git_dir(directory):
        raise GitError(f"the cached clone of {redact_url(url)} at {directory} is damaged",
                       hint=f"remove {directory} and run again")
    return RemoteGitRepository(url=url, directory=directory, credentials=credentials)


def _is_git_dir(directory: Path) -> bool:
    """What git itself needs to see a repository in a directory: HEAD, objects/ and refs/."""
    return (directory / "HEAD").is_file() and (directory / "objects").is_dir() and (directory / "refs").is_dir()


def open_mapping_repository(mapping: GitMapping, project_repository: GitRepository | None) -> GitRepository:
    """The repository a mapping reads: the project's own for local mappings, the cached clone for remote ones."""
    if mapping.url is not None:
        return open_remote_repository(mapping.url)
    if project_repository is None:
        raise GitError("a git mapping without `url` needs the project to be in a git repository",
                       hint="run werf inside a git repository, or give the mapping a `url`")
    return project_repository
