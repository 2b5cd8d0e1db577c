"""The meta document: `configVersion: 1`, `project`, and werf 1.2/2.x's `build`, `deploy`, `cleanup`, `gitWorktree`.

Which of these this product uses: `build` (cacheVersion, platform, imageSpec defaults) and `cleanup` shape builds and
cleanups; `deploy` and `gitWorktree` are validated and shown by `werf config render`, and `ignored_settings()` names
them so `werf build` can say once that it does not act on them.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StrictBool, StrictInt, field_validator, model_validator

from werf_core.config.go_duration import DurationSyntaxError, parse_go_duration
from werf_core.config.schema.base import (
    NonEmptyStr,
    SourceAware,
    WerfModel,
    YamlStr,
    describe_value,
    one_of,
    werf_error,
)
from werf_core.config.schema.image_spec import GlobalImageSpec
from werf_core.config.schema.platforms import PlatformList

PROJECT_NAME_PATTERN = re.compile(r"^(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$")
PROJECT_NAME_MAX_LENGTH = 50


def project_name_problem(name: str) -> str | None:
    """Why `name` is not a valid werf project name, or None when it is."""
    if not name:
        return "the project name must not be empty"
    if len(name) > PROJECT_NAME_MAX_LENGTH:
        return f"the project name must be at most {PROJECT_NAME_MAX_LENGTH} characters (it has {len(name)})"
    if not PROJECT_NAME_PATTERN.match(name):
        return ("the project name may contain only lowercase letters, digits and dashes, and must start and end with "
                "a letter or digit")
    return None


def _duration(value: Any) -> Any:
    if value is None or isinstance(value, timedelta):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value == 0:
        return timedelta(0)
    if not isinstance(value, str):
        raise werf_error(f"expected a duration like 72h or 1h30m, got {describe_value(value)}")
    try:
        return parse_go_duration(value)
    except DurationSyntaxError as err:
        raise werf_error(str(err)) from None


GoDuration = Annotated[timedelta, BeforeValidator(_duration)]


def _whole_number(value: Any) -> Any:
    """`configVersion: 1.0` is 1 for werf (Go's YAML decoder stores a whole float in an int field)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class HelmChartConfig(WerfModel):
    app_version: NonEmptyStr | None = None


class DeployTemplates(WerfModel):
    """`deploy:` — the Helm chart directory, Chart.yaml overrides and the release name / namespace templates.

    Deploying is outside this product: the section is validated and rendered, and reported as ignored by builds."""

    helm_chart_dir: NonEmptyStr | None = None
    helm_chart_config: HelmChartConfig | None = None
    helm_release: NonEmptyStr | None = None
    helm_release_slug: StrictBool | None = None
    namespace: NonEmptyStr | None = None
    namespace_slug: StrictBool | None = None

    @field_validator("helm_chart_dir")
    @classmethod
    def _inside_project(cls, value: str | None) -> str | None:
        if value is not None and (value.startswith("/") or ".." in value.split("/")):
            raise werf_error(f'`helmChartDir` must be a path inside the project, got "{value}"')
        return value

    def set_keys(self) -> list[str]:
        return [field.alias or name for name, field in type(self).model_fields.items()
                if getattr(self, name) is not None]


class MetaBuild(WerfModel):
    """`build:` — settings for every image: cache version, target platforms, imageSpec defaults."""

    cache_version: NonEmptyStr | None = None
    platform: PlatformList = ()
    staged: StrictBool = False
    image_spec: GlobalImageSpec | None = None


class GitWorktree(WerfModel):
    """`gitWorktree:` — how werf may treat a shallow clone of the project."""

    force_shallow_clone: StrictBool = False
    allow_unshallow: StrictBool = True
    allow_fetch_origin_branches_and_tags: StrictBool = True


class Limit(WerfModel):
    """`last` (a count; -1 = unlimited) and/or `in` (an age); `operator` defaults to And when both are given."""

    last: StrictInt | None = None
    in_: GoDuration | None = Field(default=None, alias="in")
    operator: Annotated[str | None, one_of(("And", "Or"), "operator")] = None

    @model_validator(mode="before")
    @classmethod
    def _default_operator(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("operator") is None and data.get("last") is not None \
                and data.get("in") is not None:
            return {**data, "operator": "And"}
        return data

    @field_validator("last")
    @classmethod
    def _last_not_below_unlimited(cls, value: int | None) -> int | None:
        if value is not None and value < -1:
            raise werf_error(f"`last` must be a count (or -1 for no limit), got {value}")
        return value


class KeepPolicyReferences(WerfModel):
    """`references:` — which git branches or tags a policy keeps images for (`branch` xor `tag`)."""

    branch: YamlStr | None = None
    tag: YamlStr | None = None
    limit: Limit | None = None

    @model_validator(mode="after")
    def _branch_xor_tag(self) -> KeepPolicyReferences:
        if not self.branch and not self.tag:
            raise werf_error("a keep policy's references need `branch: NAME|/REGEX/` or `tag: NAME|/REGEX/`")
        if self.branch and self.tag:
            raise werf_error("a keep policy's references take only one of `branch` or `tag`", key="tag")
        key, value = ("branch", self.branch) if self.branch else ("tag", self.tag)
        try:
            reference_pattern(value)
        except re.error as err:
            raise werf_error(f'invalid regular expression "{value}" in `{key}`: {err}', key=key) from None
        return self

    @property
    def kind(self) -> str:
        """"branch" or "tag"."""
        return "branch" if self.branch else "tag"

    @property
    def pattern(self) -> re.Pattern:
        """A plain name matches itself exactly; `/…/` is a regular expression searched in the reference name."""
        return reference_pattern(self.branch or self.tag or "")


def reference_pattern(value: str) -> re.Pattern:
    if len(value) >= 2 and value.startswith("/") and value.endswith("/"):
        # Go's RE2 `\z` (end of text) is Python's `\Z`; the rest of the common syntax is shared
        return re.compile(value[1:-1].replace(r"\z", r"\Z"))
    return re.compile("^" + re.escape(value) + "$")


class KeepPolicy(WerfModel):
    references: KeepPolicyReferences | None = None
    images_per_reference: Limit | None = None

    @model_validator(mode="after")
    def _references_required(self) -> KeepPolicy:
        if self.references is None:
            raise werf_error("a cleanup keep policy must have a `references` section")
        return self


def _hours(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        raise werf_error(f"expected a whole number of hours, got {describe_value(value)}")
    if value < 0:
        raise werf_error(f"expected a whole number of hours (0 or more), got {value}")
    return value


class Cleanup(WerfModel):
    """`cleanup:` — keep policies by git history, and switches for werf's other cleanup policies."""

    disable: StrictBool = False
    disable_kubernetes_based_policy: StrictBool = False
    disable_git_history_based_policy: StrictBool = False
    disable_built_within_last_n_hours_policy: StrictBool = False
    keep_images_built_within_last_n_hours: Annotated[int, BeforeValidator(_hours)] | None = None
    keep_policies: tuple[KeepPolicy, ...] = ()

    @property
    def keep_hours(self) -> int:
        """Images younger than this many hours are kept (werf's default: 2), unless that policy is disabled."""
        return 2 if self.keep_images_built_within_last_n_hours is None else self.keep_images_built_within_last_n_hours


class Meta(SourceAware):
    """The meta document (`configVersion: 1` and `project: NAME`)."""

    config_version: Annotated[StrictInt, BeforeValidator(_whole_number)]
    project: YamlStr
    build: MetaBuild | None = None
    deploy: DeployTemplates | None = None
    cleanup: Cleanup | None = None
    git_worktree: GitWorktree | None = None

    def ignored_settings(self) -> tuple[str, ...]:
        """Keys that are valid werf but that builds here do not act on (one warning names them)."""
        ignored = []
        if self.deploy is not None:
            ignored += [f"deploy.{key}" for key in self.deploy.set_keys()] or ["deploy"]
        if self.git_worktree is not None:
            ignored.append("gitWorktree")
        if self.build is not None and self.build.staged:
            ignored.append("build.staged")
        return tuple(ignored)

    @field_validator("config_version")
    @classmethod
    def _version_one(cls, value: int) -> int:
        if value != 1:
            raise werf_error(f"`configVersion: 1` is the only supported version, got {value}")
        return value

    @field_validator("project")
    @classmethod
    def _valid_project(cls, value: str) -> str:
        problem = project_name_problem(value)
        if problem:
            raise werf_error(f'bad project name "{value}": {problem}')
        return value
