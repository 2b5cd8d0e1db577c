"""What a stage that needs no container asks for: a layer written in-process (or none) plus config changes."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from werf_core.layers.config import ConfigChanges
from werf_core.layers.writer import Layer, LayerWriter

# writes the layer's entries; may register open sources (tar files it copies from) on the exit stack, which stays
# open until the layer is written
LayerContent = Callable[[LayerWriter, contextlib.ExitStack], None]


@dataclass
class LayerRecipe:
    """A file-only stage (`content` set) or a config-only one (`content` None)."""

    content: LayerContent | None
    changes: ConfigChanges = field(default_factory=ConfigChanges)
    mtime: int = 0                     # default entry mtime (the commit time for git content: reproducible)

    @property
    def labels(self) -> dict[str, str]:
        return self.changes.labels


def build_layer(recipe: LayerRecipe, path: str | Path, *, compress: bool) -> Layer | None:
    """Write the recipe's layer to `path`; None for a config-only recipe or one that turned out empty."""
    if recipe.content is None:
        return None
    writer = LayerWriter(path, mtime=recipe.mtime, compress=compress)
    with contextlib.ExitStack() as resources:
        recipe.content(writer, resources)
        if writer.is_empty:
            return None
        return writer.close()
