"""`docker:` — Dockerfile-like instructions applied to an image's final stage (images only, not artifacts).

werf v1.1 supports VOLUME, EXPOSE, ENV, LABEL, CMD, ENTRYPOINT, WORKDIR, USER and HEALTHCHECK; STOPSIGNAL and ONBUILD
are refused. CMD and ENTRYPOINT are kept as werf passes them on: a string stays as written (shell form), a list becomes
the exec-form text `["a", "b"]`, an empty list `[]`; an ENTRYPOINT without CMD sets `CMD []` so that the base image's
CMD is not appended to the new entrypoint.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from werf_core.config.schema.base import (
    StrList,
    StrMap,
    WerfModel,
    YamlStr,
    describe_value,
    string_list,
    string_map,
    werf_error,
)
from werf_core.config.yaml_documents import scalar_text

UNSUPPORTED_INSTRUCTIONS = {
    "STOPSIGNAL": "STOPSIGNAL is not supported in the `docker` directive of werf v1.1",
    "ONBUILD": "ONBUILD is not supported in the `docker` directive of werf v1.1",
}

_EXPOSE = re.compile(r"^(\d+)(?:-(\d+))?(?:/(tcp|udp|sctp))?$", re.IGNORECASE)
_ENV_NAME = re.compile(r"^[^=\s]+$")


def command_text(value: Any) -> str | None:
    """CMD/ENTRYPOINT: "cmd args" stays; ["a", "b"] → '["a", "b"]'; [] → '[]'."""
    if value is None:
        return None
    if isinstance(value, list):
        texts = [scalar_text(item) for item in value]
        items = [text for text in texts if text is not None]
        if len(items) != len(texts):
            raise werf_error("expected a command string or a list of strings, but an item is not a string")
        return "[]" if not items else '["' + '", "'.join(items) + '"]'
    text = scalar_text(value)
    if text is None:
        raise werf_error(f"expected a command string or a list of strings, got {describe_value(value)}")
    return text


Command = Annotated[str | None, BeforeValidator(command_text)]


def _expose_list(value: Any) -> tuple[str, ...]:
    ports = string_list(value)
    for port in ports:
        match = _EXPOSE.match(port.strip())
        if not match:
            raise werf_error(f'invalid EXPOSE value "{port}": expected PORT, PORT/PROTOCOL or a range '
                             "FROM-TO[/PROTOCOL] with protocol tcp, udp or sctp (e.g. 80, 8080/tcp, 53/udp)")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if not (1 <= first <= 65535 and 1 <= last <= 65535) or last < first:
            raise werf_error(f'invalid EXPOSE value "{port}": ports must be between 1 and 65535, ranges ascending')
    return tuple(port.strip() for port in ports)


ExposeList = Annotated[tuple[str, ...], BeforeValidator(_expose_list)]


def _env_map(value: Any) -> Any:
    env = string_map(value)
    for name in env:
        if not _ENV_NAME.match(name):
            raise werf_error(f'invalid environment variable name "{name}": it must not be empty or contain "=" or '
                             "spaces", key=name)
    return env


EnvMap = Annotated[dict[str, str], BeforeValidator(_env_map)]


class DockerInstructions(WerfModel):
    volume: StrList = Field(default=(), alias="VOLUME")
    expose: ExposeList = Field(default=(), alias="EXPOSE")
    env: EnvMap = Field(default_factory=dict, alias="ENV")
    label: StrMap = Field(default_factory=dict, alias="LABEL")
    cmd: Command = Field(default=None, alias="CMD")
    entrypoint: Command = Field(default=None, alias="ENTRYPOINT")
    workdir: YamlStr | None = Field(default=None, alias="WORKDIR")
    user: YamlStr | None = Field(default=None, alias="USER")
    healthcheck: YamlStr | None = Field(default=None, alias="HEALTHCHECK")

    @model_validator(mode="before")
    @classmethod
    def _entrypoint_resets_cmd(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("CMD") is None and data.get("ENTRYPOINT") not in (None, ""):
            return {**data, "CMD": []}
        return data
