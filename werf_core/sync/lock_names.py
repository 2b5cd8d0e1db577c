"""Lock names, exactly as werf v1.1 spells them, so werf and werf-prefect runners contend for the same locks.

| purpose                                 | file locks (`:local`)         | Kubernetes (per-project ConfigMap) |
|-----------------------------------------|-------------------------------|------------------------------------|
| publishing a stage                      | `<project>.<digest>`          | `stage/<digest>`                   |
| updating the stages-storage cache entry | `<project>.<digest>.cache`    | `stage-cache/<digest>`             |
| publishing an image tag                 | `<image>.image`               | `image/<image>`                    |
| a stage digest in use by a build (ours) | `<project>.<digest>.in-use`   | `stage-in-use/<digest>`            |
| build intent: "I am building a stage"   | `<project>.<digest>.intent`   | `stage-intent/<digest>`            |

Build intents are werf-prefect's own (werf v1.1 has none): a werf runner simply does not wait for them, and its
publications are still ordered by the stage lock.

Kubernetes names carry no project because each project has its own ConfigMap. Prefer the methods of
`Synchronization` (`sync.stage_lock_name(digest)`), which pick the right column.
"""

from __future__ import annotations


def stage_lock_name(project: str, digest: str, *, kubernetes: bool = False) -> str:
    return f"stage/{digest}" if kubernetes else f"{project}.{digest}"


def stage_cache_lock_name(project: str, digest: str, *, kubernetes: bool = False) -> str:
    return f"stage-cache/{digest}" if kubernetes else f"{project}.{digest}.cache"


def build_intent_lock_name(project: str, digest: str, *, kubernetes: bool = False) -> str:
    return f"stage-intent/{digest}" if kubernetes else f"{project}.{digest}.intent"


def image_lock_name(image: str, *, kubernetes: bool = False) -> str:
    """`image` is the full image name with tag (`registry/repo:tag`)."""
    return f"image/{image}" if kubernetes else f"{image}.image"


def stage_in_use_lock_name(project: str, digest: str, *, kubernetes: bool = False) -> str:
    """werf-prefect's own lease (see stage_leases.py): builds hold it shared, cleanup probes it exclusively."""
    return f"stage-in-use/{digest}" if kubernetes else f"{project}.{digest}.in-use"
