"""Local servers for the registry tests, all on 127.0.0.1 and stopped by the tests that start them.

- `start_registry(...)`: the real `docker-registry` with optional htpasswd auth, token auth or TLS.
- `TokenServer`: a Docker token-auth server (GET with Basic credentials, POST refresh_token grants) issuing RS256
  JWTs the real registry verifies against our certificate bundle.
- `ScriptedServer`: answers each request with the next scripted response (or drops the connection), for retries.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx

from tests.registry.pki import Identity, self_signed, sign_jwt
from tests.support.net import free_port
from tests.support.registry import Registry

SERVICE = "werf-test-registry"
ISSUER = "werf-test-token-issuer"


# ---------------------------------------------------------------------------------------------- docker-registry
def write_config(directory: Path, address: str, *, auth: str = "", tls: tuple[Path, Path] | None = None,
                 deletes: bool = True) -> Path:
    tls_section = f"  tls:\n    certificate: {tls[0]}\n    key: {tls[1]}\n" if tls else ""
    config = directory / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: info\n  formatter: text\n"
        "storage:\n"
        f"  filesystem:\n    rootdirectory: {directory / 'data'}\n"
        f"  delete:\n    enabled: {'true' if deletes else 'false'}\n"
        "  maintenance:\n    uploadpurging:\n      enabled: false\n"
        f"http:\n  addr: {address}\n{tls_section}"
        + auth)
    return config


def start_registry(*, auth: str = "", tls: Identity | None = None, directory: Path | None = None,
                   address: str | None = None, deletes: bool = True) -> Registry:
    """A docker-registry with the given `auth:` section (YAML text) and/or TLS; reuses `directory` if given."""
    directory = directory or Path(tempfile.mkdtemp(prefix="werf-test-registry-"))
    directory.mkdir(parents=True, exist_ok=True)
    address = address or f"127.0.0.1:{free_port()}"
    tls_files = tls.write(directory, "tls") if tls else None
    config = write_config(directory, address, auth=auth, tls=tls_files, deletes=deletes)
    with open(directory / "registry.log", "ab") as log:
        process = subprocess.Popen([shutil.which("docker-registry"), "serve", str(config)], stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"{'https' if tls else 'http'}://{address}/v2/"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2, verify=False).status_code in (200, 401):
                return Registry(address=address, directory=directory, process=process)
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.1)
    stop_process(process)
    raise RuntimeError("registry did not start:\n" + (directory / "registry.log").read_text()[-2000:])


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(5)


def htpasswd_auth(directory: Path, users: dict[str, str]) -> str:
    import bcrypt
    path = directory / "htpasswd"
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{user}:{bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=5)).decode()}\n"
                            for user, pw in users.items()))
    return f"auth:\n  htpasswd:\n    realm: werf-test\n    path: {path}\n"


def token_auth(directory: Path, realm: str, signer: Identity) -> str:
    bundle = directory / "token-bundle.pem"
    directory.mkdir(parents=True, exist_ok=True)
    bundle.write_bytes(signer.cert_pem)
    return (f"auth:\n  token:\n    realm: {realm}\n    service: {SERVICE}\n    issuer: {ISSUER}\n"
            f"    rootcertbundle: {bundle}\n")


def blob_data_dir(registry: Registry, digest: str) -> Path:
    """Where the filesystem driver keeps a blob's bytes (shared by every repository of the registry)."""
    hex_ = digest.split(":", 1)[1]
    return registry.directory / "data" / "docker" / "registry" / "v2" / "blobs" / "sha256" / hex_[:2] / hex_


# ---------------------------------------------------------------------------------------------- token server
@dataclass
class TokenRequest:
    method: str
    user: str | None
    scopes: list[str]
    service: str | None


