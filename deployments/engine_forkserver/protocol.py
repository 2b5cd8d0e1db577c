"""What the launcher and the fork server say to each other over a Unix socket, and where that socket is.

Every message is a 4-byte big-endian length and a JSON object. The launcher's first message carries its standard
streams (SCM_RIGHTS); the server answers with the child's pid, then sends its exit status when it ended. The launcher
sends a signal number for each signal it receives. Standard library only: the launcher must start fast.
"""

from __future__ import annotations

import array
import hashlib
import json
import os
import socket
import stat
import struct
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

MAX_MESSAGE = 4 * 1024 * 1024      # an environment is a few KiB; anything near this is not ours
HEADER = struct.Struct(">I")

# Set by the worker per flow run (run id, control channel, deployment name): never part of the server's identity.
PER_RUN_PREFIX = "PREFECT__"

DIRECTORY_VARIABLE = "WERF_PREFECT_ENGINE_SERVER_DIR"
SWITCH_VARIABLE = "WERF_PREFECT_ENGINE_SERVER"           # "off": the launcher runs the engine itself
IDLE_VARIABLE = "WERF_PREFECT_ENGINE_SERVER_IDLE_SECONDS"
IMPORTS_LOG_VARIABLE = "WERF_PREFECT_ENGINE_SERVER_IMPORTS_LOG"   # a file: what each run imported after the fork


class ProtocolError(Exception):
    """The other side sent something that is not a message of ours."""


def server_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The environment a server is started with: the launcher's, without what is specific to one flow run."""
    return {name: value for name, value in env.items() if not name.startswith(PER_RUN_PREFIX)}


def process_start_time(pid: int) -> str | None:
    """The start time of a process (clock ticks since boot), which tells a process from a later one with its pid."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[19]


def server_key(executable: str, preload: Sequence[str], env: Mapping[str, str], worker: tuple[int, str]) -> str:
    """One server per worker process, interpreter, preload list and environment: a server's imports were made with
    its environment, so a launcher with another environment (another WERF_HOME, other Prefect settings) gets its
    own."""
    identity = json.dumps([executable, list(preload), sorted(server_environment(env).items()), list(worker)])
    return hashlib.sha256(identity.encode()).hexdigest()[:32]


def runtime_directory(env: Mapping[str, str]) -> Path:
    """A directory only this user can use: the sockets in it start flow runs with the caller's environment."""
    configured = env.get(DIRECTORY_VARIABLE)
    if configured:
        directory = Path(configured)
    elif env.get("XDG_RUNTIME_DIR"):
        directory = Path(env["XDG_RUNTIME_DIR"]) / "werf-prefect-engines"
    else:
        directory = Path(tempfile.gettempdir()) / f"werf-prefect-engines-{os.getuid()}"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    found = directory.lstat()
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid() or found.st_mode & 0o077:
        raise PermissionError(f"{directory} must be a directory of user {os.getuid()} that only it can use "
                              f"(mode 0700)")
    return directory


def send(sock: socket.socket, message: Mapping[str, Any], fds: Sequence[int] = ()) -> None:
    body = json.dumps(message).encode()
    data = HEADER.pack(len(body)) + body
    if fds:
        sent = sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
        data = data[sent:]
    if data:
        sock.sendall(data)


def receive(sock: socket.socket, max_fds: int = 0) -> tuple[dict[str, Any] | None, list[int]]:
    """One message and the descriptors sent with it; (None, []) when the other side closed the connection."""
    fds: list[int] = []
    header = b""
    while len(header) < HEADER.size:
        if max_fds and not header:
            chunk, ancillary, _flags, _address = sock.recvmsg(HEADER.size, socket.CMSG_LEN(max_fds * 4))
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    received = array.array("i")
                    received.frombytes(payload[:len(payload) - len(payload) % received.itemsize])
                    fds.extend(received)
        else:
            chunk = sock.recv(HEADER.size - len(header))
        if not chunk:
            for fd in fds:
                os.close(fd)
            if header:
                raise ProtocolError("connection closed inside a message")
            return None, []
        header += chunk
    (length,) = HEADER.unpack(header)
    if length > MAX_MESSAGE:
        for fd in fds:
            os.close(fd)
        raise ProtocolError(f"message of {length} bytes (at most {MAX_MESSAGE})")
    body = bytearray()
    while len(body) < length:
        chunk = sock.recv(min(65536, length - len(body)))
        if not chunk:
            for fd in fds:
                os.close(fd)
            raise ProtocolError("connection closed inside a message")
        body += chunk
    try:
        message = json.loads(body)
    except ValueError as error:
        for fd in fds:
            os.close(fd)
        raise ProtocolError(f"not JSON: {error}") from None
    if not isinstance(message, dict):
        for fd in fds:
            os.close(fd)
        raise ProtocolError("not a JSON object")
    return message, fds


def supported() -> bool:
    return sys.platform == "linux"
