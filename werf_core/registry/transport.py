"""HTTP to registries: scheme choice, retries, authentication, counting, and readable connection errors.

Scheme, as Docker chooses it:
- registries listed as insecure (`host:port`, bare `host`, an IP network such as `10.0.0.0/8`, or `*` = all —
  werf v1.1's boolean `--insecure-registry`) and loopback registries (`localhost`, 127.0.0.0/8, ::1) use plain HTTP;
  if such a registry turns out to speak TLS (it answers a plain request with "Client sent an HTTP request to an HTTPS
  server"), we switch it to HTTPS without certificate verification, which is what Docker allows for insecure ones;
- every other registry uses HTTPS, verified unless `skip_tls_verify`.

`httpx` is imported lazily: only code that really talks to a registry pays for it.
"""

from __future__ import annotations

import ipaddress
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from werf_core.registry.auth import Authenticator, Scope
from werf_core.registry.counter import RequestCounter, kind_of_path
from werf_core.registry.credentials import DockerConfigCredentials
from werf_core.registry.errors import RegistryUnreachableError
from werf_core.registry.retry import RetryPolicy, is_retryable_status

if TYPE_CHECKING:
    import httpx

# httpx's package import also imports its command-line client (httpx._main: click, rich, pygments — about half of
# the import's 0.3 s CPU) whenever those happen to be installed, as Prefect installs them. A None entry makes that
# one import fail, and httpx falls back to its own stub `main`; nothing here uses httpx's CLI.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
# Likewise httpcore imports the HTTP/2 stack (h2, hpack, hyperframe: ~0.07 s CPU) whenever h2 is installed, and falls
# back to a stub when it is not. We speak HTTP/1.1 only. Prefect can be told to use HTTP/2 for its API
# (PREFECT_API_ENABLE_HTTP2) and shares httpcore with us, so h2 stays available when Prefect is (or may become)
# part of the process with that setting, or was imported already.
if "httpcore" not in sys.modules and not os.environ.get("PREFECT_API_ENABLE_HTTP2", "").strip():
    sys.modules.setdefault("h2", None)  # type: ignore[arg-type]

USER_AGENT = "werf-prefect registry client"
_TLS_SERVER_REPLY = b"HTTP request to an HTTPS server"

Body = bytes | Callable[[], Iterable[bytes]] | None
# query parameters as httpx takes them
Params = dict[str, str] | list[tuple[str, str | int | float | bool | None]] | None


def split_host_port(registry: str) -> tuple[str, str | None]:
    if registry.startswith("["):
        host, _, rest = registry[1:].partition("]")
        return host, rest[1:] if rest.startswith(":") else None
    host, sep, port = registry.rpartition(":")
    return (host, port) if sep and port.isdigit() else (registry, None)


def is_loopback(registry: str) -> bool:
    host = split_host_port(registry)[0].lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_insecure(registry: str, insecure_registries: Iterable[str], *, plain_http_loopback: bool = True) -> bool:
    """True if `registry` should be spoken to over plain HTTP first."""
    registry_lower = registry.lower()
    host = split_host_port(registry_lower)[0]
    for entry in insecure_registries:
        entry = entry.strip().lower()
        if entry in ("*", registry_lower, host):
            return True
        if "/" in entry:
            try:
                if ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
    return plain_http_loopback and is_loopback(registry)


def _is_tls_failure(text: str) -> bool:
    return "SSL" in text or "TLS" in text or "certificate" in text.lower()


