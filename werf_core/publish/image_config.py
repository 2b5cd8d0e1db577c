"""`imageSpec` applied to the published image's config (OCI image config JSON), at manifest level.

werf 1.2/2.x's `imageSpec` (and the meta `build.imageSpec` defaults) changes the final image's configuration —
author, history, user, cmd, entrypoint, working directory, stop signal, labels, environment, volumes, exposed ports,
healthcheck — without a container run. Here it is a pure function of the stage image's config: the publisher applies
it to the config it uploads, so the layers are untouched and only the (small) config blob and the manifest change.

The edit is part of what the published tag names: `content_digest_with` folds the canonical edit into the image's
content digest, so a changed imageSpec is a different content signature (and never "up to date" with the old one).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any

from werf_core.config.schema.image_spec import ImageSpec
from werf_core.hashing import sha256_hash

_NANOSECONDS = 1_000_000_000


def edit_document(spec: ImageSpec) -> dict[str, Any]:
    """The edit as canonical data (what the digest covers): defaults left out, so `{}` is no edit at all."""
    return spec.model_dump(mode="json", by_alias=True, exclude_defaults=True)


def content_digest_with(content_digest: str, spec: ImageSpec | None) -> str:
    """The image's content digest, extended by its imageSpec edit (unchanged when there is none)."""
    if spec is None:
        return content_digest
    document = edit_document(spec)
    if not document:
        return content_digest
    return sha256_hash(content_digest, "imageSpec", json.dumps(document, sort_keys=True, separators=(",", ":")))


def _matcher(patterns: tuple[str, ...]) -> Any:
    exact = {p for p in patterns if not (len(p) >= 2 and p.startswith("/") and p.endswith("/"))}
    regexes = [re.compile(p[1:-1]) for p in patterns if p not in exact]
    return lambda name: name in exact or any(rx.search(name) for rx in regexes)


def _env_name(item: str) -> str:
    return item.split("=", 1)[0]


def apply_image_spec(image_config: Mapping[str, Any], spec: ImageSpec | None,
                     protected_labels: tuple[str, ...] = ()) -> dict[str, Any]:
    """A copy of `image_config` (the whole OCI config: architecture, config, rootfs, history...) with `spec`
    applied. Labels in `protected_labels` are never removed (werf's essential labels)."""
    result = copy.deepcopy(dict(image_config))
    if spec is None:
        return result
    if spec.author is not None:
        result["author"] = spec.author
    if spec.clear_history:
        result["history"] = []
    container = result.get("config")
    if not isinstance(container, dict):
        container = result["config"] = {}
    c = spec.effective_config

    labels = dict(container.get("Labels") or {})
    if c.remove_labels:
        removed = _matcher(c.remove_labels)
        labels = {k: v for k, v in labels.items() if k in protected_labels or not removed(k)}
    if c.clear_werf_labels or c.remove_werf_labels:
        # werf's own labels go, except the essential ones the up-to-date check and cleanup read
        labels = {k: v for k, v in labels.items() if k in protected_labels or not k.startswith("werf")}
    labels.update(c.labels)
    container["Labels"] = labels or None

    env = list(container.get("Env") or [])
    if c.remove_env:
        removed = _matcher(c.remove_env)
        env = [item for item in env if not removed(_env_name(item))]
    for name, value in c.env.items():
        env = [item for item in env if _env_name(item) != name] + [f"{name}={value}"]
    container["Env"] = env or None

    volumes = dict(container.get("Volumes") or {})
    for volume in c.remove_volumes:
        volumes.pop(volume, None)
    for volume in c.volumes:
        volumes[volume] = {}
    container["Volumes"] = volumes or None

    if c.expose:
        ports = dict(container.get("ExposedPorts") or {})
        for port in c.expose:
            ports[port if "/" in port else f"{port}/tcp"] = {}
        container["ExposedPorts"] = ports

    if c.clear_user:
        container["User"] = ""
    if c.user is not None:
        container["User"] = c.user
    if c.clear_working_dir:
        container["WorkingDir"] = ""
    if c.working_dir is not None:
        container["WorkingDir"] = c.working_dir
    if c.clear_entrypoint:
        container["Entrypoint"] = None
    if c.entrypoint is not None:
        container["Entrypoint"] = list(c.entrypoint)
        # as in a Dockerfile, a new ENTRYPOINT drops the inherited CMD unless CMD is set too
        if c.cmd is None:
            container["Cmd"] = None
    if c.clear_cmd:
        container["Cmd"] = None
    if c.cmd is not None:
        container["Cmd"] = list(c.cmd)
    if c.stop_signal is not None:
        container["StopSignal"] = c.stop_signal
    if c.healthcheck is not None:
        health: dict[str, Any] = {"Test": list(c.healthcheck.test)}
        for key, field in (("Interval", "interval"), ("Timeout", "timeout"), ("StartPeriod", "start_period")):
            seconds = getattr(c.healthcheck, field)
            if seconds is not None:
                health[key] = seconds * _NANOSECONDS
        if c.healthcheck.retries is not None:
            health["Retries"] = c.healthcheck.retries
        container["Healthcheck"] = health
    return result
