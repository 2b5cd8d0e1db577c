"""Image layers and configs assembled in-process: reproducible layer tars, image configs, engine archives.

Used by the layer-native stage builder (file-only and config-only stages need no container) and by the Dockerfile
builder for COPY/ADD/ENV/LABEL. The API is small on purpose:

- `LayerWriter` — collect entries (files, directories, symlinks, whiteouts), `close()` → `Layer` (a reproducible
  tar, optionally gzip'ed with a fixed header; `diff_id` and blob `digest`);
- `ConfigChanges` + `append_layer` / `apply_changes` — a new image config from the parent's;
- `write_load_archive` — a `docker load` archive holding only the new layer and config.
"""

from werf_core.layers.config import ConfigChanges, append_layer, apply_changes, canonical_json
from werf_core.layers.engine_archive import write_load_archive
from werf_core.layers.recipe import LayerContent, LayerRecipe, build_layer
from werf_core.layers.writer import Layer, LayerWriter

__all__ = ["ConfigChanges", "Layer", "LayerContent", "LayerRecipe", "LayerWriter", "build_layer", "append_layer", "apply_changes", "canonical_json",
           "write_load_archive"]
