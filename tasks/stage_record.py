"""The small JSON value a stage task returns (and a cached stage task run shows): which stage image it resolved to.

    {"version": 1,
     "stage": {"image": "app", "name": "install", "digest": "…", "status": "built", "seconds": 3.2},
     "description": {"stageID": {...}, "imageName": "…", "imageID": "…", "labels": {...}, "size": …, ...}}

Every value sits one level down, in dicts made for this record: Prefect links a task's result *and its direct
components* to the task run by object identity, and takes any later task parameter with the same identity for an
upstream dependency. Top-level strings such as a stage name are interned constants shared by every image, which would
draw false edges (`app/install` waiting for `builder/install`) in the run graph.
"""

from __future__ import annotations

from typing import Any

from werf_core.conveyor.results import REUSED, StageResult
from werf_core.storage.base import StageDescription

RECORD_VERSION = 2


def _record(image: str, stage: str, digest: str, status: str, seconds: float,
            description: StageDescription) -> dict[str, Any]:
    return {"version": RECORD_VERSION,
            "stage": {"image": image, "name": stage, "digest": digest, "status": status, "seconds": round(seconds, 3)},
            "description": description.to_json()}


def stage_record(result: StageResult) -> dict[str, Any]:
    return _record(result.image, result.name, result.digest, result.status, result.seconds, result.description)


def reuse_record(image: str, stage: str, digest: str, description: StageDescription) -> dict[str, Any]:
    """The value of a task run that finished `Cached` on a stage werf's selection picked."""
    return _record(image, stage, digest, REUSED, 0.0, description)
