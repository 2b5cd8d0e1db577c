"""The stages-storage cache: per project, digest → the stage IDs stored under it.

It is the remembered answer of "list the stages storage for this digest", so an idle build asks the registry
nothing. `get_stages` returns None when the digest is not cached, and [] when it is cached as having no stages.
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
import uuid
from abc import ABC, abstractmethod
from pathlib import Path

from werf_core.fsutil import atomic_write
from werf_core.paths import werf_home
from werf_core.storage.stage_id import StageID

CACHE_VERSION = "1"
_SAFE_COMPONENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


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

    def store_stages(self, project: str, digest: str, ids: list[StageID]) -> None:
        text = json.dumps({"stages": [stage.to_json() for stage in ids]}, separators=(",", ":")) + "\n"
        atomic_write(self.entry_path(project, digest), text, mode=0o644)

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
    try:
        data = json.loads(text)
        return [StageID.from_json(item) for item in (data.get("stages") or [])]
    except (ValueError, TypeError, KeyError, AttributeError):
        return None  # a damaged entry is a cache miss: the storage gets listed and the entry rewritten


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
