"""Images built from a Dockerfile (`image: NAME` + `dockerfile: PATH`)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field

from werf_core.config.schema.base import PlainMapping, SourceAware, StrList, YamlStr, describe_value, werf_error
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

    is_artifact: ClassVar[bool] = False

    def source_references(self) -> tuple[Any, ...]:
        return ()

    def warnings(self) -> tuple[str, ...]:
        return ()
