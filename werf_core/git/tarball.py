"""Tar streams of git content, and the reference extraction the build containers mirror.

Archives and patches are plain tar streams (GNU format: long names, numeric uid/gid, no user names) with
- regular files as 0644, or 0755 when git records them executable;
- symlinks with the target git stores (mode 0777);
- directory entries (0755) for every directory the stream creates, before their contents, so a root-run `tar -x`
  gives them the requested owner too;
- every member owned by the numeric uid/gid the caller gives, and dated with the commit time (reproducible bytes).

`extract_tar` is the reference extraction: what `tar -xf <stream> -C <dir>` does when run as root (GNU tar or
busybox tar): an existing non-directory at a member's path is replaced (never written through, even when it is a
symlink), directories are created or re-used, modes are applied exactly, and ownership is applied when running as root
(symlink ownership is not part of the contract: it has no effect, and busybox tar leaves links owned by root).
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Iterable

if TYPE_CHECKING:  # pragma: no cover
    from werf_core.git.repository import GitRepository

KIND_DIRECTORY = "directory"
KIND_FILE = "file"
KIND_SYMLINK = "symlink"

DIRECTORY_MODE = 0o755


@dataclass(frozen=True)
class TarMember:
    """One member to write: `name` relative to the extraction directory; `sha` is the blob for files and symlinks."""

    name: str
    kind: str
    mode: int
    sha: str | None = None


def git_mode_to_file_mode(git_mode: str) -> int:
    return 0o755 if git_mode == "100755" else 0o644


def write_tar(repository: "GitRepository", members: Iterable[TarMember], fileobj: BinaryIO, *,
              uid: int, gid: int, mtime: int) -> None:
    """Write the members as a tar stream to `fileobj` (which may be a pipe: nothing is seeked)."""
    members = list(members)
    blob_shas = [m.sha for m in members if m.kind in (KIND_FILE, KIND_SYMLINK)]
    contents = repository.read_blobs(blob_shas)
    with tarfile.open(fileobj=fileobj, mode="w|", format=tarfile.GNU_FORMAT, encoding="utf-8",
                      errors="surrogateescape") as tar:
        for member in members:
            info = tarfile.TarInfo(member.name)
            info.uid, info.gid, info.uname, info.gname = uid, gid, "", ""
            info.mtime = mtime
            if member.kind == KIND_DIRECTORY:
                info.type = tarfile.DIRTYPE
                info.mode = member.mode
                tar.addfile(info)
            elif member.kind == KIND_SYMLINK:
                info.type = tarfile.SYMTYPE
                info.mode = 0o777
                info.linkname = os.fsdecode(next(contents))
                tar.addfile(info)
            else:
                data = next(contents)
                info.type = tarfile.REGTYPE
                info.mode = member.mode
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    for _ in contents:  # let the reader finish and reap its git process
        pass


def _safe_target(directory: Path, name: str) -> Path:
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts or name.startswith("/"):
        raise ValueError(f"refusing to extract unsafe tar member name {name!r}")
    return directory.joinpath(*parts)


def _remove_non_directory(path: Path) -> None:
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        path.unlink()


def extract_tar(source: bytes | BinaryIO, directory: str | os.PathLike) -> None:
    """Reference extraction of an archive or patch stream into `directory` (created if missing)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    fileobj = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    with tarfile.open(fileobj=fileobj, mode="r|", encoding="utf-8", errors="surrogateescape") as tar:
        for info in tar:
            target = _safe_target(directory, info.name)
            if info.isdir():
                if target.is_symlink() or (target.exists() and not target.is_dir()):
                    target.unlink()
                target.mkdir(parents=True, exist_ok=True)
                os.chmod(target, stat.S_IMODE(info.mode))
            elif info.issym():
                target.parent.mkdir(parents=True, exist_ok=True)
                _remove_non_directory(target)
                os.symlink(info.linkname, target)
            elif info.isfile():
                target.parent.mkdir(parents=True, exist_ok=True)
                _remove_non_directory(target)
                extracted = tar.extractfile(info)
                with open(target, "wb") as out:
                    while chunk := extracted.read(1 << 20):
                        out.write(chunk)
                os.chmod(target, stat.S_IMODE(info.mode))
            else:
                raise ValueError(f"unexpected tar member type for {info.name!r}")
            if as_root:
                os.lchown(target, info.uid, info.gid)
