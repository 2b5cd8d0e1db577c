"""The files one ansible stage needs: playbook.yml, hosts and ansible.cfg, plus its scratch folders.

The work dir is bound read-only at /.werf/ansible-workdir; its `tmp/` sub-folder is bound read-write at
/.werf/ansible-tmpdir and holds everything Ansible writes while it runs (its temp files, its ANSIBLE_HOME), so nothing
of Ansible's own ends up in the committed stage image.
"""

from __future__ import annotations

import configparser
import io
import os
from pathlib import Path
from typing import Any

from werf_core.builders.ansible.layout import (
    BECOME_METHOD,
    BECOME_PLUGINS,
    CALLBACK_PLUGINS,
    RUNTIME_PYTHON,
    RUNTIME_SHELL,
    RUNTIME_SU,
    STDOUT_CALLBACK,
    TMPDIR_MOUNT,
    WORKDIR_MOUNT,
)

PLAYBOOK = "playbook.yml"
INVENTORY = "hosts"
CONFIG = "ansible.cfg"
TMP = "tmp"
TASK_TAG_FORMAT = "task_{index}"


def _with_tag(task: dict[str, Any], index: int) -> dict[str, Any]:
    """A copy of the task whose tags also carry its werf.yaml index (blocks pass tags on to their tasks)."""
    tagged = dict(task)
    tags = tagged.get("tags")
    if tags is None:
        tags = []
    elif isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    else:
        tags = list(tags)
    tagged["tags"] = [*tags, TASK_TAG_FORMAT.format(index=index)]
    return tagged


def playbook_document(stage: str, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{
        "name": f"werf stage {stage}",
        "hosts": "all",
        "gather_facts": False,
        "tasks": [_with_tag(task, index) for index, task in enumerate(tasks)],
    }]


def inventory_text() -> str:
    return f"localhost ansible_connection=local ansible_python_interpreter={RUNTIME_PYTHON}\n"


def config_text() -> str:
    cfg = configparser.ConfigParser(interpolation=None)
    cfg["defaults"] = {
        "inventory": f"{WORKDIR_MOUNT}/{INVENTORY}",
        "transport": "local",
        "gathering": "explicit",
        "retry_files_enabled": "False",
        "stdout_callback": STDOUT_CALLBACK,
        "callback_plugins": CALLBACK_PLUGINS,
        "become_plugins": BECOME_PLUGINS,
        "executable": RUNTIME_SHELL,
        "interpreter_python": RUNTIME_PYTHON,
        # everything Ansible writes goes to the read-write scratch bind, never into the image
        "home": f"{TMPDIR_MOUNT}/home",
        "local_tmp": f"{TMPDIR_MOUNT}/local",
        "remote_tmp": f"{TMPDIR_MOUNT}/remote",
        # used instead of remote_tmp when a task becomes an unprivileged user; must be reachable by that user
        "system_tmpdirs": f"{TMPDIR_MOUNT}/remote",
        "module_compression": "ZIP_STORED",
        "nocolor": "True",
        "deprecation_warnings": "False",
        "localhost_warning": "False",
        "collections_scan_sys_path": "False",
    }
    cfg["privilege_escalation"] = {
        # as in werf: become is on, so `become_user:` alone switches users; becoming root (ourselves) is a no-op
        "become": "True",
        "become_method": BECOME_METHOD,
        "become_exe": RUNTIME_SU,
    }
    cfg["connection"] = {
        # modules are fed to Python on stdin instead of being written to temp files first: fewer commands per task
        "pipelining": "True",
    }
    out = io.StringIO()
    cfg.write(out)
    return out.getvalue()


def write_workdir(workdir: Path, stage: str, tasks: list[dict[str, Any]]) -> Path:
    """Write the stage's files into `workdir`; return the scratch folder to bind read-write."""
    import yaml

    workdir.mkdir(parents=True, exist_ok=True)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    (workdir / PLAYBOOK).write_text(
        yaml.dump(playbook_document(stage, tasks), Dumper=dumper, sort_keys=False, allow_unicode=True),
        encoding="utf-8")
    (workdir / INVENTORY).write_text(inventory_text(), encoding="utf-8")
    (workdir / CONFIG).write_text(config_text(), encoding="utf-8")
    tmp = workdir / TMP
    for sub, mode in (("local", 0o700), ("home", 0o700), ("remote", 0o1777)):
        path = tmp / sub
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, mode)  # mkdir's mode is filtered by the umask; the sticky, world-writable bit must stick
    os.chmod(tmp, 0o755)
    return tmp
