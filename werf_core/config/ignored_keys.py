"""Valid werf 1.2/2.x keys that builds here do not act on, named in one warning so nothing is ignored silently.

Some keys configure features outside this product (deploy, Helm, the git worktree policy of werf's own runner);
others shape builds in ways not implemented yet. The config keeps them (validated, shown by `werf config render`);
`ignored_keys_warning` names those a config actually sets, once per load. A key leaves `IMAGE_KEYS_NOT_HONOURED`
when the build starts honouring it (`imageSpec` and `build.imageSpec` have: they shape the published image; so has `final: false`, which is never
published; `secrets` and `dependencies` are honoured by stapel user/import stages and Dockerfile RUN/build args;
`cacheVersion` of Dockerfile images enters the digest of their FROM stages).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel

# (key, "is it set to something that would change the build?")
IMAGE_KEYS_NOT_HONOURED: tuple[tuple[str, Callable[[Any], bool]], ...] = (
    ("staged", lambda model: getattr(model, "staged", False)),
    ("contextAddFiles", lambda model: bool(getattr(model, "context_add_files", ()))),
)

WARNING_PREFIX = "WARNING: werf.yaml sets werf 1.2/2.x keys that this build does not act on"


def meta_keys_not_honoured(meta: Any, dockerfile_images: bool = False) -> list[str]:
    keys = list(meta.ignored_settings())
    return keys


def image_keys_not_honoured(model: BaseModel) -> list[str]:
    aliases = _field_aliases(type(model))
    return [key for key, is_set in IMAGE_KEYS_NOT_HONOURED if key in aliases and is_set(model)]


@functools.cache
def _field_aliases(model_class: type[BaseModel]) -> frozenset[str]:
    return frozenset(field.alias or name for name, field in model_class.model_fields.items())


def ignored_keys_warning(meta: Any, models: Iterable[Any]) -> str | None:
    """One line naming every ignored key the config sets, or None."""
    models = list(models)
    parts = []
    meta_keys = meta_keys_not_honoured(meta, any(hasattr(m, "dockerfile") for m in models))
    if meta_keys:
        parts.append(", ".join(meta_keys))
    for model in models:
        keys = image_keys_not_honoured(model)
        if keys:
            kind = "artifact" if model.is_artifact else "image"
            name = "~" if model.name is None else model.name
            parts.append(f'{kind} "{name}": ' + ", ".join(keys))
    if not parts:
        return None
    return (f"{WARNING_PREFIX} (accepted, validated and shown by `werf config render`, otherwise ignored): "
            + "; ".join(parts))
