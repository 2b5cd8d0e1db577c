"""Counts every HTTP attempt a `RegistryClient` makes, by method and kind of resource.

Kinds: `tags`, `manifest`, `blob`, `upload`, `token` (requests to a token server), `other`. Retries and auth
round-trips count too — the counter answers "how many requests did this cost", so callers and tests can prove that a
path made no registry request at all.
"""

from __future__ import annotations

import threading
from collections import Counter

KINDS = ("tags", "manifest", "blob", "upload", "token", "other")


def kind_of_path(path: str) -> str:
    """Classify a `/v2/...` path (or full URL) by what it addresses."""
    if "/tags/list" in path:
        return "tags"
    if "/manifests/" in path:
        return "manifest"
    if "/blobs/uploads" in path:
        return "upload"
    if "/blobs/" in path:
        return "blob"
    return "other"


class RequestCounter:
    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def record(self, method: str, kind: str) -> None:
        with self._lock:
            self._counts[(method.upper(), kind)] += 1

    def count(self, method: str | None = None, kind: str | None = None) -> int:
        """Requests matching the given method and/or kind; no filter = all requests."""
        with self._lock:
            return sum(n for (m, k), n in self._counts.items()
                       if (method is None or m == method.upper()) and (kind is None or k == kind))

    @property
    def total(self) -> int:
        return self.count()

    def snapshot(self) -> dict[str, int]:
        """`{"GET manifest": 3, "HEAD blob": 1, ...}` — handy in logs and assertion messages."""
        with self._lock:
            return {f"{m} {k}": n for (m, k), n in sorted(self._counts.items())}

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    def __repr__(self) -> str:
        return f"RequestCounter({self.snapshot()})"
