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

from tests.support.kube_emulator import kube_emulator, kubeconfig_path  # noqa: F401 (fixtures)
from tests.support.prefect_server import PrefectServer, ProcessWorker

ROOT = Path(__file__).resolve().parents[2]
WORK_POOL = "werf-builders"            # the pool deployments/prefect.yaml names

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


@pytest.fixture(scope="session")
def deployments(prefect_server) -> dict[str, dict]:
    """`prefect deploy --all` of deployments/prefect.yaml into the session server, as `make prefect-worker` does.

    Returns the deployments by name as the API describes them.
    """
    import subprocess
    import sys

    import httpx

    env = {**os.environ, **prefect_server.client_environment(), "WERF_PREFECT_ROOT": str(ROOT),
           "WERF_PREFECT_REBUILD_REPOSITORY": "https://git.example.com/acme/app.git",
           "WERF_PREFECT_REBUILD_REF": "main", "WERF_PREFECT_IMAGES_REPO": "registry.example.com/acme/app",
           "WERF_PREFECT_CLEANUP_STAGES_STORAGE": "registry.example.com/acme/app/stages"}
    prefect = Path(sys.executable).with_name("prefect")
    for command in ([str(prefect), "work-pool", "create", WORK_POOL, "--type", "process", "--overwrite"],
                    [str(prefect), "--no-prompt", "deploy", "--all", "--prefect-file", "deployments/prefect.yaml"]):
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{' '.join(command[1:])} failed:\n{result.stdout}\n{result.stderr}"
    found = {}
    for flow_name, name in (("werf-build", "scheduled-rebuild"), ("werf-build", "ci-build"),
                            ("werf-build-and-publish", "ci-build-and-publish"), ("werf-stages-sync", "stages-sync"),
                            ("werf-cleanup", "scheduled-cleanup"), ("werf-image", "fan-out-image")):
        response = httpx.get(f"{prefect_server.api_url}/deployments/name/{flow_name}/{name}", timeout=30)
        response.raise_for_status()
        found[name] = response.json()
    return found


@pytest.fixture
def start_worker(prefect_api, werf_home, tmp_path):
    """Start process workers on the deployments' pool (with this test's WERF_HOME); all are stopped afterwards."""
    workers: list[ProcessWorker] = []

    def start(limit: int = 1, home: Path | None = None) -> ProcessWorker:
        """`home`: the worker's own WERF_HOME, as if it ran on a machine of its own (default: the test's)."""
        env = {**prefect_api.env, "WERF_HOME": str(home or werf_home)}
        worker = ProcessWorker(WORK_POOL, env, tmp_path / f"worker-{len(workers)}.log", limit=limit).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
