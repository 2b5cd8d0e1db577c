"""Credentials for https git remotes, handed to git without ever being written to disk or put in a URL.

Where they come from (first match wins):

1. credentials registered for this build with `use_credentials` (the Prefect flows load them from a Prefect
   `Secret` block named by the `git_credentials_block` parameter),
2. the environment of the worker / CI job: `WERF_GIT_HTTP_PASSWORD` (a token) with optional
   `WERF_GIT_HTTP_USERNAME` (default `git`) for the host `WERF_GIT_HTTP_HOST` — required, so a werf.yaml of a pull
   request cannot send the token to a host of its choosing,
3. credentials embedded in the URL itself (`https://user:token@host/...` in a werf.yaml `git: url:`): removed from
   the URL (so `git clone` does not store them in the cached clone's config) and handed over like the others,
4. otherwise git's own credential helpers (`git config credential.helper ...`) and ssh keys, untouched.

They reach git through `GIT_ASKPASS`: a small script (no secret inside, mode 0700 under the werf home) that prints
`$WERF_GIT_ASKPASS_USERNAME` / `$WERF_GIT_ASKPASS_PASSWORD`, variables set only in the environment of that one git
process. Credential helpers are switched off for such a call (`-c credential.helper=`), so a `store` helper in the
user's git config cannot write the token to `~/.git-credentials`. Every loaded secret is registered with
`werf_core.redaction.register_secret`, so it is masked wherever it might be echoed.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from werf_core.errors import GitError
from werf_core.paths import werf_home
from werf_core.redaction import register_secret, strip_url_credentials, url_credentials

__all__ = ["GitCredentials", "use_credentials", "credentials_for", "capture_environment", "git_credential_env", "git_credential_args",
           "split_url_credentials", "credentials_from_secret_value", "ASKPASS_USERNAME", "ASKPASS_PASSWORD"]

ASKPASS_USERNAME = "WERF_GIT_ASKPASS_USERNAME"
ASKPASS_PASSWORD = "WERF_GIT_ASKPASS_PASSWORD"
ENV_HOST = "WERF_GIT_HTTP_HOST"
ENV_USERNAME = "WERF_GIT_HTTP_USERNAME"
ENV_PASSWORD = "WERF_GIT_HTTP_PASSWORD"
DEFAULT_USERNAME = "git"

_ASKPASS_SCRIPT = f"""#!/bin/sh
# werf-prefect: answers git's credential prompts from the environment of the git process (never from a file)
case "$1" in
  Username*|username*) printf '%s\\n' "${ASKPASS_USERNAME}" ;;
  *) printf '%s\\n' "${ASKPASS_PASSWORD}" ;;
