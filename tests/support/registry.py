"""A throw-away registry: the real `docker-registry` process on a free loopback port, deletes enabled.

Its access log (one line per HTTP request) lets tests count pulls and pushes the way an operator would.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from scripts.devenv import start_registry
from tests.support.net import free_port

MANIFEST_TYPES = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
])

_REQUEST = re.compile(r'"(GET|HEAD|PUT|POST|PATCH|DELETE) (\S+) HTTP')


@dataclass
class Registry:
    address: str
    directory: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def repo(self, name: str) -> str:
        return f"{self.address}/{name}"

    # -------- HTTP API, for assertions
    def tags(self, repository: str) -> list[str]:
        r = httpx.get(f"{self.url}/v2/{repository}/tags/list?n=10000", timeout=10)
        if r.status_code == 404:
            return []
        r.raise_for_status()
        return sorted(r.json().get("tags") or [])

    def manifest(self, repository: str, reference: str) -> httpx.Response:
        return httpx.get(f"{self.url}/v2/{repository}/manifests/{reference}",
                         headers={"Accept": MANIFEST_TYPES}, timeout=10)

    def config(self, repository: str, reference: str) -> dict:
        m = self.manifest(repository, reference)
        m.raise_for_status()
        digest = m.json()["config"]["digest"]
        r = httpx.get(f"{self.url}/v2/{repository}/blobs/{digest}", timeout=10, follow_redirects=True)
        r.raise_for_status()
        return r.json()

    # -------- access log
    def log_position(self) -> int:
        log = self.directory / "registry.log"
        return log.stat().st_size if log.exists() else 0

    def requests_since(self, position: int) -> list[tuple[str, str]]:
        """(method, path) of every HTTP request logged since `position` (see log_position)."""
        log = self.directory / "registry.log"
        with open(log, "rb") as f:
            f.seek(position)
            text = f.read().decode(errors="replace")
        return [(m.group(1), m.group(2)) for m in _REQUEST.finditer(text)]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.process = None


def start_throwaway_registry() -> Registry:
    directory = Path(tempfile.mkdtemp(prefix="werf-test-registry-"))
    address = f"127.0.0.1:{free_port()}"
    proc = start_registry(directory, address, access_log=True)
    return Registry(address=address, directory=directory, process=proc)


def remove_registry(registry: Registry) -> None:
    registry.stop()
    shutil.rmtree(registry.directory, ignore_errors=True)