def unreachable_error(registry: str, url: str, err: Exception, *, timeout: float) -> RegistryUnreachableError:
    import httpx
    text = str(err) or type(err).__name__
    lowered = text.lower()
    plain_server_signs = ("wrong_version_number", "wrong version number", "record layer failure",
                          "packet length too long")
    if any(sign in lowered for sign in plain_server_signs):
        return RegistryUnreachableError(
            f"cannot talk TLS to registry {registry} ({url}): it answers, but apparently in plain HTTP ({text})",
            hint=f"if {registry} is a plain-HTTP registry, pass --insecure-registry (WERF_INSECURE_REGISTRY=1)")
    if "certificate_verify_failed" in lowered or "certificate verify failed" in lowered:
        return RegistryUnreachableError(
            f"the TLS certificate of registry {registry} is not trusted ({text})",
            hint="install the registry's CA certificate on this machine, or pass --skip-tls-verify-registry "
                 "(WERF_SKIP_TLS_VERIFY_REGISTRY=1) if you accept an unverified connection")
    if isinstance(err, httpx.TimeoutException):
        return RegistryUnreachableError(
            f"registry {registry} did not answer within {timeout:g}s ({url})",
            hint="check the network path to the registry (proxy, firewall) and that it is not overloaded")
    hint = "check the address and that the registry is running"
    if url.startswith("https://"):
        hint += "; for a plain-HTTP registry pass --insecure-registry (WERF_INSECURE_REGISTRY=1)"
    return RegistryUnreachableError(f"registry {registry} is unreachable at {url}: {text}", hint=hint)


def _retryable_transport_error(err: Exception) -> bool:
    import httpx
    if isinstance(err, httpx.ConnectError) and _is_tls_failure(str(err)):
        return False   # a TLS mismatch or an untrusted certificate will not fix itself
    return isinstance(err, (httpx.ConnectError, httpx.TimeoutException, httpx.ReadError, httpx.WriteError,
                            httpx.RemoteProtocolError))


