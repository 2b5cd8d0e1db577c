"""`EngineAPI`: the Docker Engine API requests of the local stages storage's usual path, over `http.client`.

An idle build with the local stages storage asks the engine only "is it there?" and "describe this stage image"; a
one-file change adds "list the stages of this digest" and "load this layer-native stage". docker-py answers all that
too, but importing it (with requests and urllib3) costs more than the whole rest of such a build; so these requests
go straight to the engine's socket, and docker-py is imported only when a container runs, a tag is set or an image is
removed.

Only addresses that need no TLS are served here: the default socket, `unix://PATH` and plain `tcp://HOST:PORT`
(`from_env` returns None for anything else — TLS, ssh://, npipe — and docker-py does all the work). A request is
answered here only when the engine says 200 or 404; for any other answer (or none) `NotAnswered` is raised and the
caller asks docker-py, so errors keep docker-py's exceptions and wording. Paths carry no API version: the engine then speaks its newest one,
which is the version docker-py negotiates by default.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

__all__ = ["EngineAPI", "EngineUnavailable", "NotAnswered"]

DEFAULT_SOCKET = "/var/run/docker.sock"
TIMEOUT_SECONDS = 600.0        # as docker_client(): docker.from_env(timeout=600)
_MAX_INSPECT_BYTES = 16 << 20  # an image inspect is a few KiB; anything near this is not an inspect answer
_MAX_LIST_BYTES = 256 << 20    # an image list: about 1 KiB per image
_MAX_LOAD_ANSWER_BYTES = 1 << 20  # `docker load --quiet` answers one line per loaded image


class NotAnswered(Exception):
    """No answer this module interprets: the caller makes the same request through docker-py."""


class EngineUnavailable(NotAnswered):
    """The engine did not answer (no socket, connection refused, reset, timeout)."""


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self._path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class EngineAPI:
    """Requests to one engine address; a new connection per request (cheap on a socket; safe across threads)."""

    def __init__(self, *, socket_path: str | None = None, host: str | None = None, port: int | None = None,
                 timeout: float = TIMEOUT_SECONDS) -> None:
        if (socket_path is None) == (host is None):
            raise ValueError("EngineAPI needs exactly one of socket_path or host")
        self.socket_path = socket_path
        self.host = host
        self.port = port
        self.timeout = timeout

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EngineAPI | None:
        """The engine docker-py's `from_env` would use, when it needs no TLS; else None."""
        env = os.environ if environ is None else environ
        # docker-py: an empty DOCKER_TLS_VERIFY means "off", any other value (even "0") means TLS
        if env.get("DOCKER_CERT_PATH") or env.get("DOCKER_TLS_VERIFY", "") != "":
            return None
        address = env.get("DOCKER_HOST") or ""
        if not address:
            return cls(socket_path=DEFAULT_SOCKET)
        if address.startswith("unix://"):
            path = address[len("unix://"):]
            return cls(socket_path=path) if path.startswith("/") else None
        if address.startswith(("tcp://", "http://")):
            parts = urlsplit(address)
            try:
                port = parts.port
            except ValueError:
                return None
            if not parts.hostname or port is None or parts.path not in ("", "/") or parts.query or parts.username:
                return None
            return cls(host=parts.hostname, port=port)
        return None

    @property
    def address(self) -> str:
        return f"unix://{self.socket_path}" if self.socket_path else f"tcp://{self.host}:{self.port}"

    def _connection(self) -> http.client.HTTPConnection:
        if self.socket_path is not None:
            return _UnixConnection(self.socket_path, self.timeout)
        assert self.host is not None
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def _get(self, path: str, limit: int) -> tuple[int, bytes]:
        return self._request("GET", path, limit)

    def _request(self, method: str, path: str, limit: int, *, body: Any = None,
                 headers: Mapping[str, str] | None = None) -> tuple[int, bytes]:
        connection = self._connection()
        try:
            connection.request(method, path, body=body, headers={"Accept": "application/json", **(headers or {})})
            response = connection.getresponse()
            body = response.read(limit + 1)
            return response.status, body
        except (OSError, http.client.HTTPException) as err:
            raise EngineUnavailable(f"{type(err).__name__}: {err}") from None
        finally:
            connection.close()

    def ping(self) -> None:
        """Raise EngineUnavailable unless the engine answers `GET /_ping` with 200."""
        status, body = self._get("/_ping", 1024)
        if status != 200:
            raise EngineUnavailable(f"GET /_ping answered {status}: {body[:200].decode(errors='replace')}")

    def _json(self, path: str, limit: int, what: str) -> Any:
        status, body = self._get(path, limit)
        if status != 200 or len(body) > limit:
            raise NotAnswered(f"{what} answered {status}")
        try:
            return json.loads(body)
        except ValueError:
            raise NotAnswered(f"{what} answered something that is not JSON") from None

    def root_dir(self) -> str | None:
        """The engine's storage root (`docker info`'s DockerRootDir), None if it does not say."""
        info = self._json("/info", _MAX_INSPECT_BYTES, "engine info")
        root = info.get("DockerRootDir") if isinstance(info, dict) else None
        return root if isinstance(root, str) and root else None

    def images(self, filters: Mapping[str, str]) -> list[dict[str, Any]]:
        """`docker images --filter K=V ...` (docker-py's `api.images(filters=...)`): the engine's image summaries."""
        query = urlencode({"only_ids": 0, "all": 0, "filters": json.dumps({k: [v] for k, v in filters.items()})})
        listing = self._json(f"/images/json?{query}", _MAX_LIST_BYTES, "image list")
        if not isinstance(listing, list) or not all(isinstance(item, dict) for item in listing):
            raise NotAnswered("image list answered something that is not a list of images")
        return listing

    def load_image(self, archive: Path) -> None:
        """`docker load --quiet < archive`. Like docker-py's `load_image`, the answer's lines are not interpreted:
        the caller inspects what it expected to be loaded."""
        size = archive.stat().st_size
        with open(archive, "rb") as data:
            status, body = self._request("POST", "/images/load?quiet=1", _MAX_LOAD_ANSWER_BYTES, body=data,
                                         headers={"Content-Type": "application/x-tar",
                                                  "Content-Length": str(size)})
        if status != 200:
            raise NotAnswered(f"image load answered {status}: {body[:200].decode(errors='replace')}")

    def inspect_image(self, name: str) -> dict[str, Any] | None:
        """`docker image inspect NAME`: the engine's answer, None if there is no such image; NotAnswered else."""
        status, body = self._get(f"/images/{quote(name, safe='/:')}/json", _MAX_INSPECT_BYTES)
        if status == 404:
            return None
        if status != 200 or len(body) > _MAX_INSPECT_BYTES:
            raise NotAnswered(f"image inspect answered {status}")
        try:
            info = json.loads(body)
        except ValueError:
            raise NotAnswered("image inspect answered something that is not JSON") from None
        if not isinstance(info, dict):
            raise NotAnswered("image inspect answered something that is not a JSON object")
        return info
