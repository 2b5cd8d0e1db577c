"""The build context: what one COPY/ADD reads from it, the checksum of exactly that, and its layer entries.

Sources are context-relative (a leading `/` and `..` beyond the root stay inside the context, as in BuildKit);
globs use Go's filepath.Match per path element; `.dockerignore` hides files from globs, directory walks and explicit
paths alike. Symbolic links are copied as links; only a link named directly as a source is followed, and only to a
target inside the context. Nothing outside the context is ever read.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from werf_core.dockerfile.ignore import DockerIgnore, _element_regex

MAX_CONTEXT_FILES = 200_000


class ContextError(ValueError):
    pass


@dataclass(frozen=True)
class ContextEntry:
    source: str          # context-relative path of the file
    target: str          # path inside the image (absolute)
    kind: str            # "file" | "dir" | "symlink"
    mode: int            # permission bits (and setuid/gid/sticky)
    size: int
    link: str = ""


def glob_regex(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + "/".join(_element_regex(p) for p in pattern.split("/")) + "$")


def clean_source(source: str) -> str:
    cleaned = posixpath.normpath("/" + source).lstrip("/")
    return cleaned or "."


def git_blob_id(data: bytes) -> str:
    """Git's object ID of a blob: what `git ls-files -s` shows for a file with this content."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


class BuildContext:
    """`tracked` maps context-relative paths of files whose working-tree content equals their git index entry to
    that entry's object ID: their checksum needs no read. Other files are hashed into the same git blob ID, so the
    digest is the same whether a runner has the git repository or only the files."""

    def __init__(self, root: Path, ignore: DockerIgnore, tracked: dict[str, str] | None = None) -> None:
        self.root = root.resolve()
        self.ignore = ignore
        self.tracked = tracked or {}
        self._listing: list[str] | None = None

    @classmethod
    def open(cls, root: Path, tracked: dict[str, str] | None = None) -> BuildContext:
        ignore_file = root / ".dockerignore"
        text = ignore_file.read_text() if ignore_file.is_file() and not ignore_file.is_symlink() else ""
        return cls(root, DockerIgnore.from_text(text), tracked)

    def _host(self, relative: str) -> Path:
        path = self.root / relative if relative != "." else self.root
        return path

    def _inside(self, path: Path) -> bool:
        try:
            path.resolve().relative_to(self.root)
            return True
        except ValueError:
            return False

    def listing(self) -> list[str]:
        """Every path of the context not excluded by .dockerignore (directories too), sorted."""
        if self._listing is None:
            found: list[str] = []
            for directory, dirs, files in os.walk(self.root):
                rel_dir = os.path.relpath(directory, self.root)
                for name in sorted([*dirs, *files]):
                    rel = name if rel_dir == "." else f"{rel_dir}/{name}"
                    if not self.ignore.excluded(rel) or self.ignore.has_exceptions:
                        found.append(rel)
                    if len(found) > MAX_CONTEXT_FILES:
                        raise ContextError(f"the build context has more than {MAX_CONTEXT_FILES} files")
            self._listing = sorted(p for p in found if not self.ignore.excluded(p))
        return self._listing

    def matches(self, source: str) -> list[str]:
        cleaned = clean_source(source)
        if any(c in cleaned for c in "*?["):
            regex = glob_regex(cleaned)
            return [p for p in self.listing() if regex.match(p)]
        if cleaned == ".":
            return ["."]
        path = self._host(cleaned)
        if not os.path.lexists(path) or self.ignore.excluded(cleaned):
            return []
        return [cleaned]

    def entries(self, sources: tuple[str, ...], dest: str, dest_is_dir: bool) -> list[ContextEntry]:
        """What the COPY puts where; raises ContextError for a source that is missing or leaves the context."""
        result: list[ContextEntry] = []
        for source in sources:
            found = self.matches(source)
            if not found:
                raise ContextError(f"{source}: not found in the build context (or excluded by .dockerignore)")
            for rel in found:
                result.extend(self._entries_of(rel, dest, dest_is_dir or len(found) > 1))
        return result

    def _entries_of(self, rel: str, dest: str, dest_is_dir: bool) -> list[ContextEntry]:
        path = self._host(rel)
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            # a source named directly is followed, inside the context only
            if not self._inside(path):
                raise ContextError(f"{rel}: the symbolic link points outside the build context")
            info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            entries: list[ContextEntry] = []
            prefix = "" if rel == "." else rel + "/"
            for child in self.listing():
                if not child.startswith(prefix) or child == rel:
                    continue
                inner = child[len(prefix):]
                entries.append(self._entry(child, posixpath.join(dest, inner)))
            return entries
        target = posixpath.join(dest, posixpath.basename(rel)) if dest_is_dir else dest
        return [self._entry(rel, target, follow=True)]

    def _entry(self, rel: str, target: str, follow: bool = False) -> ContextEntry:
        path = self._host(rel)
        info = path.stat() if follow else path.lstat()
        mode = stat.S_IMODE(info.st_mode)
        if stat.S_ISLNK(info.st_mode):
            return ContextEntry(rel, target, "symlink", 0o777, 0, os.readlink(path))
        if stat.S_ISDIR(info.st_mode):
            return ContextEntry(rel, target, "dir", mode, 0)
        if stat.S_ISREG(info.st_mode):
            return ContextEntry(rel, target, "file", mode, info.st_size)
        raise ContextError(f"{rel}: only files, directories and symbolic links can be copied")

    def read(self, entry: ContextEntry) -> bytes:
        path = self._host(entry.source)
        if not self._inside(path):
            raise ContextError(f"{entry.source}: outside the build context")
        return path.read_bytes()

    def open_file(self, entry: ContextEntry) -> BinaryIO:
        path = self._host(entry.source)
        if not self._inside(path):
            raise ContextError(f"{entry.source}: outside the build context")
        return open(path, "rb")

    def checksum(self, entries: list[ContextEntry]) -> str:
        """SHA-256 over exactly the entries a COPY reads: names, types, modes, link targets and content (as git
        object IDs, from the git index for clean tracked files)."""
        digest = hashlib.sha256()
        for entry in entries:
            digest.update(f"{entry.source}\0{entry.target}\0{entry.kind}\0{entry.mode:o}\0{entry.link}\0".encode())
            if entry.kind == "file":
                blob = self.tracked.get(entry.source)
                if blob is None:
                    with self.open_file(entry) as data:
                        blob = git_blob_id(data.read())
                digest.update(blob.encode())
            digest.update(b"\n")
        return digest.hexdigest()
