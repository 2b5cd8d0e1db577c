"""What a cleanup removed (or, in a dry run, would remove) and what it kept on purpose: printed and written as JSON.

A dry run and a real run fill the same report from the same decisions, so `--dry-run` lists exactly what a real run
would delete at that moment. The JSON (`--report-path`) is
`{"dryRun", "images": {"deleted": [...], "kept": [...]}, "metadata": {"deleted": [...]}, "stages": {"deleted", "kept"},
"host": {"containers", "images", "tmpDirs"}, "warnings": [...]}` with one object per item (its `name` and `reason`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werf_core.fsutil import atomic_write

Say = Callable[[str], None]


@dataclass(frozen=True)
class Item:
    name: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "reason": self.reason}


_NOUNS = {"images.deleted": "image", "metadata.deleted": "metadata record", "stages.deleted": "stage",
          "host.containers": "container", "host.images": "local image", "host.tmpDirs": "temporary directory"}
SECTIONS = ("images.deleted", "images.kept", "metadata.deleted", "stages.deleted", "stages.kept",
            "host.containers", "host.images", "host.tmpDirs")


@dataclass
class CleanupReport:
    dry_run: bool = False
    say: Say = field(default=lambda message: None, repr=False)
    items: dict[str, list[Item]] = field(default_factory=lambda: {s: [] for s in SECTIONS})
    warnings: list[str] = field(default_factory=list)
    _mutex: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def deleted(self, section: str, name: str, reason: str) -> None:
        """Record a removal (done, or to be done in a dry run) and print it."""
        self._add(section, Item(name, reason))
        verb = "Would delete" if self.dry_run else "Deleted"
        self.say(f"{verb} {_NOUNS.get(section, section)} {name} ({reason})")

    def kept(self, section: str, name: str, reason: str) -> None:
        self._add(section, Item(name, reason))

    def warn(self, message: str) -> None:
        with self._mutex:
            self.warnings.append(message)
        self.say(f"Warning: {message}")

    def names(self, section: str) -> list[str]:
        with self._mutex:
            return sorted(item.name for item in self.items[section])

    def _add(self, section: str, item: Item) -> None:
        with self._mutex:
            self.items[section].append(item)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"dryRun": self.dry_run, "warnings": list(self.warnings)}
        for section in SECTIONS:
            group, key = section.split(".")
            document.setdefault(group, {})[key] = [i.to_json() for i in sorted(self.items[section],
                                                                              key=lambda i: i.name)]
        return document

    def write(self, path: str | Path) -> None:
        atomic_write(path, json.dumps(self.to_json(), indent=2) + "\n", mode=0o644)

    def summary(self) -> str:
        verb = "would be deleted" if self.dry_run else "deleted"
        counts = [f"{len(self.items['images.deleted'])} image tag(s)",
                  f"{len(self.items['metadata.deleted'])} metadata record(s)",
                  f"{len(self.items['stages.deleted'])} stage(s)"]
        host = sum(len(self.items[s]) for s in ("host.containers", "host.images", "host.tmpDirs"))
        if host:
            counts.append(f"{host} host item(s)")
        return f"Cleanup: {', '.join(counts)} {verb}"
