"""pydantic's validation report → one `ConfigError` a user can act on.

The first problem in file order is reported, at its line, with the lines quoted, and the count of further problems in
the same section. Unknown keys get the closest valid key as a suggestion (`difflib.get_close_matches`), wrong types say
what was expected and what was found, and werf's own rules (raised with `werf_error`) keep their wording.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from werf_core.config.schema.base import WERF_ERROR, describe_value
from werf_core.config.schema.docker import UNSUPPORTED_INSTRUCTIONS, DockerInstructions
from werf_core.config.schema.stapel import StapelArtifact
from werf_core.config.source_map import ErrorReporter
from werf_core.config.yaml_documents import YamlDocument
from werf_core.errors import ConfigError

_EXPECTED = {
    "bool_type": "true or false", "bool_parsing": "true or false",
    "int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number",
    "string_type": "a string",
    "model_type": "a mapping", "model_attributes_type": "a mapping", "dict_type": "a mapping",
    "tuple_type": "a list", "list_type": "a list", "iterable_type": "a list",
}

_ARTIFACT_ONLY_FOR_IMAGES = {
    "docker": ("the `docker` section is not supported for artifacts",
               "docker instructions apply to published images; put them into the image that imports this artifact"),
    "final": ("the `final` directive is not supported for artifacts", "artifacts are never published; remove it"),
    "disableGitAfterPatch": ("the `disableGitAfterPatch` directive is not supported for artifacts",
                             "artifacts have no git stages after the patch stage anyway; remove it"),
    "imageSpec": ("the `imageSpec` directive (werf 1.2+) is not supported for artifacts",
                  "an artifact's image config is never published; set imageSpec in the image that imports it, or "
                  "turn the artifact into an image (`image: NAME`, `final: false`) as werf 2.x recommends"),
}


def format_path(path: tuple) -> str:
    """("git", 0, "stageDependencies") → "git[0].stageDependencies"."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def place(path: tuple, label: str) -> str:
    return f"{format_path(path)} of {label}" if path else label


def config_error_from_validation(err: ValidationError, model: type[BaseModel], document: YamlDocument,
                                 label: str, reporter: ErrorReporter) -> ConfigError:
    problems = [_describe(error, model, document, label) for error in err.errors()]
    problems.sort(key=lambda problem: problem[1])
    message, first, last, hint = problems[0]
    if len(problems) > 1:
        others = len(problems) - 1
        message += f" (and {others} more problem{'s' if others > 1 else ''} in this section)"
    return reporter.error(message, first, last, hint=hint)


def _describe(error: dict, model: type[BaseModel], document: YamlDocument, label: str):
    loc = tuple(part for part in error["loc"] if isinstance(part, int) or not str(part).startswith("["))
    kind = error["type"]
    hint = None
    span_path = loc
    if kind == WERF_ERROR:
        ctx = error.get("ctx") or {}
        key = ctx.get("key")
        if key is not None:
            span_path = loc + (key if isinstance(key, tuple) else (key,))
        hint = ctx.get("hint")
        message = f"{place(loc, label)}: {ctx.get('message', error['msg'])}"
    elif kind == "extra_forbidden":
        message, hint = _unknown_key(loc, model, label)
    elif kind == "missing":
        message = f'missing required key "{loc[-1]}" in {place(loc[:-1], label)}'
        span_path = loc[:-1]
    elif kind in _EXPECTED:
        message = f"{place(loc, label)}: expected {_EXPECTED[kind]}, got {describe_value(error.get('input'))}"
    else:
        message = f"{place(loc, label)}: {error['msg']}"
    span = document.span(span_path)
    if kind == "missing" and span_path:
        # the mapping that lacks the key: quote its first line only, the key belongs there
        return message, span.first, span.first, hint
    return message, span.first, span.last, hint


