"""Fixtures of the Prefect tests: ONE real `prefect server start` per session, shared by the tests that need it.

Unit tests in this folder never touch the server. Tests that do request `prefect_api`, which points this process
(Prefect settings and environment) and any subprocess (`prefect_api.env`) at the session server only while the test
runs, so no other test of the suite is routed through Prefect by accident.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.support.prefect_server import PrefectServer

# Before any test module imports Prefect: `import prefect` creates $PREFECT_HOME, and an unconfigured client must
# never start a temporary server of its own (12-24 s) instead of failing.
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="werf-prefect-tests-"))
os.environ.setdefault("PREFECT_HOME", str(_SESSION_DIR / "prefect-home"))
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@pytest.fixture(scope="session", autouse=True)
def _remove_session_dir():
    yield
    shutil.rmtree(_SESSION_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def prefect_server() -> PrefectServer:
    server = PrefectServer(_SESSION_DIR / "server").start()
    yield server
    server.stop()


class PrefectApi:
    def __init__(self, server: PrefectServer, env: dict[str, str]) -> None:
        self.server = server
        self.env = env                    # the full environment for subprocesses (werf CLI, workers, deploy)
        self.url = server.api_url

    def get(self, path: str, **kwargs):
        import httpx
        response = httpx.get(f"{self.url}{path}", timeout=30, **kwargs)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, json: dict | None = None):
        import httpx
        response = httpx.post(f"{self.url}{path}", json=json or {}, timeout=30)
        response.raise_for_status()
        return response.json()


@pytest.fixture
def prefect_api(prefect_server, monkeypatch) -> PrefectApi:
    client_env = prefect_server.client_environment()
    for name, value in client_env.items():
        monkeypatch.setenv(name, value)
    from prefect.settings import PREFECT_API_URL, temporary_settings
    with temporary_settings(updates={PREFECT_API_URL: prefect_server.api_url}):
        yield PrefectApi(prefect_server, dict(os.environ))
