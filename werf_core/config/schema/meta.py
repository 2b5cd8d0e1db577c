"""The meta document: `configVersion: 1`, `project`, `deploy` and `cleanup.keepPolicies`."""

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


class DeployTemplates(WerfModel):
    """`deploy:` — templates for the Helm release name and Kubernetes namespace."""

    helm_release: NonEmptyStr | None = None
    helm_release_slug: StrictBool | None = None
    namespace: NonEmptyStr | None = None
    namespace_slug: StrictBool | None = None


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
            reference_pattern(value or "")
        except re.error as err:
            raise werf_error(f'invalid regular expression "{value}" in `{key}`: {err}', key=key) from None
        return self

    @property
    def kind(self) -> str:
        """"branch" or "tag"."""
        return "branch" if self.branch else "tag"

    @property
    def pattern(self) -> re.Pattern[str]:
        """A plain name matches itself exactly; `/…/` is a regular expression searched in the reference name."""
        return reference_pattern(self.branch or self.tag or "")


def reference_pattern(value: str) -> re.Pattern[str]:
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


class Cleanup(WerfModel):
    keep_policies: tuple[KeepPolicy, ...] = ()


class Meta(SourceAware):
    """The meta document (`configVersion: 1` and `project: NAME`)."""

    config_version: StrictInt
    project: YamlStr
    deploy: DeployTemplates | None = None
    cleanup: Cleanup | None = None

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
