"""The full tree of one commit, as `git ls-tree -r -t` lists it, with filtered walks.

One listing per commit is enough for every mapping, glob, archive and patch of a build, so it is parsed once and
kept by the repository. Walks take path matchers and skip directories that cannot match (`DirState.NONE`); they can
return a whole directory as one tree entry when everything below it matches (`DirState.ALL`), which is how
stageDependencies checksums stay fast on big repositories.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

from werf_core.git.matcher import PathMatcher, narrow_for_directory

MODE_TREE = "040000"
MODE_FILE = "100644"
MODE_EXECUTABLE = "100755"
MODE_SYMLINK = "120000"
MODE_SUBMODULE = "160000"


class TreeEntry(NamedTuple):
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
        return self.mode.startswith("100")


def parse_ls_tree(output: bytes) -> list[TreeEntry]:
    """Parse `git ls-tree -z` output: `<mode> SP <type> SP <sha> TAB <path> NUL`."""
    entries: list[TreeEntry] = []
    append = entries.append
    # one decode for the whole listing: paths are bytes in git; surrogateescape keeps any of them round-trippable
    for record in output.decode("utf-8", "surrogateescape").split("\0"):
        if not record:
            continue
        meta, path = record.split("\t", 1)
        mode, _type, sha = meta.split(" ")
        append(TreeEntry(path, MODE_TREE if mode == "40000" else mode, sha))
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
        matchers = tuple(matchers)
        if start and not self.is_directory(start):
            entry = self.by_path.get(start)
            if entry is not None and all(m.matches_clean(entry.path) for m in matchers):
                yield entry
            return
        yield from self._walk_directory(start, matchers, whole_trees)

    def _walk_directory(self, directory: str, matchers: tuple[PathMatcher, ...],
                        whole_trees: bool) -> Iterator[TreeEntry]:
        # Depth-first, in tree order, with an explicit stack (one generator, however deep the tree). Each level keeps
        # only the matchers still undecided for it; the others already take everything below.
        children = self.children
        stack = [(iter(children.get(directory, ())), _file_check(matchers), matchers)]
        while stack:
            entries, check, level_matchers = stack[-1]
            for entry in entries:
                if entry.mode == MODE_TREE:
                    remaining = narrow_for_directory(level_matchers, entry.path) if level_matchers else ()
                    if remaining is None:
                        continue
                    if not remaining and whole_trees:
                        yield entry
                        continue
                    stack.append((iter(children.get(entry.path, ())), _file_check(remaining), remaining))
                    break
                if check is None or check(entry.path):
                    yield entry
            else:
                stack.pop()

    def has_match_under(self, directory: str, matchers: Sequence[PathMatcher]) -> bool:
        """Whether a matched file or symlink lies below `directory`, i.e. whether an archive would create it.

        Submodules do not count: archives skip them.
        """
        if not self.is_directory(directory):
            return False
        remaining = narrow_for_directory(tuple(matchers), directory)
        if remaining is None:
            return False
        for entry in self._walk_directory(directory, remaining, False):
            if not entry.is_submodule:
                return True
        return False


def _file_check(matchers: tuple[PathMatcher, ...]) -> Callable[[str], bool] | None:
    """The cheapest callable answering "do all these matchers take this file" (None: all files are taken)."""
    if not matchers:
        return None
    if len(matchers) == 1:
        return matchers[0].matches_clean
    return lambda path: all(m.matches_clean(path) for m in matchers)
