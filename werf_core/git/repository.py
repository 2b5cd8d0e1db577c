"""Git repositories: the project's own (local) repository and the common operations every repository offers.

Everything goes through the `git` CLI: one `git rev-parse` finds the repository (a project directory inside a
repository or a worktree), and the heavy listings (`ls-tree -r`, `diff-tree`, `diff`, `cat-file --batch`) are much
faster than walking objects in Python. Facts about immutable objects (a commit exists, one commit is an ancestor of
another) are asked once per process: an idle build asks about the same few commits many times.

Every failure a user can fix becomes a `GitError` naming the repository and the ref, with a hint.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

from werf_core.errors import GitError
from werf_core.git.tree import TreeListing, parse_ls_tree

if TYPE_CHECKING:  # pragma: no cover
    from werf_core.git.archive import GitArchive
    from werf_core.git.checksum import DependenciesChecksum
    from werf_core.git.mapping import GitMapping
    from werf_core.git.patch import GitPatch

__all__ = ["GitCommandFailed", "GitRepository", "open_local_repository", "SHALLOW_HINT"]

SHALLOW_HINT = ("fetch the full history with `git fetch --unshallow` (in CI: a clone depth of 0), "
                "or accept a shallow clone with --allow-git-shallow-clone ($WERF_ALLOW_GIT_SHALLOW_CLONE=1); "
                "stage reuse by git ancestry needs history")

# git must never stop to ask for credentials in a build; it should fail and let us report it. Credential helpers and a
# user's own GIT_ASKPASS keep working.
NON_INTERACTIVE_ENV = {"GIT_TERMINAL_PROMPT": "0"}

# Settings that would otherwise make diffs depend on the user's git config (and so change digests between machines).
STABLE_DIFF_CONFIG = ("-c", "core.quotePath=true", "-c", "diff.noprefix=false", "-c", "diff.mnemonicPrefix=false",
                      "-c", "diff.relative=false", "-c", "diff.suppressBlankEmpty=false")

# git's messages are parsed (dubious ownership, the last error line): always in English
_MESSAGES_ENV = {"LANGUAGE": "C", "LC_ALL": "C"}

_TREE_CACHE_SIZE = 4
_FULL_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


class GitCommandFailed(Exception):
    """A `git` command exited non-zero (`status`, the command line, its stderr)."""

    def __init__(self, command: list[str], status: int, stderr: bytes) -> None:
        super().__init__(f"{' '.join(command)} exited with {status}")
        self.command = command
        self.status = status
        self.stderr = stderr


def _git_env(extra: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **_MESSAGES_ENV, **extra}


class GitRepository:
    """A repository whose objects can be listed, diffed and read. `name` is werf's repository name ("own" locally)."""

    def __init__(self, *, git_dir: Path, common_dir: Path | None = None, work_tree: Path | None = None, name: str,
                 description: str) -> None:
        self._git_dir = Path(git_dir)
        self._common_dir = Path(common_dir) if common_dir is not None else self._git_dir
        self._work_tree = Path(work_tree) if work_tree is not None else None
        self.name = name
        self.description = description  # how messages name it: a path or a URL
        self._listings: OrderedDict[str, TreeListing] = OrderedDict()
        self._listings_lock = threading.Lock()
        self._listing_locks: dict[str, threading.Lock] = {}  # one `git ls-tree` per commit, however many ask at once
        self._pinned_head: str | None = None                 # see pin_head
        self._existing_commits: set[str] = set()            # full SHAs known to exist (objects do not vanish)
        self._ancestry: dict[tuple[str, str], bool] = {}     # (ancestor, descendant) full SHAs → answer
        env = dict(NON_INTERACTIVE_ENV)
        if "GIT_SSH_COMMAND" not in os.environ and "GIT_SSH" not in os.environ:
            env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"
        self._env = env

    # ------------------------------------------------------------------ basics
    @property
    def git_dir(self) -> Path:
        return self._git_dir

    @property
    def common_dir(self) -> Path:
        """The directory holding objects and refs (differs from git_dir in a worktree)."""
        return self._common_dir

    @property
    def work_tree(self) -> Path | None:
        return self._work_tree

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.description}>"

    def _cwd(self) -> str:
        return str(self._work_tree or self._git_dir)

    def _execute(self, args: tuple[str, ...]) -> tuple[int, bytes, bytes]:
        command = ["git", *args]
        try:
            done = subprocess.run(command, cwd=self._cwd(), env=_git_env(self._env), stdin=subprocess.DEVNULL,
                                  capture_output=True)
        except OSError as err:
            raise GitError(f"cannot run git in repository {self.description}: {err}",
                           hint="install git and make sure it is on PATH") from None
        return done.returncode, done.stdout, done.stderr

    def _popen(self, args: tuple[str, ...], *, stdin: int) -> subprocess.Popen[bytes]:
        try:
            return subprocess.Popen(["git", *args], cwd=self._cwd(), env=_git_env(self._env), stdin=stdin,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as err:
            raise GitError(f"cannot run git in repository {self.description}: {err}",
                           hint="install git and make sure it is on PATH") from None

    @overload
    def run_git(self, *args: str, binary: Literal[False] = False, check: bool = True,
                what: str | None = None) -> str: ...

    @overload
    def run_git(self, *args: str, binary: Literal[True], check: bool = True, what: str | None = None) -> bytes: ...

    def run_git(self, *args: str, binary: bool = False, check: bool = True,
                what: str | None = None) -> str | bytes:
        """Run `git <args>` in this repository; a failure becomes a GitError naming the repository
        (`check=False`: raises `GitCommandFailed` instead). Text output loses one trailing newline."""
        status, stdout, stderr = self._execute(args)
        if status != 0:
            failed = GitCommandFailed(["git", *args], status, stderr)
            if not check:
                raise failed
            raise self._error_for(failed, what or " ".join(args[:2]))
        if binary:
            return stdout
        text = stdout.decode("utf-8", "surrogateescape")
        return text[:-1] if text.endswith("\n") else text

    def _error_for(self, err: GitCommandFailed, what: str) -> GitError:
        stderr = _stderr_text(err.stderr)
        if _is_dubious_ownership(err.stderr):
            return GitError(f"git refuses to read repository {self.description}: it is owned by another user",
                            hint=f"mark it safe: git config --global --add safe.directory {self.description}")
        return GitError(f"git {what} failed in repository {self.description}: {stderr or err}",
                        hint="check that the repository is readable and the revision exists (`git log` there)")

    def _exit_code(self, *args: str) -> int:
        """Exit code of a git command whose answer *is* its exit code (e.g. merge-base --is-ancestor)."""
        status, _, stderr = self._execute(args)
        if status != 0 and _is_dubious_ownership(stderr):
            raise self._error_for(GitCommandFailed(["git", *args], status, stderr), args[0])
        return status

    # ------------------------------------------------------------------ commits
    def head_commit(self) -> str:
        """The commit HEAD points at (full SHA)."""
        status, stdout, stderr = self._execute(("rev-parse", "--verify", "--quiet", "HEAD^{commit}"))
        if status != 0:
            if _is_dubious_ownership(stderr):
                raise self._error_for(GitCommandFailed(["git", "rev-parse"], status, stderr), "rev-parse")
            raise GitError(f"git repository {self.description} has no commits (HEAD does not point at a commit)",
                           hint="commit your files first (`git add -A && git commit`); werf builds from commits")
        commit = stdout.decode("utf-8", "surrogateescape").strip()
        self._existing_commits.add(commit)
        return commit

    def pin_head(self, commit: str) -> None:
        """The commit this build works from: what `mapping_commit` answers from now on instead of asking git for HEAD
        again — so every image of a build uses the same commit even if HEAD moves meanwhile, and a build of N
        images does not start N `git rev-parse` processes."""
        self._pinned_head = commit

    def resolve_commit(self, ref: str) -> str:
        """A branch, tag, (abbreviated) SHA or any revision → the full SHA of the commit it names."""
        if not ref or ref.startswith("-") or self._exit_code("rev-parse", "--verify", "--quiet",
                                                               f"{ref}^{{commit}}") != 0:
            raise GitError(f"cannot resolve {ref!r} to a commit in git repository {self.description}",
                           hint="check the branch, tag or commit name (`git log --oneline --all` lists what exists); "
                                "fetch it if it only exists on a remote")
        return self.run_git("rev-parse", "--verify", f"{ref}^{{commit}}")

    def commit_exists(self, commit: str) -> bool:
        if not commit or commit.startswith("-"):
            return False
        if commit in self._existing_commits:
            return True
        exists = self._exit_code("cat-file", "-e", f"{commit}^{{commit}}") == 0
        if exists and _FULL_SHA.fullmatch(commit):
            self._existing_commits.add(commit)       # a ref or short SHA may later name another commit
        return exists

    def require_commit(self, commit: str) -> str:
        if not self.commit_exists(commit):
            raise GitError(f"commit {commit!r} does not exist in git repository {self.description}",
                           hint="the history may have been rewritten (force-push, rebase) or not fetched yet; "
                                "fetch it, or rebuild the stages that recorded it")
        return commit

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """Whether `ancestor` is an ancestor of `descendant` or the same commit."""
        self.require_commit(ancestor)
        self.require_commit(descendant)
        immutable = bool(_FULL_SHA.fullmatch(ancestor) and _FULL_SHA.fullmatch(descendant))
        if immutable and ancestor == descendant:
            return True
        known = self._ancestry.get((ancestor, descendant)) if immutable else None
        if known is not None:
            return known
        code = self._exit_code("merge-base", "--is-ancestor", ancestor, descendant)
        if code in (0, 1):
            if immutable:
                self._ancestry[(ancestor, descendant)] = code == 0
            return code == 0
        raise GitError(f"cannot compare commits {ancestor} and {descendant} in git repository {self.description}",
                       hint="check that both commits exist (`git cat-file -t <commit>`)")

    def commit_timestamp(self, commit: str) -> int:
        """Committer time (Unix seconds); archives use it as file mtime so they are reproducible."""
        return int(self.run_git("show", "-s", "--format=%ct", commit, "--"))

    # ------------------------------------------------------------------ history depth
    def is_shallow(self) -> bool:
        return (self.common_dir / "shallow").exists()

    def ensure_not_shallow(self, *, allow_shallow: bool = False) -> None:
        if self.is_shallow() and not allow_shallow:
            raise GitError(f"git repository {self.description} is a shallow clone", hint=SHALLOW_HINT)

    def unshallow(self) -> None:
        """`git fetch --unshallow` (werf's --git-unshallow)."""
        if self.is_shallow():
            self.run_git("fetch", "--unshallow", what="fetch --unshallow")

    # ------------------------------------------------------------------ trees and objects
    def tree_listing(self, commit: str) -> TreeListing:
        """Every entry of the commit's tree (trees included); the last few listings are kept in memory."""
        if not _FULL_SHA.fullmatch(commit):
            commit = self.resolve_commit(commit)  # cache by SHA: a ref like HEAD may move
        with self._listings_lock:
            if commit in self._listings:
                self._listings.move_to_end(commit)
                return self._listings[commit]
            listing_lock = self._listing_locks.setdefault(commit, threading.Lock())
        with listing_lock:      # images built in parallel ask for the same commit at the same moment
            with self._listings_lock:
                if commit in self._listings:
                    self._listings.move_to_end(commit)
                    return self._listings[commit]
            self.require_commit(commit)
            output = self.run_git("ls-tree", "-r", "-t", "-z", "--full-tree", commit, binary=True, what="ls-tree")
            listing = TreeListing(commit, parse_ls_tree(output))
            with self._listings_lock:
                self._listings[commit] = listing
                self._listing_locks.pop(commit, None)
                while len(self._listings) > _TREE_CACHE_SIZE:
                    self._listings.popitem(last=False)
        return listing

    def stream_git(self, *args: str, what: str | None = None, chunk_size: int = 1 << 16) -> Iterator[bytes]:
        """Stdout of `git <args>` in chunks, without holding it all in memory; failure → GitError."""
        proc = self._popen(args, stdin=subprocess.DEVNULL)
        assert proc.stdout is not None and proc.stderr is not None, "started with pipes"
        error_pipe = proc.stderr
        stderr_chunks: list[bytes] = []
        drain = threading.Thread(target=lambda: stderr_chunks.append(error_pipe.read()), daemon=True)
        drain.start()
        try:
            while chunk := proc.stdout.read(chunk_size):
                yield chunk
        finally:
            proc.stdout.close()
            code = proc.wait()
            drain.join(timeout=5)
        if code != 0:
            stderr = b"".join(stderr_chunks).decode(errors="replace").strip().splitlines()
            raise GitError(f"git {what or args[0]} failed in repository {self.description}: "
                           f"{stderr[-1] if stderr else f'exit code {code}'}",
                           hint="check that the repository is readable and both revisions exist")

    def read_blobs(self, shas: Iterable[str]) -> Iterator[bytes]:
        """Contents of the given blobs, in order, through one `git cat-file --batch` process.

        The request list is written from a helper thread while answers are read here, so neither pipe can fill up
        and block the other.
        """
        shas = list(shas)
        if not shas:
            return
        proc = self._popen(("cat-file", "--batch"), stdin=subprocess.PIPE)
        assert proc.stdin is not None and proc.stdout is not None, "started with pipes"
        stdin, stdout = proc.stdin, proc.stdout

        def feed() -> None:
            try:
                for sha in shas:
                    stdin.write(sha.encode() + b"\n")
                stdin.close()
            except (BrokenPipeError, ValueError):
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        finished = False
        try:
            for sha in shas:
                header = stdout.readline()
                parts = header.split()
                if len(parts) != 3 or parts[1] == b"missing":
                    raise GitError(f"object {sha} is missing from git repository {self.description}",
                                   hint="the repository is incomplete or damaged; run `git fsck` there")
                size = int(parts[2])
                data = stdout.read(size)
                stdout.read(1)  # the newline after each object
                yield data
            finished = True
        finally:
            if not finished:
                proc.kill()  # the reader stopped early: git may be blocked writing, and the feeder with it
            stdout.close()
            proc.wait()
            writer.join(timeout=5)

    # ------------------------------------------------------------------ mapping operations
    def mapping_commit(self, mapping: GitMapping) -> str:
        """The commit a mapping builds from: HEAD for the project repository (remote repositories override) — the
        build's pinned HEAD when the session pinned one."""
        return self._pinned_head or self.head_commit()

    def archive(self, mapping: GitMapping, commit: str, *, uid: int = 0, gid: int = 0) -> GitArchive:
        from werf_core.git.archive import create_archive
        return create_archive(self, mapping, commit, uid=uid, gid=gid)

    def patch(self, mapping: GitMapping, from_commit: str, to_commit: str, *, uid: int = 0, gid: int = 0,
              archive_type: str | None = None) -> GitPatch:
        from werf_core.git.patch import create_patch
        return create_patch(self, mapping, from_commit, to_commit, uid=uid, gid=gid, archive_type=archive_type)

    def stage_dependencies_checksum(self, mapping: GitMapping, stage: str, commit: str) -> DependenciesChecksum:
        from werf_core.git.checksum import stage_dependencies_checksum
        return stage_dependencies_checksum(self, mapping, stage, commit)


def _is_dubious_ownership(stderr: bytes) -> bool:
    return b"dubious ownership" in stderr


def _stderr_text(stderr_bytes: bytes) -> str:
    """The last non-empty line git wrote to stderr."""
    stderr = stderr_bytes.decode(errors="replace").strip()
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else ""


_DUBIOUS_AT = re.compile(r"dubious ownership in repository at '(?P<path>[^'\n]+)'")
_DISCOVERY_OVERRIDES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR")


def open_local_repository(path: str | os.PathLike[str], *, allow_shallow: bool = False) -> GitRepository:
    """The git repository containing `path` (the project directory or any parent; worktrees work).

    A shallow clone is refused unless `allow_shallow` (werf's --allow-git-shallow-clone).
    """
    path = Path(path)
    if not path.exists():
        raise GitError(f"project directory {path} does not exist", hint="check --dir ($WERF_DIR)")
    # found from `path` itself, as `git -C path` would without GIT_DIR/GIT_WORK_TREE pointing elsewhere
    env = {k: v for k, v in os.environ.items() if k not in _DISCOVERY_OVERRIDES}
    try:
        done = subprocess.run(["git", "-C", str(path), "rev-parse", "--absolute-git-dir", "--git-common-dir",
                               "--is-bare-repository", "--show-toplevel"],
                              env={**env, **_MESSAGES_ENV, **NON_INTERACTIVE_ENV}, stdin=subprocess.DEVNULL,
                              capture_output=True)
    except OSError as err:
        raise GitError(f"cannot run git: {err}", hint="install git and make sure it is on PATH") from None
    lines = done.stdout.decode("utf-8", "surrogateescape").splitlines()
    if _is_dubious_ownership(done.stderr):
        match = _DUBIOUS_AT.search(done.stderr.decode(errors="replace"))
        where = match.group("path") if match else str(path.resolve())
        raise GitError(f"git refuses to read repository {where}: it is owned by another user",
                       hint=f"mark it safe: git config --global --add safe.directory {where}")
    # a bare repository (or a directory inside .git) answers the first three and refuses --show-toplevel
    if len(lines) < 3 or (done.returncode != 0 and lines[2] != "true"):
        damaged = next((p for p in (path.resolve(), *path.resolve().parents) if (p / ".git").exists()), None)
        if damaged is not None:
            reason = _stderr_text(done.stderr) or "invalid .git"
            raise GitError(f"cannot read the git repository at {damaged}: {reason}",
                           hint="run `git status` there to see what is wrong: .git may be damaged or point to a "
                                "worktree that no longer exists")
        raise GitError(f"{path} is not inside a git repository",
                       hint="werf builds from git commits: run `git init && git add -A && git commit` in the project, "
                            "or point --dir at a directory inside a repository")
    git_dir = Path(lines[0])
    common_dir = Path(lines[1]) if os.path.isabs(lines[1]) else (path / lines[1]).resolve()
    work_tree = Path(lines[3]) if done.returncode == 0 and len(lines) > 3 and lines[3] else None
    repository = GitRepository(git_dir=git_dir, common_dir=common_dir, work_tree=work_tree, name="own",
                               description=str(work_tree or git_dir))
    repository.ensure_not_shallow(allow_shallow=allow_shallow)
    return repository
