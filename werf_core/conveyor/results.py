"""Immutable records the conveyor passes along: one per stage, one per image, and the build report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from werf_core.fsutil import atomic_write
from werf_core.storage.base import StageDescription


class StageStatus(StrEnum):
    """How a stage was resolved. The values are what reports and progress output show."""

    BUILT = "built"              # built here and published
    REUSED = "reused"            # a stored stage was selected
    DISCARDED = "discarded"      # built here, but another runner published the stage first: theirs is used
    PLANNED = "planned"          # dry run: would be built


BUILT, REUSED, DISCARDED, PLANNED = StageStatus.BUILT, StageStatus.REUSED, StageStatus.DISCARDED, StageStatus.PLANNED


@dataclass(frozen=True)
class StageResult:
    image: str                      # display name of the image ("~" for nameless)
    name: str                       # werf's stage name, e.g. "gitLatestPatch"
    digest: str
    status: StageStatus
    description: StageDescription   # the stage image actually used (for "planned", a prediction)
    next_deps: str                  # what this stage passes to the next stage's digest
    content_digest: str
    seconds: float = 0.0
    final: bool = True              # False in a dry run when an earlier stage's image is only predicted

    @property
    def size(self) -> int:
        return self.description.size

    def to_report(self) -> dict[str, Any]:
        return {"name": self.name, "digest": self.digest, "status": str(self.status), "seconds": round(self.seconds, 3),
                "size": self.size, "image": self.description.image_name, "final": self.final}


@dataclass(frozen=True)
class ImageResult:
    name: str | None
    is_artifact: bool
    stages: tuple[StageResult, ...]
    content_digest: str
    platform: str = ""                       # OS/ARCH[/VARIANT] the stages are built for ("" for the host's)
    # an image built for several platforms: one result per platform (`stages` are the first one's); published
    # as an image index
    variants: tuple[ImageResult, ...] = ()

    @property
    def display_name(self) -> str:
        return self.name if self.name is not None else "~"

    @property
    def last_stage(self) -> StageResult:
        return self.stages[-1]

    def to_report(self) -> dict[str, Any]:
        last = self.last_stage
        report = {"name": self.display_name, "isArtifact": self.is_artifact, "contentDigest": self.content_digest,
                  "stageImage": last.description.image_name, "stageImageID": last.description.image_id,
                  "stageDigest": last.digest, "stages": [s.to_report() for s in self.stages]}
        if self.platform:
            report["platform"] = self.platform
        if self.variants:
            report["platforms"] = {v.platform: v.to_report() for v in self.variants}
        return report


@dataclass
class BuildReport:
    project: str
    stages_storage: str
    images: list[ImageResult] = field(default_factory=list)
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for image in self.images:
            for stage in (s for v in (image.variants or (image,)) for s in v.stages):
                status = str(stage.status)
                counts[status] = counts.get(status, 0) + 1
        return counts

    def to_json(self) -> dict[str, Any]:
        return {"project": self.project, "stagesStorage": self.stages_storage, "seconds": round(self.seconds, 3),
                "counts": self.counts(), "images": {i.display_name: i.to_report() for i in self.images}}

    def write(self, path: str | Path) -> None:
        """Write atomically: a reader never sees half a report."""
        atomic_write(path, json.dumps(self.to_json(), indent=2) + "\n", mode=0o644)
