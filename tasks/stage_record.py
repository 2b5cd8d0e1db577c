"""The small JSON value a stage task returns (and a cached stage task run shows): which stage image it resolved to.

    {"version": 1, "image": "app", "stage": "install", "digest": "…", "status": "built", "seconds": 3.2,
     "description": {"stageID": {...}, "imageName": "…", "imageID": "…", "labels": {...}, "size": …, "createdAt": …}}
"""

from __future__ import annotations

from typing import Any

from werf_core.conveyor.results import REUSED, StageResult
from werf_core.storage.base import StageDescription

RECORD_VERSION = 1


def stage_record(result: StageResult) -> dict[str, Any]:
    return {"version": RECORD_VERSION, "image": result.image, "stage": result.name, "digest": result.digest,
            "status": result.status, "seconds": round(result.seconds, 3),
            "description": result.description.to_json()}


def reuse_record(image: str, stage: str, digest: str, description: StageDescription) -> dict[str, Any]:
    """The value of a task run that finished `Cached` on a stage werf's selection picked."""
    return {"version": RECORD_VERSION, "image": image, "stage": stage, "digest": digest, "status": REUSED,
            "seconds": 0.0, "description": description.to_json()}
