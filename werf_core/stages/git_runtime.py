"""A git mapping bound to its repository and the commit being built — what git stages work with.

`bind_git_mappings` opens the repositories (the project's own, or cached clones of remote ones) once per build and
binds every mapping of an image to its current commit. Archives and patches are written to files on demand and
memoised, because emptiness, digest and build of gitCache/gitLatestPatch all look at the same patch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werf_core.git import GitMapping, GitRepository


@dataclass(frozen=True)
class ArchiveData:
    tar_path: str             # host path of the tar (names relative to extract_dir)
    names_path: str           # NUL-separated member names (for chown by name inside the container)
    type: str                 # "directory" | "file"
    extract_dir: str          # `to` for directories, dirname(to) for a single file
    empty: bool


@dataclass(frozen=True)
class PatchData:
    tar_path: str             # added and changed files
    names_path: str           # NUL-separated member names of the tar
    removals_path: str        # NUL-separated files/symlinks to remove before extraction
    emptied_dirs_path: str    # NUL-separated directories to remove if empty, deepest first
    extract_dir: str
    size: int                 # bytes of the full-context binary diff, for the gitCache threshold
    text_digest: str          # digest of the normal patch text, for the gitLatestPatch digest
    empty: bool


# stageDependencies checksums per (repository, mapping, stage, commit): images of one build often share a mapping,
# and on a big repository each checksum walks the whole tree listing. A commit SHA names its content, so an entry
# can never be wrong, only unused.
_CHECKSUMS: dict[tuple[int, GitMapping, str, str], tuple[str, tuple[str, ...]]] = {}
_CHECKSUMS_LOCK = threading.Lock()


def _nul_list(names: Iterable[str], path: Path) -> str:
    path.write_bytes(b"".join(n.encode("utf-8", "surrogateescape") + b"\0" for n in names))
    return str(path)


class GitMappingRuntime:
    def __init__(self, repository: GitRepository, mapping: GitMapping, current_commit: str,
                 warn: Callable[[str], None] | None = None) -> None:
        self.repository = repository
        self.mapping = mapping
        self.current_commit = current_commit
        self.paramshash = mapping.paramshash()
        self.to = mapping.to
        self.owner = mapping.owner
        self.group = mapping.group
        self._warn = warn or (lambda message: None)
        self._lock = threading.Lock()
        self._patches: dict[tuple[str, str], PatchData] = {}
        self._archives: dict[str, ArchiveData] = {}
        self._checksums: dict[str, str] = {}

    def is_ancestor_of_current(self, commit: str) -> bool:
        return self.repository.commit_exists(commit) and self.repository.is_ancestor(commit, self.current_commit)

    def commit_exists(self, commit: str) -> bool:
        return self.repository.commit_exists(commit)

    def stage_dependencies_checksum(self, stage: str) -> str:
        with self._lock:
            if stage not in self._checksums:
                key = (id(self.repository), self.mapping, stage, self.current_commit)
                with _CHECKSUMS_LOCK:
                    known = _CHECKSUMS.get(key)
                if known is None:
                    result = self.repository.stage_dependencies_checksum(self.mapping, stage, self.current_commit)
                    known = (result.checksum, tuple(result.warnings))
                    with _CHECKSUMS_LOCK:
                        if len(_CHECKSUMS) > 4096:  # a long-lived worker: keep the memo bounded
                            _CHECKSUMS.clear()
                        _CHECKSUMS[key] = known
                for warning in known[1]:
                    self._warn(warning)
                self._checksums[stage] = known[0]
            return self._checksums[stage]

    def archive(self, work_dir: str) -> ArchiveData:
        with self._lock:
            if work_dir not in self._archives:
                directory = Path(work_dir)
                directory.mkdir(parents=True, exist_ok=True)
                archive = self.repository.archive(self.mapping, self.current_commit)
                for warning in archive.warnings:
                    self._warn(warning)
                tar = archive.write_file(directory / f"{self.paramshash}.archive.tar")
                names = _nul_list([m.name for m in archive.members], directory / f"{self.paramshash}.archive.names")
                self._archives[work_dir] = ArchiveData(str(tar), names, archive.type, archive.extraction_directory,
                                                       archive.is_empty)
            return self._archives[work_dir]

    def patch(self, from_commit: str, work_dir: str) -> PatchData:
        key = (from_commit, work_dir)
        with self._lock:
            if key not in self._patches:
                directory = Path(work_dir)
                directory.mkdir(parents=True, exist_ok=True)
                patch = self.repository.patch(self.mapping, from_commit, self.current_commit)
                for warning in patch.warnings:
                    self._warn(warning)
                base = directory / f"{self.paramshash}.patch"
                tar = patch.write_file(f"{base}.tar")
                self._patches[key] = PatchData(
                    tar_path=str(tar),
                    names_path=_nul_list([m.name for m in patch.tar_members()], Path(f"{base}.names")),
                    removals_path=_nul_list(patch.removal_paths, Path(f"{base}.removals")),
                    emptied_dirs_path=_nul_list(patch.emptied_directories, Path(f"{base}.emptied")),
                    extract_dir=patch.extraction_directory, size=patch.size(), text_digest=patch.text_digest(),
                    empty=patch.is_empty)
            return self._patches[key]


def bind_git_mappings(git_values: Iterable[Any], project_repository: GitRepository | None,
                      warn: Callable[[str], None] | None = None) -> list[GitMappingRuntime]:
    """Bind the `git:` entries of one image to their repositories and current commits."""
    from werf_core.git import open_mapping_repository
    bound: list[GitMappingRuntime] = []
    for value in git_values:
        mapping = value if isinstance(value, GitMapping) else GitMapping.from_config(value)
        repository = open_mapping_repository(mapping, project_repository)
        bound.append(GitMappingRuntime(repository, mapping, repository.mapping_commit(mapping), warn))
    return bound
