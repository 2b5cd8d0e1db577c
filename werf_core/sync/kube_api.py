"""The few ConfigMap and Namespace calls the synchronization makes, as plain JSON over `KubeHttp`.

Objects travel as plain dicts: a replace must send back exactly what was read, and no model classes keep a 1 MiB
cache ConfigMap cheap. Every API failure a user can fix is turned into one `SynchronizationError` naming the
server, the verb and the resource, with what to change. Optimistic concurrency is the API server's: a PUT carries
the resourceVersion it was read at and a stale one is answered 409 (`Conflict`), a create of an existing object
409 AlreadyExists (`AlreadyExists`).

Why not the official `kubernetes` client: every runner process opening a `kubernetes://` synchronization paid for
loading it, and with several runners on a small machine that dominated their builds. Measured here (Python 3.11,
byte-compiled, median of 3, `python -c` including the interpreter's own 0.02 s):

    kubernetes 37 (client + config, CoreV1Api)   1.45 s CPU, 1.7-2.5 s wall (its models are pydantic classes)
    lightkube 1.0.1 (client, ConfigMap, config)  0.27 s CPU, 0.35-0.5 s wall (httpx2, msgspec, asyncio)
    http.client + ssl + json + yaml              0.07 s CPU, 0.11 s wall (urllib3 alone: 0.14 s CPU)

A fresh-runner idle build with `kubernetes://` must finish in 0.3 s, so even lightkube would take most of it; the
standard library's HTTP client plus our kubeconfig reader (kubeconfig.py, kube_exec.py, kube_http.py) covers what
the synchronization needs: kubeconfig files, lists, inline data, contexts, in-cluster service accounts, tokens,
token files, client certificates, CAs, insecure-skip-tls-verify, tls-server-name, HTTP proxies, exec plugins.
"""

from __future__ import annotations

import copy
import json
import random
import time
from collections.abc import Callable
from typing import Any

from werf_core.sync.errors import (
    RBAC_MANIFEST,
    SynchronizationAccessDenied,
    SynchronizationError,
    SynchronizationUnreachable,
)
from werf_core.sync.kube_http import KubeHttp, Timeout, TransportError
from werf_core.sync.kubeconfig import KubeConfigSource as KubeConfigSource
from werf_core.sync.kubeconfig import load_cluster_access

DEFAULT_REQUEST_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds: an API that never answers must not hang a build


class NotFound(Exception):
    """404: the object (or its namespace) does not exist."""


class AlreadyExists(Exception):
    """409 AlreadyExists on create."""


class Conflict(Exception):
    """409 Conflict on replace: the object changed since it was read (stale resourceVersion)."""


class ObjectTooLarge(SynchronizationError):
    """413/422: the object would exceed the API server's size limit (a ConfigMap holds at most 1 MiB)."""


MERGE_PATCH = "application/merge-patch+json"


