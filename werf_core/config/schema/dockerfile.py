"""Images built from a Dockerfile (`image: NAME` + `dockerfile: PATH`)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, PrivateAttr, StrictBool, model_validator

from werf_core.config.schema.base import (
    NonEmptyStr,
    PlainMapping,
    SourceAware,
    StrList,
    YamlStr,
    describe_value,
    werf_error,
)
from werf_core.config.schema.image_spec import ImageSpec
from werf_core.config.schema.imports import DockerfileDependency
from werf_core.config.schema.platforms import PlatformList
from werf_core.config.schema.secrets import BuildSecret, check_unique_ids
from werf_core.gopath import clean as go_path_clean
from werf_core.gopath import climbs_out


def _image_name(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    raise werf_error(f"an image name must be a string (or ~ for the nameless image), got {describe_value(value)}")


def _project_relative(what: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise werf_error(f"`{what}` must be a path relative to the project directory, got {describe_value(value)}")
        if value.startswith("/"):
            raise werf_error(f'`{what}` must be relative to the project directory, got the absolute path "{value}"')
        if climbs_out(value):
            raise werf_error(f'`{what}` "{value}" leads outside the project directory with ".."',
                             hint='give a path inside the project directory, without ".." segments that leave it')
        return go_path_clean(value)
    return BeforeValidator(check)


class DockerfileImage(SourceAware):
    """Built with `docker build`: `dockerfile` and `context` are relative to the project directory."""

    name: Annotated[str | None, BeforeValidator(_image_name)] = Field(alias="image")
    dockerfile: Annotated[str, _project_relative("dockerfile")]
    context: Annotated[str | None, _project_relative("context")] = None
    target: YamlStr | None = None
    args: PlainMapping = Field(default_factory=dict)
    add_host: StrList = ()
    network: YamlStr | None = None
    ssh: YamlStr | None = None
    final: StrictBool = True
    cache_version: NonEmptyStr | None = None
    platform: PlatformList = ()
    staged: StrictBool = False
    context_add_files: StrList = ()
    secrets: tuple[BuildSecret, ...] = ()
    dependencies: tuple[DockerfileDependency, ...] = ()
    image_spec: ImageSpec | None = None

    is_artifact: ClassVar[bool] = False
    # the meta section's build.cacheVersion and build.platform, given to every image when the config is assembled
    _build_cache_version: str | None = PrivateAttr(default=None)
    _build_platform: tuple[str, ...] = PrivateAttr(default=())

    @property
    def cache_versions(self) -> tuple[str, ...]:
        """build.cacheVersion and the image's cacheVersion, those that are set, in that order."""
        return tuple(v for v in (self._build_cache_version, self.cache_version) if v)

    @property
    def platforms(self) -> tuple[str, ...]:
        """The image's `platform`, else build.platform (werf: the image's list has priority); () is the host's."""
        return self.platform or self._build_platform

    @model_validator(mode="after")
    def _rules(self) -> DockerfileImage:
        check_unique_ids(self.secrets)
        for index, dependency in enumerate(self.dependencies):
            for number, item in enumerate(dependency.imports):
                if item.target in self.args:
                    raise werf_error(f'build argument "{item.target}" is set both by `args` and by '
                                     f"dependencies[{index}]", key=("dependencies", index, "imports", number),
                                     hint="remove one of them: a dependency's value would silently win")
        for path in self.context_add_files:
            if path.startswith("/") or ".." in path.split("/"):
                raise werf_error(f'`contextAddFiles` paths must be relative to the context, got "{path}"',
                                 key="contextAddFiles")
        return self

    def source_references(self) -> tuple[Any, ...]:
        from werf_core.config.schema.stapel import SourceReference
        return tuple(SourceReference(dep.image, "image", f"dependencies[{index}]", ("dependencies", index, "image"))
                     for index, dep in enumerate(self.dependencies))

    def warnings(self) -> tuple[str, ...]:
        return ()
