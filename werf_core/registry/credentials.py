"""Registry credentials from a Docker client config, the way `docker login` stores them.

Where the config is: `--docker-config DIR` (werf's flag, like `DOCKER_CONFIG`), else `$DOCKER_CONFIG`, else
`~/.docker`; the file is `config.json` inside. Per registry, in Docker's order:
1. `credHelpers[<registry>]` → run `docker-credential-<helper> get`;
2. `credsStore` (one helper for every registry) → the same;
3. `auths[<registry>]` → `auth` (base64 `user:password`), or `username`/`password`, or `identitytoken`.
Keys in `auths` may be written as URLs (`https://index.docker.io/v1/`); they are matched by host[:port].
Docker Hub is known to helpers as `https://index.docker.io/v1/`.

Nothing is read until a registry asks for credentials, so anonymous registries never touch the config or a helper.

`docker.auth` (docker-py) supplies the `auth` decoding and the protocol constants. Its config loader and its
`docker.credentials.Store` do not fit as a whole: the loader silently ignores an unreadable or invalid config and
`username`/`password` entries, and the store runs a helper without a timeout and lets its stderr through to ours —
so reading the file and running the helper stay here, with errors that name the file or helper.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werf_core.errors import RegistryError
from werf_core.registry.reference import DOCKER_HUB_ALIASES

# docker.auth.INDEX_URL and TOKEN_USERNAME (docker is imported only when a config is read: it is slow to import)
DOCKER_HUB_SERVER_URL = "https://index.docker.io/v1/"
# A helper answering with this user name returns an identity (refresh) token as the secret.
IDENTITY_TOKEN_USER = "<token>"
HELPER_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Credentials:
    username: str | None = None
    password: str | None = None
    identity_token: str | None = None   # OAuth2 refresh token (`docker login` with some registries)
    source: str = ""                     # where they came from, for error messages

    @property
    def has_basic(self) -> bool:
        return bool(self.username) and self.password is not None

    def basic_header(self) -> str:
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode()


def docker_config_dir(explicit: Path | str | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("DOCKER_CONFIG")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".docker"


def normalize_registry_key(key: str) -> str:
    """`https://host:5000/v1/` → `host:5000`; Docker Hub's aliases → `docker.io`."""
    text = key.strip()
    for prefix in ("https://", "http://"):
        if text.lower().startswith(prefix):
            text = text[len(prefix):]
            break
    host = text.split("/", 1)[0].lower()
    return "docker.io" if host in DOCKER_HUB_ALIASES else host


def helper_server_url(registry: str) -> str:
    """What `docker login` tells a credential helper the server is called."""
    return DOCKER_HUB_SERVER_URL if normalize_registry_key(registry) == "docker.io" else registry


class DockerConfigCredentials:
    """Looks credentials up per registry; results (including "none") are cached for the client's lifetime."""

    def __init__(self, config_dir: Path | str | None = None) -> None:
        location = docker_config_dir(config_dir)
        # `--docker-config` names a directory; accept a path to the file itself too.
        self.config_path = location if location.suffix == ".json" else location / "config.json"
        self._config: dict[str, Any] | None = None
        self._cache: dict[str, Credentials | None] = {}
        self._lock = threading.Lock()

    def lookup(self, registry: str) -> Credentials | None:
        key = normalize_registry_key(registry)
        with self._lock:
            if key not in self._cache:
                self._cache[key] = self._find(key, registry)
            return self._cache[key]

    # ------------------------------------------------------------------ internals
    def _load(self) -> dict[str, Any]:
        if self._config is None:
            try:
                text = self.config_path.read_text()
            except FileNotFoundError:
                self._config = {}
                return self._config
            except OSError as err:
                raise RegistryError(f"cannot read Docker config {self.config_path}: {err.strerror}",
                                    hint="fix its permissions or point --docker-config at another directory") from None
            try:
                data = json.loads(text) if text.strip() else {}
            except ValueError as err:
                raise RegistryError(f"Docker config {self.config_path} is not valid JSON ({err})",
                                    hint="repair the file or run `docker login` again to rewrite it") from None
            self._config = data if isinstance(data, dict) else {}
        return self._config

    def _find(self, key: str, registry: str) -> Credentials | None:
        config = self._load()
        helpers = config.get("credHelpers") or {}
        helper = next((h for k, h in helpers.items() if normalize_registry_key(k) == key), None)
        if helper:
            return run_credential_helper(helper, helper_server_url(registry), self.config_path)
        store = config.get("credsStore")
        if store:
            found = run_credential_helper(store, helper_server_url(registry), self.config_path)
            if found:
                return found
        for entry_key, entry in (config.get("auths") or {}).items():
            if normalize_registry_key(entry_key) == key and isinstance(entry, dict):
                found = self._from_auths_entry(entry, entry_key)
                if found:
                    return found
        return None

    def _from_auths_entry(self, entry: dict[str, Any], entry_key: str) -> Credentials | None:
        source = f"{self.config_path} (auths[{entry_key!r}])"
        username, password = entry.get("username"), entry.get("password")
        if entry.get("auth"):
            import docker.auth
            try:   # only the first ':' separates: passwords may contain more
                username, password = docker.auth.decode_auth(entry["auth"])
            except ValueError:   # not base64, not UTF-8, or no ':' between user and password
                raise RegistryError(f"the `auth` value for {entry_key} in {self.config_path} is not base64 "
                                    "user:password",
                                    hint=f"run `docker login {entry_key}` again") from None
        token = entry.get("identitytoken") or None
        if not (username or token):
            return None
        return Credentials(username=username or None, password=password, identity_token=token, source=source)


def run_credential_helper(helper: str, server_url: str, config_path: Path) -> Credentials | None:
    """`docker-credential-<helper> get`: server URL on stdin, `{"Username", "Secret"}` on stdout."""
    program = f"docker-credential-{helper}"
    binary = shutil.which(program)
    if not binary:
        raise RegistryError(
            f"{config_path} asks for credential helper `{program}` for {server_url}, but it is not on PATH",
            hint=f"install {program}, or remove credsStore/credHelpers from the config (or use --docker-config "
                 "with a config that holds the credentials)")
    try:
        result = subprocess.run([binary, "get"], input=server_url, capture_output=True, text=True,
                                timeout=HELPER_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise RegistryError(f"credential helper {program} did not answer for {server_url} in "
                            f"{HELPER_TIMEOUT_SECONDS}s", hint="check that its keychain is unlocked") from None
    if result.returncode != 0:
        message = (result.stdout + result.stderr).strip()
        if "credentials not found" in message.lower():
            return None
        raise RegistryError(f"credential helper {program} failed for {server_url}: {message or result.returncode}",
                            hint=f"try `echo {server_url} | {program} get` to see what it needs")
    try:
        answer = json.loads(result.stdout)
        username, secret = answer.get("Username") or "", answer.get("Secret") or ""
    except (ValueError, AttributeError):
        raise RegistryError(f"credential helper {program} answered something that is not JSON for {server_url}",
                            hint=f"check `echo {server_url} | {program} get`") from None
    source = f"credential helper {program}"
    if username == IDENTITY_TOKEN_USER:
        return Credentials(identity_token=secret, source=source)
    if not username and not secret:
        return None
    return Credentials(username=username, password=secret, source=source)
