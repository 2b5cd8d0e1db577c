"""Compare directory trees the way a user of the built image would see them."""

from __future__ import annotations

import os
import stat
import tarfile
from pathlib import Path


def snapshot(root: str | Path, *, owners: bool = True) -> dict[str, tuple]:
    """path → ("dir", mode[, uid, gid]) | ("file", mode, content[, uid, gid]) | ("symlink", target).

    Symlink ownership is left out: it has no effect, and busybox tar does not set it.
    """
    root = Path(root)
    result: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            st = full.lstat()
            owner = (st.st_uid, st.st_gid) if owners else ()
            if stat.S_ISLNK(st.st_mode):
                result[rel] = ("symlink", os.readlink(full))
            elif stat.S_ISDIR(st.st_mode):
                result[rel] = ("dir", stat.S_IMODE(st.st_mode), *owner)
            else:
                result[rel] = ("file", stat.S_IMODE(st.st_mode), full.read_bytes(), *owner)
    return result


def tar_snapshot(data, strip: str = "") -> dict[str, tuple]:
    """The same shape, read from a tar stream (e.g. Docker's get_archive), without the leading `strip` directory."""
    result: dict[str, tuple] = {}
    with tarfile.open(fileobj=data, mode="r|") as tar:
        for info in tar:
            name = info.name
            if strip:
                if name == strip:
                    continue
                name = name[len(strip) + 1:]
            owner = (info.uid, info.gid)
            if info.issym():
                result[name] = ("symlink", info.linkname)
            elif info.isdir():
                result[name] = ("dir", info.mode & 0o7777, *owner)
            else:
                result[name] = ("file", info.mode & 0o7777, tar.extractfile(info).read(), *owner)
    return result
