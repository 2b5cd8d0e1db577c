"""An in-memory stages storage for pure-logic tests of planning and selection (no Docker engine)."""

from __future__ import annotations

from werf_core.storage.base import StageDescription
from werf_core.storage.stage_id import StageID


class MemoryStagesStorage:
    address = "memory"

    def __init__(self) -> None:
        self.stages: dict[StageID, StageDescription] = {}
        self.describe_calls = 0
        self.list_calls = 0

    def is_local(self) -> bool:
        return True

    def stage_image_name(self, project: str, stage_id: StageID) -> str:
        return f"memory/{project}:{stage_id.tag}"

    def add(self, project: str, stage_id: StageID, labels: dict[str, str]) -> StageDescription:
        description = StageDescription(stage_id, self.stage_image_name(project, stage_id),
                                       f"sha256:{stage_id.digest[:12]}{stage_id.unique_id}", dict(labels))
        self.stages[stage_id] = description
        return description

    def list_stage_ids(self, project: str, digest: str | None = None) -> list[StageID]:
        self.list_calls += 1
        return sorted(s for s in self.stages if digest is None or s.digest == digest)

    def describe(self, project: str, stage_id: StageID) -> StageDescription | None:
        self.describe_calls += 1
        return self.stages.get(stage_id)

    def store(self, project: str, local_image_id: str, stage_id: StageID) -> StageDescription:
        raise AssertionError("planning must not store anything")

    def fetch(self, project: str, description: StageDescription) -> str:
        raise AssertionError("planning must not fetch anything")

    def delete(self, project: str, stage_id: StageID) -> None:
        self.stages.pop(stage_id, None)

    def reject(self, project: str, stage_id: StageID) -> None:
        self.stages.pop(stage_id, None)
