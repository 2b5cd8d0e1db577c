"""Mode, owner and group of paths in an image, read from its layer tars top layer first — no engine, no unpacking.

A path's attributes are those of its entry in the highest layer that has one. A layer hides what lower layers have
at a path when it whites the path (or an ancestor) out (`dir/.wh.name`), marks an ancestor opaque
(`dir/.wh..wh..opq`), or puts a non-directory at an ancestor. Scanning stops as soon as every path is decided, so
the usual question — "the directory an instruction writes into, which the instruction before created" — is
answered by the top layer or two, however big the layers below are.

A byte budget bounds the scan: when deciding would read more compressed layer bytes than that, the answer is
"unknown" (None) and the caller asks somebody else (e.g. the engine, on a pulled image).
"""

from __future__ import annotations

import posixpath
import stat
import tarfile
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import IO

from werf_core.layers.writer import OPAQUE_MARKER, WHITEOUT_PREFIX

# mode (file type bits | permission bits with setuid/setgid/sticky), uid, gid
PathStat = tuple[int, int, int]


class LayerScanError(ValueError):
    """A layer that cannot be read as a tar (an unknown compression, a truncated blob)."""


@dataclass(frozen=True)
class LayerSource:
    """One layer of an image: its blob size and how to open its (possibly gzip'ed) tar stream; `key` (the blob
    digest) names it in a memo shared between questions."""

    size: int
    open: Callable[[], AbstractContextManager[IO[bytes]]]
    key: str = ""


# what one layer says about one path: its entry's attributes, that it hides the path, or nothing (look lower)
_HIDDEN = "hidden"
_SILENT = "silent"
Verdict = PathStat | str
LayerMemo = dict[tuple[str, str], Verdict]


def _clean(name: str) -> str:
    """`/app/x`, `./app/x/`, `app//x` → `app/x`; the root is `""`."""
    return "/".join(p for p in name.split("/") if p not in ("", "."))


def _ancestors(name: str) -> list[str]:
    parts = name.split("/")
    return ["/".join(parts[:n]) for n in range(1, len(parts))]


@dataclass
class _LayerFacts:
    found: dict[str, PathStat]
    whiteouts: set[str]
    opaque: set[str]
    non_dirs: set[str]

    def hides(self, name: str) -> bool:
        """Whether this layer hides `name` of the layers below (it does not have `name` itself)."""
        ancestors = _ancestors(name)
        return (name in self.whiteouts or any(a in self.whiteouts or a in self.opaque or a in self.non_dirs
                                              for a in ancestors))


def _scan(stream: IO[bytes], wanted: set[str]) -> _LayerFacts:
    facts = _LayerFacts(found={}, whiteouts=set(), opaque=set(), non_dirs=set())
    try:
        with tarfile.open(fileobj=stream, mode="r|*") as tar:
            for member in tar:
                name = _clean(member.name)
                if not name:
                    continue
                directory, base = posixpath.split(name)
                if base == OPAQUE_MARKER:
                    facts.opaque.add(directory)
                    continue
                if base.startswith(WHITEOUT_PREFIX):
                    facts.whiteouts.add(posixpath.join(directory, base[len(WHITEOUT_PREFIX):]))
                    continue
                if not member.isdir():
                    facts.non_dirs.add(name)
                if name in wanted:
                    # the type bits too, as the engine's answer has them: a directory is told apart from a file
                    kind = stat.S_IFDIR if member.isdir() else stat.S_IFLNK if member.issym() else stat.S_IFREG
                    facts.found[name] = (kind | member.mode, member.uid, member.gid)
                    if len(facts.found) == len(wanted):
                        break   # every path is decided by this layer: the rest of it cannot change that
    except (tarfile.TarError, EOFError, OSError) as err:
        raise LayerScanError(f"cannot read the layer as a tar: {err}") from None
    return facts


def stat_paths_in_layers(layers: Iterable[LayerSource], paths: Iterable[str], *, budget: int,
                         memo: LayerMemo | None = None) -> dict[str, PathStat | None] | None:
    """`path` → (mode, uid, gid), or None where the image has no such path; `layers` top layer first.

    Returns None (undecided) when deciding would read more than `budget` bytes of layer blobs. `memo` keeps what
    each keyed layer said about each path, so a later question about the same layers reads none of them again.
    Raises LayerScanError for a layer that is not a readable tar.
    """
    memo = {} if memo is None else memo
    pending: dict[str, list[str]] = {}
    for path in paths:
        pending.setdefault(_clean(path), []).append(path)
    result: dict[str, PathStat | None] = {}

    def decide(name: str, answer: PathStat | None) -> None:
        for original in pending.pop(name):
            result[original] = answer

    if "" in pending:   # the root always exists; its attributes are the engine's (0755 root:root)
        decide("", (stat.S_IFDIR | 0o755, 0, 0))
    spent = 0
    for layer in layers:
        if not pending:
            break
        unknown = {n for n in pending if not layer.key or (layer.key, n) not in memo}
        if unknown:
            spent += layer.size
            if spent > budget:
                return None
            with layer.open() as stream:
                facts = _scan(stream, unknown)
            for name in unknown:
                verdict: Verdict = facts.found[name] if name in facts.found else (
                    _HIDDEN if facts.hides(name) else _SILENT)
                if layer.key:
                    memo[(layer.key, name)] = verdict
                else:
                    _apply(name, verdict, decide)
        if layer.key:
            for name in list(pending):
                _apply(name, memo[(layer.key, name)], decide)
    for name in list(pending):
        decide(name, None)
    return result


def _apply(name: str, verdict: Verdict, decide: Callable[[str, PathStat | None], None]) -> None:
    if verdict == _HIDDEN:
        decide(name, None)
    elif not isinstance(verdict, str):
        decide(name, verdict)
