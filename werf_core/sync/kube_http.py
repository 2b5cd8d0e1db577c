"""HTTP(S) to one Kubernetes API server: TLS as the kubeconfig says, credentials, keep-alive connections, timeouts.

Built on the standard library (http.client, ssl) because it is the only thing cheap enough to load on a build's
critical path: see kube_api.py for the measurements. Thread-safe: idle connections are kept in a small pool, and
each request takes one (lease renewal threads and the cache's parallel shard reads share one `KubeHttp`).

Proxies: the cluster's `proxy-url`, else $HTTPS_PROXY / $HTTP_PROXY unless $NO_PROXY names the server; HTTP
proxies only (CONNECT tunnel for https servers).
"""

from __future__ import annotations

import base64
import http.client
import os
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from werf_core.sync.errors import SynchronizationError
from werf_core.sync.kubeconfig import ClusterAccess

if TYPE_CHECKING:    # exec plugins are loaded only for kubeconfigs that use one
    from werf_core.sync.kube_exec import ExecCredential

Timeout = float | tuple[float, float]
TOKEN_FILE_REREAD = 60.0            # service account tokens rotate; client-go re-reads them every minute
MAX_IDLE_CONNECTIONS = 8
DEFAULT_MAX_RESPONSE = 64 * 1024 * 1024
# a reused keep-alive connection the server had closed fails like this before any answer: send again, once
_STALE_CONNECTION = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class TransportError(Exception):
    """The server could not be reached or did not answer; `reason` is safe to show (no credentials)."""

    def __init__(self, reason: str, *, tls: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.tls = tls


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    body: bytes


class _Connection(http.client.HTTPConnection):
    """One TCP (+TLS) connection: connect timeout for connecting, read timeout for every read after that."""

    def __init__(self, host: str, port: int, *, connect_timeout: float, read_timeout: float,
                 ssl_context: ssl.SSLContext | None, server_hostname: str | None) -> None:
        super().__init__(host, port, timeout=connect_timeout)
        self._read_timeout = read_timeout
        self._ssl_context = ssl_context
        self._server_hostname = server_hostname
        self.reused = False

    def connect(self) -> None:
        super().connect()      # TCP (to the proxy, then CONNECT through it, when tunnelling)
        if self._ssl_context is not None:
            tunnel_host: str | None = getattr(self, "_tunnel_host", None)    # http.client's CONNECT target
            hostname = self._server_hostname or tunnel_host or self.host
            self.sock = self._ssl_context.wrap_socket(self.sock, server_hostname=hostname)
        self.sock.settimeout(self._read_timeout)


class KubeHttp:
    def __init__(self, access: ClusterAccess, *, timeout: Timeout = (5.0, 30.0),
                 environ: Mapping[str, str] | None = None, max_response: int = DEFAULT_MAX_RESPONSE) -> None:
        self.access = access
        url = urlsplit(access.server)
        self.https = url.scheme == "https"
        self.host = url.hostname or ""
        self.port = url.port or (443 if self.https else 80)
        self.base_path = url.path.rstrip("/")
        self.server = f"{url.scheme}://{url.netloc.rpartition('@')[2]}{self.base_path}"   # never userinfo
        self.connect_timeout, self.read_timeout = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        self.max_response = max_response
        self._proxy = _proxy_for(access, url.scheme, self.host, os.environ if environ is None else environ)
        self._lock = threading.Lock()
        self._idle: list[_Connection] = []
        self._ssl_context: ssl.SSLContext | None = None
        self._context_certificate: bytes | None = None
        self._credential: ExecCredential | None = None
        self._file_token: tuple[float, str] | None = None

    # -------- requests
    def request(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None
                ) -> Response:
        """One request; on a 401 with credentials that can be renewed (exec plugin, token file), renewed once."""
        response = self._request_once(method, path, body, content_type)
        if response.status == 401 and self._forget_renewable_credentials():
            response = self._request_once(method, path, body, content_type)
        return response

    def _request_once(self, method: str, path: str, body: bytes | None, content_type: str | None) -> Response:
        headers = {"Accept": "application/json", "User-Agent": "werf-prefect"}
        if content_type:
            headers["Content-Type"] = content_type
        authorization = self._authorization()
        if authorization:
            headers["Authorization"] = authorization
        target = self.base_path + path
        if self._proxy is not None and not self.https:
            target = f"http://{_host_port(self.host, self.port)}{target}"    # plain HTTP through a proxy
            headers.update(self._proxy.headers)
        for attempt in (1, 2):
            connection = self._take_connection()
            try:
                connection.request(method, target, body=body, headers=headers)
                answer = connection.getresponse()
                data = answer.read(self.max_response + 1)
            except _STALE_CONNECTION as err:
                connection.close()
                if connection.reused and attempt == 1:
                    self.close()      # its idle siblings are as old: start afresh
                    continue
                raise TransportError(_describe(err)) from None
            except ssl.SSLError as err:
                connection.close()
                raise TransportError(_describe(err), tls=True) from None
            except (OSError, http.client.HTTPException) as err:
                connection.close()
                raise TransportError(_describe(err)) from None
            if len(data) > self.max_response:
                connection.close()
                raise SynchronizationError(f"The Kubernetes API server at {self.server} answered {method} "
                                           f"{path} with more than {self.max_response} bytes",
                                           hint="Is the server address right?")
            self._give_back(connection, answer)
            return Response(answer.status, answer.reason, data)
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    # -------- connections
    def _take_connection(self) -> _Connection:
        context = self._context() if self.https else None     # first: a renewed client certificate drops the pool
        with self._lock:
            if self._idle:
                connection = self._idle.pop()
                connection.reused = True
                return connection
        if self._proxy is None:
            return _Connection(self.host, self.port, connect_timeout=self.connect_timeout,
                               read_timeout=self.read_timeout, ssl_context=context,
                               server_hostname=self.access.tls_server_name)
        connection = _Connection(self._proxy.host, self._proxy.port, connect_timeout=self.connect_timeout,
                                 read_timeout=self.read_timeout, ssl_context=context,
                                 server_hostname=self.access.tls_server_name)
        if self.https:
            connection.set_tunnel(self.host, self.port, headers=self._proxy.headers)
        return connection

    def _give_back(self, connection: _Connection, answer: http.client.HTTPResponse) -> None:
        if answer.will_close:
            connection.close()
            return
        with self._lock:
            if len(self._idle) < MAX_IDLE_CONNECTIONS:
                self._idle.append(connection)
                return
        connection.close()

    # -------- TLS and credentials
    def _context(self) -> ssl.SSLContext:
        credential = self._exec_credential()
        cert = key = None
        if credential is not None and credential.client_certificate:
            cert, key = credential.client_certificate, credential.client_key
        with self._lock:
            if self._ssl_context is None or cert != self._context_certificate:
                if self._ssl_context is not None:
                    # an exec plugin renewed the client certificate: connections made with the old one go
                    for connection in self._idle:
                        connection.close()
                    self._idle = []
                self._ssl_context = tls_context(self.access, cert, key)
                self._context_certificate = cert
            return self._ssl_context

    def _authorization(self) -> str | None:
        access = self.access
        credential = self._exec_credential()
        if credential is not None and credential.token:
            return f"Bearer {credential.token}"
        if access.token:
            return f"Bearer {access.token}"
        if access.token_file is not None:
            return f"Bearer {self._token_from_file(access.token_file)}"
        if access.basic_auth is not None:
            user, password = access.basic_auth
            return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        return None

    def _token_from_file(self, path: Path) -> str:
        now = time.monotonic()
        with self._lock:
            if self._file_token is not None and now - self._file_token[0] < TOKEN_FILE_REREAD:
                return self._file_token[1]
        try:
            token = path.read_text().strip()
        except OSError as err:
            raise SynchronizationError(f"Kubernetes synchronization: cannot read the token file {path}: "
                                       f"{err.strerror}", hint="Check tokenFile in the kubeconfig.") from None
        with self._lock:
            self._file_token = (now, token)
        return token

    def _exec_credential(self) -> ExecCredential | None:
        plugin = self.access.exec_plugin
        if plugin is None:
            return None
        with self._lock:
            credential = self._credential
        if credential is not None and credential.fresh(time.time()):
            return credential
        from werf_core.sync.kube_exec import run_exec_plugin
        fresh = run_exec_plugin(plugin, self.access.cluster_info)
        with self._lock:
            self._credential = fresh
        return fresh

    def _forget_renewable_credentials(self) -> bool:
        """After a 401: the next request runs the exec plugin again / re-reads the token file."""
        with self._lock:
            renewable = self.access.exec_plugin is not None or (self.access.token_file is not None
                                                                and not self.access.token)
            self._credential = None
            self._file_token = None
        return renewable


def tls_context(access: ClusterAccess, client_certificate: bytes | None = None, client_key: bytes | None = None
                ) -> ssl.SSLContext:
    """The TLS settings of the cluster entry, plus the user's client certificate (files, inline or an exec
    plugin's)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    what = "certificate-authority"
    try:
        if access.insecure_skip_tls_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif access.ca is not None:
            ca = access.ca.read("certificate authority")
            if ca.lstrip().startswith(b"-----"):
                context.load_verify_locations(cadata=ca.decode(errors="replace"))
            else:
                context.load_verify_locations(cadata=ca)     # DER
        else:
            context.load_default_certs()
        what = "client certificate and key"
        if client_certificate is not None and client_key is not None:
            _load_client_pem(context, client_certificate, client_key)
        elif access.client_certificate is not None and access.client_key is not None:
            cert, key = access.client_certificate, access.client_key
            if cert.path is not None and key.path is not None:
                context.load_cert_chain(str(cert.path), str(key.path))
            else:
                _load_client_pem(context, cert.read("client certificate"), key.read("client key"))
        elif access.client_certificate is not None or access.client_key is not None:
            raise SynchronizationError(f"Kubernetes synchronization: {access.origin} gives a client certificate "
                                       f"without its key (or a key without its certificate)",
                                       hint="Set both client-certificate[-data] and client-key[-data].")
    except ssl.SSLError as err:
        raise SynchronizationError(f"Kubernetes synchronization: the {what} of {access.origin} cannot be used "
                                   f"({err.reason or err.strerror or type(err).__name__})",
                                   hint="Check that it is PEM (the -data fields: base64 of the PEM).") from None
    except OSError as err:
        raise SynchronizationError(f"Kubernetes synchronization: the {what} of {access.origin} cannot be read "
                                   f"({err.strerror})", hint="Check the file paths in the kubeconfig.") from None
    return context


def _load_client_pem(context: ssl.SSLContext, certificate: bytes, key: bytes) -> None:
    """ssl loads certificate chains from files only: hand it an anonymous in-memory file (never on disk), or on
    systems without memfd a private temporary file removed at once."""
    if hasattr(os, "memfd_create"):
        fds = [os.memfd_create("werf-kube-cert", os.MFD_CLOEXEC), os.memfd_create("werf-kube-key", os.MFD_CLOEXEC)]
        try:
            for fd, pem in zip(fds, (certificate, key)):
                os.write(fd, pem)
            context.load_cert_chain(f"/proc/self/fd/{fds[0]}", f"/proc/self/fd/{fds[1]}")
        finally:
            for fd in fds:
                os.close(fd)
        return
    import tempfile
    with tempfile.TemporaryDirectory(prefix="werf-kube-") as directory:
        paths = [os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")]
        for path, pem in zip(paths, (certificate, key)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
        context.load_cert_chain(paths[0], paths[1])


@dataclass(frozen=True)
class _Proxy:
    host: str
    port: int
    headers: dict[str, str]


def _proxy_for(access: ClusterAccess, scheme: str, host: str, env: Mapping[str, str]) -> _Proxy | None:
    url = access.proxy_url
    if url is None:
        if no_proxy_matches(host, env.get("NO_PROXY") or env.get("no_proxy") or ""):
            return None
        url = (env.get("HTTPS_PROXY") or env.get("https_proxy")) if scheme == "https" else None
        url = url or env.get("HTTP_PROXY") or env.get("http_proxy") or None
    if not url:
        return None
    if "://" not in url:
        url = f"http://{url}"
    parsed = urlsplit(url)
    if parsed.scheme != "http" or not parsed.hostname:
        raise SynchronizationError(f"Kubernetes synchronization: proxy {parsed.scheme}://{parsed.hostname or ''} "
                                   f"for {access.origin} is not supported (HTTP proxies only)",
                                   hint="Use an http:// proxy (HTTPS_PROXY / the cluster's proxy-url).")
    headers = {}
    if parsed.username:
        pair = f"{unquote(parsed.username)}:{unquote(parsed.password or '')}"
        headers["Proxy-Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    return _Proxy(parsed.hostname, parsed.port or 80, headers)


def no_proxy_matches(host: str, no_proxy: str) -> bool:
    """curl/Go semantics: `*`, a host name, a domain suffix (with or without the leading dot), an IP or CIDR."""
    import ipaddress
    host = host.lower().strip("[]")
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        entry = entry.rsplit(":", 1)[0] if entry.count(":") == 1 else entry   # host:port → host
        entry = entry.strip("[]")
        if "/" in entry:
            try:
                if ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        bare = entry.lstrip(".")
        if host == bare or host.endswith("." + bare):
            return True
    return False


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _describe(err: BaseException) -> str:
    """What went wrong, without addresses of Python objects or anything sent."""
    if isinstance(err, ssl.SSLCertVerificationError):
        return f"TLS: certificate verify failed: {err.verify_message or err.reason}"
    if isinstance(err, ssl.SSLError):
        return f"TLS: {err.reason or err.strerror}"
    if isinstance(err, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(err, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    if isinstance(err, socket.gaierror):
        return "name not resolved"
    return str(err) or type(err).__name__
