"""A Kubernetes API emulator: a real HTTP server on a loopback port speaking the part of the core/v1 API that the
synchronization uses, with the API server's semantics and error bodies.

What it serves:
- `/api/v1/namespaces` (list, create), `/api/v1/namespaces/{ns}` (get, delete — drops its ConfigMaps);
- `/api/v1/namespaces/{ns}/configmaps` (list, create), `/api/v1/namespaces/{ns}/configmaps/{name}` (get, replace
  with PUT, patch — merge, strategic-merge and JSON patch —, delete), `/api/v1/configmaps` (list, all namespaces);
- workloads, for the images cleanup's scan: `pods`, `replicationcontrollers` (core/v1), `deployments`,
  `replicasets`, `statefulsets`, `daemonsets` (apps/v1), `jobs`, `cronjobs` (batch/v1) — list in a namespace and in
  all namespaces, create (POST), get and delete one; their spec is stored as given (no controllers run);
- `/version`.

Semantics kept faithful, since the same client code runs against real clusters: one resourceVersion counter for all
writes (like etcd's revision); PUT or PATCH with a stale resourceVersion → 409 Conflict with the API server's
message; create of an existing object → 409 AlreadyExists; missing objects → 404 NotFound; creating in a missing
namespace → 404 for the namespace; ConfigMap data over 1 MiB → 422 Invalid ("Too long: must have at most 1048576
bytes"), annotations over 256 KiB → 422; request bodies over 3 MiB → 413; invalid names and keys → 422; bearer-token
authentication (401) — or, over TLS (`tls=`), client certificates whose common name is in `client_cert_users` —
and RBAC-like authorization (403 Forbidden with Kubernetes' Status body) for chosen verbs and
resources, or only what a Role allows.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import yaml

MAX_CONFIGMAP_BYTES = 1024 * 1024
MAX_ANNOTATIONS_BYTES = 256 * 1024
MAX_REQUEST_BYTES = 3 * 1024 * 1024
CONFLICT_TEXT = "the object has been modified; please apply your changes to the latest version and try again"

_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_CONFIGMAP_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")

_ROUTES = [
    (re.compile(r"^/api/v1/namespaces$"), "namespaces", False),
    (re.compile(r"^/api/v1/namespaces/(?P<name>[^/]+)$"), "namespaces", True),
    (re.compile(r"^/api/v1/namespaces/(?P<namespace>[^/]+)/configmaps$"), "configmaps", False),
    (re.compile(r"^/api/v1/namespaces/(?P<namespace>[^/]+)/configmaps/(?P<name>[^/]+)$"), "configmaps", True),
    (re.compile(r"^/api/v1/configmaps$"), "configmaps", False),
]
# workload resource → (API path prefix, apiVersion, kind)
WORKLOADS = {
    "pods": ("/api/v1", "v1", "Pod"),
    "replicationcontrollers": ("/api/v1", "v1", "ReplicationController"),
    "deployments": ("/apis/apps/v1", "apps/v1", "Deployment"),
    "replicasets": ("/apis/apps/v1", "apps/v1", "ReplicaSet"),
    "statefulsets": ("/apis/apps/v1", "apps/v1", "StatefulSet"),
    "daemonsets": ("/apis/apps/v1", "apps/v1", "DaemonSet"),
    "jobs": ("/apis/batch/v1", "batch/v1", "Job"),
    "cronjobs": ("/apis/batch/v1", "batch/v1", "CronJob"),
}
for _resource, (_prefix, _, _) in WORKLOADS.items():
    _ROUTES += [
        (re.compile(rf"^{_prefix}/namespaces/(?P<namespace>[^/]+)/{_resource}$"), _resource, False),
        (re.compile(rf"^{_prefix}/namespaces/(?P<namespace>[^/]+)/{_resource}/(?P<name>[^/]+)$"), _resource, True),
        (re.compile(rf"^{_prefix}/{_resource}$"), _resource, False),
    ]
_KINDS = {"namespaces": "Namespace", "configmaps": "ConfigMap",
          **{resource: kind for resource, (_, _, kind) in WORKLOADS.items()}}


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self) -> dict:
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason, "code": self.code}
        if self.details is not None:
            body["details"] = self.details
        return body


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    verb: str
    resource: str
    namespace: str | None
    name: str | None
    status: int


@dataclass(frozen=True)
class Rule:
    """An RBAC rule: verbs on resources, in one namespace (a Role's) or everywhere (a ClusterRole's)."""

    verbs: frozenset[str]
    resources: frozenset[str]
    namespace: str | None = None

    def allows(self, verb: str, resource: str, namespace: str | None) -> bool:
        return ((verb in self.verbs or "*" in self.verbs)
                and (resource in self.resources or "*" in self.resources)
                and (self.namespace is None or self.namespace == namespace))


def rules_from_manifests(path: Path) -> list[Rule]:
    """The rules of every Role (scoped to its namespace) and ClusterRole in a YAML manifest file."""
    rules = []
    for doc in yaml.safe_load_all(Path(path).read_text()):
        if not doc or doc.get("kind") not in ("Role", "ClusterRole"):
            continue
        namespace = doc["metadata"].get("namespace") if doc["kind"] == "Role" else None
        for rule in doc.get("rules") or []:
            if "" not in (rule.get("apiGroups") or [""]):
                continue
            rules.append(Rule(frozenset(rule.get("verbs") or []), frozenset(rule.get("resources") or []), namespace))
    return rules


class KubeEmulator:
    def __init__(self, *, token: str | None = "werf-emulator-token",
                 user: str = "system:serviceaccount:werf-synchronization:werf-runner",
                 tls: tuple[Path, Path] | None = None, client_ca: Path | None = None) -> None:
        """`tls`: (certificate, key) files to serve HTTPS with; `client_ca`: certificates that client certificates
        may be signed by (then a client certificate whose common name is in `client_cert_users` authenticates)."""
        self.token = token
        self.tls = tls
        self.client_ca = client_ca
        self.client_cert_users: set[str] = set()
        self.user = user
        self._mutex = threading.RLock()
        self._revision = 0
        self._namespaces: dict[str, dict] = {}
        self._config_maps: dict[tuple[str, str], dict] = {}
        self._workloads: dict[tuple[str, str, str], dict] = {}     # (resource, namespace, name) → object
        self._denied: set[tuple[str, str, str | None]] = set()
        self._allowed: list[Rule] | None = None
        self.requests: list[Request] = []
        self._server: ThreadingHTTPServer | None = None
        self._connections: set[socket.socket] = set()
        self._thread: threading.Thread | None = None
        for name in ("default", "kube-system"):
            self._store_namespace(name)

    # -------- lifecycle
    def start(self) -> KubeEmulator:
        handler = type("Handler", (_Handler,), {"emulator": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        if self.tls is not None:
            import ssl
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(self.tls[0]), str(self.tls[1]))
            if self.client_ca is not None:
                context.load_verify_locations(cafile=str(self.client_ca))
                context.verify_mode = ssl.CERT_OPTIONAL
            # the handshake happens in the handler's thread (first read), not in the accepting loop
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True,
                                                      do_handshake_on_connect=False)
        self._address = self._server.server_address[:2]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="kube-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop like a dead API server: no new connections, and open keep-alive connections cut."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            with self._mutex:
                connections, self._connections = list(self._connections), set()
            for connection in connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self._server = None

    def __enter__(self) -> KubeEmulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._address
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    # -------- kubeconfig
    def kubeconfig(self, context: str = "werf-emulator") -> dict:
        user = {"token": self.token} if self.token else {}
        cluster = {"server": self.url}
        if self.tls is not None:
            cluster["certificate-authority-data"] = base64.b64encode(Path(self.tls[0]).read_bytes()).decode()
        return {
            "apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": [{"name": context, "cluster": cluster}],
            "users": [{"name": "werf-runner", "user": user}],
            "contexts": [{"name": context, "context": {"cluster": context, "user": "werf-runner"}}],
            "current-context": context,
        }

    def write_kubeconfig(self, path: Path, context: str = "werf-emulator") -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(self.kubeconfig(context)))
        return path

    # -------- authorization switches
    def deny(self, verb: str, resource: str, namespace: str | None = None) -> None:
        """Answer 403 Forbidden for `verb` on `resource` (in `namespace`, or anywhere)."""
        with self._mutex:
            self._denied.add((verb, resource, namespace))

    def allow_only(self, rules: list[Rule]) -> None:
        """Behave like RBAC with only these rules bound to the user: everything else is 403."""
        with self._mutex:
            self._allowed = list(rules)

    def allow_all(self) -> None:
        with self._mutex:
            self._denied.clear()
            self._allowed = None

    # -------- direct state access for tests (bypasses HTTP; still bumps resourceVersion)
    def config_map(self, namespace: str, name: str) -> dict | None:
        with self._mutex:
            obj = self._config_maps.get((namespace, name))
            return _public(obj) if obj else None

    def add_workload(self, resource: str, namespace: str, name: str, pod_spec: dict) -> dict:
        """Create a workload directly (as if applied); `pod_spec` is its pod template's spec (a pod's own spec)."""
        with self._mutex:
            return self._create_workload(resource, namespace, _workload_body(resource, name, pod_spec))

    def config_map_names(self, namespace: str) -> list[str]:
        with self._mutex:
            return sorted(name for ns, name in self._config_maps if ns == namespace)

    def namespace_names(self) -> list[str]:
        with self._mutex:
            return sorted(self._namespaces)

    def count(self, verb: str | None = None, resource: str | None = None, status: int | None = None) -> int:
        with self._mutex:
            return sum(1 for r in self.requests if (verb is None or r.verb == verb)
                       and (resource is None or r.resource == resource) and (status is None or r.status == status))

    # -------- request handling
    def handle(self, method: str, raw_path: str, headers, body: bytes, peer: str | None = None) -> tuple[int, dict]:
        """`peer`: the common name of the client certificate the connection presented, if any."""
        parts = urlsplit(raw_path)
        path, query = parts.path.rstrip("/") or "/", parse_qs(parts.query)
        verb, resource, namespace, name = method.lower(), "", None, None
        try:
            if path == "/version":
                return 200, {"major": "1", "minor": "30", "gitVersion": "v1.30.0-werf-emulator"}
            route = self._route(path)
            if route is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource",
                               {})
            resource, namespace, name, is_item = route
            verb = _verb(method, is_item, query)
            self._authenticate(headers, peer)
            self._authorize(verb, resource, namespace, name)
            if len(body) > MAX_REQUEST_BYTES:
                raise ApiError(413, "RequestEntityTooLarge", f"Request entity too large: limit is {MAX_REQUEST_BYTES}")
            with self._mutex:
                status, payload = self._dispatch(verb, resource, namespace, name, headers, body)
        except ApiError as err:
            status, payload = err.code, err.status()
        with self._mutex:
            self.requests.append(Request(method, path, verb, resource, namespace, name, status))
        return status, payload

    def _route(self, path: str):
        for pattern, resource, is_item in _ROUTES:
            match = pattern.match(path)
            if match:
                groups = {k: unquote(v) for k, v in match.groupdict().items()}
                if resource == "namespaces":
                    return resource, groups.get("name"), groups.get("name"), is_item
                return resource, groups.get("namespace"), groups.get("name"), is_item
        return None

    def _authenticate(self, headers, peer: str | None = None) -> None:
        if peer is not None and peer in self.client_cert_users:
            return
        if self.token and headers.get("Authorization") != f"Bearer {self.token}":
            raise ApiError(401, "Unauthorized", "Unauthorized")

    def _authorize(self, verb: str, resource: str, namespace: str | None, name: str | None) -> None:
        with self._mutex:
            denied = (verb, resource, None) in self._denied or (verb, resource, namespace) in self._denied
            if self._allowed is not None and not any(r.allows(verb, resource, namespace) for r in self._allowed):
                denied = True
        if not denied:
            return
        target = f'{resource} "{name}"' if name else resource
        scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
        details = {"kind": resource}
        if name:
            details = {"name": name, "kind": resource}
        raise ApiError(403, "Forbidden", f'{target} is forbidden: User "{self.user}" cannot {verb} resource '
                                         f'"{resource}" in API group "" {scope}', details)

    def _dispatch(self, verb, resource, namespace, name, headers, body) -> tuple[int, dict]:
        if resource in WORKLOADS:
            return self._dispatch_workload(verb, resource, namespace, name, body)
        if resource == "namespaces":
            if verb == "list":
                return 200, self._list("NamespaceList", self._namespaces.values())
            if verb == "create":
                return 201, self._create_namespace(_json_body(body))
            if verb == "get":
                return 200, _public(self._get_namespace(name))
            if verb == "delete":
                return 200, self._delete_namespace(name)
        else:
            if verb == "list":
                items = [cm for (ns, _), cm in sorted(self._config_maps.items()) if namespace in (None, ns)]
                return 200, self._list("ConfigMapList", items)
            if verb == "create":
                return 201, self._create_config_map(namespace, _json_body(body))
            if verb == "get":
                return 200, _public(self._get_config_map(namespace, name))
            if verb == "update":
                return 200, self._replace_config_map(namespace, name, _json_body(body))
            if verb == "patch":
                return 200, self._patch_config_map(namespace, name, headers.get("Content-Type") or "", body)
            if verb == "delete":
                return 200, self._delete_config_map(namespace, name, body)
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")

    # -------- workloads
    def _dispatch_workload(self, verb, resource, namespace, name, body) -> tuple[int, dict]:
        _, api_version, kind = WORKLOADS[resource]
        if verb == "list":
            items = [obj for (res, ns, _), obj in sorted(self._workloads.items())
                     if res == resource and namespace in (None, ns)]
            listed = self._list(f"{kind}List", items)
            listed["apiVersion"] = api_version
            return 200, listed
        if verb == "create":
            return 201, self._create_workload(resource, namespace, _json_body(body))
        obj = self._workloads.get((resource, namespace, name))
        if obj is None:
            raise _not_found(resource, name)
        if verb == "get":
            return 200, _public(obj)
        if verb == "delete":
            del self._workloads[(resource, namespace, name)]
            self._revision += 1
            return 200, _public(obj)
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")

    def _create_workload(self, resource: str, namespace: str, body: dict) -> dict:
        _, api_version, kind = WORKLOADS[resource]
        meta = body.get("metadata") or {}
        if meta.get("namespace") not in (None, "", namespace):
            raise ApiError(400, "BadRequest", "the namespace of the provided object does not match the namespace "
                                              "sent on the request")
        name = meta.get("name") or ""
        if not _DNS1123_SUBDOMAIN.match(name) or len(name) > 253:
            raise _invalid(kind, name, "metadata.name", f'Invalid value: "{name}": a lowercase RFC 1123 subdomain '
                           "must consist of lower case alphanumeric characters, '-' or '.'", "FieldValueInvalid")
        if namespace not in self._namespaces:
            raise _not_found("namespaces", namespace)
        if (resource, namespace, name) in self._workloads:
            raise ApiError(409, "AlreadyExists", f'{resource}.{api_version.split("/")[0]} "{name}" already exists'
                           if "/" in api_version else f'{resource} "{name}" already exists',
                           {"name": name, "kind": resource})
        self._revision += 1
        obj = {"kind": kind, "apiVersion": api_version,
               "metadata": {**_user_metadata(meta), "name": name, "namespace": namespace, "uid": str(uuid.uuid4()),
                            "resourceVersion": str(self._revision), "creationTimestamp": _now()},
               "spec": copy.deepcopy(body.get("spec") or {})}
        self._workloads[(resource, namespace, name)] = obj
        return _public(obj)

    # -------- namespaces
    def _store_namespace(self, name: str, meta: dict | None = None) -> dict:
        self._revision += 1
        obj = {"kind": "Namespace", "apiVersion": "v1",
               "metadata": {**_user_metadata(meta or {}), "name": name, "uid": str(uuid.uuid4()),
                            "resourceVersion": str(self._revision), "creationTimestamp": _now()},
               "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
        self._namespaces[name] = obj
        return obj

    def _create_namespace(self, body: dict) -> dict:
        meta = body.get("metadata") or {}
        name = meta.get("name") or ""
        if not _DNS1123_LABEL.match(name) or len(name) > 63:
            raise _invalid("Namespace", name, "metadata.name", f'Invalid value: "{name}": a lowercase RFC 1123 label '
                           "must consist of lower case alphanumeric characters or '-', and must start and end with "
                           "an alphanumeric character", "FieldValueInvalid")
        if name in self._namespaces:
            raise ApiError(409, "AlreadyExists", f'namespaces "{name}" already exists',
                           {"name": name, "kind": "namespaces"})
        return _public(self._store_namespace(name, meta))

    def _get_namespace(self, name: str) -> dict:
        if name not in self._namespaces:
            raise _not_found("namespaces", name)
        return self._namespaces[name]

    def _delete_namespace(self, name: str) -> dict:
        obj = self._get_namespace(name)
        del self._namespaces[name]
        for key in [k for k in self._config_maps if k[0] == name]:
            del self._config_maps[key]
        for key in [k for k in self._workloads if k[1] == name]:
            del self._workloads[key]
        self._revision += 1
        gone = _public(obj)
        gone["status"] = {"phase": "Terminating"}
        return gone

    # -------- configmaps
    def _get_config_map(self, namespace: str, name: str) -> dict:
        obj = self._config_maps.get((namespace, name))
        if obj is None:
            raise _not_found("configmaps", name)
        return obj

    def _create_config_map(self, namespace: str, body: dict) -> dict:
        meta = body.get("metadata") or {}
        if meta.get("namespace") not in (None, "", namespace):
            raise ApiError(400, "BadRequest", "the namespace of the provided object does not match the namespace "
                                              "sent on the request")
        name = meta.get("name") or ""
        if not name and meta.get("generateName"):
            name = meta["generateName"] + uuid.uuid4().hex[:5]
        if namespace not in self._namespaces:
            raise _not_found("namespaces", namespace)
        obj = {"kind": "ConfigMap", "apiVersion": "v1",
               "metadata": {**_user_metadata(meta), "name": name, "namespace": namespace,
                            "uid": str(uuid.uuid4()), "creationTimestamp": _now()}}
        _copy_content(body, obj)
        _validate_config_map(obj)
        if (namespace, name) in self._config_maps:
            raise ApiError(409, "AlreadyExists", f'configmaps "{name}" already exists',
                           {"name": name, "kind": "configmaps"})
        return self._save_config_map(obj)

    def _replace_config_map(self, namespace: str, name: str, body: dict) -> dict:
        meta = body.get("metadata") or {}
        if meta.get("name") != name:
            raise ApiError(400, "BadRequest", f"the name of the object ({meta.get('name')}) does not match the name "
                                              f"on the URL ({name})")
        if meta.get("namespace") not in (None, "", namespace):
            raise ApiError(400, "BadRequest", "the namespace of the provided object does not match the namespace "
                                              "sent on the request")
        current = self._get_config_map(namespace, name)
        self._check_preconditions(current, meta.get("resourceVersion"), meta.get("uid"))
        obj = {"kind": "ConfigMap", "apiVersion": "v1",
               "metadata": {**_user_metadata(meta), "name": name, "namespace": namespace,
                            "uid": current["metadata"]["uid"],
                            "creationTimestamp": current["metadata"]["creationTimestamp"]}}
        _copy_content(body, obj)
        _validate_config_map(obj)
        return self._save_config_map(obj)

    def _patch_config_map(self, namespace: str, name: str, content_type: str, body: bytes) -> dict:
        current = self._get_config_map(namespace, name)
        kind = content_type.split(";")[0].strip()
        document = _public(current)
        patch = _json_body(body, allow_list=True)
        if kind == "application/merge-patch+json":
            patched = _merge_patch(document, patch)
        elif kind == "application/strategic-merge-patch+json":
            patched = _strategic_merge_patch(document, patch)
        elif kind == "application/json-patch+json":
            patched = _json_patch(document, patch)
        else:
            raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
                                                        "accepted media types include: application/json-patch+json, "
                                                        "application/merge-patch+json, "
                                                        "application/strategic-merge-patch+json")
        if not isinstance(patched, dict):
            raise ApiError(422, "Invalid", f'ConfigMap "{name}" is invalid: the patch produced no object')
        meta = patched.get("metadata") or {}
        if isinstance(patch, dict):  # a resourceVersion in the patch is a precondition, as in the API server
            self._check_preconditions(current, ((patch.get("metadata") or {}).get("resourceVersion")), None)
        if meta.get("name") != name:
            raise _invalid("ConfigMap", name, "metadata.name", f'Invalid value: "{meta.get("name")}": field is '
                           "immutable", "FieldValueInvalid")
        obj = {"kind": "ConfigMap", "apiVersion": "v1",
               "metadata": {**_user_metadata(meta), "name": name, "namespace": namespace,
                            "uid": current["metadata"]["uid"],
                            "creationTimestamp": current["metadata"]["creationTimestamp"]}}
        _copy_content(patched, obj)
        _validate_config_map(obj)
        return self._save_config_map(obj)

    def _delete_config_map(self, namespace: str, name: str, body: bytes) -> dict:
        current = self._get_config_map(namespace, name)
        options = _json_body(body) if body.strip() else {}
        preconditions = options.get("preconditions") or {}
        self._check_preconditions(current, preconditions.get("resourceVersion"), preconditions.get("uid"))
        del self._config_maps[(namespace, name)]
        self._revision += 1
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "details": {"name": name, "kind": "configmaps", "uid": current["metadata"]["uid"]}}

    def _check_preconditions(self, current: dict, resource_version, uid) -> None:
        name = current["metadata"]["name"]
        if uid and uid != current["metadata"]["uid"]:
            raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on configmaps "{name}": Precondition '
                                            f'failed: UID in precondition: {uid}, UID in object meta: '
                                            f'{current["metadata"]["uid"]}', {"name": name, "kind": "configmaps"})
        if resource_version and resource_version != current["metadata"]["resourceVersion"]:
            raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on configmaps "{name}": {CONFLICT_TEXT}',
                           {"name": name, "kind": "configmaps"})

    def _save_config_map(self, obj: dict) -> dict:
        self._revision += 1
        obj["metadata"]["resourceVersion"] = str(self._revision)
        meta = obj["metadata"]
        self._config_maps[(meta["namespace"], meta["name"])] = obj
        return _public(obj)

    def _list(self, kind: str, items) -> dict:
        listed = []
        for item in items:
            public = _public(item)
            public.pop("kind", None)
            public.pop("apiVersion", None)
            listed.append(public)
        return {"kind": kind, "apiVersion": "v1", "metadata": {"resourceVersion": str(self._revision)},
                "items": listed}


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """A client that exits with an idle keep-alive connection resets it: not worth a traceback."""
        import sys
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    emulator: KubeEmulator
    protocol_version = "HTTP/1.1"  # keep-alive, as the client's connection pool expects
    # headers and body leave in one segment, without Nagle: otherwise every response waits ~40 ms for a delayed ACK
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        with self.emulator._mutex:
            self.emulator._connections.add(self.connection)

    def finish(self) -> None:
        with self.emulator._mutex:
            self.emulator._connections.discard(self.connection)
        super().finish()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, payload = self.emulator.handle(self.command, self.path, self.headers, body, _peer_name(self.connection))
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, *args) -> None:  # the request log is kept in emulator.requests instead
        pass


# -------- helpers
def _peer_name(connection) -> str | None:
    """The common name of a verified client certificate on a TLS connection."""
    getpeercert = getattr(connection, "getpeercert", None)
    cert = getpeercert() if getpeercert else None
    for rdn in (cert or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return value
    return None


def _workload_body(resource: str, name: str, pod_spec: dict) -> dict:
    """A minimal manifest of `resource` whose pods run `pod_spec`."""
    template = {"metadata": {"labels": {"app": name}}, "spec": pod_spec}
    if resource == "pods":
        spec = pod_spec
    elif resource == "cronjobs":
        spec = {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": template}}}
    elif resource == "jobs":
        spec = {"template": template}
    else:
        spec = {"selector": {"matchLabels": {"app": name}}, "template": template}
    return {"metadata": {"name": name}, "spec": spec}


def _verb(method: str, is_item: bool, query: dict) -> str:
    if method == "GET":
        if query.get("watch", ["false"])[0] in ("true", "1"):
            return "watch"
        return "get" if is_item else "list"
    if method == "POST" and not is_item:
        return "create"
    if method == "PUT" and is_item:
        return "update"
    if method == "PATCH" and is_item:
        return "patch"
    if method == "DELETE":
        return "delete" if is_item else "deletecollection"
    return method.lower()


def _json_body(body: bytes, *, allow_list: bool = False):
    try:
        data = json.loads(body or b"{}")
    except ValueError as err:
        raise ApiError(400, "BadRequest", f"the body of the request could not be decoded as JSON: {err}") from None
    if not isinstance(data, dict) and not (allow_list and isinstance(data, list)):
        raise ApiError(400, "BadRequest", "the body of the request must be a JSON object")
    return data


def _user_metadata(meta: dict) -> dict:
    """Metadata a client may set; the server owns the rest (uid, resourceVersion, timestamps, managedFields)."""
    kept = {}
    for key in ("labels", "annotations", "generateName", "finalizers", "ownerReferences"):
        value = meta.get(key)
        if value:
            kept[key] = copy.deepcopy(value)
    return kept


def _copy_content(source: dict, target: dict) -> None:
    for key in ("data", "binaryData"):
        value = source.get(key)
        if value:
            target[key] = copy.deepcopy(value)
    if source.get("immutable") is not None:
        target["immutable"] = source["immutable"]


def _validate_config_map(obj: dict) -> None:
    meta = obj["metadata"]
    name = meta["name"]
    if not name or len(name) > 253 or not _DNS1123_SUBDOMAIN.match(name):
        raise _invalid("ConfigMap", name, "metadata.name",
                       f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of lower case '
                       "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
                       "FieldValueInvalid")
    annotations = meta.get("annotations") or {}
    for key, value in annotations.items():
        _validate_qualified_key(name, key)
        if not isinstance(value, str):
            raise ApiError(400, "BadRequest", f"json: cannot unmarshal {type(value).__name__} into Go struct field "
                                              f"ObjectMeta.metadata.annotations of type string")
    if sum(len(k) + len(v.encode()) for k, v in annotations.items()) > MAX_ANNOTATIONS_BYTES:
        raise _invalid("ConfigMap", name, "metadata.annotations",
                       f"Too long: must have at most {MAX_ANNOTATIONS_BYTES} bytes", "FieldValueTooLong")
    total = 0
    for field in ("data", "binaryData"):
        for key, value in (obj.get(field) or {}).items():
            if not _CONFIGMAP_KEY.match(key) or len(key) > 253:
                raise _invalid("ConfigMap", name, f"{field}[{key}]",
                               f'Invalid value: "{key}": a valid config key must consist of alphanumeric '
                               "characters, '-', '_' or '.'", "FieldValueInvalid")
            if not isinstance(value, str):
                raise ApiError(400, "BadRequest", f"json: cannot unmarshal {type(value).__name__} into Go struct "
                                                  f"field ConfigMap.{field} of type string")
            total += len(base64.b64decode(value)) if field == "binaryData" else len(value.encode())
    if total > MAX_CONFIGMAP_BYTES:
        raise _invalid("ConfigMap", name, "[]", f"Too long: must have at most {MAX_CONFIGMAP_BYTES} bytes",
                       "FieldValueTooLong")


def _validate_qualified_key(name: str, key: str) -> None:
    prefix, slash, short = key.rpartition("/")
    ok = bool(_QUALIFIED_NAME.match(short)) and len(short) <= 63
    if slash:
        ok = ok and bool(prefix) and len(prefix) <= 253 and bool(_DNS1123_SUBDOMAIN.match(prefix))
    if not ok:
        raise _invalid("ConfigMap", name, "metadata.annotations",
                       f'Invalid value: "{key}": name part must consist of alphanumeric characters, \'-\', \'_\' or '
                       "'.', and must start and end with an alphanumeric character", "FieldValueInvalid")


def _invalid(kind: str, name: str, field: str, detail: str, cause: str) -> ApiError:
    return ApiError(422, "Invalid", f'{kind} "{name}" is invalid: {field}: {detail}',
                    {"name": name, "kind": kind, "causes": [{"reason": cause, "message": detail, "field": field}]})


def _not_found(resource: str, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{resource} "{name}" not found', {"name": name, "kind": resource})


def _public(obj: dict) -> dict:
    """What the API server returns: a copy, with empty maps left out (Go's omitempty)."""
    out = copy.deepcopy(obj)
    meta = out.get("metadata", {})
    for key in ("labels", "annotations"):
        if not meta.get(key):
            meta.pop(key, None)
    for key in ("data", "binaryData"):
        if key in out and not out[key]:
            del out[key]
    return out


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge_patch(result.get(key), value)
    return result


def _strategic_merge_patch(target, patch):
    """Strategic merge patch for objects made of maps (a ConfigMap's metadata, data): a merge patch that also
    honours the `$patch: replace` and `$patch: delete` directives."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get("$patch")
    rest = {k: v for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return None
    if directive == "replace":
        return {k: _strategic_merge_patch(None, v) for k, v in rest.items() if v is not None}
    if directive not in (None, "merge"):
        raise ApiError(422, "Invalid", f"unknown patch type: {directive}")
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in rest.items():
        if value is None:
            result.pop(key, None)
            continue
        merged = _strategic_merge_patch(result.get(key), value)
        if merged is None:
            result.pop(key, None)
        else:
            result[key] = merged
    return result


def _json_patch(document, operations):
    """RFC 6902 JSON patch (add, remove, replace, test, move, copy)."""
    if not isinstance(operations, list):
        raise ApiError(400, "BadRequest", "json patch must be a list of operations")
    doc = copy.deepcopy(document)
    for op in operations:
        kind, path = op.get("op"), op.get("path", "")
        if kind == "test":
            if _pointer_get(doc, path) != op.get("value"):
                raise ApiError(422, "Invalid", f"testing value {path} failed")
        elif kind == "remove":
            doc = _pointer_remove(doc, path)
        elif kind in ("add", "replace"):
            if kind == "replace":
                _pointer_get(doc, path)
            doc = _pointer_set(doc, path, copy.deepcopy(op.get("value")), insert=kind == "add")
        elif kind in ("move", "copy"):
            value = _pointer_get(doc, op.get("from", ""))
            if kind == "move":
                doc = _pointer_remove(doc, op.get("from", ""))
            doc = _pointer_set(doc, path, copy.deepcopy(value), insert=True)
        else:
            raise ApiError(422, "Invalid", f"unexpected json patch operation {kind!r}")
    return doc


def _pointer_tokens(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise ApiError(422, "Invalid", f"invalid JSON pointer {path!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def _pointer_parent(doc, path: str):
    tokens = _pointer_tokens(path)
    if not tokens:
        raise ApiError(422, "Invalid", "cannot address the whole document")
    parent = doc
    for token in tokens[:-1]:
        try:
            parent = parent[int(token)] if isinstance(parent, list) else parent[token]
        except (KeyError, IndexError, ValueError, TypeError):
            raise ApiError(422, "Invalid", f"path {path} does not exist") from None
    return parent, tokens[-1]


def _pointer_get(doc, path: str):
    current = doc
    for token in _pointer_tokens(path):
        try:
            current = current[int(token)] if isinstance(current, list) else current[token]
        except (KeyError, IndexError, ValueError, TypeError):
            raise ApiError(422, "Invalid", f"path {path} does not exist") from None
    return current


def _pointer_set(doc, path: str, value, *, insert: bool):
    if path == "":
        return value
    parent, last = _pointer_parent(doc, path)
    if isinstance(parent, list):
        index = len(parent) if last == "-" else int(last)
        parent.insert(index, value) if insert else parent.__setitem__(index, value)
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise ApiError(422, "Invalid", f"path {path} does not exist")
    return doc


def _pointer_remove(doc, path: str):
    parent, last = _pointer_parent(doc, path)
    try:
        del parent[int(last) if isinstance(parent, list) else last]
    except (KeyError, IndexError, ValueError):
        raise ApiError(422, "Invalid", f"path {path} does not exist") from None
    return doc


# -------- pytest fixtures (import them into a conftest to use them)
@pytest.fixture
def kube_emulator():
    emulator = KubeEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def kubeconfig_path(kube_emulator, tmp_path) -> Path:
    """A kubeconfig whose current context is the emulator (token auth)."""
    return kube_emulator.write_kubeconfig(tmp_path / "kubeconfig")