esac
"""


@dataclass(frozen=True)
class GitCredentials:
    host: str                                  # lower-case host name (with :port when not the default)
    password: str = field(repr=False)
    username: str = DEFAULT_USERNAME

    def __post_init__(self) -> None:
        register_secret(self.password)

    def matches(self, url: str) -> bool:
        host = _host_of(url)
        return host is not None and host == self.host.lower()


_build_credentials: contextvars.ContextVar[tuple[GitCredentials, ...]] = contextvars.ContextVar(
    "werf_git_credentials", default=())


@contextmanager
def use_credentials(*credentials: GitCredentials) -> Iterator[None]:
    """Make `credentials` available to every git call of this context (and threads started with its copy)."""
    token = _build_credentials.set(_build_credentials.get() + credentials)
    try:
        yield
    finally:
        _build_credentials.reset(token)


def _host_of(url: str) -> str | None:
    if "://" not in url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return parts.hostname.lower() + (f":{parts.port}" if parts.port else "")


_captured: dict[str, str] = {}


def capture_environment() -> None:
    """Move the token out of this process's environment (kept in memory here): a werf.yaml template of a pull
    request must not read it with `env`, and no child process but the git call that needs it gets it."""
    password = os.environ.pop(ENV_PASSWORD, None)
    if password:
        _captured[ENV_PASSWORD] = password
        register_secret(password)


def _from_environment(env: Mapping[str, str]) -> GitCredentials | None:
    password = env.get(ENV_PASSWORD)
    if not password:
        return None
    host = (env.get(ENV_HOST) or "").strip().lower()
    if not host:
        raise GitError(f"{ENV_PASSWORD} is set but {ENV_HOST} is not",
                       hint=f"set {ENV_HOST} to the git server's host name (e.g. github.com): the token is only "
                            "ever sent to that host")
    return GitCredentials(host=host, password=password, username=env.get(ENV_USERNAME) or DEFAULT_USERNAME)


def split_url_credentials(url: str) -> tuple[str, GitCredentials | None]:
    """(the URL without credentials, the credentials it carried for its host, if any)."""
    found = url_credentials(url)
    clean = strip_url_credentials(url)
    if found is None:
        return clean, None
    host = _host_of(clean)
    username, password = found
    if host is None:          # ssh://user:password@ — ssh does not take passwords from askpass non-interactively
        raise GitError(f"the git URL {clean} carries a password, which ssh cannot use non-interactively",
                       hint="use an ssh key (ssh-agent or ~/.ssh), or an https URL with a token given through "
                            f"{ENV_PASSWORD} / a Prefect Secret block")
    return clean, GitCredentials(host=host, password=password, username=username or DEFAULT_USERNAME)


def credentials_for(url: str, embedded: GitCredentials | None = None,
                    env: Mapping[str, str] | None = None) -> GitCredentials | None:
    """The credentials to hand to git for `url` (credentials-free), or None to leave it to git's helpers."""
    for credentials in _build_credentials.get():
        if credentials.matches(url):
            return credentials
    if env is None:
        capture_environment()
    if env is None:   # host and user name are no secrets: read as they are now
        env = {**{k: v for k, v in os.environ.items() if k in (ENV_HOST, ENV_USERNAME)}, **_captured}
    from_env = _from_environment(env)
    if from_env is not None and from_env.matches(url):
        return from_env
    if embedded is not None and embedded.matches(url):
        return embedded
    return None


def _askpass_script() -> Path:
    path = werf_home() / "service" / "git-askpass.sh"
    if not path.exists() or path.read_text() != _ASKPASS_SCRIPT:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o700)
        try:
            os.write(fd, _ASKPASS_SCRIPT.encode())
        finally:
            os.close(fd)
        os.chmod(temporary, 0o700)
        os.replace(temporary, path)
    return path


def git_credential_env(credentials: GitCredentials | None) -> dict[str, str]:
    """Environment additions for one git process that authenticates with `credentials`."""
    if credentials is None:
        return {}
    return {"GIT_ASKPASS": str(_askpass_script()), ASKPASS_USERNAME: credentials.username,
            ASKPASS_PASSWORD: credentials.password}


def git_credential_args(credentials: GitCredentials | None) -> list[str]:
    """`git` options for such a call: no credential helper may store (or override) what we hand over."""
    return ["-c", "credential.helper="] if credentials is not None else []


def credentials_from_secret_value(value: object, *, default_host: str | None) -> GitCredentials:
    """Credentials from a Prefect Secret block's value: a token string (for `default_host`), or a mapping with
    `password` (or `token`), optional `username` and `host`."""
    if isinstance(value, str):
        value = {"password": value}
    if not isinstance(value, Mapping):
        raise GitError("the git credentials secret must be a token string or an object with password/username/host",
                       hint='e.g. {"host": "github.com", "username": "x-access-token", "password": "<token>"}')
    password = value.get("password") or value.get("token")
    host = str(value.get("host") or default_host or "").strip().lower()
    if not isinstance(password, str) or not password:
        raise GitError("the git credentials secret has no password/token")
    if not host:
        raise GitError("the git credentials secret names no host and the repository is not an https URL",
                       hint='add "host": "<git server>" to the secret')
    return GitCredentials(host=host, password=password, username=str(value.get("username") or DEFAULT_USERNAME))


capture_environment()     # as early as werf_core.git is imported: before any werf.yaml is rendered
