"""Exec credential plugins (kubeconfig `users[].user.exec`): run the command, read its ExecCredential.

As client-go does: `KUBERNETES_EXEC_INFO` tells the plugin the API version, that nobody can answer a prompt
(`interactive: false`: builds run unattended) and, when asked for, the cluster; the answer is a bearer token or a
client certificate and key, kept until its `expirationTimestamp` (or until the server answers 401). A plugin gets a
bounded time; its error output is shown shortened (it explains a login problem; it never holds the credential).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from werf_core.sync.errors import SynchronizationError
from werf_core.sync.kubeconfig import ExecPlugin

EXEC_TIMEOUT = 60.0
EXPIRY_MARGIN = 10.0       # renew this many seconds before the credential says it expires
MAX_OUTPUT = 1024 * 1024


@dataclass(frozen=True)
class ExecCredential:
    token: str | None = field(default=None, repr=False)
    client_certificate: bytes | None = field(default=None, repr=False)
    client_key: bytes | None = field(default=None, repr=False)
    expires_at: float | None = None      # Unix time; None: valid until the server says 401

    def fresh(self, now: float) -> bool:
        return self.expires_at is None or now < self.expires_at - EXPIRY_MARGIN


def run_exec_plugin(plugin: ExecPlugin, cluster_info: dict[str, Any], *, timeout: float = EXEC_TIMEOUT
                    ) -> ExecCredential:
    name = os.path.basename(plugin.command)
    if plugin.interactive_mode == "Always":
        raise SynchronizationError(f"Kubernetes synchronization: the exec credential plugin {name} needs an "
                                   f"interactive terminal (interactiveMode: Always), which a build does not have",
                                   hint="Log in beforehand or use a non-interactive credential (a service account "
                                        "token or a plugin mode that works unattended).")
    command = _command_path(plugin)
    spec: dict[str, Any] = {"interactive": False}
    if plugin.provide_cluster_info:
        spec["cluster"] = cluster_info
    info = {"apiVersion": plugin.api_version, "kind": "ExecCredential", "spec": spec}
    env = {**os.environ, **dict(plugin.env), "KUBERNETES_EXEC_INFO": json.dumps(info)}
    try:
        done = subprocess.run([command, *plugin.args], env=env, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout, check=False)
    except FileNotFoundError:
        raise SynchronizationError(f"Kubernetes synchronization: the exec credential plugin {plugin.command} of the "
                                   f"kubeconfig is not installed",
                                   hint=plugin.install_hint.strip() or "Install it, or put it on PATH.") from None
    except subprocess.TimeoutExpired:
        raise SynchronizationError(f"Kubernetes synchronization: the exec credential plugin {name} did not answer "
                                   f"within {timeout:g} s", hint="Does it wait for a login? Log in beforehand.") from None
    except OSError as err:
        raise SynchronizationError(f"Kubernetes synchronization: cannot run the exec credential plugin {name}: "
                                   f"{err.strerror}", hint="Check the command of the kubeconfig's exec entry.") from None
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        tail = f": {said[-1][:300]}" if said else ""
        raise SynchronizationError(f"Kubernetes synchronization: the exec credential plugin {name} failed "
                                   f"(exit {done.returncode}){tail}",
                                   hint="Run it by hand to see why (an expired login?).")
    return parse_exec_credential(done.stdout[:MAX_OUTPUT], name, plugin.api_version)


def parse_exec_credential(output: bytes, name: str, api_version: str) -> ExecCredential:
    def fail(problem: str) -> SynchronizationError:
        return SynchronizationError(f"Kubernetes synchronization: the exec credential plugin {name} answered "
                                    f"{problem}", hint="Update the plugin, or check the apiVersion of the "
                                                       "kubeconfig's exec entry.")
    try:
        answer = json.loads(output)
    except ValueError:
        raise fail("something that is not JSON") from None
    if not isinstance(answer, dict) or answer.get("kind") != "ExecCredential":
        raise fail("no ExecCredential")
    if answer.get("apiVersion") != api_version:
        raise fail(f"apiVersion {str(answer.get('apiVersion'))[:80]!r}, but the kubeconfig asked for {api_version!r}")
    status = answer.get("status")
    if not isinstance(status, dict):
        raise fail("an ExecCredential without status")
    token = status.get("token")
    cert, key = status.get("clientCertificateData"), status.get("clientKeyData")
    if bool(cert) != bool(key):
        raise fail("only one of clientCertificateData and clientKeyData")
    if not token and not cert:
        raise fail("neither a token nor a client certificate")
    expires_at = None
    if status.get("expirationTimestamp"):
        try:
            stamp = datetime.fromisoformat(str(status["expirationTimestamp"]).replace("Z", "+00:00"))
        except ValueError:
            raise fail("an unreadable expirationTimestamp") from None
        expires_at = (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()
    return ExecCredential(token=str(token) if token else None,
                          client_certificate=str(cert).encode() if cert else None,
                          client_key=str(key).encode() if key else None, expires_at=expires_at)


def _command_path(plugin: ExecPlugin) -> str:
    """client-go: a command with a path separator is relative to the kubeconfig's directory; else looked up on
    PATH."""
    command = os.path.expanduser(plugin.command)
    if os.sep in command and not os.path.isabs(command) and plugin.base_dir is not None:
        return str(plugin.base_dir / command)
    return shutil.which(command) or command
