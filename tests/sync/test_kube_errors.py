"""What a user sees when the Kubernetes API refuses or cannot be reached: one message naming the server, verb and
resource, a hint saying what to change — and the RBAC manifest we ship is exactly enough."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from tests.support.kube_emulator import rules_from_manifests
from tests.support.net import free_port
from tests.sync.conftest import FAST
from werf_core.errors import LockError, WerfError
from werf_core.storage.stage_id import StageID
from werf_core.sync.errors import SynchronizationAccessDenied, SynchronizationError, SynchronizationUnreachable
from werf_core.sync.synchronization import open_synchronization

ROOT = Path(__file__).resolve().parents[2]
RBAC = ROOT / "deployments/kubernetes/rbac.yaml"
NAMESPACE_CREATOR = ROOT / "deployments/kubernetes/rbac-namespace-creator.yaml"


def open_kube(kubeconfig, project, namespace="werf-synchronization", **options):
    return open_synchronization(f"kubernetes://{namespace}@{kubeconfig}", project, stages_storage="registry/x",
                                timings=FAST, **options)


def assert_one_clear_error(err: WerfError) -> None:
    text = err.render()
    assert text.startswith("Error: ") and "\nHint: " in text
    assert "Traceback" not in text and len(text.splitlines()) == 2


def test_forbidden_update_names_verb_resource_namespace_and_the_rbac_manifest(kube_emulator, kubeconfig_path):
    kube_emulator.deny("update", "configmaps")
    sync = open_kube(kubeconfig_path, "app")
    with pytest.raises(SynchronizationAccessDenied) as info:
        sync.locker.acquire(sync.stage_lock_name("d" * 56))     # a lease write is a PUT (update) of werf-app
    message, hint = info.value.message, info.value.hint
    assert kube_emulator.url in message
    assert 'denied update on configmaps "werf-app" in namespace "werf-synchronization"' in message
    assert 'cannot update resource "configmaps"' in message  # the API server's own words
    assert "get, create, update and patch on configmaps" in hint and "deployments/kubernetes/rbac.yaml" in hint
    assert_one_clear_error(info.value)


def test_forbidden_patch_stops_a_cache_write_with_the_same_clarity(kube_emulator, kubeconfig_path):
    kube_emulator.deny("patch", "configmaps")
    sync = open_kube(kubeconfig_path, "app")
    with pytest.raises(SynchronizationAccessDenied) as info:
        sync.cache.store_stages("app", "d" * 56, [StageID("d" * 56, 1)])    # a cache write is a merge patch
    message, hint = info.value.message, info.value.hint
    assert 'denied patch on configmaps "werf-app-stages-cache-dd" in namespace "werf-synchronization"' in message
    assert 'cannot patch resource "configmaps"' in message
    assert "get, create, update and patch on configmaps" in hint and "deployments/kubernetes/rbac.yaml" in hint
    assert_one_clear_error(info.value)


def test_forbidden_read_stops_a_lock_acquisition_with_the_same_clarity(kube_emulator, kubeconfig_path):
    kube_emulator.deny("get", "configmaps")
    sync = open_kube(kubeconfig_path, "app")
    with pytest.raises(SynchronizationAccessDenied) as info:
        sync.locker.acquire(sync.stage_lock_name("d" * 56))
    assert 'denied get on configmaps "werf-app"' in info.value.message
    assert_one_clear_error(info.value)


def test_missing_namespace_that_may_not_be_created(kube_emulator, kubeconfig_path):
    kube_emulator.deny("create", "namespaces")
    sync = open_kube(kubeconfig_path, "app", namespace="team-sync")
    with pytest.raises(SynchronizationAccessDenied) as info:
        sync.cache.store_stages("app", "d" * 56, [])
    assert "Namespace team-sync does not exist" in info.value.message and "creating it was denied" in \
        info.value.message
    assert "kubectl create namespace team-sync" in info.value.hint
    assert_one_clear_error(info.value)


def test_wrong_credentials(kube_emulator, tmp_path):
    kube_emulator.token = "rotated"
    config = kube_emulator.write_kubeconfig(tmp_path / "kc")
    kube_emulator.token = "the-real-one"
    sync = open_kube(config, "app")
    with pytest.raises(SynchronizationAccessDenied) as info:
        sync.cache.get_stages("app", "d" * 56)
    assert "rejected the credentials (401 Unauthorized)" in info.value.message
    assert_one_clear_error(info.value)


def test_unreachable_api_server_is_one_error_naming_the_url(tmp_path):
    from tests.support.kube_emulator import KubeEmulator
    emulator = KubeEmulator().start()
    config = emulator.write_kubeconfig(tmp_path / "kc")
    url = emulator.url
    emulator.stop()  # nothing listens there any more
    sync = open_kube(config, "app")
    started = time.monotonic()
    with pytest.raises(SynchronizationUnreachable) as info:
        sync.cache.get_stages("app", "d" * 56)
    assert time.monotonic() - started < 10
    assert f"Cannot reach the Kubernetes API server at {url}" in info.value.message
    assert "Connection refused" in info.value.message
    assert_one_clear_error(info.value)


def test_api_server_that_never_answers_times_out_instead_of_hanging(tmp_path, kube_emulator):
    silent = socket.socket()
    silent.bind(("127.0.0.1", free_port()))
    silent.listen(16)  # accepts connections (kernel backlog) but never answers
    try:
        config = kube_emulator.kubeconfig()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        config["clusters"][0]["cluster"]["server"] = url
        import yaml
        (tmp_path / "silent").write_text(yaml.safe_dump(config))
        sync = open_kube(tmp_path / "silent", "app", request_timeout=(0.5, 0.5))
        started = time.monotonic()
        with pytest.raises(SynchronizationUnreachable) as info:
            sync.cache.get_stages("app", "d" * 56)
        assert time.monotonic() - started < 15
        assert url in info.value.message and "timed out" in info.value.message.lower()
    finally:
        silent.close()


def test_ensure_held_reports_an_unreachable_store_as_a_lock_error(tmp_path):
    from tests.support.kube_emulator import KubeEmulator
    emulator = KubeEmulator().start()
    config = emulator.write_kubeconfig(tmp_path / "kc")
    sync = open_kube(config, "app")
    handle = sync.locker.acquire("stage/x")
    emulator.stop()
    try:
        with pytest.raises(LockError) as info:
            handle.ensure_held()  # cannot prove we still hold it: do not publish
        assert 'Cannot confirm that lock "stage/x" is still held' in info.value.message
        assert emulator.url in info.value.message
    finally:
        sync.close()


# -------- the shipped RBAC manifests
def test_rbac_manifest_grants_exactly_what_locks_and_cache_need(kube_emulator, kubeconfig_path):
    # rbac.yaml creates the namespace (applied by an admin); the official client plays the admin here
    from kubernetes import client
    api = client.CoreV1Api(client.ApiClient(_configuration(kubeconfig_path)))
    api.create_namespace({"metadata": {"name": "werf-synchronization"}})
    kube_emulator.allow_only(rules_from_manifests(RBAC))
    sync = open_kube(kubeconfig_path, "app")
    digest = "e" * 56
    with sync.locker.locked(sync.stage_lock_name(digest)) as handle:
        with sync.locker.locked(sync.stage_cache_lock_name(digest)):
            assert sync.cache.get_stages("app", digest) is None
            sync.cache.store_stages("app", digest, [StageID(digest, 1)])
        handle.ensure_held()
    assert sync.cache.get_all("app") == {digest: [StageID(digest, 1)]}
    sync.cache.delete_stages("app", digest)
    sync.cache.delete_all("app")
    sync.close()
    # and nothing more: the manifest's Role works only in its namespace
    other = open_kube(kubeconfig_path, "app", namespace="elsewhere")
    with pytest.raises(SynchronizationAccessDenied):
        other.cache.store_stages("app", digest, [])


def test_rbac_manifest_without_its_namespace_explains_how_to_get_one(kube_emulator, kubeconfig_path):
    kube_emulator.allow_only(rules_from_manifests(RBAC))
    sync = open_kube(kubeconfig_path, "app")
    with pytest.raises(SynchronizationAccessDenied) as info:
        sync.cache.store_stages("app", "e" * 56, [])
    assert "werf-synchronization" in info.value.hint


def test_namespace_creator_manifest_lets_runners_create_their_namespace(kube_emulator, kubeconfig_path):
    kube_emulator.allow_only(rules_from_manifests(NAMESPACE_CREATOR))
    sync = open_kube(kubeconfig_path, "app", namespace="team-a-sync")
    sync.cache.store_stages("app", "e" * 56, [])
    with sync.locker.locked(sync.stage_lock_name("e" * 56)):
        pass
    assert "team-a-sync" in kube_emulator.namespace_names()
    sync.close()


def test_manifests_are_valid_kubernetes_objects():
    import yaml
    docs = [d for path in (RBAC, NAMESPACE_CREATOR) for d in yaml.safe_load_all(path.read_text()) if d]
    kinds = [d["kind"] for d in docs]
    assert kinds == ["Namespace", "ServiceAccount", "Secret", "Role", "RoleBinding", "ClusterRole",
                     "ClusterRoleBinding"]
    for doc in docs:
        assert doc["apiVersion"] and doc["metadata"]["name"]
    role = next(d for d in docs if d["kind"] == "Role")
    binding = next(d for d in docs if d["kind"] == "RoleBinding")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"][0]["name"] == "werf-runner"


def _configuration(kubeconfig):
    from kubernetes import client, config
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration, persist_config=False)
    return configuration


def test_errors_are_werf_errors_so_the_cli_prints_them_without_a_traceback():
    assert issubclass(SynchronizationError, WerfError) and issubclass(SynchronizationAccessDenied, WerfError)
