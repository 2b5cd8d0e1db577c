"""`import:` (files from another image or artifact) and v1.2's `dependencies:` (another image's name/ID/digest...)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import model_validator

from werf_core.config.schema.base import AbsPath, NonEmptyStr, RelPathList, WerfModel, YamlStr, one_of, werf_error
from werf_core.gopath import climbs_out

IMPORT_STAGES = ("install", "setup")
IMPORT_SOURCE_STAGES = ("beforeInstall", "install", "beforeSetup", "setup")
DEPENDENCY_IMPORT_TYPES = ("ImageName", "ImageID", "ImageRepo", "ImageTag", "ImageDigest")


class Import(WerfModel):
    """Copy `add` from the image or artifact's last stage (or `stage`) to `to`, before or after install/setup."""

    image: YamlStr | None = None
    artifact: YamlStr | None = None
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
        if bool(self.image) == bool(self.artifact):
            if self.image:
                raise werf_error("an import takes only one source: `image: NAME` or `artifact: NAME`, not both",
                                 key="artifact")
            raise werf_error("an import needs its source: `image: NAME` or `artifact: NAME`")
        if self.before and self.after:
            raise werf_error("an import takes only one of `before: install|setup` or `after: install|setup`",
                             key="after")
        if not self.before and not self.after:
            raise werf_error("an import needs its place: `before: install|setup` or `after: install|setup`")
        return self

    @property
    def source_name(self) -> str:
        return self.image or self.artifact or ""

    @property
    def source_is_artifact(self) -> bool:
        return bool(self.artifact)

    @property
    def stage_name(self) -> str:
        """The import stage that runs it: importsBeforeInstall, importsAfterInstall, importsBeforeSetup or
        importsAfterSetup."""
        relation, target = ("Before", self.before) if self.before else ("After", self.after)
        return f"imports{relation}{(target or '').capitalize()}"


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
        return self


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
        seen: set[str] = set()
        for item in self.imports:
            if item.target_env in seen:
                raise werf_error(f'each targetEnv of a dependency must be unique; "{item.target_env}" is used twice',
                                 key="imports")
            seen.add(item.target_env or "")
        return self
