"""Images that Kubernetes workloads use: the images cleanup keeps every repo image referenced here.

For every context of the kubeconfig (or only `--kube-context`), the pods, deployments, replicasets, statefulsets,
daemonsets, jobs, cronjobs and replicationcontrollers of all namespaces (or only the context's namespace with
`--scan-context-namespace-only`) are listed and the images of their containers, init containers and ephemeral
containers collected. A cluster that cannot be read fails the cleanup: deleting an image a workload may run is
exactly what cleanup must never do (`--without-kube` skips the scan on purpose).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from werf_core.errors import WerfError

REQUEST_TIMEOUT = (5.0, 60.0)
MAX_ITEMS_PER_LIST = 200_000

# (resource, API group path, path to the pod spec)
_RESOURCES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("pods", "/api/v1", ("spec",)),
    ("replicationcontrollers", "/api/v1", ("spec", "template", "spec")),
    ("deployments", "/apis/apps/v1", ("spec", "template", "spec")),
    ("replicasets", "/apis/apps/v1", ("spec", "template", "spec")),
    ("statefulsets", "/apis/apps/v1", ("spec", "template", "spec")),
    ("daemonsets", "/apis/apps/v1", ("spec", "template", "spec")),
    ("jobs", "/apis/batch/v1", ("spec", "template", "spec")),
    ("cronjobs", "/apis/batch/v1", ("spec", "jobTemplate", "spec", "template", "spec")),
)
MAX_LIST_BYTES = 512 * 1024 * 1024


class KubeScanError(WerfError):
    """A cluster could not be scanned for the images its workloads use."""


@dataclass(frozen=True)
class KubeScanOptions:
    config_path: str | None = None           # --kube-config ($WERF_KUBE_CONFIG / $KUBECONFIG)
    config_data_base64: str | None = None    # --kube-config-base64
    context: str | None = None               # --kube-context: only this context (default: every context)
    context_namespace_only: bool = False     # --scan-context-namespace-only


@dataclass
class KubeImages:
    images: set[str] = field(default_factory=set)
    contexts: list[str] = field(default_factory=list)

    def uses(self, reference: str) -> bool:
        """Whether a workload runs `reference` (`repo:tag`, also as `docker.io/library/...` spellings)."""
        return any(candidate in self.images for candidate in _spellings(reference))


def _spellings(reference: str) -> Iterable[str]:
    yield reference
    if reference.startswith("docker.io/library/"):
        yield reference[len("docker.io/library/"):]
    elif reference.startswith("docker.io/"):
        yield reference[len("docker.io/"):]


def pod_spec_images(pod_spec: Any) -> Iterator[str]:
    if not isinstance(pod_spec, dict):
        return
    for key in ("containers", "initContainers", "ephemeralContainers"):
        for container in pod_spec.get(key) or []:
            if isinstance(container, dict) and isinstance(container.get("image"), str):
                yield container["image"]


def _dig(obj: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def images_of_list(document: Any, pod_spec_path: tuple[str, ...]) -> set[str]:
    items = document.get("items") if isinstance(document, dict) else None
    found: set[str] = set()
    for item in (items or [])[:MAX_ITEMS_PER_LIST]:
        found.update(pod_spec_images(_dig(item, pod_spec_path)))
    return found


def _contexts(options: KubeScanOptions) -> list[tuple[str | None, str]]:
    """(context name, its namespace) to scan."""
    from werf_core.sync.kubeconfig import KubeConfigSource, decode_inline_config
    if options.config_data_base64:
        data = decode_inline_config(KubeConfigSource(config_data_base64=options.config_data_base64))
    else:
        import os

        import yaml
        path = os.path.expanduser((options.config_path or os.environ.get("KUBECONFIG") or "~/.kube/config")
                                  .split(os.pathsep)[0])
        try:
            with open(path) as f:
                data = yaml.safe_load(f) or {}
        except OSError as err:
            raise KubeScanError(f"cannot read kubeconfig {path}: {err.strerror}",
                                hint="give --kube-config PATH, or --without-kube to skip the Kubernetes scan") from None
    contexts = data.get("contexts") or [] if isinstance(data, dict) else []
    found = [(c.get("name"), (c.get("context") or {}).get("namespace") or "default")
             for c in contexts if isinstance(c, dict) and c.get("name")]
    if options.context:
        found = [c for c in found if c[0] == options.context]
        if not found:
            raise KubeScanError(f"kube context {options.context!r} is not in the kubeconfig",
                                hint="list them with `kubectl config get-contexts`")
    return found


def scan_kubernetes(options: KubeScanOptions) -> KubeImages:
    """The images every workload of every scanned context uses."""
    from urllib.parse import quote

    from werf_core.sync.kube_http import KubeHttp, TransportError
    from werf_core.sync.kubeconfig import KubeConfigSource, load_cluster_access
    result = KubeImages()
    for context, namespace in _contexts(options):
        source = KubeConfigSource(config_path=options.config_path, config_data_base64=options.config_data_base64,
                                  context=context)
        try:
            http = KubeHttp(load_cluster_access(source), timeout=REQUEST_TIMEOUT, max_response=MAX_LIST_BYTES)
        except WerfError as err:
            raise KubeScanError(f"cannot scan kube context {context!r}: {err.message}",
                                hint="fix the kubeconfig, choose --kube-context, or pass --without-kube") from None
        result.contexts.append(str(context))
        for resource, group, spec_path in _RESOURCES:
            if options.context_namespace_only:
                path, where = f"{group}/namespaces/{quote(namespace, safe='')}/{resource}", f"namespace {namespace}"
            else:
                path, where = f"{group}/{resource}", "all namespaces"
            try:
                response = http.request("GET", path)
                document = json.loads(response.body or b"{}") if response.status == 200 else None
            except (TransportError, ValueError) as err:
                raise KubeScanError(f"cannot reach kube context {context!r} ({http.server}): {err}",
                                    hint="check the cluster, or skip the scan with --without-kube") from None
            except WerfError as err:
                raise KubeScanError(f"cannot scan kube context {context!r}: {err.message}",
                                    hint="fix the kubeconfig, choose --kube-context, or pass --without-kube") from None
            if document is None:
                raise KubeScanError(
                    f"cannot list {resource} in {where} of kube context {context!r} ({http.server}):"
                    f" {response.status} {response.reason}",
                    hint="cleanup must see every workload before deleting images: grant list on it, use "
                         "--scan-context-namespace-only, or skip the scan with --without-kube")
            result.images.update(images_of_list(document, spec_path))
        http.close()
    return result
