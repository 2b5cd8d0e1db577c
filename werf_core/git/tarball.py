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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

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


BLOCK = 512
RECORD = 20 * BLOCK
_OCTAL_LIMITS = {8: 8 ** 7, 12: 8 ** 11}  # field width → first value that no longer fits in octal digits
_TYPE_FLAGS = {KIND_DIRECTORY: b"5", KIND_SYMLINK: b"2", KIND_FILE: b"0"}


def _octal(value: int, width: int) -> bytes:
    return b"%0*o\0" % (width - 1, value)


def _header(name: bytes, mode: int, uid: int, gid: int, size: int, mtime: int, type_flag: bytes,
            linkname: bytes) -> bytes:
    """One GNU tar header block (names already at most 100 bytes, numbers already known to fit)."""
    header = b"".join([
        name.ljust(100, b"\0"), _octal(mode, 8), _octal(uid, 8), _octal(gid, 8), _octal(size, 12),
        _octal(mtime, 12), b" " * 8, type_flag, linkname.ljust(100, b"\0"), b"ustar  \0",
        b"\0" * 32, b"\0" * 32, _octal(0, 8), _octal(0, 8),
    ]).ljust(BLOCK, b"\0")
    checksum = b"%06o\0 " % sum(header)
    return header[:148] + checksum + header[156:]


class TarStreamWriter:
    """Writes GNU tar members straight to a stream — several times faster than `tarfile.addfile` for many small
    files, which matters for archives of big repositories. Long names use GNU `././@LongLink` members; numbers too big
    for octal fields (huge uids, files over 8 GiB) fall back to `tarfile`'s own header encoding."""

    def __init__(self, fileobj: BinaryIO, *, uid: int, gid: int, mtime: int) -> None:
        self._out = fileobj
        self._uid, self._gid, self._mtime = uid, gid, mtime
        self._written = 0

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._written += len(data)

    def _pad(self, size: int) -> None:
        if size % BLOCK:
            self._write(b"\0" * (BLOCK - size % BLOCK))

    def _long_name(self, type_flag: bytes, value: bytes) -> None:
        data = value + b"\0"
        self._write(_header(b"././@LongLink", 0o644, 0, 0, len(data), 0, type_flag, b""))
        self._write(data)
        self._pad(len(data))

    def add(self, name: str, kind: str, mode: int, data: bytes = b"", linkname: str = "") -> None:
        if kind == KIND_DIRECTORY and not name.endswith("/"):
            name += "/"
        size = len(data) if kind == KIND_FILE else 0
        if any(v >= _OCTAL_LIMITS[8] for v in (self._uid, self._gid)) or size >= _OCTAL_LIMITS[12]:
            self._write(self._tarfile_header(name, kind, mode, size, linkname))
        else:
            name_bytes = name.encode("utf-8", "surrogateescape")
            link_bytes = linkname.encode("utf-8", "surrogateescape")
            if len(link_bytes) > 100:
                self._long_name(b"K", link_bytes)
            if len(name_bytes) > 100:
                self._long_name(b"L", name_bytes)
            self._write(_header(name_bytes[:100], mode, self._uid, self._gid, size, self._mtime,
                                _TYPE_FLAGS[kind], link_bytes[:100]))
        if size:
            self._write(data)
            self._pad(size)

    def _tarfile_header(self, name: str, kind: str, mode: int, size: int, linkname: str) -> bytes:
        info = tarfile.TarInfo(name)
        info.uid, info.gid, info.uname, info.gname, info.mtime = self._uid, self._gid, "", "", self._mtime
        info.mode, info.size, info.linkname = mode, size, linkname
        info.type = {KIND_DIRECTORY: tarfile.DIRTYPE, KIND_SYMLINK: tarfile.SYMTYPE}.get(kind, tarfile.REGTYPE)
        return info.tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape")

    def close(self) -> None:
        """End-of-archive marker (two zero blocks), padded to a whole 10 KiB record as tar tools expect."""
        self._write(b"\0" * (2 * BLOCK))
        if self._written % RECORD:
            self._write(b"\0" * (RECORD - self._written % RECORD))


def write_tar(repository: GitRepository, members: Iterable[TarMember], fileobj: BinaryIO, *,
              uid: int, gid: int, mtime: int) -> None:
    """Write the members as a tar stream to `fileobj` (which may be a pipe: nothing is seeked)."""
    members = list(members)
    contents = repository.read_blobs(m.sha for m in members if m.kind in (KIND_FILE, KIND_SYMLINK) and m.sha)
    writer = TarStreamWriter(fileobj, uid=uid, gid=gid, mtime=mtime)
    for member in members:
        if member.kind == KIND_DIRECTORY:
            writer.add(member.name, KIND_DIRECTORY, member.mode)
        elif member.kind == KIND_SYMLINK:
            writer.add(member.name, KIND_SYMLINK, 0o777, linkname=next(contents).decode("utf-8", "surrogateescape"))
        else:
            writer.add(member.name, KIND_FILE, member.mode, next(contents))
    writer.close()
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


def extract_tar(source: bytes | BinaryIO, directory: str | os.PathLike[str]) -> None:
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
                assert extracted is not None, "a regular file member has content"
                with open(target, "wb") as out:
                    while chunk := extracted.read(1 << 20):
                        out.write(chunk)
                os.chmod(target, stat.S_IMODE(info.mode))
            else:
                raise ValueError(f"unexpected tar member type for {info.name!r}")
            if as_root:
                os.lchown(target, info.uid, info.gid)
