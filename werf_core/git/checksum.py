"""stageDependencies checksums: how `install`, `beforeSetup` and `setup` notice changes of the files they depend on.

For one mapping, one stage and the mapping's current commit (werf v1.1, §2.2 of our reference):
- no globs for the stage → "" (the stage digest then gets "" for this mapping);
- otherwise one running SHA-256 is fed, glob by glob in config order, with each glob's checksum (hex); a glob
  matching nothing feeds nothing and produces a warning;
- a glob's checksum is the hex SHA-256 of the git object IDs, ordered by path, of the entries that pass both the
  mapping's filter (add/include/exclude) and the glob (matched relative to `add`). A directory whole of which
  matches contributes its tree ID instead of its contents' IDs.

Only object IDs from one `git ls-tree -r -t` of the commit are used — no file is read — so content, names, modes
and symlink targets all count, working-tree edits never do, and big repositories stay fast.

The stage digest combines the mappings as `sha256_hash(c_1, ..., c_n)` (werf_core.hashing), in mapping order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from werf_core.git.matcher import PathMatcher
from werf_core.hashing import sha256_hash

if TYPE_CHECKING:  # pragma: no cover
    from werf_core.git.mapping import GitMapping
    from werf_core.git.repository import GitRepository


@dataclass(frozen=True)
class DependenciesChecksum:
    checksum: str                          # "" when the mapping has no globs for the stage
    warnings: tuple[str, ...] = field(default=())
    matched_globs: tuple[str, ...] = field(default=())


def glob_checksum(repository: GitRepository, commit: str, matchers: Sequence[PathMatcher]) -> str:
    """Hex SHA-256 of the object IDs matched by all `matchers` at `commit` ("" when nothing matches)."""
    entries = sorted(repository.tree_listing(commit).walk(matchers, whole_trees=True), key=lambda e: e.path)
    if not entries:
        return ""
    digest = hashlib.sha256()
    for entry in entries:
        digest.update(entry.sha.encode())
    return digest.hexdigest()


def stage_dependencies_checksum(repository: GitRepository, mapping: GitMapping, stage: str,
                                commit: str) -> DependenciesChecksum:
    """The checksum of `stageDependencies.<stage>` of `mapping` at `commit` (see the module docstring)."""
    globs = mapping.stage_dependency_globs(stage)
    if not globs:
        return DependenciesChecksum("")
    repository.require_commit(commit)
    mapping_matcher = mapping.matcher()
    running = hashlib.sha256()
    warnings, matched = [], []
    for glob in globs:
        glob_matcher = PathMatcher(mapping_matcher.add, (glob,))
        checksum = glob_checksum(repository, commit, (mapping_matcher, glob_matcher))
        if checksum:
            running.update(checksum.encode())
            matched.append(glob)
        else:
            warnings.append(f"stage {stage} dependency path {glob} has not been found in {mapping.name} git "
                            f"(commit {commit[:12]})")
    return DependenciesChecksum(running.hexdigest(), tuple(warnings), tuple(matched))


def stage_dependencies_digest_input(checksums: Sequence[str]) -> str:
    """What one stage's digest gets from all its mappings: `sha256_hash(c_1, ..., c_n)` in mapping order."""
    return sha256_hash(*checksums)
