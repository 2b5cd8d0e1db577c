"""A fault-injecting HTTP proxy in front of a registry: a fixed share of requests fails, reproducibly.

A failing request is either answered `503 Service Unavailable` without reaching the registry, or forwarded and its
answer dropped mid-response (status line and part of the headers sent, then the connection closed) — the registry
did the work, the client never learns it. Which requests fail is drawn from a seeded random generator.
"""

from __future__ import annotations

import http.client
import random
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.net import free_port

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization",
               "proxy-authenticate"}


class FaultProxy:
    def __init__(self, upstream: str, *, failure_rate: float = 0.15, seed: int = 21) -> None:
        self.upstream = upstream                      # host:port of the registry
        self.failure_rate = failure_rate
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.requests = self.answered_503 = self.dropped = 0
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    data = b""
                    while True:
                        size = int(self.rfile.readline().strip().split(b";")[0], 16)
                        if size == 0:
                            self.rfile.readline()
                            return data
                        data += self.rfile.read(size)
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _handle(self) -> None:
                body = self._body()
                fault = proxy.draw()
                if fault == "503":
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                upstream = http.client.HTTPConnection(proxy.upstream, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                headers["Content-Length"] = str(len(body))
                upstream.request(self.command, self.path, body=body if body or self.command in ("PUT", "POST",
                                                                                              "PATCH") else None,
                                 headers=headers)
                response = upstream.getresponse()
                data = response.read()
                upstream.close()
                if fault == "drop":
                    # the registry acted; the answer is cut off after part of the headers
                    self.wfile.write(f"HTTP/1.1 {response.status} {response.reason}\r\n".encode())
                    self.wfile.write(b"Content-Type: application/js")
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self.send_response(response.status, response.reason)
                for key, value in response.getheaders():
                    if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def draw(self) -> str | None:
        with self.lock:
            self.requests += 1
            if self.random.random() >= self.failure_rate:
                return None
            if self.random.random() < 0.5:
                self.answered_503 += 1
                return "503"
            self.dropped += 1
            return "drop"

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