@dataclass
class TokenServer:
    """Grants each authenticated user the actions it may have; anonymous users get a token with no access."""

    users: dict[str, str] = field(default_factory=dict)
    allowed_actions: dict[str, set[str]] = field(default_factory=dict)   # user -> actions (default: all)
    refresh_tokens: dict[str, str] = field(default_factory=dict)         # refresh token -> user
    signer: Identity = field(default_factory=lambda: self_signed("werf test token signer"))
    expires_in: int = 300
    requests: list[TokenRequest] = field(default_factory=list)

    def start(self) -> TokenServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                query = parse_qs(urlparse(self.path).query)
                user = self._basic_user()
                if user is False:
                    return self._answer(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]})
                server._issue(self, "GET", user, query.get("scope", []), (query.get("service") or [None])[0])

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                user = server.refresh_tokens.get((form.get("refresh_token") or [""])[0])
                if form.get("grant_type") != ["refresh_token"] or user is None:
                    return self._answer(401, {"error": "invalid_grant"})
                scopes = (form.get("scope") or [""])[0].split()
                server._issue(self, "POST", user, scopes, (form.get("service") or [None])[0])

            def _basic_user(self):
                header = self.headers.get("Authorization")
                if not header:
                    return None
                user, _, password = base64.b64decode(header.split(" ", 1)[1]).decode().partition(":")
                return user if server.users.get(user) == password else False

            def _answer(self, status: int, document: dict) -> None:
                body = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/token"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _issue(self, handler, method: str, user: str | None, scopes: list[str], service: str | None) -> None:
        self.requests.append(TokenRequest(method, user, scopes, service))
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            granted = [a for a in actions.split(",")
                       if user is not None and a in self.allowed_actions.get(user, {"pull", "push", "delete", "*"})]
            access.append({"type": kind, "name": name, "actions": granted})
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": user or "", "aud": service or SERVICE, "exp": now + self.expires_in,
                  "nbf": now - 10, "iat": now - 10, "jti": uuid.uuid4().hex, "access": access}
        handler._answer(200, {"token": sign_jwt(claims, self.signer), "expires_in": self.expires_in})


# ---------------------------------------------------------------------------------------------- scripted server
@dataclass
class Scripted:
    status: int = 200
    body: bytes | dict = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False          # close the connection without answering


class ScriptedServer:
    """Answers request N with script[N] (the last entry repeats); records (method, path) of every request."""

    def __init__(self, script: list[Scripted]) -> None:
        self.script = script
        self.requests: list[tuple[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _serve(self):
                index = len(owner.requests)
                owner.requests.append((self.command, self.path))
                step = owner.script[min(index, len(owner.script) - 1)]
                if step.drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                body = json.dumps(step.body).encode() if isinstance(step.body, dict) else step.body
                self.send_response(step.status)
                for key, value in {"Content-Type": "application/json", **step.headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# ---------------------------------------------------------------------------------------------- paginating proxy
class PaginatingProxy:
    """Forwards to a real registry but pages `tags/list` by `n`/`last` with `Link` headers.

    Debian's docker-registry 2.8 returns every tag at once; distribution v3, Docker Hub, Harbor and GitLab page them.
    This proxy gives the real registry's data that paging, so the client's page-following is tested on real tags.
    """

    def __init__(self, upstream_url: str) -> None:
        self.upstream_url = upstream_url
        self.pages_served = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urlparse(self.path)
                if not url.path.endswith("/tags/list"):
                    return self._forward()
                query = parse_qs(url.query)
                upstream = httpx.get(owner.upstream_url + url.path, timeout=10)
                if upstream.status_code != 200:
                    return self._reply(upstream.status_code, upstream.content, {})
                tags = sorted(upstream.json().get("tags") or [])
                last = (query.get("last") or [""])[0]
                n = int((query.get("n") or ["100"])[0])
                remaining = [t for t in tags if t > last]
                page, more = remaining[:n], len(remaining) > n
                headers = {}
                if more:
                    headers["Link"] = f'<{url.path}?last={page[-1]}&n={n}>; rel="next"'
                owner.pages_served += 1
                self._reply(200, json.dumps({"name": url.path[4:-10], "tags": page}).encode(), headers)

            def _forward(self):
                upstream = httpx.request(self.command, owner.upstream_url + self.path, timeout=10,
                                         headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
                self._reply(upstream.status_code, upstream.content,
                            {k: v for k, v in upstream.headers.items()
                             if k.lower() not in ("content-length", "transfer-encoding", "connection")})

            do_HEAD = _forward

            def _reply(self, status, body, headers):
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