class Transport:
    def __init__(self, *, insecure_registries: Iterable[str] = (), skip_tls_verify: bool = False,
                 plain_http_loopback: bool = True, credentials: DockerConfigCredentials | None = None,
                 retry: RetryPolicy | None = None, timeout: float = 30.0,
                 counter: RequestCounter | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.insecure_registries = frozenset(insecure_registries)
        self.skip_tls_verify = skip_tls_verify
        self.plain_http_loopback = plain_http_loopback
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.counter = counter or RequestCounter()
        self.credentials = credentials or DockerConfigCredentials()
        self.auth = Authenticator(self.credentials, self._send_token_request)
        self._sleep = sleep
        self._https_insecure: set[str] = set()   # insecure registries found to speak TLS
        self._clients: dict[bool, httpx.Client] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ addressing
    def scheme(self, registry: str) -> str:
        if registry in self._https_insecure:
            return "https"
        return "http" if self._insecure(registry) else "https"

    def base_url(self, registry: str) -> str:
        return f"{self.scheme(registry)}://{registry}"

    def _insecure(self, registry: str) -> bool:
        return is_insecure(registry, self.insecure_registries, plain_http_loopback=self.plain_http_loopback)

    def _verify(self, registry: str) -> bool:
        return not (self.skip_tls_verify or self._insecure(registry))

    def _client(self, verify: bool) -> httpx.Client:
        import httpx
        with self._lock:
            client = self._clients.get(verify)
            if client is None:
                client = httpx.Client(transport=_scheme_transport(verify), timeout=self.timeout,
                                      headers={"User-Agent": USER_AGENT})
                self._clients[verify] = client
            return client

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    # ------------------------------------------------------------------ requests
    def request(self, method: str, registry: str, target: str, *, scopes: tuple[Scope, ...], what: str,
                headers: dict[str, str] | None = None, body: Body = None, params: Params = None,
                follow_redirects: bool = False, stream: bool = False) -> httpx.Response:
        """One authenticated registry request. `target` is a `/v2/...` path or an absolute URL (upload locations).

        Raises RegistryAuthError when access stays denied and RegistryUnreachableError when no answer comes;
        every other status is returned for the caller to interpret. A streamed response must be closed.
        """
        headers = dict(headers or {})
        sent = self.auth.header_for(registry, scopes)
        response = self._send_authorized(method, registry, target, headers, sent, body, params,
                                          follow_redirects, stream)
        if response.status_code == 401:
            challenge_header = response.headers.get("WWW-Authenticate")
            response.close()
            sent = self.auth.after_unauthorized(registry, scopes, challenge_header, sent, what=what)
            response = self._send_authorized(method, registry, target, headers, sent, body, params,
                                              follow_redirects, stream)
        if response.status_code in (401, 403):
            content = response.read()
            response.close()
            raise self.auth.denied(registry, scopes, content, what=what, status=response.status_code)
        return response

    def _send_authorized(self, method: str, registry: str, target: str, headers: dict[str, str],
                         authorization: str | None, body: Body, params: Params, follow_redirects: bool,
                         stream: bool) -> httpx.Response:
        if authorization:
            headers = {**headers, "Authorization": authorization}
        elif "Authorization" in headers:
            headers = {k: v for k, v in headers.items() if k != "Authorization"}
        while True:
            url = target if "://" in target else self.base_url(registry) + target
            response = self.send(method, url, kind=kind_of_path(target), registry=registry, headers=headers,
                                 body=body, params=params, follow_redirects=follow_redirects, stream=stream)
            if response.status_code == 400 and url.startswith("http://") and self._insecure(registry) \
                    and registry not in self._https_insecure and _TLS_SERVER_REPLY in response.read():
                response.close()
                self._https_insecure.add(registry)
                if "://" in target:
                    target = "https://" + target[len("http://"):]
                continue
            return response

    def send(self, method: str, url: str, *, kind: str, registry: str, headers: dict[str, str] | None = None,
             body: Body = None, params: Params = None, form: dict[str, str] | None = None,
             follow_redirects: bool = False, stream: bool = False) -> httpx.Response:
        """Send with retries (no authentication). Used directly for token requests."""
        import httpx
        client = self._client(self._verify(registry) if not url.startswith("http://") else True)
        attempt, waited = 0, 0.0
        while True:
            content = body() if callable(body) else body
            request = client.build_request(method, url, headers=headers, content=content, params=params,
                                           data=form)
            self.counter.record(method, kind)
            try:
                response = client.send(request, stream=stream, follow_redirects=follow_redirects)
            except httpx.TransportError as err:
                wait = self.retry.next_delay(attempt, waited) if _retryable_transport_error(err) else None
                if wait is None:
                    raise unreachable_error(registry, url, err, timeout=self.timeout) from None
            else:
                if not is_retryable_status(response.status_code):
                    return response
                wait = self.retry.next_delay(attempt, waited, response.headers.get("Retry-After"))
                if wait is None:
                    return response
                response.close()
            self._sleep(wait)
            waited += wait
            attempt += 1

    def _send_token_request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                            params: Params = None, form: dict[str, str] | None = None) -> httpx.Response:
        registry = url.split("://", 1)[-1].split("/", 1)[0]
        return self.send(method, url, kind="token", registry=registry, headers=headers, params=params, form=form)


def absolute_location(base_url: str, location: str) -> str:
    """Upload `Location` headers may be relative to the request URL."""
    return urljoin(base_url, location)


def _scheme_transport(verify: bool) -> httpx.BaseTransport:
    """A transport whose TLS half is made on the first https request. A verifying TLS context loads the whole CA
    bundle (~0.15 s CPU); a build that only talks to plain-HTTP registries (loopback, --insecure-registry) never
    needs it. An http URL never uses TLS, so its half gets no CA; a redirect to https goes to the verifying half."""
    import httpx

    class SchemeTransport(httpx.BaseTransport):
        def __init__(self) -> None:
            self._plain = httpx.HTTPTransport(verify=False)
            self._tls: httpx.HTTPTransport | None = None
            self._tls_lock = threading.Lock()

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.scheme == "http":
                return self._plain.handle_request(request)
            with self._tls_lock:
                if self._tls is None:
                    self._tls = httpx.HTTPTransport(verify=verify)
                tls = self._tls
            return tls.handle_request(request)

        def close(self) -> None:
            self._plain.close()
            if self._tls is not None:
                self._tls.close()

    return SchemeTransport()
