"""`LayerWriter`: a reproducible OCI layer tar from entries given in any order.

Reproducible means the same entries give the same bytes on every runner, so two runners building one stage push
one blob digest:
- entries are written sorted by path components (parents before children);
- every header has the mtime the caller gives (never "now"), numeric uid/gid, no user or group names;
- POSIX pax format, where pax headers appear only when a value needs one (long or non-ASCII names) — never atime or
  ctime records;
- gzip with a fixed header: mtime 0, no file name, fixed compression level.

Deletions are OCI whiteouts: removing `a/b` is an empty entry `a/.wh.b`; an opaque directory (hide everything the
lower layers have below it) is `dir/.wh..wh..opq`. A path is never both added and whited out in one layer: a
whiteout would delete the entry the same layer adds, so adding a path drops its whiteout.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import posixpath
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
GZIP_LEVEL = 6
_COPY_CHUNK = 1 << 20

# a file's content, or a callable opening it (called once, while the layer is written)
DataSource = bytes | Callable[[], IO[bytes] | None]


class LayerError(ValueError):
    """An entry a layer cannot hold (an unsafe name, a whiteout clashing with an entry)."""


def normalize_name(name: str) -> str:
    """`/app/x`, `./app/x`, `app//x/` → `app/x`; refuses `..` and the root itself."""
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise LayerError(f"unsafe layer entry name {name!r}")
    return "/".join(parts)


def _sort_key(name: str) -> list[str]:
    return name.split("/")


@dataclass(frozen=True)
class Layer:
    """A finished layer: `path` holds the blob (gzip'ed when `compressed`)."""

    path: Path
    diff_id: str          # sha256 of the uncompressed tar (the image config's rootfs.diff_ids entry)
    digest: str           # sha256 of the blob as stored (= diff_id when not compressed)
    size: int             # bytes of the blob
    compressed: bool
    entries: int

    @property
    def media_type(self) -> str:
        from werf_core.registry.manifest import DOCKER_LAYER
        return DOCKER_LAYER if self.compressed else "application/vnd.docker.image.rootfs.diff.tar"


@dataclass
class _Entry:
    info: tarfile.TarInfo
    data: DataSource | None = None


class _HashingSink(io.RawIOBase):
    """A write-only stream that hashes and counts what passes through to `target`."""

    def __init__(self, target: IO[bytes] | io.RawIOBase | gzip.GzipFile) -> None:
        self.target = target
        self.hash = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        view = bytes(data)
        self.hash.update(view)
        self.size += len(view)
        self.target.write(view)
        return len(view)


class LayerWriter:
    """Collect entries, then `close()` writes the layer to `path` in one pass.

    Ownership is numeric: `uid`/`gid` per entry (the caller resolves names). `mtime` is the default for every entry.
    """

    def __init__(self, path: str | Path, *, mtime: int = 0, compress: bool = True) -> None:
        self.path = Path(path)
        self.mtime = int(mtime)
        self.compress = compress
        self._entries: dict[str, _Entry] = {}
        self._whiteouts: set[str] = set()
        self._closed = False

    # ------------------------------------------------------------------ entries
    def _info(self, name: str, kind: bytes, mode: int, uid: int, gid: int, mtime: float | None) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.mode = mode & 0o7777
        info.uid, info.gid = uid, gid
        info.uname = info.gname = ""
        info.mtime = self.mtime if mtime is None else int(mtime)
        return info

    def _put(self, name: str, entry: _Entry) -> None:
        if self._closed:
            raise LayerError("the layer is already written")
        self._whiteouts.discard(name)
        self._entries[name] = entry

    def add_directory(self, name: str, *, mode: int = 0o755, uid: int = 0, gid: int = 0,
                      mtime: float | None = None) -> None:
        name = normalize_name(name)
        self._put(name, _Entry(self._info(name, tarfile.DIRTYPE, mode, uid, gid, mtime)))

    def has(self, name: str) -> bool:
        return normalize_name(name) in self._entries

    def add_file(self, name: str, data: DataSource, *, size: int | None = None, mode: int = 0o644, uid: int = 0,
                 gid: int = 0, mtime: float | None = None) -> None:
        """A regular file; `data` is the content, or a callable opening it (then `size` is required)."""
        name = normalize_name(name)
        info = self._info(name, tarfile.REGTYPE, mode, uid, gid, mtime)
        if isinstance(data, bytes):
            info.size = len(data)
        elif size is None:
            raise LayerError(f"{name}: a streamed file needs its size")
        else:
            info.size = size
        self._put(name, _Entry(info, data))

    def add_symlink(self, name: str, target: str, *, uid: int = 0, gid: int = 0, mtime: float | None = None) -> None:
        name = normalize_name(name)
        info = self._info(name, tarfile.SYMTYPE, 0o777, uid, gid, mtime)
        info.linkname = target
        self._put(name, _Entry(info))

    def add_hardlink(self, name: str, target: str, *, mode: int = 0o644, uid: int = 0, gid: int = 0,
                     mtime: float | None = None) -> None:
        """A hard link to `target`, another entry of this layer (a path from the image root)."""
        name = normalize_name(name)
        info = self._info(name, tarfile.LNKTYPE, mode, uid, gid, mtime)
        info.linkname = normalize_name(target)
        self._put(name, _Entry(info))

    def add_special(self, name: str, info: tarfile.TarInfo, *, uid: int = 0, gid: int = 0,
                    mtime: float | None = None) -> None:
        """A device node or FIFO copied from another tar (its type, mode and device numbers)."""
        name = normalize_name(name)
        if info.type not in (tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE):
            raise LayerError(f"{name}: not a device or FIFO")
        copy = self._info(name, info.type, info.mode, uid, gid, info.mtime if mtime is None else mtime)
        copy.devmajor, copy.devminor = info.devmajor, info.devminor
        self._put(name, _Entry(copy))

    def add_whiteout(self, name: str) -> None:
        """Delete `name` (file, link or directory) of the lower layers; ignored when this layer adds `name`."""
        name = normalize_name(name)
        if name not in self._entries:
            self._whiteouts.add(name)

    def add_opaque(self, directory: str) -> None:
        """Hide everything the lower layers hold below `directory` (the directory entry itself stays)."""
        directory = normalize_name(directory)
        marker = f"{directory}/{OPAQUE_MARKER}"
        self._put(marker, _Entry(self._info(marker, tarfile.REGTYPE, 0o600, 0, 0, None)))

    def ensure_directories(self, name: str, *, mode: int = 0o755, uid: int = 0, gid: int = 0) -> None:
        """Directory entries for every missing ancestor of `name` (those given before keep their attributes)."""
        parent = posixpath.dirname(normalize_name(name))
        while parent:
            if parent not in self._entries:
                self.add_directory(parent, mode=mode, uid=uid, gid=gid)
            parent = posixpath.dirname(parent)

    def entry_names(self) -> list[str]:
        """The names of the entries added so far (whiteouts excluded)."""
        return list(self._entries)

    @property
    def is_empty(self) -> bool:
        return not self._entries and not self._whiteouts

    # ------------------------------------------------------------------ writing
    def _ordered(self) -> list[_Entry]:
        entries = dict(self._entries)
        for name in self._whiteouts:
            parent, base = posixpath.split(name)
            marker = posixpath.join(parent, WHITEOUT_PREFIX + base)
            entries[marker] = _Entry(self._info(marker, tarfile.REGTYPE, 0o600, 0, 0, None))
        return [entries[name] for name in sorted(entries, key=_sort_key)]

    def close(self) -> Layer:
        """Write the layer (parents before children, ancestors of whiteouts need not be entries)."""
        if self._closed:
            raise LayerError("the layer is already written")
        self._closed = True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        ordered = self._ordered()
        with open(self.path, "wb") as raw:
            blob = _HashingSink(raw)
            zipped = gzip.GzipFile(filename="", mode="wb", fileobj=blob, mtime=0,
                                   compresslevel=GZIP_LEVEL) if self.compress else None
            tar_sink = _HashingSink(zipped if zipped is not None else blob)
            with tarfile.open(fileobj=tar_sink, mode="w|", format=tarfile.PAX_FORMAT,
                              encoding="utf-8", errors="surrogateescape") as tar:
                for entry in ordered:
                    self._write_entry(tar, entry)
            if zipped is not None:
                zipped.close()
        diff_id = "sha256:" + tar_sink.hash.hexdigest()
        digest = "sha256:" + blob.hash.hexdigest() if self.compress else diff_id
        return Layer(path=self.path, diff_id=diff_id, digest=digest, size=blob.size, compressed=self.compress,
                     entries=len(ordered))

    @staticmethod
    def _write_entry(tar: tarfile.TarFile, entry: _Entry) -> None:
        if entry.data is None:
            tar.addfile(entry.info)
        elif isinstance(entry.data, bytes):
            tar.addfile(entry.info, io.BytesIO(entry.data))
        else:
            stream = entry.data()
            if stream is None:
                raise LayerError(f"{entry.info.name}: its source is not a regular file")
            with stream:
                tar.addfile(entry.info, _exactly(stream, entry.info.size, entry.info.name))


class _exactly(io.RawIOBase):
    """Reads `size` bytes of `stream`, failing loudly when the source is shorter (a changed file)."""

    def __init__(self, stream: IO[bytes], size: int, name: str) -> None:
        self.stream, self.left, self.name = stream, size, name

    def readable(self) -> bool:
        return True

    def read(self, n: int | None = -1) -> bytes:
        if self.left <= 0:
            return b""
        want = self.left if n is None or n < 0 else min(n, self.left)
        parts: list[bytes] = []
        while want > 0:
            data = self.stream.read(min(want, _COPY_CHUNK))
            if not data:
                raise LayerError(f"{self.name}: the source ended {self.left} bytes early")
            parts.append(data)
            want -= len(data)
            self.left -= len(data)
        return b"".join(parts)
