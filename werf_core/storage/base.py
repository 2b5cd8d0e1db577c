"""The stages-storage interface shared by the local Docker storage and the registry storage.

A stages storage answers "which stages exist for this digest" and "what does this stage look like" (its labels, the
image ID, size and creation time), stores a freshly built local image as a stage, and makes a stored stage available
to the local Docker engine when something must be built on top of it (lazy fetch).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from werf_core.storage.stage_id import StageID

if TYPE_CHECKING:
    import docker

    from werf_core.layers.config import ConfigChanges
    from werf_core.layers.writer import Layer

LOCAL_ADDRESS = ":local"


@dataclass(frozen=True)
class StageDescription:
    """What the conveyor knows of a stored stage without pulling it."""

    stage_id: StageID
    image_name: str                     # full reference in the storage, e.g. werf-stages-storage/p:<digest>-<id>
    image_id: str                       # Docker image ID (config digest)
    labels: dict[str, str] = field(default_factory=dict)
    size: int = 0
    created_at: float = 0.0             # Unix seconds
    parent: str = ""                    # what the image was built on: an image ID or a reference (cleanup's ancestry)

    def to_json(self) -> dict[str, Any]:
        return {"stageID": self.stage_id.to_json(), "imageName": self.image_name, "imageID": self.image_id,
                "labels": self.labels, "size": self.size, "createdAt": self.created_at, "parent": self.parent}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StageDescription:
        return cls(StageID.from_json(data["stageID"]), data["imageName"], data["imageID"],
                   dict(data.get("labels") or {}), int(data.get("size") or 0), float(data.get("createdAt") or 0),
                   str(data.get("parent") or ""))


def new_unique_id() -> int:
    """werf's unique ID: Unix time in milliseconds (uniqueness is guaranteed by the stage lock)."""
    return int(time.time() * 1000)


class StagesStorage(Protocol):
    """The stages storage seam: `LocalStagesStorage` (`:local`) and `RegistryStagesStorage` implement it."""

    @property
    def address(self) -> str: ...

    @property
    def client(self) -> docker.DockerClient:
        """The Docker engine client that builds, pushes and pulls go through."""

    def is_local(self) -> bool: ...

    def report_to(self, say: Callable[[str], None]) -> None:
        """Where transfer progress (pushes, pulls) goes; a storage with nothing to transfer ignores it."""

    def stage_image_name(self, project: str, stage_id: StageID) -> str: ...

    def list_stage_ids(self, project: str, digest: str | None = None) -> list[StageID]:
        """Every stored stage of the project (or of one digest), straight from the storage (no cache)."""

    def describe(self, project: str, stage_id: StageID) -> StageDescription | None:
        """None if the stage does not exist (or is rejected); raises BrokenStage if it is unusable."""

    def store(self, project: str, local_image_id: str, stage_id: StageID, *, parent: str | None = None
              ) -> StageDescription:
        """Make a freshly built local image a stored stage. Visible only when complete. `parent`: the image it was
        built on (a stage image name or the base reference), when known — a storage may reuse its layers."""

    def fetch(self, project: str, description: StageDescription) -> str:
        """Ensure the stage image is in the local engine; return a local reference usable as a build base."""

    def store_layer(self, project: str, parent: StageDescription, layer: Layer | None, changes: ConfigChanges,
                    stage_id: StageID) -> StageDescription:
        """A layer-native stage: `parent` plus `layer` (None: config only) and `changes`, stored without a
        container. Visible only when complete."""

    def delete(self, project: str, stage_id: StageID) -> None: ...

    def reject(self, project: str, stage_id: StageID) -> None:
        """Mark a broken stage so it is never selected again (no-op for the local storage)."""


class BrokenStage(Exception):
    """A stage exists by name but its content is unusable (e.g. missing blobs)."""

    def __init__(self, stage_id: StageID, reason: str) -> None:
        super().__init__(f"stage {stage_id.tag} is broken: {reason}")
        self.stage_id = stage_id
