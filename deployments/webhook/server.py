"""Serving the receiver: uvicorn's h11 protocol with the limits an unauthenticated client must not get around.

- **Header timeout**: a connection must deliver a complete request head within `header_timeout` seconds of
  connecting (or of the previous response); otherwise it gets `408` and is closed (slowloris).
- **Body timeout**: enforced by the app (`app._read_body`): the whole body within `body_timeout` seconds.
- **Connections**: at most `max_connections` open at once; one more is answered `503` and closed immediately.
  Requests being handled are capped as well (uvicorn's `limit_concurrency`), so finished-but-still-running handlers
  cannot pile up.
- **Header size**: h11 refuses a request head over `max_header_bytes` (`400`). Bodies are capped by
  `max_body` (on Content-Length and while streaming) and read under flow control, so a request holds at most about
  `max_body + max_header_bytes + 64 KiB` before its signature is checked.

`h11` is used rather than httptools because it bounds the request head.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("werf_prefect.webhook")


@dataclass(frozen=True)
class ServerLimits:
    header_timeout: float = 5.0
    body_timeout: float = 15.0
    max_connections: int = 64
    max_header_bytes: int = 16 * 1024
    keep_alive: int = 5


def _raw_response(status: int, reason: str, message: str) -> bytes:
    body = json.dumps({"status": "rejected", "error": message}).encode()
    return (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
            "connection: close\r\n\r\n").encode() + body


def hardened_protocol(limits: ServerLimits) -> type[H11Protocol]:
    """An H11Protocol subclass that enforces `limits` on every connection."""

    class HardenedH11Protocol(H11Protocol):
        _limits = limits

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._header_timer: asyncio.TimerHandle | None = None
            self._seen_cycle: object = None
            if len(self.connections) > self._limits.max_connections:
                log.warning("connection from %s refused: %d connections open (limit %d)", self.client,
                            len(self.connections) - 1, self._limits.max_connections)
                transport.write(_raw_response(503, "Service Unavailable",
                                              "too many connections; retry later"))
                transport.close()
                return
            self._arm_header_timer()

        def _arm_header_timer(self) -> None:
            if self._header_timer is None and not self.transport.is_closing():
                self._header_timer = self.loop.call_later(self._limits.header_timeout, self._header_timed_out)

        def _cancel_header_timer(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _header_timed_out(self) -> None:
            self._header_timer = None
            if self.transport.is_closing():
                return
            log.warning("connection from %s dropped: no complete request head within %.0fs", self.client,
                        self._limits.header_timeout)
            self.transport.write(_raw_response(408, "Request Timeout", "the request head was not received in "
                                                                       f"{self._limits.header_timeout:g}s"))
            self.transport.close()

        def data_received(self, data: bytes) -> None:
            idle = self.cycle is None or self.cycle.response_complete
            if idle:
                self._arm_header_timer()      # a new request begins on this (keep-alive) connection
            super().data_received(data)
            if self.cycle is not None and self.cycle is not self._seen_cycle:
                self._seen_cycle = self.cycle  # its head is complete: the app's body timeout takes over
                self._cancel_header_timer()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            # uvicorn's keep-alive timer now bounds the idle time; the head timer restarts with the next byte

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_header_timer()
            super().connection_lost(exc)

    return HardenedH11Protocol


def serve(app: Any, *, host: str, port: int, limits: ServerLimits) -> None:
    import uvicorn
    config = uvicorn.Config(app, host=host, port=port, http=hardened_protocol(limits), log_level="info",
                            timeout_keep_alive=limits.keep_alive, limit_concurrency=limits.max_connections * 2,
                            h11_max_incomplete_event_size=limits.max_header_bytes, backlog=128,
                            server_header=False)
    uvicorn.Server(config).run()
