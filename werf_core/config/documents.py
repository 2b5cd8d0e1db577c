"""One YAML document of werf.yaml → its typed section(s): meta, stapel image(s), artifact or Dockerfile image(s).

Classification follows werf: a document with `configVersion` is the meta section, one with `dockerfile` is a
Dockerfile image, one with `image` or `artifact` is a stapel image or artifact; anything else is an error.
`image: [a, b]` is one document describing several images with the same configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from werf_core.config.exports import Export, ExportConflict, resolve_overlaps
from werf_core.config.schema import DockerfileImage, Meta, StapelArtifact, StapelBase, StapelImage
from werf_core.config.schema.base import SourceAware, describe_value
from werf_core.config.source_map import ErrorReporter
from werf_core.config.validation_errors import config_error_from_validation, format_path
from werf_core.config.yaml_documents import YamlDocument, YamlLocationError, load_document

SECTION_HINT = ("a section needs `configVersion: 1` (the meta section), `image: NAME` or `artifact: NAME` (stapel), or "
                "`image: NAME` with `dockerfile: PATH`")


@dataclass
class Section:
    """A validated model with the document it came from (for cross-document errors)."""

    model: SourceAware
    document: YamlDocument
    label: str

    @property
    def image(self) -> StapelImage | StapelArtifact | DockerfileImage:
        """The model of an image, artifact or Dockerfile image section (never the meta section)."""
        assert isinstance(self.model, (StapelImage, StapelArtifact, DockerfileImage)), f"{self.label} is no image"
        return self.model

    @property
    def meta(self) -> Meta:
        assert isinstance(self.model, Meta), f"{self.label} is not the meta section"
        return self.model

    @property
    def kind(self) -> str:
        if isinstance(self.model, Meta):
            return "meta"
        if isinstance(self.model, DockerfileImage):
            return "dockerfile"
        return "artifact" if isinstance(self.model, StapelArtifact) else "image"


def image_label(name: str | None, kind: str = "image") -> str:
    if kind == "artifact":
        return f'artifact "{name}"'
    prefix = "Dockerfile image" if kind == "dockerfile" else "image"
    return f"nameless {prefix}" if name is None else f'{prefix} "{name}"'


def parse_document(document: YamlDocument, reporter: ErrorReporter) -> list[Section]:
    """Load, classify and validate one document; every mistake raises a ConfigError at its source line."""
    try:
        load_document(document)
    except YamlLocationError as err:
        raise reporter.error(err.message, err.line, err.last_line, hint=err.hint) from None
    data = document.data
    span = document.span(())
    if not isinstance(data, dict):
        raise reporter.error(f"a config section must be a mapping of keys to values, got {describe_value(data)}",
                             span.first, span.first, hint=SECTION_HINT)
    if "configVersion" in data:
        return [_validate(Meta, data, document, "the meta section", reporter)]
    if "dockerfile" in data:
        names = _image_names(data, document, reporter)
        return _named_copies(DockerfileImage, data, names, document, "dockerfile", reporter)
    if "image" in data and "artifact" in data:
        line = document.span(("artifact",)).first
        raise reporter.error("a section is either an image (`image: NAME`) or an artifact (`artifact: NAME`), not "
                             "both", line, hint="split it into two sections separated by a `---` line")
    if "image" in data:
        names = _image_names(data, document, reporter)
        return _named_copies(StapelImage, data, names, document, "image", reporter)
    if "artifact" in data:
        artifact = data["artifact"]
        label = image_label(artifact if isinstance(artifact, str) else str(artifact), "artifact")
        return [_validate(StapelArtifact, data, document, label, reporter)]
    raise reporter.error("cannot recognize type of config section: none of `configVersion`, `image`, `artifact` or "
                         "`dockerfile` is set", span.first, span.last, hint=SECTION_HINT)


def _image_names(data: dict[str, Any], document: YamlDocument, reporter: ErrorReporter) -> list[str | None]:
    value = data.get("image")
    if not isinstance(value, list):
        return [value]
    span = document.span(("image",))
    if not value:
        raise reporter.error("`image:` is an empty list; give at least one name", span.first, span.last)
    for index, name in enumerate(value):
        if not isinstance(name, str) or not name:
            item = document.span(("image", index))
            raise reporter.error(f"image names in a list must be non-empty strings, got {describe_value(name)}",
                                 item.first, item.last,
                                 hint="the nameless image (`image: ~`) cannot be part of a list")
    duplicates = sorted({name for name in value if value.count(name) > 1})
    if duplicates:
        raise reporter.error(f'image "{duplicates[0]}" is listed twice in `image:`', span.first, span.last)
    return list(value)


def _named_copies(model: type, data: dict[str, Any], names: list[str | None], document: YamlDocument, kind: str,
                  reporter: ErrorReporter) -> list[Section]:
    """Validate once, then give every name listed in `image:` its own copy (frozen models share the nested parts)."""
    label = image_label(names[0], kind) if len(names) == 1 else \
        ("Dockerfile images " if kind == "dockerfile" else "images ") + ", ".join(f'"{n}"' for n in names)
    first = _validate(model, {**data, "image": names[0]}, document, label, reporter)
    sections = [first]
    for name in names[1:]:
        sections.append(Section(first.model.model_copy(update={"name": name}), document, image_label(name, kind)))
    if len(names) > 1:
        first.label = image_label(names[0], kind)
    return sections


def _validate(model: type[SourceAware], data: dict[str, Any], document: YamlDocument, label: str,
              reporter: ErrorReporter) -> Section:
    try:
        instance = model.model_validate(data)
    except ValidationError as err:
        raise config_error_from_validation(err, model, document, label, reporter) from None
    if isinstance(instance, StapelBase):
        instance = _with_overlaps_resolved(instance, document, label, reporter)
    instance._source = reporter.location(document.content_line)
    return Section(instance, document, label)


def _with_overlaps_resolved(model: StapelBase, document: YamlDocument, label: str,
                            reporter: ErrorReporter) -> StapelBase:
    """Apply werf's automatic excludes between overlapping git mappings and imports (see exports.py)."""
    # werf's order: local git mappings, then remote ones, then imports; the order decides which excludes are added
    git = sorted(enumerate(model.git), key=lambda item: item[1].is_remote)
    exports = [Export(m.to, list(m.include_paths), list(m.exclude_paths), ("git", i)) for i, m in git]
    exports += [Export(imp.to or imp.add, list(imp.include_paths), list(imp.exclude_paths), ("import", i))
                for i, imp in enumerate(model.imports)]
    try:
        resolve_overlaps(exports)
    except ExportConflict as conflict:
        span = document.span(conflict.second.path)
        first, second = conflict.first, conflict.second
        raise reporter.error(
            f'conflict between exports of {label}: {format_path(first.path)} (to "{first.to}") and '
            f'{format_path(second.path)} (to "{second.to}") would write the same files', span.first, span.last,
            hint="narrow one of them with includePaths, or put them into different directories") from None
    if not any(export.added for export in exports):
        return model
    updated = {export.path: tuple(export.exclude_paths) for export in exports if export.added}
    return model.model_copy(update={
        "git": tuple(m.model_copy(update={"exclude_paths": updated[("git", i)]}) if ("git", i) in updated else m
                     for i, m in enumerate(model.git)),
        "imports": tuple(imp.model_copy(update={"exclude_paths": updated[("import", i)]})
                         if ("import", i) in updated else imp for i, imp in enumerate(model.imports)),
    })
