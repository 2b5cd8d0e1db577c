"""A new image config from its parent's: a layer appended, and/or the runtime config changed.

The semantics follow what the Docker engine does for `docker commit --change` and Dockerfile instructions, so a
config assembled here equals the one a container + commit would give:
- `ENV` values expand `$VAR`, `${VAR}`, `${VAR:-word}` and `${VAR:+word}` against the environment as it is at that
  point (earlier changes included); setting an existing variable replaces it in place;
- a new ENTRYPOINT without a CMD resets CMD (werf's rule, as in Dockerfiles);
- `EXPOSE 80` is `80/tcp`; ranges expand; `WORKDIR` relative to the current one;
- labels merge over the parent's.
Configs are serialised canonically (sorted keys, compact) so equal configs have equal digests.
"""

from __future__ import annotations

import copy
import json
import posixpath
import re
import time
from dataclasses import dataclass, field
from typing import Any

from werf_core.layers.writer import Layer

_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


def canonical_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def now_rfc3339() -> str:
    from werf_core.registry.image_info import format_go_time
    return format_go_time(time.time_ns())


def env_mapping(env: list[str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for item in env:
        key, _, value = item.partition("=")
        result[key] = value
    return result


def expand_variables(value: str, env: dict[str, str]) -> str:
    """Dockerfile variable expansion (the forms the engine supports for ENV and WORKDIR)."""
    def replace(match: re.Match[str]) -> str:
        braced, operator, word, plain = match.groups()
        name = braced or plain
        current = env.get(name)
        if operator == "-":
            return current if current else expand_variables(word or "", env)
        if operator == "+":
            return expand_variables(word or "", env) if current else ""
        return current or ""
    return _VARIABLE.sub(replace, value)


def exposed_ports(spec: str) -> list[str]:
    """`80` → `80/tcp`; `53/udp`; `8000-8002` → three ports."""
    port, _, protocol = spec.strip().partition("/")
    protocol = (protocol or "tcp").lower()
    start, _, end = port.partition("-")
    if not start.isdigit() or (end and not end.isdigit()):
        raise ValueError(f"invalid port {spec!r}")
    first, last = int(start), int(end or start)
    return [f"{p}/{protocol}" for p in range(first, last + 1)]


@dataclass
class ConfigChanges:
    """Runtime-config changes of one stage; None/empty means "keep the parent's"."""

    env: list[tuple[str, str]] = field(default_factory=list)      # in order; values expanded on apply
    labels: dict[str, str] = field(default_factory=dict)
    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    user: str | None = None
    workdir: str | None = None
    expose: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    healthcheck: dict[str, Any] | None = None
    created_by: str = ""                                           # the history entry's text
    # the whole runtime config, replacing the parent's before the changes above apply (Dockerfile instructions:
    # the planner computes the exact config, including what a field-wise change cannot express, e.g. Cmd reset)
    runtime: dict[str, Any] | None = None


def set_env(config: dict[str, Any], key: str, value: str) -> None:
    """`key=value` in the config's Env: replacing the variable in place when it is set, else appended (as ENV)."""
    items: list[str] = list(config.get("Env") or [])
    for index, item in enumerate(items):
        if item.partition("=")[0] == key:
            items[index] = f"{key}={value}"
            break
    else:
        items.append(f"{key}={value}")
    config["Env"] = items


def apply_changes(runtime: dict[str, Any], changes: ConfigChanges) -> dict[str, Any]:
    """The `config` section (Env, Cmd, Labels, ...) after `changes`; `runtime` is not modified."""
    base = changes.runtime if changes.runtime is not None else runtime
    result = copy.deepcopy(base) if base else {}
    for key, raw in changes.env:
        set_env(result, key, expand_variables(raw, env_mapping(list(result.get("Env") or []))))
    if changes.labels:
        result["Labels"] = {**(result.get("Labels") or {}), **changes.labels}
    if changes.entrypoint is not None:
        result["Entrypoint"] = changes.entrypoint or None
        result["Cmd"] = changes.cmd or None
    elif changes.cmd is not None:
        result["Cmd"] = changes.cmd or None
    if changes.user is not None:
        result["User"] = changes.user
    if changes.workdir:
        target = expand_variables(changes.workdir, env_mapping(list(result.get("Env") or [])))
        result["WorkingDir"] = posixpath.normpath(posixpath.join(result.get("WorkingDir") or "/", target))
    for spec in changes.expose:
        ports = result.get("ExposedPorts") or {}
        for port in exposed_ports(spec):
            ports[port] = {}
        result["ExposedPorts"] = ports
    for volume in changes.volumes:
        volumes = result.get("Volumes") or {}
        volumes[volume] = {}
        result["Volumes"] = volumes
    if changes.healthcheck is not None:
        result["Healthcheck"] = changes.healthcheck
    return result


def _next_config(parent: dict[str, Any], parent_id: str, changes: ConfigChanges, created: str | None
                 ) -> dict[str, Any]:
    config = copy.deepcopy(parent)
    # what describes the build container, not the image, goes: a config built here came from no container
    config.pop("container", None)
    config.pop("container_config", None)
    runtime = apply_changes(parent.get("config") or {}, changes)
    if parent_id:
        runtime["Image"] = parent_id
    config["config"] = runtime
    config["created"] = created or now_rfc3339()
    config.setdefault("architecture", "amd64")
    config.setdefault("os", "linux")
    return config


def append_layer(parent: dict[str, Any], layer: Layer | None, changes: ConfigChanges | None = None, *,
                 parent_id: str = "", created: str | None = None) -> dict[str, Any]:
    """The config of the image `parent` + `layer` (None: a config-only change) with `changes` applied."""
    changes = changes or ConfigChanges()
    config = _next_config(parent, parent_id, changes, created)
    rootfs = config.get("rootfs") or {"type": "layers", "diff_ids": []}
    diff_ids = list(rootfs.get("diff_ids") or [])
    history = list(config.get("history") or [])
    entry: dict[str, Any] = {"created": config["created"], "created_by": changes.created_by or "werf"}
    if layer is None:
        entry["empty_layer"] = True
    else:
        diff_ids.append(layer.diff_id)
    history.append(entry)
    config["rootfs"] = {"type": "layers", "diff_ids": diff_ids}
    config["history"] = history
    return config
