"""The stages-storage cache: per project, digest → the stage IDs stored under it.

It is the remembered answer of "list the stages storage for this digest", so an idle build asks the registry
nothing. `get_stages` returns None when the digest is not cached, and [] when it is cached as having no stages.
An entry (`CacheEntry`) may also carry what the writer knew of each stage (`StageDescription`: image ID, labels,
size, creation time), so a runner that has never seen the storage selects stages without reading a manifest.
The cache is only a hint: the builder verifies cached stages exist and resets the whole project's cache when one is
gone (`ShouldResetStagesStorageCache`), so dropping entries is always safe — it costs one listing.

`FileStagesStorageCache` (for `:local` synchronization) keeps werf v1.1's layout:
`<werf home>/shared_context/storage/stages_storage_cache/1/<project>/<digest>` holding
`{"stages":[{"signature":…,"uniqueID":…}]}`. Each file is written to a temporary name and renamed into place, so a
reader sees the old or the new content, never half of it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werf_core.fsutil import atomic_write
from werf_core.paths import werf_home
from werf_core.storage.base import StageDescription
from werf_core.storage.stage_id import StageID

CACHE_VERSION = "1"
_SAFE_COMPONENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class CacheEntry:
    """The stages stored under one digest, plus the descriptions the writer knew (possibly of only some of them)."""

    ids: list[StageID]
    descriptions: dict[StageID, StageDescription] = field(default_factory=dict)
    stored_at: int = 0     # Unix seconds of the write; 0 = unknown (werf's format has no time)

    @classmethod
    def of(cls, stages: list[StageDescription]) -> CacheEntry:
        return cls([d.stage_id for d in stages], {d.stage_id: d for d in stages}, int(time.time()))

    def to_json(self) -> dict[str, Any]:
        # "stages" is werf's format; werf ignores the fields it does not know
        document: dict[str, Any] = {"stages": [stage.to_json() for stage in self.ids]}
        described = [self.descriptions[i].to_json() for i in self.ids if i in self.descriptions]
        if described:
            document["descriptions"] = described
        if self.stored_at:
            document["storedAt"] = self.stored_at
        return document

    def serialize(self) -> str:
        return json.dumps(self.to_json(), separators=(",", ":"))

    @classmethod
    def parse(cls, text: str | None) -> CacheEntry | None:
        """None for a missing or damaged entry (a damaged entry is a cache miss, rewritten on the next store)."""
        if not text:
            return None
        try:
            data = json.loads(text)
            ids = [StageID.from_json(item) for item in (data.get("stages") or [])]
            descriptions = {}
            for item in data.get("descriptions") or []:
                try:
                    description = StageDescription.from_json(item)
                except (ValueError, TypeError, KeyError, AttributeError):
                    continue     # a description is an optimisation: without it the storage is asked
                if description.stage_id in ids:
                    descriptions[description.stage_id] = description
            return cls(ids, descriptions, int(data.get("storedAt") or 0))
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


class StagesStorageCache(ABC):
    @abstractmethod
    def get_stages(self, project: str, digest: str) -> list[StageID] | None:
        """The cached stage IDs of `digest`: None = not cached, [] = cached as having none."""

    @abstractmethod
    def store_stages(self, project: str, digest: str, ids: list[StageID]) -> None:
        """Remember `ids` as the complete list of stages stored under `digest`."""

    @abstractmethod
    def delete_stages(self, project: str, digest: str) -> None:
        """Forget `digest` (before its stages are deleted from the storage)."""

    @abstractmethod
    def delete_all(self, project: str) -> None:
        """Forget the whole project (after a cached stage turned out missing)."""

    @abstractmethod
    def get_all(self, project: str) -> dict[str, list[StageID]]:
        """Every cached digest of the project with its stage IDs."""

    @abstractmethod
    def describe(self) -> str:
        """Where the cache lives, for messages."""

    # -------- entries with descriptions; caches that keep a per-build snapshot override `fresh`
    def get_entry(self, project: str, digest: str, *, fresh: bool = False) -> CacheEntry | None:
        """The entry of `digest`. `fresh=True` must see every write other runners finished before the call
        (re-checks under a lock); `fresh=False` may answer from what this cache object already read."""
        ids = self.get_stages(project, digest)
        return None if ids is None else CacheEntry(ids)

    def store_entry(self, project: str, digest: str, stages: list[StageDescription]) -> None:
        """Remember `stages` (with their descriptions) as the complete list stored under `digest`."""
        self.store_stages(project, digest, [d.stage_id for d in stages])

    def store_entry_if_absent(self, project: str, digest: str, stages: list[StageDescription]) -> CacheEntry | None:
        """Store unless the digest already has an entry, atomically; returns the entry found (None: stored now).

        A listing may be older than another runner's publication; this never overwrites what that runner wrote.
        """
        existing = self.get_entry(project, digest, fresh=True)
        if existing is not None:
            return existing
        self.store_entry(project, digest, stages)
        return None


def check_path_component(kind: str, value: str) -> str:
    """Project names and digests become file names: refuse anything that could escape the cache directory."""
    if not _SAFE_COMPONENT.match(value or ""):
        raise ValueError(f"invalid {kind} for the stages-storage cache: {value!r}")
    return value


class FileStagesStorageCache(StagesStorageCache):
    """One JSON file per digest under the werf home (resolved on every call, so WERF_HOME changes apply)."""

    def __init__(self, root: Path | str | None = None) -> None:
        self._root = Path(root) if root is not None else None

    @property
    def root(self) -> Path:
        if self._root is not None:
            return self._root
        return werf_home() / "shared_context" / "storage" / "stages_storage_cache" / CACHE_VERSION

    def describe(self) -> str:
        return f"file cache in {self.root}"

    def project_dir(self, project: str) -> Path:
        return self.root / check_path_component("project name", project)

    def entry_path(self, project: str, digest: str) -> Path:
        return self.project_dir(project) / check_path_component("digest", digest)

    def get_stages(self, project: str, digest: str) -> list[StageID] | None:
        return _read_entry(self.entry_path(project, digest))

    def get_entry(self, project: str, digest: str, *, fresh: bool = False) -> CacheEntry | None:
        try:
            return CacheEntry.parse(self.entry_path(project, digest).read_text())
        except FileNotFoundError:
            return None

    def store_stages(self, project: str, digest: str, ids: list[StageID]) -> None:
        self._write(project, digest, CacheEntry(ids))

    def store_entry(self, project: str, digest: str, stages: list[StageDescription]) -> None:
        self._write(project, digest, CacheEntry.of(stages))

    def store_entry_if_absent(self, project: str, digest: str, stages: list[StageDescription]) -> CacheEntry | None:
        path = self.entry_path(project, digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(CacheEntry.of(stages).serialize() + "\n")
            os.chmod(tmp, 0o644)
            try:
                os.link(tmp, path)     # fails if the entry exists: create-if-absent, atomically
                return None
            except FileExistsError:
                existing = self.get_entry(project, digest)
                if existing is None:      # damaged: ours replaces it
                    self._write(project, digest, CacheEntry.of(stages))
                return existing
        finally:
            Path(tmp).unlink(missing_ok=True)

    def _write(self, project: str, digest: str, entry: CacheEntry) -> None:
        atomic_write(self.entry_path(project, digest), entry.serialize() + "\n", mode=0o644)

    def delete_stages(self, project: str, digest: str) -> None:
        _unlink_quietly(self.entry_path(project, digest))

    def delete_all(self, project: str) -> None:
        directory = self.project_dir(project)
        # rename first: readers see the whole project vanish at once, not a half-deleted directory
        trash = directory.with_name(f".{project}.deleted-{uuid.uuid4().hex}")
        try:
            os.rename(directory, trash)
        except FileNotFoundError:
            return
        shutil.rmtree(trash, ignore_errors=True)

    def get_all(self, project: str) -> dict[str, list[StageID]]:
        directory = self.project_dir(project)
        result: dict[str, list[StageID]] = {}
        try:
            names = sorted(os.listdir(directory))
        except FileNotFoundError:
            return result
        for name in names:
            if name.startswith("."):
                continue  # temporary files of writers in progress
            stages = _read_entry(directory / name)
            if stages is not None:
                result[name] = stages
        return result


def _read_entry(path: Path) -> list[StageID] | None:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    entry = CacheEntry.parse(text)   # a damaged entry is a cache miss: the storage gets listed, the entry rewritten
    return None if entry is None else entry.ids


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
