"""The runtime config (Docker's `config` section) each instruction leaves, as BuildKit's frontend sets it."""

from __future__ import annotations

import copy
import posixpath
from typing import Any

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_SHELL = ["/bin/sh", "-c"]
Config = dict[str, Any]


def scratch_config() -> Config:
    """BuildKit's empty image: the default PATH, working directory `/`."""
    return {"Env": [f"PATH={DEFAULT_PATH}"], "WorkingDir": "/"}


def inherited(base: Config) -> Config:
    """A stage's starting config: the base image's, without its ONBUILD triggers (they run, not inherit)."""
    config = copy.deepcopy(base)
    config.pop("OnBuild", None)
    config.pop("Image", None)
    config.pop("Hostname", None)
    config.pop("Domainname", None)
    return config


def env_map(config: Config) -> dict[str, str]:
    result: dict[str, str] = {}
    for item in config.get("Env") or []:
        key, _, value = str(item).partition("=")
        result[key] = value
    return result


def workdir(config: Config, path: str) -> str:
    """WORKDIR relative to the current one, cleaned."""
    return posixpath.normpath(posixpath.join(config.get("WorkingDir") or "/", path))


def shell_of(config: Config) -> list[str]:
    return list(config.get("Shell") or DEFAULT_SHELL)


def exposed(spec: str) -> list[str]:
    """`80` → `80/tcp`; `53/udp`; `8000-8002` → each port."""
    port, _, protocol = spec.partition("/")
    protocol = (protocol or "tcp").lower()
    start, _, end = port.partition("-")
    if not start.isdigit() or (end and not end.isdigit()) or protocol not in ("tcp", "udp", "sctp"):
        raise ValueError(f"invalid port {spec!r}")
    return [f"{p}/{protocol}" for p in range(int(start), int(end or start) + 1)]
