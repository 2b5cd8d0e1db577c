"""`import:` (files from another image, artifact or — werf 2.x `from:` — an external image reference) and v1.2's
`dependencies:` (another image's name/ID/repo/tag/digest, as environment variables of stapel images or build
arguments of Dockerfile images)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, model_validator

from werf_core.config.schema.base import AbsPath, NonEmptyStr, RelPathList, WerfModel, YamlStr, one_of, werf_error
from werf_core.gopath import climbs_out

IMPORT_STAGES = ("install", "setup")
IMPORT_SOURCE_STAGES = ("beforeInstall", "install", "beforeSetup", "setup")
DEPENDENCY_IMPORT_TYPES = ("ImageName", "ImageID", "ImageRepo", "ImageTag", "ImageDigest")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# an external image needs a tag or a digest (werf 2.x): repo[:tag][@sha256:...] with at least one of them
_EXTERNAL_REFERENCE = re.compile(r"^[a-z0-9][a-z0-9._/:-]*?(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
                                 r"(@sha256:[a-f0-9]{64})?$")


def is_external_reference(name: str) -> bool:
    """`nginx:1.25`, `ghcr.io/o/app@sha256:…`: an image outside werf.yaml (a tag or digest is required)."""
    if not _EXTERNAL_REFERENCE.match(name):
        return False
    last = name.rsplit("/", 1)[-1]
    return "@sha256:" in name or ":" in last


class Import(WerfModel):
    """Copy `add` from the image or artifact's last stage (or `stage`) to `to`, before or after install/setup."""

    image: YamlStr | None = None
    artifact: YamlStr | None = None
    from_: YamlStr | None = Field(default=None, alias="from")
    before: Annotated[str | None, one_of(IMPORT_STAGES, "import stage `before`")] = None
    after: Annotated[str | None, one_of(IMPORT_STAGES, "import stage `after`")] = None
    stage: Annotated[str | None, one_of(IMPORT_SOURCE_STAGES, "source `stage`")] = None
    add: AbsPath
    to: AbsPath | None = None     # defaults to `add`; never None once validated
    include_paths: RelPathList = ()
    exclude_paths: RelPathList = ()
    owner: YamlStr | None = None
    group: YamlStr | None = None

    @model_validator(mode="before")
    @classmethod
    def _to_defaults_to_add(cls, data: Any) -> Any:
        # only a usable `add` is copied: a bad one is reported once, as `add`, not a second time as `to`
        if isinstance(data, dict) and data.get("to") is None and isinstance(data.get("add"), str) \
                and data["add"].startswith("/") and not climbs_out(data["add"]):
            return {**data, "to": data["add"]}
        return data

    @model_validator(mode="after")
    def _rules(self) -> Import:
        sources = [key for key, value in (("image", self.image), ("artifact", self.artifact), ("from", self.from_))
                   if value]
        if len(sources) > 1:
            raise werf_error(f"an import takes only one source: `{sources[0]}` or `{sources[1]}`, not both",
                             key=sources[1])
        if not sources:
            raise werf_error("an import needs its source: `image: NAME` or `artifact: NAME` (werf 2.x: `from: NAME|IMAGE:TAG`)")
        if self.before and self.after:
            raise werf_error("an import takes only one of `before: install|setup` or `after: install|setup`",
                             key="after")
        if not self.before and not self.after:
            raise werf_error("an import needs its place: `before: install|setup` or `after: install|setup`")
        return self

    @property
    def source_name(self) -> str:
        return self.image or self.artifact or self.from_ or ""

    @property
    def source_is_artifact(self) -> bool:
        return bool(self.artifact)

    @property
    def stage_name(self) -> str:
        """The import stage that runs it: importsBeforeInstall, importsAfterInstall, importsBeforeSetup or
        importsAfterSetup."""
        relation, target = ("Before", self.before) if self.before else ("After", self.after)
        return f"imports{relation}{target.capitalize()}"


class DependencyImport(WerfModel):
    """One fact about the dependency image passed into the build as an environment variable."""

    type: Annotated[str, one_of(DEPENDENCY_IMPORT_TYPES, "dependency import `type`")]
    target_build_arg: YamlStr | None = None
    target_env: YamlStr | None = None

    @model_validator(mode="after")
    def _stapel_target(self) -> DependencyImport:
        # stapel images receive dependencies as environment variables; build args are for Dockerfile images
        if self.target_build_arg:
            raise werf_error("`targetBuildArg` is for Dockerfile images; a stapel image takes `targetEnv: NAME`",
                             key="targetBuildArg")
        if not self.target_env:
            raise werf_error("a dependency import needs `targetEnv: NAME` (the variable that receives the value)")
        if not _VARIABLE.match(self.target_env):
            raise werf_error(f'invalid environment variable name "{self.target_env}"', key="targetEnv")
        return self

    @property
    def target(self) -> str:
        return self.target_env or ""


class DockerfileDependencyImport(WerfModel):
    """One fact about the dependency image passed to `docker build` as a build argument."""

    type: Annotated[str, one_of(DEPENDENCY_IMPORT_TYPES, "dependency import `type`")]
    target_build_arg: YamlStr | None = None
    target_env: YamlStr | None = None

    @model_validator(mode="after")
    def _dockerfile_target(self) -> DockerfileDependencyImport:
        if self.target_env:
            raise werf_error("`targetEnv` is for stapel images; a Dockerfile image takes `targetBuildArg: NAME`",
                             key="targetEnv")
        if not self.target_build_arg:
            raise werf_error("a dependency import needs `targetBuildArg: NAME` (the ARG that receives the value)")
        if not _VARIABLE.match(self.target_build_arg):
            raise werf_error(f'invalid build argument name "{self.target_build_arg}"', key="targetBuildArg")
        return self

    @property
    def target(self) -> str:
        return self.target_build_arg or ""


class DockerfileDependency(WerfModel):
    """Another image a Dockerfile image needs built first, and which of its facts become build arguments."""

    image: NonEmptyStr
    imports: tuple[DockerfileDependencyImport, ...] = ()

    @model_validator(mode="after")
    def _rules(self) -> DockerfileDependency:
        _unique_targets(self.imports, "targetBuildArg")
        return self


def _unique_targets(imports: tuple, what: str) -> None:
    seen: set[str] = set()
    for item in imports:
        if item.target in seen:
            raise werf_error(f'each {what} of a dependency must be unique; "{item.target}" is used twice',
                             key="imports")
        seen.add(item.target)


class Dependency(WerfModel):
    """Another image this one needs at build time, and which of its facts to pass in."""

    image: NonEmptyStr
    before: Annotated[str | None, one_of(IMPORT_STAGES, "dependency stage `before`")] = None
    after: Annotated[str | None, one_of(IMPORT_STAGES, "dependency stage `after`")] = None
    imports: tuple[DependencyImport, ...] = ()

    @model_validator(mode="after")
    def _rules(self) -> Dependency:
        if self.before and self.after:
            raise werf_error("a dependency takes only one of `before: install|setup` or `after: install|setup`",
                             key="after")
        if not self.before and not self.after:
            raise werf_error("a dependency needs its place: `before: install|setup` or `after: install|setup`")
        _unique_targets(self.imports, "targetEnv")
        return self
