"""The files an ansible stage runs from: the playbook, the inventory, ansible.cfg and the scratch folders."""

from __future__ import annotations

import configparser
import stat
from pathlib import Path

import yaml

from werf_core.builders.ansible.builder import AnsibleBuilder
from werf_core.builders.ansible.layout import ANSIBLE_PLAYBOOK, TMPDIR_MOUNT, WORKDIR_MOUNT
from werf_core.builders.ansible.runtime.image import RuntimeInfo
from werf_core.builders.ansible.workdir import write_workdir

TASKS = [
    {"name": "first", "shell": "echo {{ item }}", "with_items": ["a"]},
    {"file": {"path": "/x", "state": "touch"}, "tags": "mine, other"},
    {"block": [{"debug": {"msg": "in block"}}], "tags": ["blocktag"]},
]


class FixedRuntime:
    """Stands for an existing runtime container; the builder only needs its name."""

    def __init__(self):
        self.calls = 0

    def ensure(self) -> RuntimeInfo:
        self.calls += 1
        return RuntimeInfo("v1", "werf-prefect/ansible-runtime:v1", "werf-prefect-ansible-runtime-v1", built=False)


def test_playbook_runs_all_hosts_without_facts_and_tags_each_task_with_its_index(tmp_path):
    write_workdir(tmp_path, "install", TASKS)
    [play] = yaml.safe_load((tmp_path / "playbook.yml").read_text())
    assert play["hosts"] == "all" and play["gather_facts"] is False
    assert play["name"] == "werf stage install"
    tasks = play["tasks"]
    assert tasks[0]["tags"] == ["task_0"]
    assert tasks[1]["tags"] == ["mine", "other", "task_1"]
    assert tasks[2]["tags"] == ["blocktag", "task_2"]
    assert tasks[0]["shell"] == "echo {{ item }}"  # Jinja reaches ansible untouched
    assert TASKS[1]["tags"] == "mine, other"  # the caller's tasks are not modified


def test_inventory_and_config_point_into_the_runtime_and_scratch_space(tmp_path):
    write_workdir(tmp_path, "setup", TASKS)
    hosts = (tmp_path / "hosts").read_text()
    assert hosts.startswith("localhost ansible_connection=local")
    assert "ansible_python_interpreter=/.werf/ansible/bin/python3" in hosts
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(tmp_path / "ansible.cfg")
    d = cfg["defaults"]
    assert d["inventory"] == f"{WORKDIR_MOUNT}/hosts"
    assert d["stdout_callback"] == "werf_live" and d["callback_plugins"] == "/.werf/ansible/plugins/callback"
    assert d["executable"] == "/.werf/ansible/bin/sh"
    for key in ("home", "local_tmp", "remote_tmp", "system_tmpdirs"):
        assert d[key].startswith(TMPDIR_MOUNT + "/"), key
    assert cfg["privilege_escalation"]["become_method"] == "werf_su"
    assert cfg["privilege_escalation"]["become_exe"] == "/.werf/ansible/bin/su"


def test_scratch_space_is_writable_for_become_users(tmp_path):
    tmp = write_workdir(tmp_path, "setup", TASKS)
    assert tmp == tmp_path / "tmp"
    mode = (tmp / "remote").stat().st_mode
    assert stat.S_IMODE(mode) == 0o1777
    assert stat.S_IMODE((tmp / "local").stat().st_mode) == 0o700


def test_builder_instructions(tmp_path, monkeypatch):
    monkeypatch.delenv("WERF_DEBUG_ANSIBLE_ARGS", raising=False)
    runtime = FixedRuntime()
    instructions = AnsibleBuilder(runtime).instructions("beforeSetup", TASKS, tmp_path / "work")
    assert runtime.calls == 1
    assert instructions.volumes_from == ["werf-prefect-ansible-runtime-v1:ro"]
    binds = {b.container_path: b for b in instructions.binds}
    assert binds[WORKDIR_MOUNT].read_only and Path(binds[WORKDIR_MOUNT].host_path) == (tmp_path / "work").resolve()
    assert not binds[TMPDIR_MOUNT].read_only
    assert Path(binds[TMPDIR_MOUNT].host_path) == (tmp_path / "work" / "tmp").resolve()
    assert instructions.env == {"ANSIBLE_CONFIG": f"{WORKDIR_MOUNT}/ansible.cfg"}
    assert instructions.commands == [f"{ANSIBLE_PLAYBOOK} {WORKDIR_MOUNT}/playbook.yml"]
    assert (tmp_path / "work" / "playbook.yml").exists()


def test_debug_args_from_werf_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("WERF_DEBUG_ANSIBLE_ARGS", "-vvv --diff")
    instructions = AnsibleBuilder(FixedRuntime()).instructions("install", TASKS, tmp_path)
    assert instructions.commands[0].endswith("playbook.yml -vvv --diff")
