"""The small JSON value a stage task returns and Prefect caches: which stage image the digest resolved to.

    {"version": 1, "image": "app", "stage": "install", "digest": "…", "status": "built", "seconds": 3.2,
     "description": {"stageID": {...}, "imageName": "…", "imageID": "…", "labels": {...}, "size": …, "createdAt": …}}

The description carries the stage's labels (the git commits it was built from), so a later flow can decide from the
cached value alone whether werf's selection rules would accept it. Reading is defensive: a record of another
version, another digest, or a damaged one is simply not usable, which makes the stage task run again.
"""

from __future__ import annotations

from werf_core.conveyor.results import StageResult
from werf_core.storage.base import StageDescription

RECORD_VERSION = 1


def stage_record(result: StageResult) -> dict:
    return {"version": RECORD_VERSION, "image": result.image, "stage": result.name, "digest": result.digest,
            "status": result.status, "seconds": round(result.seconds, 3),
            "description": result.description.to_json()}


def description_from_record(record: object, *, digest: str) -> StageDescription | None:
    """The stage image a cached record names, or None when the record cannot be trusted for `digest`."""
    if not isinstance(record, dict) or record.get("version") != RECORD_VERSION or record.get("digest") != digest:
        return None
    try:
        description = StageDescription.from_json(record["description"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if description.stage_id.digest != digest or not description.image_name:
        return None
    return description
