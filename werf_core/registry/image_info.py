"""What the stages storage needs to know about one image in a registry (werf's `image.Info`).

`to_json`/`from_json` use werf's field names so cached descriptions stay readable by both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

from werf_core.registry.manifest import Manifest
from werf_core.registry.reference import ImageReference

# werf v1.2 records the base image of a stage under this label; v1.1 relies on the config's `.config.Image`.
BASE_IMAGE_ID_LABEL = "werf.io/base-image-id"

_GO_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:?\d{2})?$")


def parse_go_time_ns(text: str | None) -> int:
    """RFC 3339 with up to nanoseconds (Go's `time.RFC3339Nano`) → Unix nanoseconds; empty/invalid → 0."""
    if not text:
        return 0
    match = _GO_TIME.match(text.strip())
    if not match:
        return 0
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    tz = UTC
    if zone and zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        whole = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=tz)
    except ValueError:
        return 0
    nanos = int((fraction or "").ljust(9, "0")) if fraction else 0
    # Integer arithmetic keeps nanoseconds exact (a float timestamp would not).
    seconds = int((whole - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())
    return seconds * 1_000_000_000 + nanos


def format_go_time(ns: int) -> str:
    """Unix nanoseconds → RFC 3339 UTC with nanoseconds (the form Docker writes into image configs)."""
    seconds, nanos = divmod(ns, 1_000_000_000)
    base = datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{nanos:09d}Z" if nanos else f"{base}Z"


@dataclass(frozen=True)
class ImageInfo:
    name: str                 # full reference as asked for: host/repo:tag
    repository: str           # host/repo
    tag: str | None
    repo_digest: str          # host/repo@sha256:… (the manifest digest)
    id: str                   # config digest = the image ID Docker shows after a pull
    parent_id: str            # `.config.Image`, else the werf.io/base-image-id label, else `.container_config.Image`
    labels: dict[str, str] = field(default_factory=dict)
    size: int = 0             # sum of compressed layer sizes
    created_at_unix_nano: int = 0

    @property
    def created_at(self) -> datetime:
        return datetime.fromtimestamp(self.created_at_unix_nano / 1e9, tz=UTC)

    @property
    def digest(self) -> str:
        return self.repo_digest.rpartition("@")[2]

    @classmethod
    def from_manifest_and_config(cls, ref: ImageReference, manifest: Manifest, config: dict) -> ImageInfo:
        container_config = config.get("config") or {}
        labels = dict(container_config.get("Labels") or {})
        # Docker's `commit` leaves `.config.Image` empty and records the base in `.container_config.Image` (by the
        # name the container was created from): the last resort, so a committed stage still names its parent
        parent = (container_config.get("Image") or labels.get(BASE_IMAGE_ID_LABEL)
                  or (config.get("container_config") or {}).get("Image") or "")
        return cls(
            name=str(ref),
            repository=ref.name,
            tag=ref.tag,
            repo_digest=f"{ref.name}@{manifest.digest}",
            id=manifest.config.digest,
            parent_id=parent,
            labels=labels,
            size=manifest.size,
            created_at_unix_nano=parse_go_time_ns(config.get("created")),
        )

    def to_json(self) -> dict:
        return {"Name": self.name, "Repository": self.repository, "Tag": self.tag or "",
                "RepoDigest": self.repo_digest, "ID": self.id, "ParentID": self.parent_id,
                "Labels": dict(self.labels), "Size": self.size, "CreatedAtUnixNano": self.created_at_unix_nano}

    @classmethod
    def from_json(cls, data: dict) -> ImageInfo:
        return cls(name=data["Name"], repository=data["Repository"], tag=data.get("Tag") or None,
                   repo_digest=data["RepoDigest"], id=data["ID"], parent_id=data.get("ParentID", ""),
                   labels=dict(data.get("Labels") or {}), size=int(data.get("Size", 0)),
                   created_at_unix_nano=int(data.get("CreatedAtUnixNano", 0)))
