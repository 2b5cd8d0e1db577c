"""Fixtures of the synchronization tests.

`kube_target` is a Kubernetes API to run the lock and cache suites against: the emulator always, and a real cluster
too when WERF_TEST_KUBECONFIG names a kubeconfig (each test then uses its own namespace, deleted afterwards).
`lock_store` adds the in-memory store to those.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.kube_emulator import KubeEmulator, kube_emulator, kubeconfig_path  # noqa: F401 (fixtures)
from werf_core.sync.configmap_store import ConfigMapAnnotationsStore
from werf_core.sync.kube_api import KubeApi, KubeConfigSource
from werf_core.sync.lease import LeaseTimings
from werf_core.sync.stores import InMemoryStore

# lockgate's constants shrunk ~5-20x so lease expiry and takeover happen within seconds
FAST = LeaseTimings(ttl=2.0, renew_period=0.4, poll_period=0.1, optimistic_retry=0.05)

CLUSTER_KUBECONFIG = os.environ.get("WERF_TEST_KUBECONFIG")


@dataclass
class KubeTarget:
    kubeconfig: Path
    namespace: str
    emulator: KubeEmulator | None

    def api(self, **options) -> KubeApi:
        return KubeApi.connect(KubeConfigSource(config_path=str(self.kubeconfig)), **options)

    def address(self) -> str:
        return f"kubernetes://{self.namespace}@{self.kubeconfig}"

    def store(self, project: str) -> ConfigMapAnnotationsStore:
        return ConfigMapAnnotationsStore(self.api(), self.namespace, f"werf-{project}")


def _cluster_target() -> KubeTarget:
    if not CLUSTER_KUBECONFIG:
        pytest.skip("set WERF_TEST_KUBECONFIG to run against a real cluster")
    return KubeTarget(Path(CLUSTER_KUBECONFIG), f"werf-test-{uuid.uuid4().hex[:8]}", None)


def _delete_namespace(target: KubeTarget) -> None:
    from werf_core.sync.kube_api import NotFound
    try:
        target.api().call("DELETE", f"/api/v1/namespaces/{target.namespace}", verb="delete", resource="namespaces",
                          name=target.namespace)
    except NotFound:
        pass


@pytest.fixture(params=["emulator", "cluster"])
def kube_target(request, tmp_path):
    if request.param == "cluster":
        target = _cluster_target()
        yield target
        _delete_namespace(target)
        return
    with KubeEmulator() as emulator:
        path = emulator.write_kubeconfig(tmp_path / "kubeconfig")
        yield KubeTarget(path, f"werf-test-{uuid.uuid4().hex[:8]}", emulator)


@pytest.fixture(params=["memory", "emulator", "cluster"])
def lock_store(request, tmp_path):
    """An optimistic store for lease records: in memory, or a ConfigMap's annotations (emulator / real cluster)."""
    if request.param == "memory":
        yield InMemoryStore()
        return
    if request.param == "cluster":
        target = _cluster_target()
        yield target.store("locks")
        _delete_namespace(target)
        return
    with KubeEmulator() as emulator:
        path = emulator.write_kubeconfig(tmp_path / "kubeconfig")
        yield KubeTarget(path, "werf-synchronization", emulator).store("locks")


@pytest.fixture
def project() -> str:
    return f"p-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def spawn():
    """Start child runners (`tests/sync/child.py`); every one still running is killed (by PID) afterwards."""
    from tests.sync.processes import Child

    children: list[Child] = []

    def start(*args: str) -> Child:
        child = Child(*args)
        children.append(child)
        return child

    yield start
    for child in children:
        child.stop()
