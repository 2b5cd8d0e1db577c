"""`imageSpec` (werf 1.2/2.x): the image configuration (OCI config) of the published image, set at manifest level.

Per image: `author`, `clearHistory` and `config` (user, cmd, entrypoint, workingDir, stopSignal, labels, env,
volumes, expose, healthcheck, removals and clears). In the meta `build.imageSpec`: defaults for every image (author,
clearHistory, config.labels/removeLabels/keepEssentialWerfLabels). werf merges them as `merged_with_defaults` does:
the image's author wins, flags are or-ed, labels are added (the image's win), removeLabels are united.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, StrictBool, StrictInt, field_validator, model_validator

from werf_core.config.schema.base import (
    StrList,
    StrMap,
    WerfModel,
    YamlStr,
    string_list,
    werf_error,
)

_SIGNAL = re.compile(r"^(SIG[A-Z0-9]+|[0-9]+|SIGRTMIN\+[0-9]+|SIGRTMAX-[0-9]+)$")
_PORT = re.compile(r"^[0-9]{1,5}(-[0-9]{1,5})?(/(tcp|udp|sctp))?$")


def _patterns(value: Any) -> tuple[str, ...]:
    """Names or `/REGEXP/` (Go RE2 syntax, the common subset checked with Python's re)."""
    items = string_list(value)
    for item in items:
        if len(item) >= 2 and item.startswith("/") and item.endswith("/"):
            try:
                re.compile(item[1:-1])
            except re.error as err:
                raise werf_error(f'invalid regular expression "{item}": {err}') from None
        elif not item:
            raise werf_error("names to remove must not be empty")
    return items


NameOrRegexList = Annotated[tuple[str, ...], BeforeValidator(_patterns)]


def _exec_form(value: Any) -> Any:
    """cmd/entrypoint of imageSpec are exec-form lists (a single string is one argument, as Go's []string)."""
    if value is None:
        return None
    return string_list(value)


ExecForm = Annotated[tuple[str, ...] | None, BeforeValidator(_exec_form)]


def _ports(value: Any) -> tuple[str, ...]:
    ports = string_list(value)
    for port in ports:
        if not _PORT.match(port):
            raise werf_error(f'invalid port "{port}": expected PORT[/tcp|/udp|/sctp], e.g. 8080/tcp')
    return ports


class Healthcheck(WerfModel):
    """Docker's HEALTHCHECK as data: `test` (e.g. [CMD-SHELL, "curl -f localhost"]), intervals in seconds."""

    test: StrList = ()
    interval: StrictInt | None = None
    timeout: StrictInt | None = None
    start_period: StrictInt | None = None
    retries: StrictInt | None = None

    @model_validator(mode="after")
    def _rules(self) -> Healthcheck:
        if self.test and self.test[0] not in ("NONE", "CMD", "CMD-SHELL"):
            raise werf_error(f'healthcheck `test` must start with NONE, CMD or CMD-SHELL, got "{self.test[0]}"',
                             key="test", hint='e.g. test: [CMD-SHELL, "curl -f http://localhost/ || exit 1"]')
        if self.test and self.test[0] == "CMD-SHELL" and len(self.test) != 2:
            raise werf_error("CMD-SHELL takes exactly one shell command", key="test")
        for key in ("interval", "timeout", "start_period", "retries"):
            value = getattr(self, key)
            if value is not None and value < 0:
                raise werf_error(f"healthcheck `{key if key != 'start_period' else 'startPeriod'}` must not be "
                                 f"negative, got {value}")
        return self


class ImageSpecConfig(WerfModel):
    """`imageSpec.config` of an image."""

    user: YamlStr | None = None
    cmd: ExecForm = None
    entrypoint: ExecForm = None
    working_dir: YamlStr | None = None
    stop_signal: YamlStr | None = None
    labels: StrMap = {}
    env: StrMap = {}
    volumes: StrList = ()
    expose: Annotated[tuple[str, ...], BeforeValidator(_ports)] = ()
    healthcheck: Healthcheck | None = None
    remove_labels: NameOrRegexList = ()
    remove_env: NameOrRegexList = ()
    remove_volumes: StrList = ()
    keep_essential_werf_labels: StrictBool = False
    remove_werf_labels: StrictBool = False     # werf 2.x before keepEssentialWerfLabels
    clear_werf_labels: StrictBool = False
    clear_cmd: StrictBool = False
    clear_entrypoint: StrictBool = False
    clear_user: StrictBool = False
    clear_working_dir: StrictBool = False

    @field_validator("stop_signal")
    @classmethod
    def _signal(cls, value: str | None) -> str | None:
        if value is not None and not _SIGNAL.match(value):
            raise werf_error(f'invalid stop signal "{value}": expected a name like SIGTERM or a number')
        return value

    @field_validator("volumes", "remove_volumes")
    @classmethod
    def _absolute_volumes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for volume in value:
            if not volume.startswith("/"):
                raise werf_error(f'a volume must be an absolute path, got "{volume}"')
        return value

    @field_validator("env")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not name or "=" in name:
                raise werf_error(f'invalid environment variable name "{name}"', key=name)
        return value

    @model_validator(mode="after")
    def _set_and_clear(self) -> ImageSpecConfig:
        for field, clear in (("cmd", "clearCmd"), ("entrypoint", "clearEntrypoint"), ("user", "clearUser"),
                             ("working_dir", "clearWorkingDir")):
            if getattr(self, field) is not None and getattr(self, _snake(clear)):
                key = "workingDir" if field == "working_dir" else field
                raise werf_error(f"`{key}` and `{clear}` contradict each other: set the value or clear it",
                                 key=clear)
        return self


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


class ImageSpec(WerfModel):
    """`imageSpec:` of a stapel or Dockerfile image."""

    author: YamlStr | None = None
    clear_history: StrictBool = False
    config: ImageSpecConfig | None = None

    @property
    def effective_config(self) -> ImageSpecConfig:
        return self.config or ImageSpecConfig()


class GlobalImageSpecConfig(WerfModel):
    """`build.imageSpec.config`: only what makes sense for every image."""

    labels: StrMap = {}
    remove_labels: NameOrRegexList = ()
    keep_essential_werf_labels: StrictBool = False
    remove_werf_labels: StrictBool = False
    clear_werf_labels: StrictBool = False


class GlobalImageSpec(WerfModel):
    """`build.imageSpec:` defaults applied to every image."""

    author: YamlStr | None = None
    clear_history: StrictBool = False
    config: GlobalImageSpecConfig | None = None


def merged_with_defaults(image: ImageSpec | None, defaults: GlobalImageSpec | None) -> ImageSpec | None:
    """The image's imageSpec with the meta `build.imageSpec` applied (werf's merge rules)."""
    if defaults is None:
        return image
    image = image or ImageSpec()
    config = image.effective_config
    global_config = defaults.config or GlobalImageSpecConfig()
    labels = {**global_config.labels, **config.labels}
    remove_labels = tuple(dict.fromkeys((*config.remove_labels, *global_config.remove_labels)))
    merged_config = config.model_copy(update={
        "labels": labels, "remove_labels": remove_labels,
        "keep_essential_werf_labels": config.keep_essential_werf_labels or global_config.keep_essential_werf_labels,
        "remove_werf_labels": config.remove_werf_labels or global_config.remove_werf_labels,
        "clear_werf_labels": config.clear_werf_labels or global_config.clear_werf_labels,
    })
    return image.model_copy(update={
        "author": image.author if image.author is not None else defaults.author,
        "clear_history": image.clear_history or defaults.clear_history,
        "config": merged_config,
    })
