"""The few ConfigMap and Namespace calls the synchronization makes, over the official `kubernetes` client.

Objects travel as plain dicts (`_preload_content=False`): a replace must send back exactly what was read, and
skipping the client's model classes keeps a 1 MiB cache ConfigMap cheap. Every API failure a user can fix is turned
into one `SynchronizationError` naming the server, the verb and the resource, with what to change.
The `kubernetes` package is imported only here, when a `kubernetes://` synchronization is opened.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from werf_core.sync.errors import (
    RBAC_MANIFEST,
    SynchronizationAccessDenied,
    SynchronizationError,
    SynchronizationUnreachable,
)

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


@dataclass(frozen=True)
class KubeConfigSource:
    """Which kubeconfig to use: a file (default: $KUBECONFIG, then ~/.kube/config), inline base64 data, a context."""

    config_path: str | None = None
    config_data_base64: str | None = None
    context: str | None = None

    def describe(self) -> str:
        where = "inline base64 kubeconfig" if self.config_data_base64 else f"kubeconfig {self._path()}"
        return f"{where}, context {self.context!r}" if self.context else f"{where}, current context"

    def _path(self) -> str:
        return self.config_path or os.environ.get("KUBECONFIG") or "~/.kube/config"


def load_api_client(source: KubeConfigSource):
    """An `ApiClient` for `source`; inside a pod without any kubeconfig, the pod's service account."""
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    configuration = client.Configuration()
    try:
        if source.config_data_base64:
            config.load_kube_config_from_dict(_decode_inline_config(source), context=source.context,
                                              client_configuration=configuration, persist_config=False)
        else:
            path = source._path()
            first_file = Path(os.path.expanduser(path.split(os.pathsep)[0]))
            if not source.config_path and not first_file.exists() and os.environ.get("KUBERNETES_SERVICE_HOST"):
                config.load_incluster_config(client_configuration=configuration)
            else:
                if not first_file.exists():
                    raise SynchronizationError(
                        f"Kubernetes synchronization: kubeconfig {first_file} does not exist",
                        hint="Give the kubeconfig in the address (kubernetes://NAMESPACE[:CONTEXT]@/path/to/config or "
                             "@base64:DATA) or set KUBECONFIG.")
                config.load_kube_config(config_file=os.path.expanduser(path), context=source.context,
                                        client_configuration=configuration, persist_config=False)
    except ConfigException as err:
        raise SynchronizationError(f"Kubernetes synchronization: cannot use {source.describe()}: {err}",
                                   hint="Check the context name and the kubeconfig given in --synchronization "
                                        "(kubernetes://NAMESPACE[:CONTEXT][@base64:DATA | @PATH]).") from None
    return client.ApiClient(configuration)


def _decode_inline_config(source: KubeConfigSource) -> dict:
    import yaml
    try:
        text = base64.b64decode(source.config_data_base64, validate=True).decode()
        data = yaml.safe_load(text)
    except (binascii.Error, UnicodeDecodeError, yaml.YAMLError) as err:
        raise SynchronizationError(f"Kubernetes synchronization: the inline kubeconfig (@base64:...) is not "
                                   f"base64 of a YAML kubeconfig: {err}",
                                   hint="Encode it with `base64 -w0 ~/.kube/config`.") from None
    if not isinstance(data, dict):
        raise SynchronizationError("Kubernetes synchronization: the inline kubeconfig (@base64:...) is not a "
                                   "kubeconfig mapping", hint="Encode it with `base64 -w0 ~/.kube/config`.")
    return data


