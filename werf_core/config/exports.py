"""Overlapping exports of one image (git mappings and imports whose `to` lie inside each other), as werf resolves them.

When one export's `to` contains another's (git `to: /app` and an import `to: /app/vendor`), werf excludes the inner
export's paths from the outer one, so the two never write the same files: the outer export gets an extra
`excludePaths` entry, relative to its own `to`. When neither export narrows itself with `includePaths` and both cover
the whole target, there is nothing to exclude and werf refuses the config ("conflict between imports").

The resolved exclude paths are part of what the git stages hash, so they are applied when the config is loaded and the
models carry them; consumers see the effective `exclude_paths`.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Export:
    """A git mapping or import reduced to what overlap resolution needs; `exclude_paths` grows as werf's does."""

    to: str
    include_paths: list[str]
    exclude_paths: list[str]
    path: tuple[Any, ...]                      # where it is in the document, e.g. ("git", 0) or ("import", 1)
    added: list[str] = field(default_factory=list)

    def include_paths_for_overlap(self) -> list[str]:
        prefix = "" if self.to == "/" else self.to[1:]
        if not self.include_paths and prefix:
            return [prefix]
        return [posixpath.join(prefix, p) if prefix else p for p in self.include_paths]

    def exclude_paths_for_overlap(self) -> list[str]:
        prefix = "" if self.to == "/" else self.to[1:]
        return [posixpath.join(prefix, p) if prefix else p for p in self.exclude_paths]

    def exclude(self, path: str) -> None:
        self.exclude_paths.append(path)
        self.added.append(path)


class ExportConflict(Exception):
    def __init__(self, first: Export, second: Export) -> None:
        super().__init__(f"{first.path} and {second.path} overlap")
        self.first = first
        self.second = second


def is_sub_path(sub_path: str, path: str) -> bool:
    """`path` equals `sub_path` or lies under it (werf's isSubPath, argument order included)."""
    return path == sub_path or path.startswith(sub_path.rstrip("/") + "/")


def resolve_overlaps(exports: list[Export]) -> None:
    """Add werf's automatic excludes in place; raise ExportConflict when two exports cannot be separated."""
    for outer in exports:
        for inner in exports:
            if outer is inner or not is_sub_path(outer.to, inner.to):
                continue
            outer_includes = outer.include_paths_for_overlap()
            inner_includes = inner.include_paths_for_overlap()
            if not outer_includes and not inner_includes:
                raise ExportConflict(outer, inner)
            for inner_include in inner_includes:
                if any(inner_include == own for own in outer_includes):
                    raise ExportConflict(outer, inner)
                if any(is_sub_path(inner_include, own) for own in outer_includes):
                    continue
                if any(is_sub_path(excluded, inner_include) for excluded in outer.exclude_paths_for_overlap()):
                    continue
                outer.exclude(posixpath.relpath("/" + inner_include, outer.to))
