"""Reading a kubeconfig (or a pod's service account) into what one API connection needs: `ClusterAccess`.

Supported, as kubectl reads them: files (one, or a $KUBECONFIG list merged first-wins), inline base64 data, the
current or a named context; clusters' `server`, `certificate-authority[-data]`, `insecure-skip-tls-verify`,
`tls-server-name`, `proxy-url`; users' `token`, `tokenFile`, `client-certificate[-data]`, `client-key[-data]`,
`username`/`password`, `exec` credential plugins (see kube_exec.py) and the `oidc` auth provider's `id-token`.
Relative file paths are relative to the kubeconfig file that names them. Inside a pod with no kubeconfig, the pod's
service account (token re-read as it rotates, the cluster CA).

Credentials never appear in messages: errors name the kubeconfig, the context and the field, not values.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werf_core.sync.errors import SynchronizationError

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
_CONFIG_HINT = ("Check the context name and the kubeconfig given in --synchronization "
                "(kubernetes://NAMESPACE[:CONTEXT][@base64:DATA | @PATH]).")
_SUPPORTED_AUTH = "token, tokenFile, client certificates, username/password, exec plugins or the oidc id-token"


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


@dataclass(frozen=True)
class PemSource:
    """PEM from a file or inline (the `-data` fields, base64-decoded)."""

    path: Path | None = None
    data: bytes | None = None

    def read(self, what: str) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        try:
            return self.path.read_bytes()
        except OSError as err:
            raise SynchronizationError(f"Kubernetes synchronization: cannot read the {what} {self.path}: "
                                       f"{err.strerror}", hint=_CONFIG_HINT) from None


@dataclass(frozen=True)
class ExecPlugin:
    """users[].user.exec of a kubeconfig (client.authentication.k8s.io ExecConfig)."""

    command: str
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    api_version: str = "client.authentication.k8s.io/v1"
    install_hint: str = ""
    provide_cluster_info: bool = False
    interactive_mode: str = "IfAvailable"
    base_dir: Path | None = None      # where a relative command path is resolved (the kubeconfig's directory)


@dataclass(frozen=True)
class ClusterAccess:
    """Everything needed to talk to one API server as one user. `repr` never shows credentials."""

    server: str
    ca: PemSource | None = None
    insecure_skip_tls_verify: bool = False
    tls_server_name: str | None = None
    proxy_url: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    token_file: Path | None = None
    client_certificate: PemSource | None = field(default=None, repr=False)
    client_key: PemSource | None = field(default=None, repr=False)
    basic_auth: tuple[str, str] | None = field(default=None, repr=False)
    exec_plugin: ExecPlugin | None = None
    cluster_info: dict[str, Any] = field(default_factory=dict, repr=False)   # for exec plugins that ask for it
    origin: str = ""                   # where this came from, for messages


def load_cluster_access(source: KubeConfigSource, environ: os._Environ[str] | dict[str, str] | None = None,
                        service_account_dir: Path = SERVICE_ACCOUNT_DIR) -> ClusterAccess:
    """The access `source` describes; inside a pod without any kubeconfig, the pod's service account."""
    env = os.environ if environ is None else environ
    if source.config_data_base64:
        return _access_from_config(decode_inline_config(source), source, None)
    path_list = source.config_path or env.get("KUBECONFIG") or "~/.kube/config"
    paths = [Path(os.path.expanduser(p)) for p in path_list.split(os.pathsep) if p]
    first = paths[0] if paths else Path(os.path.expanduser("~/.kube/config"))
    if not source.config_path and not first.exists() and env.get("KUBERNETES_SERVICE_HOST"):
        return in_cluster_access(env, service_account_dir)
    if not first.exists():
        raise SynchronizationError(
            f"Kubernetes synchronization: kubeconfig {first} does not exist",
            hint="Give the kubeconfig in the address (kubernetes://NAMESPACE[:CONTEXT]@/path/to/config or "
                 "@base64:DATA) or set KUBECONFIG.")
    return _access_from_config(_merged_files([p for p in paths if p == first or p.exists()], source), source, None)


