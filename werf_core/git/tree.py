"""The full tree of one commit, as `git ls-tree -r -t` lists it, with filtered walks.

One listing per commit is enough for every mapping, glob, archive and patch of a build, so it is parsed once and
kept by the repository. Walks take path matchers and skip directories that cannot match (`DirState.NONE`); they can
return a whole directory as one tree entry when everything below it matches (`DirState.ALL`), which is how
stageDependencies checksums stay fast on big repositories.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterator, Sequence

from werf_core.git.doublestar import DirState
from werf_core.git.matcher import PathMatcher, all_of_directory_state

MODE_TREE = "040000"
MODE_FILE = "100644"
MODE_EXECUTABLE = "100755"
MODE_SYMLINK = "120000"
MODE_SUBMODULE = "160000"


@dataclass(frozen=True)
class TreeEntry:
    path: str   # repository-relative, forward slashes (undecodable bytes kept via surrogateescape)
    mode: str   # git's octal mode string: 100644, 100755, 120000, 160000, 040000
    sha: str    # object ID (blob, tree, or the submodule's commit)

    @property
    def is_tree(self) -> bool:
        return self.mode == MODE_TREE

    @property
    def is_symlink(self) -> bool:
        return self.mode == MODE_SYMLINK

    @property
    def is_submodule(self) -> bool:
        return self.mode == MODE_SUBMODULE

    @property
    def is_executable(self) -> bool:
        return self.mode == MODE_EXECUTABLE

    @property
    def is_file(self) -> bool:
        """A regular file (executable or not)."""
        return self.mode in (MODE_FILE, MODE_EXECUTABLE) or self.mode.startswith("100")


def parse_ls_tree(output: bytes) -> list[TreeEntry]:
    """Parse `git ls-tree -z` output: `<mode> SP <type> SP <sha> TAB <path> NUL`."""
    entries = []
    for record in output.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode, _type, sha = meta.split(b" ")
        mode_text = mode.decode()
        if mode_text == "40000":
            mode_text = MODE_TREE
        entries.append(TreeEntry(os.fsdecode(path), mode_text, sha.decode()))
    return entries


def parent_of(path: str) -> str:
    return path.rpartition("/")[0]


class TreeListing:
    """All entries of one commit (trees included), indexed by path and by parent directory."""

    def __init__(self, commit: str, entries: Sequence[TreeEntry]) -> None:
        self.commit = commit
        self.by_path: dict[str, TreeEntry] = {}
        self.children: dict[str, list[TreeEntry]] = {"": []}
        for entry in entries:
            self.by_path[entry.path] = entry
            self.children.setdefault(parent_of(entry.path), []).append(entry)
            if entry.is_tree:
                self.children.setdefault(entry.path, [])

    def __len__(self) -> int:
        return len(self.by_path)

    def get(self, path: str) -> TreeEntry | None:
        return self.by_path.get(path)

    def is_directory(self, path: str) -> bool:
        return path == "" or (path in self.by_path and self.by_path[path].is_tree)

    def walk(self, matchers: Sequence[PathMatcher], *, whole_trees: bool = False,
             start: str = "") -> Iterator[TreeEntry]:
        """Non-tree entries matched by every matcher, in tree order.

        With `whole_trees`, a directory below which everything matches is yielded as its tree entry instead of
        its contents (its tree hash covers names, modes and contents of everything inside).
        """
        if start and not self.is_directory(start):
            entry = self.by_path.get(start)
            if entry is not None and all(m.matches(entry.path) for m in matchers):
                yield entry
            return
        yield from self._walk_directory(start, matchers, whole_trees, DirState.PARTIAL)

    def _walk_directory(self, directory: str, matchers: Sequence[PathMatcher], whole_trees: bool,
                        parent_state: str) -> Iterator[TreeEntry]:
        for entry in self.children.get(directory, ()):
            if entry.is_tree:
                state = DirState.ALL if parent_state == DirState.ALL else all_of_directory_state(matchers, entry.path)
                if state == DirState.NONE:
                    continue
                if state == DirState.ALL and whole_trees:
                    yield entry
                    continue
                yield from self._walk_directory(entry.path, matchers, whole_trees, state)
            elif parent_state == DirState.ALL or all(m.matches(entry.path) for m in matchers):
                yield entry

    def has_match_under(self, directory: str, matchers: Sequence[PathMatcher]) -> bool:
        """Whether a matched file or symlink lies below `directory`, i.e. whether an archive would create it.

        Submodules do not count: archives skip them.
        """
        if not self.is_directory(directory):
            return False
        for entry in self._walk_directory(directory, matchers, False, DirState.PARTIAL):
            if not entry.is_submodule:
                return True
        return False
