"""The gitArchive content of one mapping at one commit: a tar stream of the files the mapping takes.

Member names are relative to the extraction directory:
- `add` naming a directory (or the repository root): names are relative to `add`; extract into `to`.
  Type `directory`.
- `add` naming a single file or symlink: one member named `basename(to)`; extract into `dirname(to)`. Type `file`.
Files are 0644/0755 as git records them, symlinks keep their target, directories are 0755; everything is owned by
the numeric uid/gid the caller gives (the builder resolves `owner`/`group` names). Submodules are skipped with a
warning. Nothing matched → an empty archive (`is_empty`), which the builder need not apply.
"""

from __future__ import annotations

import io
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from werf_core.git.tarball import (
    DIRECTORY_MODE,
    KIND_DIRECTORY,
    KIND_FILE,
    KIND_SYMLINK,
    TarMember,
    extract_tar,
    git_mode_to_file_mode,
    write_tar,
)
from werf_core.git.tree import TreeEntry

if TYPE_CHECKING:  # pragma: no cover
    from werf_core.git.mapping import GitMapping
    from werf_core.git.repository import GitRepository

ARCHIVE_TYPE_FILE = "file"
ARCHIVE_TYPE_DIRECTORY = "directory"


def member_for_entry(name: str, entry: TreeEntry) -> TarMember:
    if entry.is_symlink:
        return TarMember(name, KIND_SYMLINK, 0o777, entry.sha)
    return TarMember(name, KIND_FILE, git_mode_to_file_mode(entry.mode), entry.sha)


def directory_members_for(names: list[str]) -> list[TarMember]:
    """Directory entries for every parent directory of the given member names."""
    directories = set()
    for name in names:
        parent = posixpath.dirname(name)
        while parent and parent not in directories:
            directories.add(parent)
            parent = posixpath.dirname(parent)
    return [TarMember(d, KIND_DIRECTORY, DIRECTORY_MODE) for d in directories]


def tar_order(members: list[TarMember]) -> list[TarMember]:
    """Parents before children, siblings by name: deterministic and extractable in one pass."""
    return sorted(members, key=lambda m: m.name.split("/"))


def archive_type_at(repository: GitRepository, mapping: GitMapping, commit: str) -> str:
    """`file` when the mapping's `add` is a file or symlink in that commit, else `directory`."""
    add = mapping.matcher().add
    if not add:
        return ARCHIVE_TYPE_DIRECTORY
    entry = repository.tree_listing(commit).get(add)
    if entry is not None and not entry.is_tree and not entry.is_submodule:
        return ARCHIVE_TYPE_FILE
    return ARCHIVE_TYPE_DIRECTORY


def member_name(mapping: GitMapping, archive_type: str, path: str) -> str:
    """Name inside the tar for repository path `path` of this mapping."""
    if archive_type == ARCHIVE_TYPE_FILE:
        return posixpath.basename(mapping.to)
    relative = mapping.matcher().relative(path)
    if relative is None or relative == ".":
        raise ValueError(f"{path!r} is not below the mapping's add {mapping.add!r}")
    return relative


def extraction_directory(mapping: GitMapping, archive_type: str) -> str:
    """Where the builder extracts the stream in the image: `to`, or `dirname(to)` for a single file."""
    return posixpath.dirname(mapping.to) if archive_type == ARCHIVE_TYPE_FILE else mapping.to


@dataclass
class GitArchive:
    repository: GitRepository
    mapping: GitMapping
    commit: str
    type: str
    members: list[TarMember]
    uid: int = 0
    gid: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not any(m.kind != KIND_DIRECTORY for m in self.members)

    @property
    def extraction_directory(self) -> str:
        return extraction_directory(self.mapping, self.type)

    @property
    def file_count(self) -> int:
        return sum(1 for m in self.members if m.kind != KIND_DIRECTORY)

    def write(self, fileobj: BinaryIO) -> None:
        """Stream the tar to `fileobj` (a file, a pipe, a socket...)."""
        write_tar(self.repository, self.members, fileobj, uid=self.uid, gid=self.gid,
                  mtime=self.repository.commit_timestamp(self.commit))

    def write_file(self, path: str | Path) -> Path:
        path = Path(path)
        with open(path, "wb") as out:
            self.write(out)
        return path

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.write(buffer)
        return buffer.getvalue()

    def extract_to(self, directory: str | Path) -> None:
        """Reference extraction (what the builder does in the image at `extraction_directory`)."""
        extract_tar(self.to_bytes(), directory)


def create_archive(repository: GitRepository, mapping: GitMapping, commit: str, *,
                   uid: int = 0, gid: int = 0) -> GitArchive:
    commit = repository.require_commit(commit)
    listing = repository.tree_listing(commit)
    matcher = mapping.matcher()
    archive_type = archive_type_at(repository, mapping, commit)
    warnings: list[str] = []
    members: list[TarMember] = []
    for entry in listing.walk([matcher], start=matcher.add):
        if entry.is_submodule:
            warnings.append(f"git mapping {mapping.describe()}: submodule {entry.path} is skipped "
                            f"(submodules are not supported in archives)")
            continue
        members.append(member_for_entry(member_name(mapping, archive_type, entry.path), entry))
    if archive_type == ARCHIVE_TYPE_DIRECTORY:
        members += directory_members_for([m.name for m in members])
    return GitArchive(repository, mapping, commit, archive_type, tar_order(members), uid, gid, warnings)
