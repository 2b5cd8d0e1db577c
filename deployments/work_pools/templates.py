"""Base job templates for werf-prefect workers in a Docker or a Kubernetes work pool.

Each template is the worker type's own default (`prefect-docker`, `prefect-kubernetes`), extended with what a werf
build needs on any machine:

- a Docker engine: the host's socket (Docker pool), or a `docker:dind` sidecar in the pod (Kubernetes pool);
- a work directory shared with that engine at the same path (`WORK_DIR`): build containers bind-mount the build's
  files from WERF_HOME, so the engine must see them where the build put them;
- registry credentials: a Docker config directory (Docker pool: a host directory; Kubernetes: a
  `kubernetes.io/dockerconfigjson` Secret) as DOCKER_CONFIG;
- the Kubernetes synchronization: in the cluster, the pod's service account (RBAC in deployments/kubernetes/);
  elsewhere, a kubeconfig from a Secret named in WERF_SYNCHRONIZATION (`kubernetes://NS@/var/run/werf/kubeconfig`).

`python -m deployments.work_pools.templates docker|kubernetes > template.json` prints one; `prefect work-pool
create NAME --type docker|kubernetes --base-job-template template.json` uses it (deployments/work_pools/README.md).
"""

from __future__ import annotations

import copy
import json
import sys
from typing import Any

WORK_DIR = "/var/lib/werf-prefect"            # WERF_HOME and WERF_TMP_DIR live here, seen alike by the engine
KUBECONFIG_DIR = "/var/run/werf"
DOCKER_CONFIG_DIR = "/var/run/werf-docker"
RUNNER_IMAGE = "werf-prefect-runner:latest"   # built from deployments/work_pools/Dockerfile


def _variable(schema: dict[str, Any], name: str, spec: dict[str, Any]) -> None:
    schema["properties"][name] = spec


def docker_template() -> dict[str, Any]:
    from prefect_docker.worker import DockerWorker
    template = copy.deepcopy(DockerWorker.get_default_base_job_template())
    variables = template["variables"]
    variables["properties"]["image"]["default"] = RUNNER_IMAGE
    variables["properties"]["volumes"]["default"] = [
        "/var/run/docker.sock:/var/run/docker.sock",        # the host's engine builds the stages
        f"{WORK_DIR}:{WORK_DIR}",                           # same path inside and outside: bind mounts resolve
    ]
    variables["properties"]["network_mode"]["default"] = "host"   # registries and the Kubernetes API as the host sees
    _variable(variables, "docker_config_dir", {
        "title": "Docker config directory (host)", "type": "string", "default": "/root/.docker",
        "description": "A host directory with config.json holding the registry credentials; mounted read-only."})
    # WERF_SYNCHRONIZATION: kubernetes://NAMESPACE[@/path/to/kubeconfig], the same on every worker (fan-out needs it)
    variables["properties"]["env"]["default"] = {
        "WERF_HOME": f"{WORK_DIR}/home", "WERF_TMP_DIR": f"{WORK_DIR}/tmp", "DOCKER_CONFIG": DOCKER_CONFIG_DIR,
        "WERF_SYNCHRONIZATION": "kubernetes://werf-synchronization"}
    config = template["job_configuration"]
    config["container_create_kwargs"] = {
        "mounts": [{"Type": "bind", "Source": "{{ docker_config_dir }}", "Target": DOCKER_CONFIG_DIR,
                    "ReadOnly": True}]}
    return template


def kubernetes_template() -> dict[str, Any]:
    from prefect_kubernetes.worker import KubernetesWorker
    template = copy.deepcopy(KubernetesWorker.get_default_base_job_template())
    variables = template["variables"]
    variables["properties"]["image"]["default"] = RUNNER_IMAGE
    variables["properties"]["service_account_name"]["default"] = "werf-prefect-builder"
    _variable(variables, "registry_secret", {
        "title": "Registry credentials Secret", "type": "string", "default": "werf-registry",
        "description": "A kubernetes.io/dockerconfigjson Secret with the stages storage and images repo logins."})
    _variable(variables, "sync_kubeconfig_secret", {
        "title": "Synchronization kubeconfig Secret", "type": "string", "default": "werf-sync-kubeconfig",
        "description": "A Secret with key `config`: a kubeconfig for WERF_SYNCHRONIZATION when the locks live in "
                       "another cluster (unused when WERF_SYNCHRONIZATION names no @/path)."})
    _variable(variables, "dind_image", {
        "title": "Docker engine image", "type": "string", "default": "docker:27-dind",
        "description": "The Docker engine that runs the build containers, as a sidecar of the build pod."})
    manifest = template["job_configuration"]["job_manifest"]
    pod = manifest["spec"]["template"]["spec"]
    runner = pod["containers"][0]
    runner["volumeMounts"] = [
        {"name": "werf-work", "mountPath": WORK_DIR},
        {"name": "registry-credentials", "mountPath": DOCKER_CONFIG_DIR, "readOnly": True},
        {"name": "sync-kubeconfig", "mountPath": KUBECONFIG_DIR, "readOnly": True},
    ]
    # a native sidecar (init container that keeps running): the Job completes when the build container exits
    pod["initContainers"] = [{
        "name": "docker-engine", "image": "{{ dind_image }}", "restartPolicy": "Always",
        "securityContext": {"privileged": True},
        "env": [{"name": "DOCKER_TLS_CERTDIR", "value": ""}],
        "args": ["--host=tcp://127.0.0.1:2375", "--iptables=false", "--bridge=none"],
        "volumeMounts": [{"name": "werf-work", "mountPath": WORK_DIR}],
        "startupProbe": {"exec": {"command": ["docker", "-H", "tcp://127.0.0.1:2375", "info"]},
                         "periodSeconds": 2, "failureThreshold": 60},
    }]
    pod["volumes"] = [
        {"name": "werf-work", "emptyDir": {}},
        {"name": "registry-credentials", "secret": {
            "secretName": "{{ registry_secret }}", "optional": True,
            "items": [{"key": ".dockerconfigjson", "path": "config.json"}]}},
        {"name": "sync-kubeconfig", "secret": {"secretName": "{{ sync_kubeconfig_secret }}", "optional": True}},
    ]
    # WERF_SYNCHRONIZATION: kubernetes://NAMESPACE (the pod's service account, RBAC in deployments/kubernetes/) or
    # kubernetes://NAMESPACE@/var/run/werf/config (the kubeconfig Secret, for locks in another cluster)
    variables["properties"]["env"]["default"] = {
        "WERF_HOME": f"{WORK_DIR}/home", "WERF_TMP_DIR": f"{WORK_DIR}/tmp", "DOCKER_HOST": "tcp://127.0.0.1:2375",
        "DOCKER_CONFIG": DOCKER_CONFIG_DIR, "WERF_SYNCHRONIZATION": "kubernetes://werf-synchronization"}
    return template


TEMPLATES = {"docker": docker_template, "kubernetes": kubernetes_template}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in TEMPLATES:
        print("usage: python -m deployments.work_pools.templates docker|kubernetes", file=sys.stderr)
        return 2
    print(json.dumps(TEMPLATES[argv[0]](), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