def in_cluster_access(env: os._Environ[str] | dict[str, str], service_account_dir: Path) -> ClusterAccess:
    host, port = env.get("KUBERNETES_SERVICE_HOST", ""), env.get("KUBERNETES_SERVICE_PORT", "443")
    token, ca = service_account_dir / "token", service_account_dir / "ca.crt"
    if not token.is_file():
        raise SynchronizationError(f"Kubernetes synchronization: running in a pod (KUBERNETES_SERVICE_HOST is set) "
                                   f"but there is no service account token at {token}",
                                   hint="Mount the service account token (automountServiceAccountToken: true) or "
                                        "give a kubeconfig in --synchronization.")
    if ":" in host:
        host = f"[{host}]"   # IPv6
    return ClusterAccess(server=f"https://{host}:{port}", ca=PemSource(path=ca) if ca.exists() else None,
                         token_file=token, origin="the pod's service account")


def decode_inline_config(source: KubeConfigSource) -> dict[str, Any]:
    import yaml
    try:
        text = base64.b64decode(source.config_data_base64 or "", validate=True).decode()
        data = yaml.safe_load(text)
    except (binascii.Error, UnicodeDecodeError, yaml.YAMLError) as err:
        raise SynchronizationError(f"Kubernetes synchronization: the inline kubeconfig (@base64:...) is not "
                                   f"base64 of a YAML kubeconfig: {_no_values(err)}",
                                   hint="Encode it with `base64 -w0 ~/.kube/config`.") from None
    if not isinstance(data, dict):
        raise SynchronizationError("Kubernetes synchronization: the inline kubeconfig (@base64:...) is not a "
                                   "kubeconfig mapping", hint="Encode it with `base64 -w0 ~/.kube/config`.")
    return data


def _no_values(err: Exception) -> str:
    """A YAML error's first line only: later lines quote the document (which may hold credentials)."""
    return str(err).splitlines()[0] if str(err) else type(err).__name__


def _merged_files(paths: list[Path], source: KubeConfigSource) -> dict[str, Any]:
    """kubectl's merge of a $KUBECONFIG list: the first file that names a cluster/user/context or the current
    context wins. Each named entry remembers its file's directory, for relative paths in it."""
    import yaml
    merged: dict[str, Any] = {"clusters": [], "users": [], "contexts": []}
    seen: dict[str, set[str]] = {"clusters": set(), "users": set(), "contexts": set()}
    for path in paths:
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except OSError as err:
            raise SynchronizationError(f"Kubernetes synchronization: cannot read kubeconfig {path}: {err.strerror}",
                                       hint=_CONFIG_HINT) from None
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            raise SynchronizationError(f"Kubernetes synchronization: kubeconfig {path} is not valid YAML: "
                                       f"{_no_values(err)}", hint=_CONFIG_HINT) from None
        if not isinstance(data, dict):
            raise SynchronizationError(f"Kubernetes synchronization: kubeconfig {path} is not a kubeconfig mapping",
                                       hint=_CONFIG_HINT)
        if not merged.get("current-context") and data.get("current-context"):
            merged["current-context"] = data["current-context"]
        for kind in ("clusters", "users", "contexts"):
            for entry in data.get(kind) or []:
                if isinstance(entry, dict) and isinstance(entry.get("name"), str) and entry["name"] not in seen[kind]:
                    seen[kind].add(entry["name"])
                    merged[kind].append({**entry, "_dir": path.resolve().parent})
    return merged


