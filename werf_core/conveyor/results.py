"""Immutable records the conveyor passes along: one per stage, one per image, and the build report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from werf_core.fsutil import atomic_write
from werf_core.storage.base import StageDescription

BUILT, REUSED, DISCARDED, PLANNED = "built", "reused", "discarded", "planned"


@dataclass(frozen=True)
class StageResult:
    image: str                      # display name of the image ("~" for nameless)
    name: str                       # werf's stage name, e.g. "gitLatestPatch"
    digest: str
    status: str                     # built | reused | discarded (built, but another runner published first) | planned
    description: StageDescription   # the stage image actually used (for "planned", a prediction)
    next_deps: str                  # what this stage passes to the next stage's digest
    content_digest: str
    seconds: float = 0.0
    final: bool = True              # False in a dry run when an earlier stage's image is only predicted

    @property
    def size(self) -> int:
        return self.description.size

    def to_report(self) -> dict:
        return {"name": self.name, "digest": self.digest, "status": self.status, "seconds": round(self.seconds, 3),
                "size": self.size, "image": self.description.image_name, "final": self.final}


@dataclass(frozen=True)
class ImageResult:
    name: str | None
    is_artifact: bool
    stages: tuple[StageResult, ...]
    content_digest: str

    @property
    def display_name(self) -> str:
        return self.name if self.name is not None else "~"

    @property
    def last_stage(self) -> StageResult:
        return self.stages[-1]

    def to_report(self) -> dict:
        last = self.last_stage
        return {"name": self.display_name, "isArtifact": self.is_artifact, "contentDigest": self.content_digest,
                "stageImage": last.description.image_name, "stageImageID": last.description.image_id,
                "stageDigest": last.digest, "stages": [s.to_report() for s in self.stages]}


@dataclass
class BuildReport:
    project: str
    stages_storage: str
    images: list[ImageResult] = field(default_factory=list)
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for image in self.images:
            for stage in image.stages:
                counts[stage.status] = counts.get(stage.status, 0) + 1
        return counts

    def to_json(self) -> dict:
        return {"project": self.project, "stagesStorage": self.stages_storage, "seconds": round(self.seconds, 3),
                "counts": self.counts(), "images": {i.display_name: i.to_report() for i in self.images}}

    def write(self, path: str | Path) -> None:
        """Write atomically: a reader never sees half a report."""
        atomic_write(path, json.dumps(self.to_json(), indent=2) + "\n", mode=0o644)
