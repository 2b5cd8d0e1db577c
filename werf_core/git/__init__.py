"""Git: repositories (local and remote), mappings, path matching, archives, patches, dependency checksums.

Importing this package is cheap: repositories are read through the `git` CLI, only when opened.

    repo = open_local_repository(project_dir)                 # or open_remote_repository(url)
    mapping = GitMapping.from_config(git_entry_of_werf_yaml)
    commit = repo.mapping_commit(mapping)
    mapping.paramshash()                                      # label key / gitArchive digest input
    repo.stage_dependencies_checksum(mapping, "install", commit)   # DependenciesChecksum(checksum, warnings)
    archive = repo.archive(mapping, commit, uid=0, gid=0)     # GitArchive: type, is_empty, write(fileobj)
    patch = repo.patch(mapping, old_commit, commit)           # GitPatch: is_empty, size(), text_digest(), write()
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - what the names below resolve to, for type checkers
    from werf_core.git.archive import ARCHIVE_TYPE_DIRECTORY, ARCHIVE_TYPE_FILE, GitArchive, create_archive
    from werf_core.git.checksum import (
        DependenciesChecksum,
        stage_dependencies_checksum,
        stage_dependencies_digest_input,
    )
    from werf_core.git.doublestar import DirState, GlobSyntaxError, compile_glob
    from werf_core.git.mapping import (
        LOCAL_MAPPING_NAME,
        STAGE_DEPENDENCY_STAGES,
        GitMapping,
        mappings_from_config,
        repository_id_from_url,
    )
    from werf_core.git.matcher import PathMatcher
    from werf_core.git.patch import GitPatch, create_patch
    from werf_core.git.remote import (
        RemoteGitRepository,
        open_mapping_repository,
        open_remote_repository,
        remote_cache_directory,
    )
    from werf_core.git.repository import GitRepository, open_local_repository
    from werf_core.git.tarball import extract_tar

# name -> submodule: importing the package loads none of them; a name loads its submodule on first use (PEP 562), so
# `werf_core.git.credentials` or `open_local_repository` do not pay for archives, patches and tarballs
_LAZY = {
    "ARCHIVE_TYPE_DIRECTORY": "werf_core.git.archive",
    "ARCHIVE_TYPE_FILE": "werf_core.git.archive",
    "DependenciesChecksum": "werf_core.git.checksum",
    "DirState": "werf_core.git.doublestar",
    "GitArchive": "werf_core.git.archive",
    "GitMapping": "werf_core.git.mapping",
    "GitPatch": "werf_core.git.patch",
    "GitRepository": "werf_core.git.repository",
    "GlobSyntaxError": "werf_core.git.doublestar",
    "LOCAL_MAPPING_NAME": "werf_core.git.mapping",
    "PathMatcher": "werf_core.git.matcher",
    "RemoteGitRepository": "werf_core.git.remote",
    "STAGE_DEPENDENCY_STAGES": "werf_core.git.mapping",
    "compile_glob": "werf_core.git.doublestar",
    "create_archive": "werf_core.git.archive",
    "create_patch": "werf_core.git.patch",
    "extract_tar": "werf_core.git.tarball",
    "mappings_from_config": "werf_core.git.mapping",
    "open_local_repository": "werf_core.git.repository",
    "open_mapping_repository": "werf_core.git.remote",
    "open_remote_repository": "werf_core.git.remote",
    "remote_cache_directory": "werf_core.git.remote",
    "repository_id_from_url": "werf_core.git.mapping",
    "stage_dependencies_checksum": "werf_core.git.checksum",
    "stage_dependencies_digest_input": "werf_core.git.checksum",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value

__all__ = [
    "ARCHIVE_TYPE_DIRECTORY", "ARCHIVE_TYPE_FILE", "DependenciesChecksum", "DirState", "GitArchive", "GitMapping",
    "GitPatch", "GitRepository", "GlobSyntaxError", "LOCAL_MAPPING_NAME", "PathMatcher", "RemoteGitRepository",
    "STAGE_DEPENDENCY_STAGES", "compile_glob", "create_archive", "create_patch", "extract_tar", "mappings_from_config",
    "open_local_repository", "open_mapping_repository", "open_remote_repository", "remote_cache_directory",
    "repository_id_from_url", "stage_dependencies_checksum", "stage_dependencies_digest_input",
]
