"""Checkouts of one commit shared by the builds on this host (the image runs of a fanned-out build).

A fanned-out build runs one flow per image, and a worker usually builds several images of the same commit: checking
the commit out once per image (a `git worktree add` of the whole tree, then its removal) is work repeated for
nothing. Instead each commit of a cached clone gets one checkout under
`$WERF_HOME/local_cache/git_checkouts/<clone directory name>/<commit>/tree` (a detached `git worktree` of the clone,
so werf finds the project's git repository in it), which every build of that commit on this host reuses, also at the
same time.

Safe against concurrent processes and crashes:
- `<root>/.lock` (flock, exclusive) is held to create, check, evict or start using a checkout; it is never removed.
- a build using a checkout holds a shared flock on `<root>/<commit>.use` until it is done (the kernel drops it if
  the process dies); a checkout is removed only when that lock can be taken exclusively, i.e. nobody uses it.
- a checkout counts only once `<commit>/complete` (written last) names its commit; before each use the tree is
  checked (HEAD is the commit, `git status` shows nothing changed, added or ignored), so a partial, damaged or
  modified checkout is made again — or, while another build still uses it, this build gets a private one.
- at most `KEEP_PER_CLONE` checkouts per clone stay; older unused ones are removed when a build finishes.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from werf_core.errors import GitError
from werf_core.fsutil import atomic_write, exclusive_file_lock
from werf_core.git.repository import NON_INTERACTIVE_ENV
from werf_core.paths import werf_home

__all__ = ["KEEP_PER_CLONE", "checkouts_root", "shared_checkout"]

KEEP_PER_CLONE = 4
COMPLETE = "complete"
TREE = "tree"


def checkouts_root(clone_directory: Path) -> Path:
    """Where the shared checkouts of the cached clone in `clone_directory` live."""
    return werf_home() / "local_cache" / "git_checkouts" / clone_directory.name


@contextmanager
def shared_checkout(clone_directory: Path, clone_lock: Path, commit: str,
                    keep: int = KEEP_PER_CLONE) -> Iterator[Path | None]:
    """The tree of `commit` (a full SHA of the clone in `clone_directory`), shared with the other builds of this
    commit on this host and kept for the next ones; None when it cannot be shared now (a damaged checkout that
    another build still uses): the caller then checks out a private copy. `clone_lock` is the lock the clone's
    git operations take (the worktree list lives in the clone)."""
    if len(commit) != 40 or any(c not in "0123456789abcdef" for c in commit):
        raise ValueError(f"a full commit SHA is needed, not {commit!r}")
    root = checkouts_root(clone_directory)
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o700)           # checkouts of private repositories: readable by this user only
    entry = root / commit
    with exclusive_file_lock(root / ".lock"):
        usable = _usable(entry, commit)
        if not usable:
            if _in_use(root, commit):
                usable = False      # damaged, but another build is in it: leave it to that build
            else:
                _remove(clone_directory, clone_lock, entry)
                _create(clone_directory, clone_lock, entry, commit)
                usable = True
        use = _hold(root / f"{commit}.use", fcntl.LOCK_SH) if usable else None
        if usable:
            os.utime(entry / COMPLETE)     # the most recently used checkouts are the ones kept
    try:
        yield entry / TREE if usable else None
    finally:
        if use is not None:
            os.close(use)
        with suppress(OSError, GitError), exclusive_file_lock(root / ".lock"):
            _evict(clone_directory, clone_lock, root, keep)


def _usable(entry: Path, commit: str) -> bool:
    """A complete checkout of `commit`, exactly as git has it (nothing modified, added or left behind)."""
    try:
        if (entry / COMPLETE).read_text().strip() != commit:
            return False
    except OSError:
        return False
    tree = entry / TREE
    head = _git(["-C", str(tree), "rev-parse", "--verify", "--quiet", "HEAD^{commit}"], check=False)
    if head.returncode != 0 or head.stdout.strip() != commit:
        return False
    status = _git(["-C", str(tree), "status", "--porcelain", "--untracked-files=all", "--ignored"], check=False)
    return status.returncode == 0 and status.stdout == ""


def _create(clone_directory: Path, clone_lock: Path, entry: Path, commit: str) -> None:
    entry.mkdir(mode=0o700)
    with exclusive_file_lock(clone_lock):
        # a checkout removed behind git's back (rm -rf) is still registered, and `worktree add` would refuse its path
        _git(["--git-dir", str(clone_directory), "worktree", "prune"], check=False)
        _git(["--git-dir", str(clone_directory), "worktree", "add", "--detach", "--quiet", str(entry / TREE), commit])
    atomic_write(entry / COMPLETE, commit + "\n")


def _remove(clone_directory: Path, clone_lock: Path, entry: Path) -> None:
    if not entry.exists():
        return
    with suppress(OSError):
        (entry / COMPLETE).unlink()        # first: a half-removed checkout never looks complete
    with exclusive_file_lock(clone_lock):
        _git(["--git-dir", str(clone_directory), "worktree", "remove", "--force", str(entry / TREE)], check=False)
        shutil.rmtree(entry, ignore_errors=True)
        _git(["--git-dir", str(clone_directory), "worktree", "prune"], check=False)


def _evict(clone_directory: Path, clone_lock: Path, root: Path, keep: int) -> None:
    """Remove the checkouts beyond the `keep` most recently used ones that nobody uses (called under root/.lock)."""
    def last_used(entry: Path) -> float:
        try:
            return (entry / COMPLETE).stat().st_mtime
        except OSError:
            return 0.0        # incomplete: first to go
    entries = sorted((p for p in root.iterdir() if p.is_dir()), key=last_used, reverse=True)
    for entry in entries[keep:]:
        if _in_use(root, entry.name):
            continue
        _remove(clone_directory, clone_lock, entry)
        with suppress(OSError):
            (root / f"{entry.name}.use").unlink()    # safe: nobody holds it, and taking it needs root/.lock


def _in_use(root: Path, commit: str) -> bool:
    """Whether a build holds the checkout of `commit` (a shared lock on its use file)."""
    try:
        fd = _hold(root / f"{commit}.use", fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    os.close(fd)
    return False


def _hold(path: Path, operation: int) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, operation)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _git(args: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **NON_INTERACTIVE_ENV, "LC_ALL": "C"}
    result = subprocess.run(["git", *args], capture_output=True, text=True, env=env)
    if check and result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise GitError(f"git {' '.join(args[2:4])} failed: {last}",
                       hint="check that the cached clone is readable; removing it makes the next build clone again")
    return result
