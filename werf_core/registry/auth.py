"""Registry authentication: anonymous, Basic, and Docker's bearer-token flow.

The first 401 from a registry tells us how it authenticates (`WWW-Authenticate`); we remember that per registry so
later requests authenticate up front instead of paying a 401 round-trip each time.

Bearer flow (Docker's token-auth spec): GET `<realm>?service=<service>&scope=<scope>...` — with Basic credentials
when we have them, anonymously otherwise — answers `{"token" | "access_token", "expires_in", "issued_at"}`. A
`docker login` that stored an identity (refresh) token instead uses the OAuth2 form: POST `grant_type=refresh_token`.
Tokens are cached per (registry, set of scopes) until shortly before they expire; a 401 on a cached token drops it
and fetches a fresh one once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from werf_core.errors import RegistryError
from werf_core.registry.challenge import Challenge, parse_www_authenticate, preferred_challenge
from werf_core.registry.credentials import DockerConfigCredentials
from werf_core.registry.errors import RegistryAuthError, describe_error_body, error_codes

if TYPE_CHECKING:
    import httpx

DEFAULT_TOKEN_LIFETIME = 60      # seconds, per the token spec when `expires_in` is missing
CLIENT_ID = "werf-prefect"


@dataclass(frozen=True)
class Scope:
    """Access to one repository: `repository:<name>:<actions>`."""

    repository: str
    actions: tuple[str, ...]

    def __str__(self) -> str:
        return f"repository:{self.repository}:{','.join(self.actions)}"


def pull_scope(repository: str) -> Scope:
    return Scope(repository, ("pull",))


def push_scope(repository: str) -> Scope:
    return Scope(repository, ("pull", "push"))


def delete_scope(repository: str) -> Scope:
    # The reference registry (and Harbor, GitLab) check the `delete` action for DELETE requests.
    return Scope(repository, ("delete",))


@dataclass(frozen=True)
class _Token:
    header: str
    expires_at: float   # time.monotonic() deadline


# (method, url, headers, params, form) -> response; the transport's retrying, counting, un-authenticated sender.
TokenSender = Callable[..., "httpx.Response"]


class Authenticator:
    def __init__(self, credentials: DockerConfigCredentials, send: TokenSender) -> None:
        self._credentials = credentials
        self._send = send
        self._challenges: dict[str, Challenge] = {}
        self._tokens: dict[tuple[str, tuple[str, ...]], _Token] = {}
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ used by the transport
    def header_for(self, registry: str, scopes: tuple[Scope, ...]) -> str | None:
        """The Authorization header to send up front, or None while we know of no challenge for `registry`."""
        with self._lock:
            challenge = self._challenges.get(registry)
            if challenge is None:
                return None
            if challenge.scheme == "basic":
                credentials = self._credentials.lookup(registry)
                return credentials.basic_header() if credentials and credentials.has_basic else None
            key = (registry, _scope_key(scopes))
            token = self._tokens.get(key)
            if token and token.expires_at > time.monotonic():
                return token.header
            return self._fetch_token(registry, challenge, scopes).header

    def after_unauthorized(self, registry: str, scopes: tuple[Scope, ...], www_authenticate: str | None,
                           sent: str | None, *, what: str) -> str:
        """A 401 arrived: learn the challenge and return the header to retry with, or raise if there is none."""
        challenge = preferred_challenge(parse_www_authenticate(www_authenticate))
        if challenge is None:
            raise RegistryAuthError(
                f"registry {registry} refused {what} (401) without saying how to authenticate",
                hint=f"check that {registry} is a Docker registry and that your account may access it")
        with self._lock:
            self._challenges[registry] = challenge
            credentials = self._credentials.lookup(registry)
            if challenge.scheme == "basic":
                if not credentials or not credentials.has_basic:
                    raise self._no_credentials(registry, what)
                header = credentials.basic_header()
                if header == sent:
                    raise self.denied(registry, scopes, None, what=what)
                return header
            key = (registry, _scope_key(scopes))
            current = self._tokens.get(key)
            if current and current.header != sent and current.expires_at > time.monotonic():
                # Another thread fetched (or refreshed) this token while our request was in flight: reuse it
                # instead of sending the token server one request per thread.
                return current.header
            self._tokens.pop(key, None)
            return self._fetch_token(registry, challenge, scopes).header

    def denied(self, registry: str, scopes: tuple[Scope, ...], body: bytes | None, *, what: str,
               status: int = 401) -> RegistryAuthError:
        """The error for a request that stays unauthorized (or forbidden) with the best credentials we have."""
        credentials = self._credentials.lookup(registry)
        reason = describe_error_body(body) if body else ""
        reason = f": {reason}" if reason else ""
        actions = " and ".join(sorted({a for s in scopes for a in s.actions})) or "access"
        repositories = ", ".join(sorted({s.repository for s in scopes}))
        if credentials is None:
            return self._no_credentials(registry, what, detail=reason)
        who = f"user {credentials.username}" if credentials.username else "the stored identity token"
        forbidden = status == 403 or any(code == "DENIED" for code, _ in error_codes(body))
        verdict = "forbids" if forbidden else "rejected"
        return RegistryAuthError(
            f"registry {registry} {verdict} {what} for {who} (credentials from {credentials.source}){reason}",
            hint=(f"make sure {who} has {actions} permission on {repositories}; "
                  f"if the password or token changed, run `docker login {registry}` again "
                  "or pass --docker-config with current credentials"))

    # ------------------------------------------------------------------ internals
    def _no_credentials(self, registry: str, what: str, detail: str = "") -> RegistryAuthError:
        return RegistryAuthError(
            f"registry {registry} requires authentication for {what}, and no credentials for it were found "
            f"in {self._credentials.config_path}{detail}",
            hint=f"run `docker login {registry}`, or pass --docker-config (WERF_DOCKER_CONFIG) / set DOCKER_CONFIG "
                 f"to a directory whose config.json has credentials for {registry}")

    def _fetch_token(self, registry: str, challenge: Challenge, scopes: tuple[Scope, ...]) -> _Token:
        realm = challenge.realm
        if not realm:
            raise RegistryAuthError(f"registry {registry} asked for a bearer token but named no token server (realm)",
                                    hint="the registry's auth configuration is incomplete; ask its operator")
        credentials = self._credentials.lookup(registry)
        wanted = list(dict.fromkeys([str(s) for s in scopes] + list(challenge.scopes)))
        if credentials and credentials.identity_token:
            form = {"grant_type": "refresh_token", "refresh_token": credentials.identity_token,
                    "client_id": CLIENT_ID, "scope": " ".join(wanted)}
            if challenge.service:
                form["service"] = challenge.service
            response = self._send("POST", realm, form=form)
        else:
            params: list[tuple[str, str]] = []
            if challenge.service:
                params.append(("service", challenge.service))
            params += [("scope", s) for s in wanted]
            headers = {}
            if credentials and credentials.has_basic and credentials.username:
                params.append(("account", credentials.username))
                headers["Authorization"] = credentials.basic_header()
            response = self._send("GET", realm, headers=headers, params=params)
        if response.status_code in (401, 403):
            raise self.denied(registry, scopes, response.content, what=f"a token from {realm}",
                              status=response.status_code)
        if response.status_code != 200:
            raise RegistryError(
                f"token server {realm} (for registry {registry}) answered {response.status_code}: "
                f"{describe_error_body(response.content)}",
                hint="retry later; if it persists the registry's token service is misconfigured")
        try:
            answer = response.json()
            value = answer.get("token") or answer.get("access_token")
            lifetime = int(answer.get("expires_in") or DEFAULT_TOKEN_LIFETIME)
        except (ValueError, AttributeError, TypeError):
            value, lifetime = None, 0
        if not value:
            raise RegistryError(f"token server {realm} (for registry {registry}) answered without a token",
                                hint="the registry's token service is misconfigured; ask its operator")
        # Renew a little early so a token never expires between our check and the registry's.
        margin = min(10.0, lifetime * 0.1)
        token = _Token(header=f"Bearer {value}", expires_at=time.monotonic() + lifetime - margin)
        self._tokens[(registry, _scope_key(scopes))] = token
        return token


def _scope_key(scopes: tuple[Scope, ...]) -> tuple[str, ...]:
    return tuple(sorted(str(s) for s in scopes))

