"""The publish report (`--publish-report-path`), in werf's JSON format:

    {"Images": {"<image name>": {"WerfImageName": …, "DockerRepo": …, "DockerTag": …, "DockerImageID": …,
                                 "DockerImageDigest": …}}}

One entry per image (the nameless image is `""`, as in werf); when an image gets several tags, the entry describes
the tag published last — werf's behaviour, and with `--tag-by-stages-signature` that is the content-addressed tag.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werf_core.fsutil import atomic_write

PUBLISHED, UP_TO_DATE = "published", "up-to-date"


@dataclass(frozen=True)
class PublishedTag:
    image: str | None       # werf.yaml image name (None = nameless)
    strategy: str
    meta_tag: str           # the tag as asked for
    repository: str         # DockerRepo
    tag: str                # DockerTag (monorepo: prefixed with the image name)
    image_id: str
    digest: str
    status: str             # published | up-to-date

    @property
    def reference(self) -> str:
        return f"{self.repository}:{self.tag}"

    def to_summary(self) -> dict[str, str]:
        """What the summary and the flow's return value say about the tag."""
        return {"tag": self.reference, "status": self.status, "digest": self.digest, "strategy": self.strategy}


@dataclass
class PublishReport:
    tags: list[PublishedTag] = field(default_factory=list)

    def to_json(self) -> dict:
        images: dict[str, dict] = {}
        for published in self.tags:
            images[published.image or ""] = {
                "WerfImageName": published.image or "",
                "DockerRepo": published.repository,
                "DockerTag": published.tag,
                "DockerImageID": published.image_id,
                "DockerImageDigest": published.digest,
            }
        return {"Images": images}

    def to_result(self) -> dict[str, Any]:
        """werf's report plus every tag with its status: what `werf build-and-publish` and its flow return."""
        return {**self.to_json(), "tags": [t.to_summary() for t in self.tags]}

    def write(self, path: str | Path) -> None:
        """Atomically, so a CI step reading it never sees half a report."""
        atomic_write(path, json.dumps(self.to_json(), indent=2) + "\n", mode=0o644)
