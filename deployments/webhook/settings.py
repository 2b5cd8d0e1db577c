"""Receiver settings, from the environment.

| variable | default | meaning |
|---|---|---|
| `WERF_PREFECT_WEBHOOK_SECRET` | — | the shared secret (GitHub webhook secret / GitLab secret token) |
| `WERF_PREFECT_WEBHOOK_SECRET_BLOCK` | — | instead: the name of a Prefect `Secret` block holding it |
| `WERF_PREFECT_WEBHOOK_DEPLOYMENT` | `werf-build/ci-build` | the deployment a delivery runs (`flow/deployment`) |
| `WERF_PREFECT_WEBHOOK_MAX_BODY` | `5242880` | largest accepted body in bytes (413 above) |
| `WERF_PREFECT_WEBHOOK_CLONE_URL` | `https` | which repository URL of the payload to build from: `https` or `ssh` |
| `WERF_PREFECT_WEBHOOK_LOCAL_ROOTS` | — | `:`-separated directories; payload repositories that are local paths must lie under one |
| `WERF_PREFECT_WEBHOOK_HOST`, `_PORT` | `127.0.0.1`, `8787` | where `python -m deployments.webhook` listens |
| `WERF_PREFECT_WEBHOOK_HEADER_TIMEOUT` | `5` | seconds a client has to send a complete request head (408 after) |
| `WERF_PREFECT_WEBHOOK_BODY_TIMEOUT` | `15` | seconds a client has to send the whole body (408 after) |
| `WERF_PREFECT_WEBHOOK_MAX_CONNECTIONS` | `64` | open connections at most; one more is answered 503 and closed |

The secret is never logged and never part of an error message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from werf_core.errors import WerfError

DEFAULT_DEPLOYMENT = "werf-build/ci-build"
DEFAULT_MAX_BODY = 5 * 1024 * 1024


class WebhookSettingsError(WerfError):
    """The receiver is configured wrongly (it refuses to start rather than accept unsigned deliveries)."""


@dataclass(frozen=True)
class WebhookSettings:
    secret: str = field(repr=False)
    deployment: str = DEFAULT_DEPLOYMENT
    max_body: int = DEFAULT_MAX_BODY
    clone_url: str = "https"
    local_roots: tuple[str, ...] = ()
    host: str = "127.0.0.1"
    port: int = 8787
    header_timeout: float = 5.0
    body_timeout: float = 15.0
    max_connections: int = 64

    @property
    def github_url_field(self) -> str:
        return "ssh_url" if self.clone_url == "ssh" else "clone_url"

    @property
    def gitlab_url_field(self) -> str:
        return "git_ssh_url" if self.clone_url == "ssh" else "git_http_url"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebhookSettings:
        env = os.environ if env is None else env
        secret = env.get("WERF_PREFECT_WEBHOOK_SECRET") or ""
        block = env.get("WERF_PREFECT_WEBHOOK_SECRET_BLOCK")
        if not secret and block:
            secret = _secret_from_block(block)
        if not secret:
            raise WebhookSettingsError(
                "the webhook receiver has no secret",
                hint="set WERF_PREFECT_WEBHOOK_SECRET (the same value as the GitHub webhook secret / GitLab secret "
                     "token), or WERF_PREFECT_WEBHOOK_SECRET_BLOCK to the name of a Prefect Secret block")
        clone_url = env.get("WERF_PREFECT_WEBHOOK_CLONE_URL", "https")
        if clone_url not in ("https", "ssh"):
            raise WebhookSettingsError(f"WERF_PREFECT_WEBHOOK_CLONE_URL={clone_url!r}", hint="use https or ssh")
        deployment = env.get("WERF_PREFECT_WEBHOOK_DEPLOYMENT", DEFAULT_DEPLOYMENT)
        if deployment.count("/") != 1 or not all(deployment.split("/")):
            raise WebhookSettingsError(f"WERF_PREFECT_WEBHOOK_DEPLOYMENT={deployment!r}",
                                       hint="give FLOW_NAME/DEPLOYMENT_NAME, e.g. werf-build/ci-build")
        roots = tuple(root for root in env.get("WERF_PREFECT_WEBHOOK_LOCAL_ROOTS", "").split(":") if root)
        if any(not root.startswith("/") for root in roots):
            raise WebhookSettingsError("WERF_PREFECT_WEBHOOK_LOCAL_ROOTS must hold absolute paths",
                                       hint="separate several with ':'")
        return cls(secret=secret, deployment=deployment,
                   max_body=_positive_int(env, "WERF_PREFECT_WEBHOOK_MAX_BODY", DEFAULT_MAX_BODY),
                   clone_url=clone_url, local_roots=roots,
                   host=env.get("WERF_PREFECT_WEBHOOK_HOST", "127.0.0.1"),
                   port=_positive_int(env, "WERF_PREFECT_WEBHOOK_PORT", 8787),
                   header_timeout=_positive_int(env, "WERF_PREFECT_WEBHOOK_HEADER_TIMEOUT", 5),
                   body_timeout=_positive_int(env, "WERF_PREFECT_WEBHOOK_BODY_TIMEOUT", 15),
                   max_connections=_positive_int(env, "WERF_PREFECT_WEBHOOK_MAX_CONNECTIONS", 64))


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name)
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise WebhookSettingsError(f"{name}={text!r} is not a positive integer")
    return value


def _secret_from_block(name: str) -> str:
    from prefect.blocks.system import Secret
    try:
        # `_sync` comes from Prefect's sync/async dispatch decorator, which the type stubs do not show
        return str(Secret.load(name, _sync=True).get())  # type: ignore[call-arg, union-attr]
    except ValueError as err:
        raise WebhookSettingsError(f"cannot load the Prefect Secret block {name!r}: {err}",
                                   hint="create it in the Prefect UI (Blocks → Secret) or with "
                                        "`Secret(value=...).save(name)`") from None
