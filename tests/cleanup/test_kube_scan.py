"""The workload scan of the images cleanup: on the Kubernetes API emulator, and on a real cluster when
WERF_TEST_KUBECONFIG names a kubeconfig (skipped otherwise, like the other real-cluster suites)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import yaml

from tests.support.kube_emulator import KubeEmulator
from werf_core.cleanup.kube_scan import KubeScanError, KubeScanOptions, scan_kubernetes

CLUSTER_KUBECONFIG = os.environ.get("WERF_TEST_KUBECONFIG")
REGISTRY = "registry.invalid/scan"


def pod_spec(image: str, init: str | None = None) -> dict:
    spec: dict = {"containers": [{"name": "main", "image": image}], "restartPolicy": "Never"}
    if init:
        spec["initContainers"] = [{"name": "init", "image": init}]
    return spec


def template(name: str, image: str, restart: str = "Always") -> dict:
    spec = pod_spec(image)
    spec["restartPolicy"] = restart
    return {"metadata": {"labels": {"app": name}}, "spec": spec}


def create_workloads(api_client, namespace: str, tag: str) -> dict[str, str]:
    """One workload of every scanned kind in `namespace`; returns kind → image it runs."""
    from kubernetes import client
    core, apps, batch = client.CoreV1Api(api_client), client.AppsV1Api(api_client), client.BatchV1Api(api_client)
    images = {kind: f"{REGISTRY}/{kind}:{tag}" for kind in (
        "pod", "init", "deployment", "replicaset", "statefulset", "daemonset", "job", "cronjob", "rc")}
    selector = {"matchLabels": {"app": "x"}}
    core.create_namespaced_pod(namespace, {"metadata": {"name": "p"},
                                           "spec": pod_spec(images["pod"], init=images["init"])})
    core.create_namespaced_replication_controller(namespace, {"metadata": {"name": "rc"}, "spec": {
        "replicas": 0, "selector": {"app": "x"}, "template": template("x", images["rc"])}})
    apps.create_namespaced_deployment(namespace, {"metadata": {"name": "d"}, "spec": {
        "replicas": 0, "selector": selector, "template": template("x", images["deployment"])}})
    apps.create_namespaced_replica_set(namespace, {"metadata": {"name": "rs"}, "spec": {
        "replicas": 0, "selector": selector, "template": template("x", images["replicaset"])}})
    apps.create_namespaced_stateful_set(namespace, {"metadata": {"name": "ss"}, "spec": {
        "replicas": 0, "serviceName": "ss", "selector": selector, "template": template("x", images["statefulset"])}})
    apps.create_namespaced_daemon_set(namespace, {"metadata": {"name": "ds"}, "spec": {
        "selector": selector, "template": {**template("x", images["daemonset"]),
                                           "spec": {**template("x", images["daemonset"])["spec"],
                                                    "nodeSelector": {"werf-test": "none"}}}}})
    batch.create_namespaced_job(namespace, {"metadata": {"name": "j"}, "spec": {
        "suspend": True, "template": template("x", images["job"], restart="Never")}})
    batch.create_namespaced_cron_job(namespace, {"metadata": {"name": "cj"}, "spec": {
        "schedule": "0 0 1 1 *", "suspend": True,
        "jobTemplate": {"spec": {"template": template("x", images["cronjob"], restart="Never")}}}})
    return images


def kubeconfig_with_namespace(source: Path, target: Path, namespace: str) -> tuple[Path, str]:
    """A copy of `source` whose current context is pinned to `namespace` (for --scan-context-namespace-only)."""
    data = yaml.safe_load(source.read_text())
    current = data.get("current-context") or data["contexts"][0]["name"]
    for context in data["contexts"]:
        if context["name"] == current:
            context["context"]["namespace"] = namespace
    target.write_text(yaml.safe_dump(data))
    return target, current


@pytest.fixture(params=["emulator", "cluster"])
def cluster(request, tmp_path):
    """(kubeconfig path, api client, [namespaces to use]) of the emulator or a real cluster."""
    from kubernetes import client, config
    if request.param == "cluster":
        if not CLUSTER_KUBECONFIG:
            pytest.skip("set WERF_TEST_KUBECONFIG to run against a real cluster")
        path, emulator = Path(CLUSTER_KUBECONFIG), None
    else:
        emulator = KubeEmulator().start()
        path = emulator.write_kubeconfig(tmp_path / "kubeconfig")
    api_client = config.new_client_from_config(config_file=str(path))  # the official client sets the scene
    namespaces = [f"werf-scan-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    core = client.CoreV1Api(api_client)
    for namespace in namespaces:
        core.create_namespace({"metadata": {"name": namespace}})
    yield path, api_client, namespaces, emulator
    for namespace in namespaces:
        try:
            core.delete_namespace(namespace)
        except client.exceptions.ApiException:
            pass
    api_client.close()
    if emulator is not None:
        emulator.stop()


def test_every_workload_kind_is_scanned_in_every_namespace(cluster, tmp_path):
    path, api_client, (first, second), _ = cluster
    tag = uuid.uuid4().hex[:8]
    in_first = create_workloads(api_client, first, tag)
    in_second = create_workloads(api_client, second, tag + "b")
    found = scan_kubernetes(KubeScanOptions(config_path=str(path)))
    assert set(in_first.values()) | set(in_second.values()) <= found.images
    assert found.uses(in_first["cronjob"]) and not found.uses(f"{REGISTRY}/cronjob:other")

    pinned, context = kubeconfig_with_namespace(path, tmp_path / "pinned", first)
    only_first = scan_kubernetes(KubeScanOptions(config_path=str(pinned), context=context,
                                                 context_namespace_only=True))
    assert set(in_first.values()) <= only_first.images
    assert not set(in_second.values()) & only_first.images


def test_an_unreadable_cluster_stops_the_cleanup(tmp_path):
    with KubeEmulator() as emulator:
        path = emulator.write_kubeconfig(tmp_path / "kubeconfig")
        emulator.deny("list", "statefulsets")
        with pytest.raises(KubeScanError) as caught:
            scan_kubernetes(KubeScanOptions(config_path=str(path)))
    assert "statefulsets" in caught.value.message and "--without-kube" in caught.value.hint
    with pytest.raises(KubeScanError) as unknown:
        scan_kubernetes(KubeScanOptions(config_path=str(path), context="nope"))
    assert "nope" in unknown.value.message
