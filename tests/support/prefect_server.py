"""A real `prefect server start` for tests: one per session, isolated, on a free loopback port.

The server runs in the foreground of its own process (uvicorn in-process), so stopping it by PID stops everything it
started. Its `PREFECT_HOME` (SQLite database, logs) is a fresh directory. `PREFECT_SERVER_API_PORT` is set rather
than `--port`, because the UI reads the API address from that setting: with `--port` alone the browser UI would
talk to port 4200 (see the Prefect reference, "UI api_url gotcha").
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.net import free_port

STARTUP_TIMEOUT = 180.0   # a fresh database runs every migration: ~25 s on 2 cores, more when the machine is busy


def client_environment(api_url: str, home: Path) -> dict[str, str]:
    """What a client process (flow runs, workers, `prefect deploy`) needs to talk to the test server only."""
    return {
        "PREFECT_API_URL": api_url,
        "PREFECT_HOME": str(home),
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_ENABLED": "false",   # never fall back to a temporary server by accident
        "PREFECT_LOGGING_TO_API_BATCH_INTERVAL": "0.5",
    }


@dataclass
class PrefectServer:
    home: Path
    port: int = 0
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    @property
    def log_path(self) -> Path:
        return self.home / "server.log"

    def server_environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
        env.update({
            "PREFECT_HOME": str(self.home / "server-home"),
            "PREFECT_SERVER_API_HOST": "127.0.0.1",
            "PREFECT_SERVER_API_PORT": str(self.port),
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            # scheduled runs appear within seconds of a deploy instead of the default 60 s loop
            "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
            "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false",
        })
        return env

    def start(self, timeout: float = STARTUP_TIMEOUT) -> PrefectServer:
        self.home.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        prefect = Path(sys.executable).with_name("prefect")
        log = open(self.log_path, "ab")
        try:
            self.process = subprocess.Popen([str(prefect), "server", "start"], env=self.server_environment(),
                                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        finally:
            log.close()
        self._wait_healthy(timeout)
        return self

    def _wait_healthy(self, timeout: float) -> None:
        import httpx
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prefect server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.api_url}/health", timeout=2).json() is True:
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"prefect server did not become healthy within {timeout:.0f}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def stop(self) -> None:
        """SIGTERM to the PID we started, then SIGKILL if it does not exit."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def client_environment(self) -> dict[str, str]:
        return client_environment(self.api_url, self.home / "client-home")


@dataclass
class ProcessWorker:
    """`prefect worker start --pool POOL --type process`, started and stopped by PID (it stops its own child)."""

    pool: str
    env: dict[str, str]
    log_path: Path
    limit: int = 1
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> ProcessWorker:
        prefect = Path(sys.executable).with_name("prefect")
        env = {"PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_PREFETCH_SECONDS": "2", **self.env}
        # the venv on PATH, as an activated one: deployments start their job command as `python -m ...`
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", os.defpath)])
        log = open(self.log_path, "ab")
        try:
            self.process = subprocess.Popen([str(prefect), "worker", "start", "--pool", self.pool, "--type",
                                             "process", "--limit", str(self.limit)],
                                            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        finally:
            log.close()
        return self

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)       # the worker lets its running flow-run processes finish or abort
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"
