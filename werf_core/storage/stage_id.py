"""The identity of one stored stage: its digest plus the unique ID (Unix milliseconds) it was saved with.

Stored under the tag `<digest>-<uniqueID>`; several stages may share a digest (built from different commits), and
selection picks among them (git ancestry, then the oldest).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, order=True)
class StageID:
    digest: str
    unique_id: int

    @property
    def tag(self) -> str:
        return f"{self.digest}-{self.unique_id}"

    @classmethod
    def parse_tag(cls, tag: str) -> StageID | None:
        """`<digest>-<uniqueID>` → StageID; anything else (record tags, `-rejected` markers) → None."""
        digest, sep, unique = tag.rpartition("-")
        if not sep or not digest or "-" in digest or not unique.isdigit():
            return None
        return cls(digest, int(unique))

    def to_json(self) -> dict[str, Any]:
        # werf's record format ("signature" is v1.1's name for the digest), so werf runners can read our cache
        return {"signature": self.digest, "uniqueID": self.unique_id}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StageID:
        return cls(data.get("signature") or data["digest"], int(data["uniqueID"]))