class KubeApi:
    """ConfigMaps and Namespaces of one cluster, with werf-style errors."""

    def __init__(self, http: KubeHttp, *, conflict_timeout: float = 120.0) -> None:
        self.http = http
        self.server = http.server
        self.conflict_timeout = conflict_timeout

    @classmethod
    def connect(cls, source: KubeConfigSource, *, request_timeout: Timeout = DEFAULT_REQUEST_TIMEOUT,
                conflict_timeout: float = 120.0) -> KubeApi:
        return cls(KubeHttp(load_cluster_access(source), timeout=request_timeout), conflict_timeout=conflict_timeout)

    def close(self) -> None:
        self.http.close()

    # -------- ConfigMaps
    def read_config_map(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            return self.call("GET", _config_map_path(namespace, name), verb="get", name=name, namespace=namespace)
        except NotFound:
            return None

    def create_config_map(self, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        name = body["metadata"]["name"]
        return self.call("POST", _config_map_path(namespace), body, verb="create", name=name, namespace=namespace)

    def replace_config_map(self, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        """PUT with the resourceVersion `body` was read at; `Conflict` when someone wrote in between."""
        name = body["metadata"]["name"]
        return self.call("PUT", _config_map_path(namespace, name), body, verb="update", name=name,
                         namespace=namespace)

    def merge_patch_config_map(self, namespace: str, name: str, patch: dict[str, Any]) -> dict[str, Any]:
        """RFC 7386 merge patch: only the keys the patch names change (null removes one), with no read and no
        resourceVersion, so writers of different keys never conflict. `NotFound` when the ConfigMap is missing."""
        return self.call("PATCH", _config_map_path(namespace, name), patch, content_type=MERGE_PATCH, verb="patch",
                         name=name, namespace=namespace)

    def get_or_create_config_map(self, namespace: str, name: str) -> dict[str, Any]:
        """The ConfigMap, created (and its namespace too) when missing; a racing creator's object is fine too."""
        obj = self.read_config_map(namespace, name)
        if obj is not None:
            return obj
        body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}
        try:
            return self.create_config_map(namespace, body)
        except AlreadyExists:
            pass
        except NotFound:
            # the namespace is missing. Creating the ConfigMap first means a Role limited to an existing
            # namespace never needs cluster-wide rights on namespaces.
            self.ensure_namespace(namespace)
            try:
                return self.create_config_map(namespace, body)
            except AlreadyExists:
                pass
        obj = self.read_config_map(namespace, name)
        if obj is None:
            raise SynchronizationError(f"ConfigMap {name} in namespace {namespace} at {self.server} disappeared "
                                       f"right after it was created", hint="Is something deleting it? Retry.")
        return obj

    def update_config_map(self, namespace: str, name: str, mutate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """get → mutate → replace until no concurrent write intervenes. `mutate` edits its argument in place and
        returns False when nothing needs writing."""
        deadline = time.monotonic() + self.conflict_timeout
        attempt = 0
        while True:
            obj = self.get_or_create_config_map(namespace, name)
            changed = copy.deepcopy(obj)
            if not mutate(changed):
                return obj
            try:
                return self.replace_config_map(namespace, changed)
            except Conflict:
                attempt += 1
                if time.monotonic() > deadline:
                    raise SynchronizationError(
                        f"ConfigMap {name} in namespace {namespace} at {self.server} kept changing: gave up after "
                        f"{attempt} conflicting updates in {self.conflict_timeout:g} s",
                        hint="Too many runners write the same project's ConfigMap at once; retry.") from None
                # werf retries at once; after a few collisions a little jitter lets the writers spread out
                if attempt > 2:
                    time.sleep(random.uniform(0, min(0.05 * attempt, 0.5)))

    # -------- Namespaces
    def ensure_namespace(self, namespace: str) -> None:
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
        try:
            self.call("POST", "/api/v1/namespaces", body, verb="create", resource="namespaces", name=namespace)
        except AlreadyExists:
            pass
        except SynchronizationAccessDenied as err:
            raise SynchronizationAccessDenied(
                f"Namespace {namespace} does not exist at {self.server} and creating it was denied: {err.message}",
                hint=f"Create it once (`kubectl create namespace {namespace}`, or apply {RBAC_MANIFEST}, which "
                     f"includes it), or let the runner's account get and create namespaces "
                     f"(deployments/kubernetes/rbac-namespace-creator.yaml).") from None

    # -------- any request, with error translation
    def call(self, method: str, path: str, body: dict[str, Any] | None = None, *, content_type: str | None = None,
             verb: str, resource: str = "configmaps", name: str | None = None, namespace: str | None = None
             ) -> dict[str, Any]:
        """`method path` with a JSON body; the answer as a dict. API errors become `NotFound`, `AlreadyExists`,
        `Conflict` or `SynchronizationError`s naming `verb`, `resource`, `name` and `namespace`."""
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        try:
            response = self.http.request(method, path, data, content_type or ("application/json" if data else None))
        except TransportError as err:
            if err.tls:
                raise SynchronizationUnreachable(
                    f"Cannot talk to the Kubernetes API server at {self.server}: {err.reason}",
                    hint="Check the server's certificate in the kubeconfig (certificate-authority[-data], "
                         "tls-server-name).") from None
            raise SynchronizationUnreachable(
                f"Cannot reach the Kubernetes API server at {self.server} ({err.reason})",
                hint="Check that the cluster is up and reachable from here, and that --synchronization names the "
                     "right kubeconfig and context (kubernetes://NAMESPACE[:CONTEXT][@base64:DATA | @PATH]).",
            ) from None
        if 200 <= response.status < 300:
            try:
                answer = json.loads(response.body or b"{}")
            except ValueError:
                raise SynchronizationError(f"The Kubernetes API server at {self.server} answered {verb} of "
                                           f"{resource} with something that is not JSON",
                                           hint="Is the server address in the kubeconfig an API server?") from None
            return answer if isinstance(answer, dict) else {}
        raise self._api_error(response.status, response.reason, response.body, verb, resource, name, namespace)

    def _api_error(self, code: int, http_reason: str, body: bytes, verb: str, resource: str, name: str | None,
                   namespace: str | None) -> Exception:
        status = _status_body(body)
        reason = str(status.get("reason") or "")
        message = str(status.get("message") or http_reason or "").strip()[:1000]
        target = f'{resource} "{name}"' if name else resource
        where = f' in namespace "{namespace}"' if namespace else ""
        if code == 404:
            return NotFound(message)
        if code == 409 and reason == "AlreadyExists":
            return AlreadyExists(message)
        if code == 409:
            return Conflict(message)
        if code == 401:
            return SynchronizationAccessDenied(
                f"The Kubernetes API server at {self.server} rejected the credentials (401 Unauthorized) "
                f"when trying to {verb} {target}{where}",
                hint="The kubeconfig's token or certificate is wrong or expired; refresh it.")
        if code == 403:
            return SynchronizationAccessDenied(
                f"The Kubernetes API server at {self.server} denied {verb} on {target}{where} "
                f"(403 Forbidden: {message})",
                hint=_rbac_hint(namespace))
        if code == 413 or (code == 422 and ("too long" in message.lower()
                                            or "may not be more than" in message.lower())):
            return ObjectTooLarge(
                f"The Kubernetes API server at {self.server} refused to {verb} {target}{where} "
                f"({code} {reason or http_reason}: {message})",
                hint="The ConfigMap is too large; see docs/synchronization.md on the stages-storage cache size.")
        if code == 422:
            return SynchronizationError(
                f"The Kubernetes API server at {self.server} refused to {verb} {target}{where} "
                f"({code} {reason or http_reason}: {message})",
                hint="The object is invalid; see docs/synchronization.md.")
        return SynchronizationError(
            f"The Kubernetes API server at {self.server} failed to {verb} {target}{where} "
            f"({code} {reason or http_reason}: {message})",
            hint="Retry; if it persists, check the API server's health.")


def _config_map_path(namespace: str, name: str | None = None) -> str:
    from urllib.parse import quote
    path = f"/api/v1/namespaces/{quote(namespace, safe='')}/configmaps"
    return f"{path}/{quote(name, safe='')}" if name else path


def _rbac_hint(namespace: str | None) -> str:
    ns = namespace or "the synchronization namespace"
    return (f'The account in the kubeconfig needs get, create, update and patch on configmaps in namespace "{ns}", '
            f"plus get and create on namespaces if the namespace does not exist yet. "
            f"Apply {RBAC_MANIFEST} (Role, RoleBinding, ServiceAccount; set your namespace), or create the "
            f"namespace beforehand.")


def _status_body(body: bytes) -> dict[str, Any]:
    try:
        status = json.loads(body or b"{}")
        return status if isinstance(status, dict) else {}
    except (ValueError, TypeError):
        return {}
