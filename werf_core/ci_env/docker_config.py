"""The job's own copy of the docker config, logged into the CI registry.

ci-env copies the user's docker config directory (`--docker-config`, else `~/.docker`) to a fresh private directory
and writes the CI registry's credentials into the copy, so the job can push while the user's own config (shared by
other jobs on a shell runner) stays untouched. The login is an `auths` entry with base64 `user:token`, which is what
`docker login` stores when no credential helper is configured; the credentials are not checked against the registry
here — a wrong token shows up at the first push.

Copies are registered under `<werf home>/service/tmp/created/docker_configs` and removed a day later by the next
ci-env run on the host, as werf does; nothing else in the temporary directory is touched.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from werf_core.ci_env.errors import CiEnvError
from werf_core.ci_env.plan import RegistryLogin
from werf_core.fsutil import atomic_write

SESSION_DIR_PREFIX = "werf-docker-config-"
SESSION_MAX_AGE_SECONDS = 24 * 3600
# Plugin binaries (buildx, compose) can weigh 100 MB and are only ever read: link them instead of copying.
_LINKED_ENTRIES = ("cli-plugins",)


def session_registry_dir(werf_home: Path) -> Path:
    return werf_home / "service" / "tmp" / "created" / "docker_configs"


def create_session_docker_config(source: Path, *, tmp_dir: Path, werf_home: Path) -> Path:
    """A new private (0700) directory holding a copy of `source` (which may not exist: then it starts empty)."""
    registry = session_registry_dir(werf_home)
    remove_expired_session_configs(registry)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    session = Path(tempfile.mkdtemp(prefix=SESSION_DIR_PREFIX, dir=tmp_dir))
    try:
        os.chmod(session, 0o700)
        if source.exists():
            if not source.is_dir():
                raise CiEnvError(f"the docker config {source} is not a directory",
                                 hint="--docker-config / $DOCKER_CONFIG names the directory that holds config.json")
            _copy_config_dir(source, session)
        registry.mkdir(parents=True, exist_ok=True)
        (registry / session.name).symlink_to(session)
    except BaseException:
        shutil.rmtree(session, ignore_errors=True)
        raise
    return session


def _copy_config_dir(source: Path, target: Path) -> None:
    for entry in source.iterdir():
        destination = target / entry.name
        try:
            if entry.name in _LINKED_ENTRIES and entry.is_dir():
                destination.symlink_to(entry.resolve())
            elif entry.is_dir() and not entry.is_symlink():
                shutil.copytree(entry, destination, symlinks=True)
            else:
                shutil.copy2(entry, destination, follow_symlinks=False)
        except OSError as err:
            raise CiEnvError(f"cannot copy the docker config {source} to {target}: {err}",
                             hint="check that the docker config directory is readable") from None


def remove_expired_session_configs(registry: Path, *, max_age: float = SESSION_MAX_AGE_SECONDS,
                                   now: float | None = None) -> list[Path]:
    """Remove session copies registered more than `max_age` seconds ago; returns the removed directories."""
    if not registry.is_dir():
        return []
    now = time.time() if now is None else now
    removed = []
    for link in registry.iterdir():
        try:
            if now - link.lstat().st_mtime <= max_age:
                continue
            target = Path(os.readlink(link))
            if target.name.startswith(SESSION_DIR_PREFIX):
                shutil.rmtree(target, ignore_errors=True)
                removed.append(target)
            link.unlink()
        except OSError:
            continue  # another ci-env run removed it first
    return removed


def registry_hostname(address: str) -> str:
    """`registry.gitlab.com/group/project` → `registry.gitlab.com`: docker keys credentials by registry host."""
    for scheme in ("https://", "http://"):
        if address.startswith(scheme):
            address = address[len(scheme):]
    return address.split("/", 1)[0]


def add_registry_login(config_dir: Path, login: RegistryLogin) -> None:
    """Store `login` in `config_dir/config.json` so that docker (CLI and API clients) uses it for that host."""
    path = config_dir / "config.json"
    config = _read_config(path)
    host = registry_hostname(login.registry)
    token = base64.b64encode(f"{login.username}:{login.password}".encode()).decode()
    auths = config.setdefault("auths", {})
    auths[host] = {"auth": token}

    # With a global credential store, docker would look the host up in that store and never read our entry. Keep
    # the store for the hosts that were logged in through it (docker leaves an empty `auths` entry for each) and let
    # every other host, ours included, fall back to the file.
    helpers = config.get("credHelpers") or {}
    store = config.pop("credsStore", None)
    if store:
        for other_host in auths:
            if other_host != host:
                helpers.setdefault(other_host, store)
    helpers.pop(host, None)
    if helpers:
        config["credHelpers"] = helpers
    else:
        config.pop("credHelpers", None)
    _write_private(path, json.dumps(config, indent="\t") + "\n")


def _read_config(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        config = json.loads(path.read_text() or "{}")
    except (ValueError, OSError) as err:
        raise CiEnvError(f"cannot read the docker config {path}: {err}",
                         hint="fix config.json in the directory given by --docker-config / $DOCKER_CONFIG "
                              "(or ~/.docker); the file above is its copy") from None
    if not isinstance(config, dict) or not isinstance(config.get("auths", {}), dict):
        raise CiEnvError(f"the docker config {path} is not a JSON object with an `auths` object",
                         hint="fix config.json in the directory given by --docker-config / $DOCKER_CONFIG "
                              "(or ~/.docker)")
    return config


def _write_private(path: Path, text: str) -> None:
    """Write `text` readable by the owner only, replacing the file in one step."""
    atomic_write(path, text)  # the temporary file is created 0600, so the secret is never readable by others
