"""Stapel images and artifacts: a base (`from`, `fromImage`, ...), git mappings, shell or ansible, imports, mounts.

An image (`image: NAME`) is published; an artifact (`artifact: NAME`) only feeds other images through `import` (or as
a deprecated base). Artifacts have no gitCache/gitLatestPatch stages and no `docker:` instructions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, PrivateAttr, StrictBool, model_validator

from werf_core.config.schema.base import NonEmptyStr, SourceAware, YamlStr, describe_value, werf_error
from werf_core.config.schema.builders import Ansible, Shell
from werf_core.config.schema.docker import DockerInstructions
from werf_core.config.schema.git import GitMapping
from werf_core.config.schema.image_spec import ImageSpec
from werf_core.config.schema.imports import Dependency, Import
from werf_core.config.schema.mounts import Mount
from werf_core.config.schema.platforms import PlatformList
from werf_core.config.schema.secrets import BuildSecret, check_unique_ids

FROM_LATEST_ACKNOWLEDGEMENT = "herebyIAdmitThatFromLatestMightBreakReproducibility"
BASE_DIRECTIVES = ("from", "fromImage", "fromArtifact", "fromImageArtifact")

FROM_IMAGE_ARTIFACT_DEPRECATION = (
    "WARNING: `fromImageArtifact` is deprecated: do not use artifacts as a base for other images. An artifact is "
    "cached after its first build and ignores later changes in the project repository unless `stageDependencies` "
    "say otherwise, which leads to surprising, hard to trace results.")


@dataclass(frozen=True)
class SourceReference:
    """An image or artifact this one is built from or with; `path` locates the directive in the document."""

    name: str
    kind: str          # "image", "artifact" or "image-or-artifact"
    directive: str     # e.g. "fromImage", "import[0]", "dependencies[1]"
    path: tuple[Any, ...]


def _image_name(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    raise werf_error(f"an image name must be a string (or ~ for the nameless image), got {describe_value(value)}")


class StapelBase(SourceAware):
    from_: YamlStr | None = Field(default=None, alias="from")
    from_image: YamlStr | None = None
    from_artifact: YamlStr | None = None
    from_image_artifact: YamlStr | None = None
    from_latest: StrictBool = False
    hereby_i_admit_that_from_latest_might_break_reproducibility: StrictBool = False
    from_cache_version: YamlStr | None = None
    git: tuple[GitMapping, ...] = ()
    shell: Shell | None = None
    ansible: Ansible | None = None
    imports: tuple[Import, ...] = Field(default=(), alias="import")
    dependencies: tuple[Dependency, ...] = ()
    mount: tuple[Mount, ...] = ()
    as_layers: StrictBool = False
    platform: PlatformList = ()
    cache_version: NonEmptyStr | None = None
    secrets: tuple[BuildSecret, ...] = ()

    is_artifact: ClassVar[bool] = False
    # the meta section's build.cacheVersion, given to every image when the config is assembled
    _build_cache_version: str | None = PrivateAttr(default=None)
    _build_platform: tuple[str, ...] = PrivateAttr(default=())

    @property
    def platforms(self) -> tuple[str, ...]:
        """The image's `platform`, else build.platform (werf: the image's list has priority); () is the host's."""
        return self.platform or self._build_platform

    @property
    def cache_versions(self) -> tuple[str, ...]:
        """build.cacheVersion and the image's cacheVersion (werf 1.2+), those that are set, in that order."""
        return tuple(v for v in (self._build_cache_version, self.cache_version) if v)

    @model_validator(mode="after")
    def _base_rules(self) -> StapelBase:
        bases = [(key, value) for key, value in zip(BASE_DIRECTIVES, (self.from_, self.from_image, self.from_artifact,
                                                                      self.from_image_artifact)) if value]
        if not bases:
            raise werf_error("a base is required: `from: DOCKER_IMAGE`, `fromImage: IMAGE_NAME` or "
                             "`fromArtifact: ARTIFACT_NAME`")
        if len(bases) > 1:
            raise werf_error(f"conflict between `{bases[0][0]}` and `{bases[1][0]}`: an image has exactly one base",
                             key=bases[1][0])
        if self.from_latest and not self.hereby_i_admit_that_from_latest_might_break_reproducibility:
            raise werf_error(
                "`fromLatest: true` puts the current digest of the base image into the stage digests: when the base "
                "image is updated in its registry, every stage built before becomes unusable and earlier pipeline jobs "
                "cannot be retried without a rebuild",
                key="fromLatest",
                hint=f"use a fixed tag and bump `fromCacheVersion` to pick up base image updates, or add "
                     f"`{FROM_LATEST_ACKNOWLEDGEMENT}: true`")
        if self.shell is not None and self.ansible is not None:
            raise werf_error("cannot use the shell and ansible builders at the same time", key="ansible",
                             hint="keep one of `shell:` or `ansible:` in this image")
        seen: dict[str, int] = {}
        for index, mount in enumerate(self.mount):
            if mount.to in seen:
                raise werf_error(f'conflict between mounts: mount[{seen[mount.to]}] and mount[{index}] both mount '
                                 f'at "{mount.to}"', key=("mount", index, "to"))
            seen[mount.to] = index
        check_unique_ids(self.secrets)
        return self

    @property
    def base_image_reference(self) -> str | None:
        """The Docker image reference of `from:`, or None when the base is another image or artifact."""
        return self.from_

    @property
    def base_name(self) -> str | None:
        """The image or artifact named by `fromImage`, `fromArtifact` or `fromImageArtifact`."""
        return self.from_image or self.from_artifact or self.from_image_artifact

    def source_references(self) -> tuple[SourceReference, ...]:
        """Everything that must be built before this image, in directive order."""
        refs = []
        if self.from_image:
            refs.append(SourceReference(self.from_image, "image", "fromImage", ("fromImage",)))
        if self.from_artifact:
            refs.append(SourceReference(self.from_artifact, "artifact", "fromArtifact", ("fromArtifact",)))
        if self.from_image_artifact:
            refs.append(SourceReference(self.from_image_artifact, "artifact", "fromImageArtifact",
                                        ("fromImageArtifact",)))
        for index, imp in enumerate(self.imports):
            kind, key = ("artifact", "artifact") if imp.source_is_artifact else ("image", "image")
            if imp.from_ is not None:
                kind, key = "image-or-external", "from"
            refs.append(SourceReference(imp.source_name, kind, f"import[{index}]", ("import", index, key)))
        for index, dep in enumerate(self.dependencies):
            refs.append(SourceReference(dep.image, "image-or-artifact", f"dependencies[{index}]",
                                        ("dependencies", index, "image")))
        return tuple(refs)

    def warnings(self) -> tuple[str, ...]:
        return (FROM_IMAGE_ARTIFACT_DEPRECATION,) if self.from_image_artifact else ()


class StapelImage(StapelBase):
    """`image: NAME` (or `~`, the nameless image). `image: [a, b]` yields one StapelImage per name."""

    name: Annotated[str | None, BeforeValidator(_image_name)] = Field(alias="image")
    docker: DockerInstructions | None = None
    image_spec: ImageSpec | None = None
    final: StrictBool = True
    disable_git_after_patch: StrictBool = False

    @model_validator(mode="after")
    def _docker_or_image_spec(self) -> StapelImage:
        if self.docker is not None and self.image_spec is not None:
            raise werf_error("`docker` and `imageSpec` cannot be used together in one image", key="imageSpec",
                             hint="move the docker instructions into imageSpec.config (user, cmd, entrypoint, "
                                  "workingDir, env, labels, volumes, expose, healthcheck)")
        return self


class StapelArtifact(StapelBase):
    """`artifact: NAME` — built only to be imported into (or, deprecated, to be the base of) other images."""

    name: NonEmptyStr = Field(alias="artifact")

    is_artifact: ClassVar[bool] = True
