"""The Kubernetes stages-storage cache document, kept under a size budget.

werf v1.1 stores a project's cache as one JSON value in ConfigMap `werf-<project>`, data key `stagesStorageCache`:
`{"stagesBySignature": {"<digest>": [{"signature": ..., "uniqueID": ...}, ...]}}`. A ConfigMap holds at most 1 MiB,
and werf never bounds the map, so a long-lived project eventually cannot write its cache at all.

We keep werf's key and format (werf runners sharing the ConfigMap keep working) and bound it: the order of the
digests in the JSON object is the order they were last stored in, and when the serialized document would exceed
its budget the least recently stored digests are dropped. Dropping is safe: a digest missing from the cache is a
cache miss, which lists the stages storage and stores the answer again. (A werf runner that rewrites the document
sorts its keys; that only makes the next evictions arbitrary, never wrong.)
"""

from __future__ import annotations

import json

from werf_core.storage.stage_id import StageID

DATA_KEY = "stagesStorageCache"
_ROOT = "stagesBySignature"
_EMPTY_SIZE = len(json.dumps({_ROOT: {}}, separators=(",", ":")))


class CacheDocument:
    def __init__(self, entries: dict[str, list[StageID]] | None = None) -> None:
        self._entries: dict[str, list[StageID]] = dict(entries or {})

    @classmethod
    def parse(cls, text: str | None) -> CacheDocument:
        """The document in `text`; missing or unparsable parts are dropped (they only cause cache misses)."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
        except ValueError:
            return cls()
        by_digest = data.get(_ROOT) if isinstance(data, dict) else None
        if not isinstance(by_digest, dict):
            return cls()
        entries: dict[str, list[StageID]] = {}
        for digest, stages in by_digest.items():
            if stages is None:
                stages = []  # Go marshals an empty (nil) slice as null
            if not isinstance(stages, list):
                continue
            try:
                entries[digest] = [StageID.from_json(item) for item in stages]
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
        return cls(entries)

    def get(self, digest: str) -> list[StageID] | None:
        stages = self._entries.get(digest)
        return None if stages is None else list(stages)

    def store(self, digest: str, stages: list[StageID]) -> None:
        # re-inserting moves the digest to the end: the most recently stored entries are evicted last
        self._entries.pop(digest, None)
        self._entries[digest] = list(stages)

    def delete(self, digest: str) -> bool:
        return self._entries.pop(digest, None) is not None

    def all(self) -> dict[str, list[StageID]]:
        return {digest: list(stages) for digest, stages in self._entries.items()}

    def digests(self) -> list[str]:
        """Least recently stored first."""
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def serialize(self, budget: int | None = None) -> str:
        """Compact JSON; with a budget (bytes), first evict the least recently stored digests until it fits
        (an empty document always fits: it is the smallest thing that can be written)."""
        if budget is not None:
            self._evict_to(budget)
        text = self._dump()
        assert budget is None or len(text.encode()) <= max(budget, _EMPTY_SIZE), "eviction estimate was wrong"
        return text

    def _evict_to(self, budget: int) -> None:
        sizes = {digest: _entry_size(digest, stages) for digest, stages in self._entries.items()}
        total = _EMPTY_SIZE + sum(sizes.values()) + max(len(sizes) - 1, 0)  # entries plus separating commas
        for digest in list(self._entries):
            if total <= budget:
                break
            del self._entries[digest]
            total -= sizes[digest] + (1 if self._entries else 0)

    def _dump(self) -> str:
        return json.dumps({_ROOT: {d: [s.to_json() for s in stages] for d, stages in self._entries.items()}},
                          separators=(",", ":"))


def _entry_size(digest: str, stages: list[StageID]) -> int:
    # `"<digest>":[...]` exactly as _dump writes it (ASCII-escaped, so characters == bytes)
    return len(json.dumps(digest)) + 1 + len(json.dumps([s.to_json() for s in stages], separators=(",", ":")))