def _unknown_key(loc: tuple, model: type[BaseModel], label: str) -> tuple[str, str | None]:
    key, parent = str(loc[-1]), loc[:-1]
    owner = model_at(model, parent)
    if owner is StapelArtifact and key in _ARTIFACT_ONLY_FOR_IMAGES:
        message, hint = _ARTIFACT_ONLY_FOR_IMAGES[key]
        return f"{message} ({label})", hint
    if owner is DockerInstructions and key in UNSUPPORTED_INSTRUCTIONS:
        return f"{UNSUPPORTED_INSTRUCTIONS[key]} ({place(parent, label)})", \
            "supported: " + ", ".join(valid_keys(DockerInstructions))
    message = f'unknown key "{key}" in {place(parent, label)}'
    hint = None
    if owner is not None:
        keys = valid_keys(owner)
        elsewhere = werf_key_places(key, owner)
        suggestion = closest_key(key, keys)
        if suggestion and elsewhere and key.startswith(suggestion) and key[len(suggestion):][:1].isupper():
            suggestion = None  # `imageSpec` is a key of its own (another camelCase word), not a misspelt `image`
        if suggestion:
            message += f'; did you mean "{suggestion}"?'
        if elsewhere:
            message += f"{' (' if suggestion else '; '}`{key}` is a werf key of {alternatives_text(elsewhere)}" \
                       f"{')' if suggestion else ', not of this mapping'}"
        hint = "valid keys here: " + ", ".join(keys)
    return message, hint


def _section_models() -> list[type[BaseModel]]:
    from werf_core.config.schema import DockerfileImage, Meta, StapelImage
    return [Meta, StapelImage, StapelArtifact, DockerfileImage]


_MODEL_PLACES: dict[str, str] = {
    "Meta": "the meta section", "StapelImage": "stapel image sections", "StapelArtifact": "artifact sections",
    "DockerfileImage": "Dockerfile image sections", "MetaBuild": "the meta section's `build`",
    "DeployTemplates": "the meta section's `deploy`", "Cleanup": "the meta section's `cleanup`",
    "GitWorktree": "the meta section's `gitWorktree`", "ImageSpec": "`imageSpec`",
    "ImageSpecConfig": "`imageSpec.config`", "GlobalImageSpec": "`build.imageSpec`",
    "GlobalImageSpecConfig": "`build.imageSpec.config`", "DockerInstructions": "`docker`", "Shell": "`shell`",
    "Ansible": "`ansible`", "GitMapping": "`git` entries", "Import": "`import` entries",
    "Dependency": "`dependencies` entries", "DockerfileDependency": "`dependencies` entries",
    "BuildSecret": "`secrets` entries", "Mount": "`mount` entries", "KeepPolicy": "`cleanup.keepPolicies`",
}


def _all_models(model: type[BaseModel], seen: dict[str, type[BaseModel]]) -> None:
    if model.__name__ in seen:
        return
    seen[model.__name__] = model
    for field in model.model_fields.values():
        inner = _element_model(field.annotation)
        if inner is not None:
            _all_models(inner, seen)


_KEY_PLACES: dict[str, list[type[BaseModel]]] | None = None


def werf_key_places(key: str, owner: type[BaseModel]) -> list[str]:
    """Where else in werf.yaml (1.1, 1.2 or 2.x) `key` is valid: a key written in the wrong place is not a typo."""
    global _KEY_PLACES
    if _KEY_PLACES is None:
        models: dict[str, type[BaseModel]] = {}
        for section in _section_models():
            _all_models(section, models)
        places: dict[str, list[type[BaseModel]]] = {}
        for model in models.values():
            for alias in valid_keys(model):
                places.setdefault(alias, []).append(model)
        _KEY_PLACES = places
    found = [m for m in _KEY_PLACES.get(key, []) if m is not owner and m.__name__ in _MODEL_PLACES]
    return list(dict.fromkeys(_MODEL_PLACES[m.__name__] for m in found))


def alternatives_text(places: list[str]) -> str:
    return places[0] if len(places) == 1 else ", ".join(places[:-1]) + " and " + places[-1]


def closest_key(key: str, candidates: list[str]) -> str | None:
    lowered = {candidate.lower(): candidate for candidate in candidates}
    if key.lower() in lowered:
        return lowered[key.lower()]
    matches = difflib.get_close_matches(key, candidates, n=1, cutoff=0.6)
    if not matches:
        matches = difflib.get_close_matches(key.lower(), list(lowered), n=1, cutoff=0.6)
        matches = [lowered[m] for m in matches]
    return matches[0] if matches else None


def valid_keys(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def model_at(model: type[BaseModel], path: tuple) -> type[BaseModel] | None:
    """The model class that validates the mapping at `path` inside a document of `model`, if there is one."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue  # list items: the element model was already chosen with the list's field
        field = next((f for name, f in current.model_fields.items() if (f.alias or name) == part), None)
        if field is None:
            return None
        current = _element_model(field.annotation)
        if current is None:
            return None
    return current


def _element_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _element_model(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, tuple, list):
        for arg in typing.get_args(annotation):
            found = _element_model(arg)
            if found is not None:
                return found
    return None