class KubeApi:
    """ConfigMaps and Namespaces of one cluster, with werf-style errors."""

    def __init__(self, api_client, *, request_timeout: float | tuple[float, float] = DEFAULT_REQUEST_TIMEOUT,
                 conflict_timeout: float = 120.0) -> None:
        from kubernetes import client
        self.core = client.CoreV1Api(api_client)
        self.server = api_client.configuration.host
        self.request_timeout = request_timeout
        self.conflict_timeout = conflict_timeout

    @classmethod
    def connect(cls, source: KubeConfigSource, **options) -> KubeApi:
        return cls(load_api_client(source), **options)

    # -------- ConfigMaps
    def read_config_map(self, namespace: str, name: str) -> dict | None:
        try:
            return self._call("get", "configmaps", name, namespace,
                              lambda **kw: self.core.read_namespaced_config_map(name, namespace, **kw))
        except NotFound:
            return None

    def create_config_map(self, namespace: str, body: dict) -> dict:
        name = body["metadata"]["name"]
        return self._call("create", "configmaps", name, namespace,
                          lambda **kw: self.core.create_namespaced_config_map(namespace, body, **kw))

    def replace_config_map(self, namespace: str, body: dict) -> dict:
        """PUT with the resourceVersion `body` was read at; `Conflict` when someone wrote in between."""
        name = body["metadata"]["name"]
        return self._call("update", "configmaps", name, namespace,
                          lambda **kw: self.core.replace_namespaced_config_map(name, namespace, body, **kw))

    def merge_patch_config_map(self, namespace: str, name: str, patch: dict) -> dict:
        """RFC 7386 merge patch: only the keys the patch names change (null removes one), with no read and no
        resourceVersion, so writers of different keys never conflict. `NotFound` when the ConfigMap is missing."""
        return self._call("patch", "configmaps", name, namespace,
                          lambda **kw: self.core.patch_namespaced_config_map(name, namespace, patch,
                                                                             _content_type=MERGE_PATCH, **kw))

    def get_or_create_config_map(self, namespace: str, name: str) -> dict:
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

    def update_config_map(self, namespace: str, name: str, mutate: Callable[[dict], bool]) -> dict:
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
            self._call("create", "namespaces", namespace, None,
                       lambda **kw: self.core.create_namespace(body, **kw))
        except AlreadyExists:
            pass
        except SynchronizationAccessDenied as err:
            raise SynchronizationAccessDenied(
                f"Namespace {namespace} does not exist at {self.server} and creating it was denied: {err.message}",
                hint=f"Create it once (`kubectl create namespace {namespace}`, or apply {RBAC_MANIFEST}, which "
                     f"includes it), or let the runner's account get and create namespaces "
                     f"(deployments/kubernetes/rbac-namespace-creator.yaml).") from None

    # -------- error translation
    def _call(self, verb: str, resource: str, name: str | None, namespace: str | None, request) -> dict:
        import urllib3.exceptions
        from kubernetes.client.exceptions import ApiException
        try:
            response = request(_preload_content=False, _request_timeout=self.request_timeout)
            return json.loads(response.data or b"{}")
        except ApiException as err:
            raise self._api_error(err, verb, resource, name, namespace) from None
        except (urllib3.exceptions.HTTPError, OSError) as err:
            raise SynchronizationUnreachable(
                f"Cannot reach the Kubernetes API server at {self.server} ({_reason(err)})",
                hint="Check that the cluster is up and reachable from here, and that --synchronization names the "
                     "right kubeconfig and context (kubernetes://NAMESPACE[:CONTEXT][@base64:DATA | @PATH]).",
            ) from None

    def _api_error(self, err, verb: str, resource: str, name: str | None, namespace: str | None) -> Exception:
        status = _status_body(err)
        reason = status.get("reason") or ""
        message = status.get("message") or (err.reason or "").strip()
        target = f'{resource} "{name}"' if name else resource
        where = f' in namespace "{namespace}"' if namespace else ""
        if err.status == 0:  # TLS failures surface as status 0
            return SynchronizationUnreachable(f"Cannot talk to the Kubernetes API server at {self.server}: "
                                              f"{message}", hint="Check the server's certificate in the kubeconfig.")
        if err.status == 404:
            return NotFound(message)
        if err.status == 409 and reason == "AlreadyExists":
            return AlreadyExists(message)
        if err.status == 409:
            return Conflict(message)
        if err.status == 401:
            return SynchronizationAccessDenied(
                f"The Kubernetes API server at {self.server} rejected the credentials (401 Unauthorized) "
                f"when trying to {verb} {target}{where}",
                hint="The kubeconfig's token or certificate is wrong or expired; refresh it.")
        if err.status == 403:
            return SynchronizationAccessDenied(
                f"The Kubernetes API server at {self.server} denied {verb} on {target}{where} "
                f"(403 Forbidden: {message})",
                hint=_rbac_hint(namespace))
        if err.status == 413 or (err.status == 422 and ("too long" in message.lower()
                                                         or "may not be more than" in message.lower())):
            return ObjectTooLarge(
                f"The Kubernetes API server at {self.server} refused to {verb} {target}{where} "
                f"({err.status} {reason or err.reason}: {message})",
                hint="The ConfigMap is too large; see docs/synchronization.md on the stages-storage cache size.")
        if err.status in (413, 422):
            return SynchronizationError(
                f"The Kubernetes API server at {self.server} refused to {verb} {target}{where} "
                f"({err.status} {reason or err.reason}: {message})",
                hint="The ConfigMap is too large; see docs/synchronization.md on the stages-storage cache size.")
        return SynchronizationError(
            f"The Kubernetes API server at {self.server} failed to {verb} {target}{where} "
            f"({err.status} {reason or err.reason}: {message})",
            hint="Retry; if it persists, check the API server's health.")


def _rbac_hint(namespace: str | None) -> str:
    ns = namespace or "the synchronization namespace"
    return (f'The account in the kubeconfig needs get, create, update and patch on configmaps in namespace "{ns}", '
            f"plus get and create on namespaces if the namespace does not exist yet. "
            f"Apply {RBAC_MANIFEST} (Role, RoleBinding, ServiceAccount; set your namespace), or create the "
            f"namespace beforehand.")


def _status_body(err) -> dict:
    try:
        body = json.loads(err.body or "{}")
        return body if isinstance(body, dict) else {}
    except (ValueError, TypeError):
        return {}


def _reason(err: Exception) -> str:
    reason = getattr(err, "reason", None) or err
    text = str(reason)
    # urllib3 wraps the interesting part: "<...HTTPConnection object at 0x..>: Failed to establish ... refused"
    if ">: " in text:
        text = text.split(">: ", 1)[1]
    return text.rstrip(")'\"")
