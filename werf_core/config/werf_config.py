"""The loaded, validated config: meta, images, artifacts, Dockerfile images, and the order to build them in."""

from __future__ import annotations

from dataclasses import dataclass, field

from werf_core.config.documents import Section
from werf_core.config.schema import DockerfileImage, ImageLike, ImageSpec, Meta, StapelArtifact, StapelImage
from werf_core.errors import ConfigError


@dataclass(frozen=True)
class WerfConfig:
    meta: Meta
    images: tuple[StapelImage, ...]
    artifacts: tuple[StapelArtifact, ...]
    dockerfile_images: tuple[DockerfileImage, ...]
    config_path: str = "werf.yaml"
    rendered: str = ""                                      # the rendered config text
    warnings: tuple[str, ...] = ()
    _sections: tuple[Section, ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def from_sections(cls, meta: Meta, sections: list[Section], *, config_path: str, rendered: str) -> WerfConfig:
        from werf_core.config.ignored_keys import ignored_keys_warning
        warnings: list[str] = []
        for section in sections:
            for warning in section.image.warnings():
                if warning not in warnings:
                    warnings.append(warning)
        build_cache_version = meta.build.cache_version if meta.build is not None else None
        if build_cache_version:
            for section in sections:
                if hasattr(section.model, "_build_cache_version"):
                    section.model._build_cache_version = build_cache_version
        build_platform = meta.build.platform if meta.build is not None else ()
        if build_platform:
            for section in sections:
                if hasattr(section.model, "_build_platform"):
                    section.model._build_platform = build_platform
        ignored = ignored_keys_warning(meta, [section.model for section in sections])
        if ignored:
            warnings.append(ignored)
        return cls(meta=meta,
                   images=tuple(s.model for s in sections if isinstance(s.model, StapelImage)),
                   artifacts=tuple(s.model for s in sections if isinstance(s.model, StapelArtifact)),
                   dockerfile_images=tuple(s.model for s in sections if isinstance(s.model, DockerfileImage)),
                   config_path=config_path, rendered=rendered, warnings=tuple(warnings), _sections=tuple(sections))

    # --- lookup ----------------------------------------------------------------------------------------------------

    def all(self) -> list[ImageLike]:
        """Images, Dockerfile images and artifacts in the order the config defines them."""
        return [section.image for section in self._sections]

    def image_names(self) -> list[str | None]:
        """Names of the images (stapel and Dockerfile, not artifacts) in config order; None is the nameless image."""
        return [model.name for model in self.all() if not model.is_artifact]

    def image_spec_of(self, name: str | None) -> ImageSpec | None:
        """The image's `imageSpec` with the meta `build.imageSpec` defaults merged in (werf's rules)."""
        from werf_core.config.schema.image_spec import merged_with_defaults
        model = self.require(name)
        if model.is_artifact:
            return None
        own = getattr(model, "image_spec", None)
        build = self.meta.build
        if build is None or not getattr(model, "final", True):  # werf applies the defaults to final images only
            return own
        return merged_with_defaults(own, build.image_spec)

    def intermediate_image_names(self) -> frozenset[str | None]:
        """Images marked `final: false` (werf 1.2): built for other images, never published."""
        return frozenset(model.name for model in self.all() if not model.is_artifact and not getattr(model, "final",
                                                                                                        True))

    def artifact_names(self) -> list[str]:
        return [artifact.name for artifact in self.artifacts]

    def get(self, name: str | None) -> ImageLike | None:
        """The image, Dockerfile image or artifact called `name` (None: the nameless image)."""
        for model in self.all():
            if model.name == name:
                return model
        return None

    def require(self, name: str | None) -> ImageLike:
        found = self.get(name)
        if found is None:
            defined = ", ".join("~" if n is None else n for n in [*self.image_names(), *self.artifact_names()])
            shown = "the nameless image (~)" if name is None else f'image "{name}"'
            raise ConfigError(f"{shown} is not defined in {self.config_path}", path=self.config_path,
                              hint=f"defined: {defined}" if defined else "the config defines no images")
        return found

    def document_text(self, name: str | None) -> str:
        """The rendered YAML document that defines `name`."""
        self.require(name)
        return next(s.document.text for s in self._sections if s.image.name == name)

    # --- build order -----------------------------------------------------------------------------------------------

    def dependencies_of(self, image: ImageLike) -> list[ImageLike]:
        """Images and artifacts `image` is built from or with (fromImage, fromArtifact, import, dependencies)."""
        result: list[ImageLike] = []
        for ref in image.source_references():
            target = self._resolve(ref.name, ref.kind)
            if target is not None and all(target is not known for known in result):
                result.append(target)
        return result

    def _resolve(self, name: str, kind: str) -> ImageLike | None:
        candidates = [m for m in self.all() if m.name == name]
        if kind == "artifact":
            candidates = [m for m in candidates if m.is_artifact]
        elif kind == "image":
            candidates = [m for m in candidates if not m.is_artifact]
        return candidates[0] if candidates else None

    def dependency_sets(self, names: list[str | None] | None = None) -> list[list[ImageLike]]:
        """Build order: set N holds images whose sources are all in earlier sets; each set can be built in parallel.

        `names` selects images (and artifacts) by name, pulling in everything they need; None selects every image.
        Within a set, images keep their config order.
        """
        if names is None:
            wanted = [model for model in self.all() if not model.is_artifact]
        else:
            wanted = []
            for name in names:
                model = self.require(name)
                if all(model is not known for known in wanted):
                    wanted.append(model)
        needed: dict[int, ImageLike] = {}
        queue = list(wanted)
        while queue:
            model = queue.pop(0)
            if id(model) in needed:
                continue
            needed[id(model)] = model
            queue.extend(self.dependencies_of(model))
        remaining = [model for model in self.all() if id(model) in needed]
        built: set[int] = set()
        sets: list[list[ImageLike]] = []
        while remaining:
            ready = [m for m in remaining if all(id(dep) in built for dep in self.dependencies_of(m))]
            if not ready:  # loops are rejected when loading; this guards configs assembled by hand
                names_left = ", ".join("~" if m.name is None else m.name for m in remaining)
                raise ConfigError(f"infinite loop detected between {names_left}", path=self.config_path)
            sets.append(ready)
            built.update(id(m) for m in ready)
            remaining = [m for m in remaining if id(m) not in built]
        return sets
