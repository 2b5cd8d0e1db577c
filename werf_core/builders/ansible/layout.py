"""Where things are inside build containers of ansible stages (fixed paths, shared by the runtime and the builder)."""

from __future__ import annotations

# the self-contained runtime (a volume of the runtime container, mounted read-only)
RUNTIME_MOUNT = "/.werf/ansible"
RUNTIME_SHELL = f"{RUNTIME_MOUNT}/bin/sh"
RUNTIME_PYTHON = f"{RUNTIME_MOUNT}/bin/python3"
RUNTIME_SU = f"{RUNTIME_MOUNT}/bin/su"
ANSIBLE_PLAYBOOK = f"{RUNTIME_MOUNT}/bin/ansible-playbook"
CALLBACK_PLUGINS = f"{RUNTIME_MOUNT}/plugins/callback"
BECOME_PLUGINS = f"{RUNTIME_MOUNT}/plugins/become"
STDOUT_CALLBACK = "werf_live"
BECOME_METHOD = "werf_su"

# per stage: the playbook, inventory and config (host directory, read-only) and scratch space (read-write)
WORKDIR_MOUNT = "/.werf/ansible-workdir"
TMPDIR_MOUNT = "/.werf/ansible-tmpdir"
