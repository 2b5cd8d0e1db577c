"""The change of one mapping between two commits, applicable in a build container that has no git.

A `GitPatch` A→B holds, for the files the mapping takes (see `matcher`), with names relative to the extraction
directory exactly as in `GitArchive` (relative to `add`; `basename(to)` for a single-file `add`):

- `added_paths`    — files/symlinks only in B;
- `changed_paths`  — in both, with other content, mode (chmod) or type (file ↔ symlink);
- `deleted_paths`  — only in A (renames are a delete plus an add: git's rename detection is off);
- `emptied_directories` — directories that exist in A's archive but not in B's (nothing the mapping takes is left
  below them), deepest first;
- a tar stream (`write`/`to_bytes`) of every added and changed file, plus entries for directories that are new in B,
  with the same uid/gid/mode rules as the archive.

Applying it to a directory that holds A's archive (`apply_to_directory`, and the same steps in a container):

1. remove every path in `removal_paths` (= deleted + changed) that is a file or symlink — `rm -f`, never a
   directory, never following a symlink;
2. remove each directory of `emptied_directories`, deepest first, only if it is empty (`rmdir`; a directory the build
   put its own files into stays, as in werf);
3. extract the tar as root (`tar -xf patch.tar -C <dir>`).

The result equals B's archive extracted there. Changed files are removed before extraction so no tar implementation
ever writes through an old symlink or keeps an old mode. Step 2 runs before step 3 because a directory may become a
file (and step 1 before step 2 because a file may become a directory).

Sizes and digests for the stage digests (computed lazily, on request; never needed to build):
- `size()`: bytes of `git diff --binary --full-index --unified=2147483647 --no-renames A B` restricted to the
  mapping's changed paths (full-file context, binary diffs) — `size() // (1024*1024)` enters the gitCache digest;
- `text_digest()`: SHA-256 (hex) of the normal patch text `git diff --no-renames A B` (3 lines of context, binary
  files as "Binary files differ") over the same paths, "" when that text is empty — the gitLatestPatch input.
Both use fixed diff settings (myers, no color, no external diff or textconv, standard prefixes) so they are the
same on every machine whatever the user's git config says. Submodule changes are skipped with a warning.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from werf_core.git.archive import (
    ARCHIVE_TYPE_DIRECTORY,
    ARCHIVE_TYPE_FILE,
    archive_type_at,
    extraction_directory,
    member_for_entry,
    member_name,
    tar_order,
)
from werf_core.git.repository import STABLE_DIFF_CONFIG
from werf_core.git.tarball import DIRECTORY_MODE, KIND_DIRECTORY, TarMember, extract_tar, write_tar
from werf_core.git.tree import MODE_SUBMODULE, TreeEntry

if TYPE_CHECKING:  # pragma: no cover
    from werf_core.git.mapping import GitMapping
    from werf_core.git.repository import GitRepository

_NULL_MODE = "000000"
_PATHSPEC_BATCH = 1000  # paths per git invocation: far below any command-line limit
_DIFF_OPTIONS = ("--no-color", "--no-ext-diff", "--no-textconv", "--no-renames", "--diff-algorithm=myers",
                 "--indent-heuristic", "--ignore-submodules=all", "--src-prefix=a/", "--dst-prefix=b/")


@dataclass(frozen=True)
class RawChange:
    """One line of `git diff-tree -r --raw`."""

    path: str
    old_mode: str
    new_mode: str
    old_sha: str
    new_sha: str
    status: str

    @property
    def in_old(self) -> bool:
        return self.old_mode not in (_NULL_MODE, MODE_SUBMODULE)

    @property
    def in_new(self) -> bool:
        return self.new_mode not in (_NULL_MODE, MODE_SUBMODULE)

    @property
    def touches_submodule(self) -> bool:
        return MODE_SUBMODULE in (self.old_mode, self.new_mode)


def parse_raw_diff(output: bytes) -> list[RawChange]:
    """Parse `git diff-tree -r -z --raw --no-renames`: `:<m1> <m2> <sha1> <sha2> <status> NUL <path> NUL`."""
    fields = output.split(b"\0")
    changes, i = [], 0
    while i + 1 < len(fields):
        meta = fields[i]
        if not meta.startswith(b":"):
            i += 1
            continue
        old_mode, new_mode, old_sha, new_sha, status = meta[1:].decode().split(" ")
        path = fields[i + 1].decode("utf-8", "surrogateescape")
        changes.append(RawChange(path, old_mode, new_mode, old_sha, new_sha, status[:1]))
        i += 2
    return changes


@dataclass
class GitPatch:
    repository: GitRepository
    mapping: GitMapping
    from_commit: str
    to_commit: str
    type: str
    changes: list[RawChange]          # matched changes, in git's order
    uid: int = 0
    gid: int = 0
    warnings: list[str] = field(default_factory=list)
    # True when `changes` holds every (non-submodule) change under `add`: diffs may then name `add` as the only
    # pathspec instead of listing every changed path
    covers_whole_add: bool = False

    # ------------------------------------------------------------------ what changes
    @property
    def is_empty(self) -> bool:
        return not self.changes

    @property
    def extraction_directory(self) -> str:
        return extraction_directory(self.mapping, self.type)

    def _name(self, path: str) -> str:
        return member_name(self.mapping, self.type, path)

    @cached_property
    def added_paths(self) -> list[str]:
        return sorted(self._name(c.path) for c in self.changes if c.in_new and not c.in_old)

    @cached_property
    def changed_paths(self) -> list[str]:
        return sorted(self._name(c.path) for c in self.changes if c.in_new and c.in_old)

    @cached_property
    def deleted_paths(self) -> list[str]:
        return sorted(self._name(c.path) for c in self.changes if c.in_old and not c.in_new)

    @property
    def removal_paths(self) -> list[str]:
        """Paths to remove (files and symlinks only) before extracting the tar: deleted plus changed."""
        return sorted(set(self.deleted_paths) | set(self.changed_paths))

    def _repository_dir(self, name: str) -> str:
        add = self.mapping.matcher().add
        return f"{add}/{name}" if add else name

    def _ancestors(self, names: list[str]) -> set[str]:
        result = set()
        for name in names:
            parent = posixpath.dirname(name)
            while parent and parent not in result:
                result.add(parent)
                parent = posixpath.dirname(parent)
        return result

    @cached_property
    def emptied_directories(self) -> list[str]:
        """Directories (relative names) that A's archive has and B's has not, deepest first."""
        if self.type == ARCHIVE_TYPE_FILE or not self.deleted_paths:
            return []
        listing = self.repository.tree_listing(self.to_commit)
        matchers = [self.mapping.matcher()]
        emptied = [d for d in self._ancestors(self.deleted_paths)
                   if not listing.has_match_under(self._repository_dir(d), matchers)]
        return sorted(emptied, key=lambda d: (-d.count("/"), d))

    @cached_property
    def new_directories(self) -> list[str]:
        """Directories (relative names) that B's archive has and A's has not; the tar creates them."""
        if self.type == ARCHIVE_TYPE_FILE or not self.added_paths:
            return []
        listing = self.repository.tree_listing(self.from_commit)
        matchers = [self.mapping.matcher()]
        return sorted(d for d in self._ancestors(self.added_paths)
                      if not listing.has_match_under(self._repository_dir(d), matchers))

    # ------------------------------------------------------------------ the tar
    def tar_members(self) -> list[TarMember]:
        members = [member_for_entry(self._name(c.path), TreeEntry(c.path, c.new_mode, c.new_sha))
                   for c in self.changes if c.in_new]
        members += [TarMember(d, KIND_DIRECTORY, DIRECTORY_MODE) for d in self.new_directories]
        return tar_order(members)

    def write(self, fileobj: BinaryIO) -> None:
        write_tar(self.repository, self.tar_members(), fileobj, uid=self.uid, gid=self.gid,
                  mtime=self.repository.commit_timestamp(self.to_commit))

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.write(buffer)
        return buffer.getvalue()

    def write_file(self, path: str | Path) -> Path:
        path = Path(path)
        with open(path, "wb") as out:
            self.write(out)
        return path

    # ------------------------------------------------------------------ applying
    def apply_to_directory(self, directory: str | Path) -> None:
        """Reference application: exactly the three steps of the module docstring."""
        directory = Path(directory)
        for name in self.removal_paths:
            target = directory / name
            if target.is_symlink() or target.is_file():
                target.unlink()
        for name in self.emptied_directories:
            target = directory / name
            if target.is_dir() and not target.is_symlink() and not any(target.iterdir()):
                target.rmdir()
        extract_tar(self.to_bytes(), directory)

    def write_path_list(self, names: list[str], path: str | Path) -> Path:
        """A NUL-separated list file (for `xargs -0`), safe for any file name."""
        path = Path(path)
        path.write_bytes(b"".join(name.encode("utf-8", "surrogateescape") + b"\0" for name in names))
        return path

    def shell_apply_script(self, target_directory: str, *, tar_path: str, removals_path: str,
                           directories_path: str, command_prefix: str = "") -> str:
        """POSIX shell (busybox sh is enough) doing the three steps in a container without git.

        `removals_path`/`directories_path` are `write_path_list` files of `removal_paths`/`emptied_directories`;
        `command_prefix` runs the tools from a toolchain (e.g. "/.werf/stapel/bin/busybox ").
        """
        q = shlex.quote
        p = command_prefix
        return "\n".join([
            f"cd {q(target_directory)}",
            f"if [ -s {q(removals_path)} ]; then {p}xargs -0 {p}rm -f -- < {q(removals_path)}; fi",
            f"if [ -s {q(directories_path)} ]; then "
            f"{p}xargs -0 {p}rmdir -- < {q(directories_path)} 2>/dev/null || true; fi",
            f"{p}tar -xf {q(tar_path)} -C {q(target_directory)}",
        ]) + "\n"

    # ------------------------------------------------------------------ digest inputs
    def _diff_batches(self) -> Iterator[list[str]]:
        matcher = self.mapping.matcher()
        if self.covers_whole_add:
            yield [matcher.add] if matcher.add else []
            return
        paths = [c.path for c in self.changes]
        for start in range(0, len(paths), _PATHSPEC_BATCH):
            yield paths[start:start + _PATHSPEC_BATCH]

    def _diff_stream(self, *options: str) -> Iterator[bytes]:
        if self.is_empty:
            return
        for pathspecs in self._diff_batches():
            yield from self.repository.stream_git(
                "--literal-pathspecs", *STABLE_DIFF_CONFIG, "diff", *_DIFF_OPTIONS, *options,
                self.from_commit, self.to_commit, "--", *pathspecs, what="diff")

    @cached_property
    def _size(self) -> int:
        return sum(len(chunk) for chunk in self._diff_stream("--binary", "--full-index", "--unified=2147483647"))

    def size(self) -> int:
        """Bytes of the full-context binary diff (see the module docstring); 0 when empty."""
        return self._size

    def text(self) -> bytes:
        """The normal patch text (3 lines of context, no binary data)."""
        return b"".join(self._diff_stream())

    @cached_property
    def _text_digest(self) -> str:
        digest, seen = hashlib.sha256(), False
        for chunk in self._diff_stream():
            digest.update(chunk)
            seen = seen or bool(chunk)
        return digest.hexdigest() if seen else ""

    def text_digest(self) -> str:
        """SHA-256 of `text()`, or "" when the text is empty."""
        return self._text_digest


def create_patch(repository: GitRepository, mapping: GitMapping, from_commit: str, to_commit: str, *,
                 uid: int = 0, gid: int = 0, archive_type: str | None = None) -> GitPatch:
    """The patch of `mapping` from `from_commit` to `to_commit`.

    `archive_type` is the type recorded when the archive was applied (`werf-git-<paramshash>-type`); when None it is
    `file` if `add` is a file in either commit, else `directory`.
    """
    for commit in (from_commit, to_commit):
        repository.require_commit(commit)
    if archive_type is None:
        file_in_either = ARCHIVE_TYPE_FILE in (archive_type_at(repository, mapping, to_commit),
                                               archive_type_at(repository, mapping, from_commit))
        archive_type = ARCHIVE_TYPE_FILE if file_in_either else ARCHIVE_TYPE_DIRECTORY
    matcher = mapping.matcher()
    args = ["--literal-pathspecs", "diff-tree", "-r", "-z", "--raw", "--no-renames", "--no-ext-diff",
            from_commit, to_commit]
    if matcher.add:
        args += ["--", matcher.add]
    raw = parse_raw_diff(repository.run_git(*args, binary=True, what="diff-tree"))
    changes, warnings = [], []
    covers_whole_add = matcher.is_everything_under_add
    for change in raw:
        if not matcher.matches_clean(change.path):
            covers_whole_add = False
            continue
        if change.touches_submodule:
            warnings.append(f"git mapping {mapping.describe()}: submodule change at {change.path} is skipped "
                            f"(submodules are not supported in patches)")
            if not (change.in_old or change.in_new):
                continue
        if archive_type == ARCHIVE_TYPE_FILE and change.path != matcher.add:
            covers_whole_add = False
            continue
        if archive_type == ARCHIVE_TYPE_DIRECTORY and matcher.add and change.path == matcher.add:
            # `add` itself turned from a directory into a file (or back): its content would have to replace the
            # extraction directory `to` itself, which a patch cannot express
            warnings.append(f"git mapping {mapping.describe()}: {mapping.add} changed between a directory and a "
                            f"file; that change is not patched (rebuild the stages to pick it up)")
            covers_whole_add = False
            continue
        changes.append(change)
    return GitPatch(repository, mapping, from_commit, to_commit, archive_type, changes, uid, gid, warnings,
                    covers_whole_add)
