"""The Docker and Kubernetes work-pool job templates, rendered by the workers' own code and checked as a user's
cluster or Docker host would see them."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from deployments.work_pools.templates import DOCKER_CONFIG_DIR, WORK_DIR, docker_template, kubernetes_template, main

pytestmark = [pytest.mark.prefect]


def _flow_run():
    from prefect.client.schemas.objects import FlowRun
    return FlowRun(id=uuid.uuid4(), name="image-demo-app-1234567", flow_id=uuid.uuid4())


def test_the_kubernetes_job_is_a_valid_job_with_an_engine_credentials_and_the_sync(prefect_api):
    from kubernetes.client import ApiClient, V1Job
    from prefect_kubernetes.worker import KubernetesWorkerJobConfiguration

    configuration = asyncio.run(KubernetesWorkerJobConfiguration.from_template_and_values(
        kubernetes_template(), {"image": "registry.example.com/werf-prefect-runner:1", "namespace": "builds",
                                "env": {"WERF_SYNCHRONIZATION": "kubernetes://werf-sync", "EXTRA": "1"}}))
    configuration.prepare_for_flow_run(_flow_run())
    manifest = configuration.job_manifest
    job: V1Job = ApiClient()._ApiClient__deserialize(manifest, "V1Job")      # the API's own models
    assert job.kind == "Job" and job.metadata.namespace == "builds"
    pod = job.spec.template.spec
    assert pod.restart_policy == "Never" and pod.service_account_name == "werf-prefect-builder"
    runner, = pod.containers
    env = {e.name: e.value for e in runner.env}
    assert env["DOCKER_HOST"] == "tcp://127.0.0.1:2375" and env["DOCKER_CONFIG"] == DOCKER_CONFIG_DIR
    assert env["WERF_SYNCHRONIZATION"] == "kubernetes://werf-sync" and env["WERF_HOME"].startswith(WORK_DIR)
    assert env["PREFECT__FLOW_RUN_ID"]
    assert runner.image == "registry.example.com/werf-prefect-runner:1"
    engine, = pod.init_containers
    assert engine.restart_policy == "Always" and engine.security_context.privileged      # a native sidecar
    assert "--host=tcp://127.0.0.1:2375" in engine.args
    volumes = {v.name: v for v in pod.volumes}
    assert volumes["registry-credentials"].secret.secret_name == "werf-registry"
    assert volumes["registry-credentials"].secret.items[0].key == ".dockerconfigjson"
    assert volumes["sync-kubeconfig"].secret.optional is True
    shared = {m.mount_path for m in runner.volume_mounts} & {m.mount_path for m in engine.volume_mounts}
    assert shared == {WORK_DIR}      # the engine sees the build's files where the build put them


def test_the_docker_job_uses_the_hosts_engine_with_a_shared_work_directory(prefect_api):
    from prefect_docker.worker import DockerWorkerJobConfiguration

    configuration = asyncio.run(DockerWorkerJobConfiguration.from_template_and_values(
        docker_template(), {"docker_config_dir": "/srv/werf/docker"}))
    configuration.prepare_for_flow_run(_flow_run())
    assert "/var/run/docker.sock:/var/run/docker.sock" in configuration.volumes
    assert f"{WORK_DIR}:{WORK_DIR}" in configuration.volumes
    assert configuration.env["DOCKER_CONFIG"] == DOCKER_CONFIG_DIR
    assert configuration.env["WERF_SYNCHRONIZATION"].startswith("kubernetes://")
    mount, = configuration.container_create_kwargs["mounts"]
    assert mount == {"Type": "bind", "Source": "/srv/werf/docker", "Target": DOCKER_CONFIG_DIR, "ReadOnly": True}


def test_the_template_printer_refuses_unknown_pool_types(capsys):
    assert main(["nomad"]) == 2
    assert main(["docker"]) == 0 and '"job_configuration"' in capsys.readouterr().out
