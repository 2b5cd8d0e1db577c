"""The stages a published image needs: its last stage and that stage's whole ancestry.

A stage's parent is what its image was built on (`config.Image` / the engine's `Parent`): a stage image ID, or the
stage's name in the storage (`<repo>:<digest>-<uniqueID>`, what the builder ran the container from). A stage that
imports files from other images records their stage image IDs in `werf-import-*` labels; those stages (and their
ancestry) are needed too, since rebuilding an import must find the same source.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from werf_core.storage.base import StageDescription
from werf_core.storage.stage_id import StageID

IMPORT_LABEL_PREFIX = "werf-import-"


class StageIndex:
    def __init__(self, descriptions: Iterable[StageDescription]) -> None:
        self.by_id: dict[StageID, StageDescription] = {}
        self.by_image_id: dict[str, list[StageDescription]] = {}
        for description in descriptions:
            self.by_id[description.stage_id] = description
            self.by_image_id.setdefault(description.image_id, []).append(description)

    def resolve(self, reference: str) -> list[StageDescription]:
        """The stages an image ID or a stage name refers to (none for a base image such as `alpine:3`)."""
        if not reference:
            return []
        found = self.by_image_id.get(reference)
        if found:
            return list(found)
        if not reference.startswith("sha256:"):
            found = self.by_image_id.get(f"sha256:{reference}")
            if found:
                return list(found)
        tag = reference.rpartition(":")[2] if "/" in reference or ":" in reference else reference
        stage_id = StageID.parse_tag(tag)
        if stage_id is not None and stage_id in self.by_id:
            return [self.by_id[stage_id]]
        return []

    def needed_by(self, roots: Iterable[str]) -> set[StageID]:
        """Every stage reachable from `roots` (image IDs or stage names) over parents and import labels."""
        needed: set[StageID] = set()
        pending = [d for root in roots for d in self.resolve(root)]
        while pending:
            stage = pending.pop()
            if stage.stage_id in needed:
                continue
            needed.add(stage.stage_id)
            pending.extend(self.resolve(stage.parent))
            pending.extend(d for ref in import_sources(stage.labels) for d in self.resolve(ref))
        return needed


def import_sources(labels: Mapping[str, str]) -> list[str]:
    return [value for key, value in labels.items() if key.startswith(IMPORT_LABEL_PREFIX) and value]
