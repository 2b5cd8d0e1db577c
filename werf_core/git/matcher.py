"""Which repository paths a git mapping takes: `add`, `includePaths`, `excludePaths` (werf v1.1 rules).

A repository path is first made relative to `add` (paths outside `add` never match; for a single-file `add` the file
itself is the relative path "."). Then every `includePaths` pattern list (if given) must match and no `excludePaths`
pattern may match. Pattern P matches relative path R when

- R == P, or R lies under P (a directory prefix: `src` covers `src/a`, never `src2`), or
- the doublestar glob P matches R, or the glob P + "/**/*" matches R (so a glob naming a directory covers its contents).

Patterns and paths are normalised like Go's `path.Clean`: `./src/` → `src`; "." (or "/" for `add`) means everything.

`directory_state` answers, for a directory, whether nothing / something / everything below it can match — tree walks
use it to skip directories and to take whole trees at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from werf_core.git.doublestar import DirState, compile_glob
from werf_core.gopath import clean as go_path_clean

__all__ = ["PathMatcher", "DirState", "clean_path", "normalize_pattern"]


clean_path = go_path_clean  # Go's path.Clean, as werf cleans every path of a mapping


def normalize_pattern(pattern: str) -> str:
    """A relative pattern or path in matcher form: cleaned, no leading `/`, "" for "everything"."""
    cleaned = clean_path(pattern).lstrip("/")
    return "" if cleaned in (".", "") else cleaned


def _is_under(path: str, base: str) -> bool:
    """`path` equals `base` or lies below it, comparing whole components ("" is the root)."""
    return base == "" or path == base or path.startswith(base + "/")


_MATCH_EVERYTHING = re.compile(".*", re.DOTALL)


def _compile_pattern_list(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex answering "does some pattern of the list match" (None for an empty list).

    Each pattern contributes its glob regex and its literal spelling, both followed by "or anything below".
    """
    if not patterns:
        return None
    if "" in patterns:
        return _MATCH_EVERYTHING
    parts = []
    for pattern in patterns:
        parts.append(compile_glob(pattern).regex.pattern)
        parts.append(re.escape(pattern) + "(?:/.+)?")
    return re.compile("|".join(f"(?:{part})" for part in parts), re.DOTALL)


def _pattern_directory_state(relative_dir: str, pattern: str) -> str:
    """DirState of one pattern for a directory given relative to the base ("" is the base itself)."""
    if pattern == "" or (relative_dir and _is_under(relative_dir, pattern)):
        return DirState.ALL
    components = tuple(relative_dir.split("/")) if relative_dir else ()
    state = compile_glob(pattern).directory_state(components)
    if state == DirState.NONE and (relative_dir == "" or pattern.startswith(relative_dir + "/")):
        return DirState.PARTIAL  # literal pattern below this directory (globs already handle their literal parts)
    return state


def _combine_any(states: list[str]) -> str:
    """State of "some pattern of the list matches"."""
    if DirState.ALL in states:
        return DirState.ALL
    if DirState.PARTIAL in states:
        return DirState.PARTIAL
    return DirState.NONE


@dataclass(frozen=True)
class PathMatcher:
    """Filters repository paths (forward slashes, relative to the repository root) for one git mapping."""

    add: str = ""
    include_paths: tuple[str, ...] = ()
    exclude_paths: tuple[str, ...] = field(default=())
    _include_regex: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)
    _exclude_regex: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "add", normalize_pattern(self.add))
        object.__setattr__(self, "include_paths", tuple(normalize_pattern(p) for p in self.include_paths))
        object.__setattr__(self, "exclude_paths", tuple(normalize_pattern(p) for p in self.exclude_paths))
        # compiled once (and broken patterns rejected early with GlobSyntaxError): matching runs per file
        object.__setattr__(self, "_include_regex", _compile_pattern_list(self.include_paths))
        object.__setattr__(self, "_exclude_regex", _compile_pattern_list(self.exclude_paths))

    @property
    def is_everything_under_add(self) -> bool:
        """No include/exclude patterns: everything under `add` matches (allows cheap pathspec shortcuts)."""
        return not self.include_paths and not self.exclude_paths

    def relative(self, path: str) -> str | None:
        """`path` relative to `add` ("." when it *is* `add`), or None when it lies outside `add`."""
        return self._relative_clean(normalize_pattern(path))

    def _relative_clean(self, path: str) -> str | None:
        if self.add == "":
            return path or "."
        if path == self.add:
            return "."
        if path.startswith(self.add + "/"):
            return path[len(self.add) + 1:]
        return None

    def matches(self, path: str) -> bool:
        """Whether the file (blob, symlink or submodule) at repository path `path` belongs to the mapping."""
        return self.matches_clean(normalize_pattern(path))

    def matches_clean(self, path: str) -> bool:
        """`matches` for a path already in git's form (as ls-tree/diff-tree print it): no normalisation cost."""
        relative = self._relative_clean(path)
        if relative is None:
            return False
        if self._include_regex is not None and self._include_regex.fullmatch(relative) is None:
            return False
        if self._exclude_regex is not None and self._exclude_regex.fullmatch(relative) is not None:
            return False
        return True

    def directory_state(self, directory: str) -> str:
        """DirState for repository directory `directory` ("" is the repository root).

        NONE: no file below can match (skip it); ALL: every file below matches (take the whole tree);
        PARTIAL: look inside. The answer is always safe: NONE and ALL are only given when certain.
        """
        return self.directory_state_clean(normalize_pattern(directory))

    def directory_state_clean(self, directory: str) -> str:
        """`directory_state` for a directory path already in git's form."""
        if self.add and not _is_under(directory, self.add):
            return DirState.PARTIAL if _is_under(self.add, directory) else DirState.NONE
        if not self.add:
            relative = directory
        else:
            relative = "" if directory == self.add else directory[len(self.add) + 1:]
        include = (_combine_any([_pattern_directory_state(relative, p) for p in self.include_paths])
                   if self.include_paths else DirState.ALL)
        exclude = (_combine_any([_pattern_directory_state(relative, p) for p in self.exclude_paths])
                   if self.exclude_paths else DirState.NONE)
        if include == DirState.NONE or exclude == DirState.ALL:
            return DirState.NONE
        if include == DirState.ALL and exclude == DirState.NONE:
            return DirState.ALL
        return DirState.PARTIAL


def narrow_for_directory(matchers: tuple[PathMatcher, ...], directory: str) -> tuple[PathMatcher, ...] | None:
    """The matchers still worth asking below `directory` (git form): None if one of them rules the directory out,
    without those that take everything below it (an empty tuple: everything below matches)."""
    remaining = []
    for matcher in matchers:
        state = matcher.directory_state_clean(directory)
        if state == DirState.NONE:
            return None
        if state == DirState.PARTIAL:
            remaining.append(matcher)
    return tuple(remaining)