def _access_from_config(config: dict[str, Any], source: KubeConfigSource, base_dir: Path | None) -> ClusterAccess:
    def fail(problem: str) -> SynchronizationError:
        return SynchronizationError(f"Kubernetes synchronization: cannot use {source.describe()}: {problem}",
                                    hint=_CONFIG_HINT)

    def named(kind: str, name: Any) -> dict[str, Any]:
        for entry in config.get(kind) or []:
            if isinstance(entry, dict) and entry.get("name") == name:
                return entry
        known = ", ".join(str(e.get("name")) for e in config.get(kind) or [] if isinstance(e, dict))
        raise fail(f"{kind[:-1]} {name!r} is not in the kubeconfig (it has: {known or 'none'})")

    context_name = source.context or config.get("current-context")
    if not context_name:
        raise fail("the kubeconfig has no current-context; name a context")
    context_entry = named("contexts", context_name)
    context = context_entry.get("context") or {}
    if not isinstance(context, dict) or not context.get("cluster"):
        raise fail(f"context {context_name!r} names no cluster")
    cluster_entry = named("clusters", context["cluster"])
    cluster = cluster_entry.get("cluster") or {}
    user_entry = named("users", context["user"]) if context.get("user") else {"user": {}}
    user = user_entry.get("user") or {}
    if not isinstance(cluster, dict) or not isinstance(user, dict):
        raise fail(f"context {context_name!r}: malformed cluster or user entry")
    server = cluster.get("server")
    if not isinstance(server, str) or not server.startswith(("https://", "http://")):
        raise fail(f"cluster {context['cluster']!r} has no https:// or http:// server")
    cluster_dir = cluster_entry.get("_dir") or base_dir
    user_dir = user_entry.get("_dir") or base_dir

    def pem(obj: dict[str, Any], file_key: str, data_key: str, directory: Path | None) -> PemSource | None:
        if obj.get(data_key):
            try:
                return PemSource(data=base64.b64decode(str(obj[data_key]), validate=False))
            except (binascii.Error, ValueError):
                raise fail(f"{data_key} is not base64") from None
        if obj.get(file_key):
            return PemSource(path=_resolve(str(obj[file_key]), directory))
        return None

    if user.get("auth-provider"):
        provider = user["auth-provider"] if isinstance(user["auth-provider"], dict) else {}
        if provider.get("name") != "oidc" or not (provider.get("config") or {}).get("id-token"):
            raise fail(f"the auth-provider {provider.get('name')!r} of user {context.get('user')!r} is not supported "
                       f"(kubectl dropped auth providers too); use an exec credential plugin "
                       f"(e.g. gke-gcloud-auth-plugin, kubelogin) or {_SUPPORTED_AUTH}")
    token = user.get("token") or ((user.get("auth-provider") or {}).get("config") or {}).get("id-token")
    basic = None
    if user.get("username") and user.get("password"):
        basic = (str(user["username"]), str(user["password"]))
    exec_plugin = _exec_plugin(user.get("exec"), user_dir, fail) if user.get("exec") else None
    # client.authentication.k8s.io Cluster, as exec plugins that ask for it (provideClusterInfo) receive it
    cluster_info = {key: value for key, value in cluster.items() if key in (
        "server", "tls-server-name", "insecure-skip-tls-verify", "certificate-authority-data", "proxy-url")}
    for extension in cluster.get("extensions") or []:
        if isinstance(extension, dict) and extension.get("name") == "client.authentication.k8s.io/exec":
            cluster_info["config"] = extension.get("extension")
    return ClusterAccess(
        server=server.rstrip("/"),
        ca=pem(cluster, "certificate-authority", "certificate-authority-data", cluster_dir),
        insecure_skip_tls_verify=bool(cluster.get("insecure-skip-tls-verify")),
        tls_server_name=cluster.get("tls-server-name") or None,
        proxy_url=cluster.get("proxy-url") or None,
        token=str(token) if token else None,
        token_file=_resolve(str(user["tokenFile"]), user_dir) if user.get("tokenFile") and not token else None,
        client_certificate=pem(user, "client-certificate", "client-certificate-data", user_dir),
        client_key=pem(user, "client-key", "client-key-data", user_dir),
        basic_auth=basic,
        exec_plugin=exec_plugin,
        cluster_info=cluster_info,
        origin=source.describe(),
    )


def _exec_plugin(spec: Any, directory: Path | None, fail: Any) -> ExecPlugin:
    if not isinstance(spec, dict) or not isinstance(spec.get("command"), str) or not spec["command"]:
        raise fail("the user's exec plugin names no command")
    env = []
    for item in spec.get("env") or []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            env.append((item["name"], str(item.get("value") or "")))
    return ExecPlugin(command=spec["command"], args=tuple(str(a) for a in spec.get("args") or []), env=tuple(env),
                      api_version=str(spec.get("apiVersion") or "client.authentication.k8s.io/v1"),
                      install_hint=str(spec.get("installHint") or ""),
                      provide_cluster_info=bool(spec.get("provideClusterInfo")),
                      interactive_mode=str(spec.get("interactiveMode") or "IfAvailable"), base_dir=directory)


def _resolve(path: str, directory: Path | None) -> Path:
    expanded = Path(os.path.expanduser(path))
    if expanded.is_absolute() or directory is None:
        return expanded
    return directory / expanded
