"""Parsing `--synchronization` (`$WERF_SYNCHRONIZATION`) addresses, as werf v1.1 does.

    :local                                          file locks and file cache on this host
    kubernetes://NAMESPACE[:CONTEXT][@base64:DATA]  locks and cache in ConfigMaps of NAMESPACE
    kubernetes://NAMESPACE[:CONTEXT][@PATH]

The part after the first "@" is the kubeconfig (inline when it starts with "base64:"); the part before it splits
once on ":" into namespace and context. An empty namespace means `werf-synchronization`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from werf_core.sync.errors import SynchronizationError
from werf_core.sync.kubeconfig import KubeConfigSource

LOCAL = ":local"
KUBERNETES_SCHEME = "kubernetes://"
DEFAULT_NAMESPACE = "werf-synchronization"
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_FORMATS = ":local or kubernetes://NAMESPACE[:CONTEXT][@base64:DATA | @PATH]"


@dataclass(frozen=True)
class SynchronizationAddress:
    text: str
    namespace: str | None = None              # None for :local
    kube: KubeConfigSource | None = None

    @property
    def is_local(self) -> bool:
        return self.namespace is None


def parse_synchronization_address(address: str) -> SynchronizationAddress:
    address = address.strip()
    if address == LOCAL:
        return SynchronizationAddress(LOCAL)
    if address.startswith(KUBERNETES_SCHEME):
        return _parse_kubernetes(address)
    if address.startswith(("http://", "https://")):
        raise SynchronizationError(
            f"--synchronization={address}: werf's HTTP synchronization server is not supported by werf-prefect",
            hint=f"Use {_FORMATS}. Every runner of a project must use the same value.")
    raise SynchronizationError(f"--synchronization={address!r} is not a synchronization address",
                               hint=f"Use {_FORMATS}.")


def _parse_kubernetes(address: str) -> SynchronizationAddress:
    rest = address[len(KUBERNETES_SCHEME):]
    namespace_and_context, _, config = rest.partition("@")
    namespace, _, context = namespace_and_context.partition(":")
    namespace = namespace or DEFAULT_NAMESPACE
    if not _DNS_LABEL.match(namespace):
        raise SynchronizationError(
            f"--synchronization={_redact(address)}: {namespace!r} is not a valid Kubernetes namespace name",
            hint="A namespace is at most 63 lowercase letters, digits and '-', starting and ending with a letter "
                 f"or digit. Format: {_FORMATS}.")
    if config.startswith("base64:"):
        source = KubeConfigSource(config_data_base64=config[len("base64:"):] or None, context=context or None)
    else:
        source = KubeConfigSource(config_path=config or None, context=context or None)
    return SynchronizationAddress(_redact(address), namespace, source)


def with_kube_environment(address: SynchronizationAddress, env: Mapping[str, str] | None = None
                          ) -> SynchronizationAddress:
    """Fill what the address leaves out from werf's kube variables (WERF_KUBE_CONTEXT, WERF_KUBE_CONFIG[_BASE64])."""
    if address.kube is None:
        return address
    env = os.environ if env is None else env
    source = address.kube
    context = source.context or env.get("WERF_KUBE_CONTEXT") or None
    data, path = source.config_data_base64, source.config_path
    if not data and not path:
        data = (env.get("WERF_KUBE_CONFIG_BASE64") or env.get("WERF_KUBECONFIG_BASE64")
                or env.get("KUBECONFIG_BASE64") or None)
        if not data:
            path = env.get("WERF_KUBE_CONFIG") or env.get("WERF_KUBECONFIG") or None
    filled = KubeConfigSource(config_path=path, config_data_base64=data, context=context)
    return SynchronizationAddress(address.text, address.namespace, filled)


def _redact(address: str) -> str:
    """Addresses end up in messages and logs: never print inline kubeconfig data (it holds credentials)."""
    head, sep, config = address.partition("@")
    if sep and config.startswith("base64:"):
        return f"{head}@base64:<redacted>"
    return address
