"""A git mapping bound to its repository and the commit being built — what git stages work with.

Implemented over werf_core.git (see `bind_mappings`); stage kinds see only this small surface.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ArchiveData:
    tar_path: str             # host path of the tar (paths relative to the extraction directory)
    type: str                 # "directory" | "file"
    extract_dir: str          # `to` for directories, dirname(to) for a single file
    empty: bool


@dataclass(frozen=True)
class PatchData:
    tar_path: str             # added and changed files (relative to `to`)
    deleted_list_path: str    # NUL-separated paths to remove before extraction (relative to `to`)
    prune_dirs_path: str      # NUL-separated directories to remove if they became empty, deepest first
    extract_dir: str
    size: int                 # bytes, for the gitCache threshold
    text_digest: str          # stable digest of the patch text, for the gitLatestPatch digest
    empty: bool


class GitMappingRuntime(Protocol):
    paramshash: str
    to: str
    owner: str
    group: str
    current_commit: str

    def is_ancestor_of_current(self, commit: str) -> bool: ...

    def commit_exists(self, commit: str) -> bool: ...

    def stage_dependencies_checksum(self, stage: str) -> str: ...

    def archive(self, work_dir: str) -> ArchiveData: ...

    def patch(self, from_commit: str, work_dir: str) -> PatchData:
        """The patch from `from_commit` to the current commit (empty when equal)."""
