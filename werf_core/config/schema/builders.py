"""`shell:` and `ansible:` — the commands of the four user stages (beforeInstall, install, beforeSetup, setup)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator

from werf_core.config.schema.base import StrList, WerfModel, YamlStr, describe_value, werf_error
from werf_core.config.yaml_documents import plain

USER_STAGES = ("beforeInstall", "install", "beforeSetup", "setup")


class _UserStages(WerfModel):
    cache_version: YamlStr | None = None
    before_install_cache_version: YamlStr | None = None
    install_cache_version: YamlStr | None = None
    before_setup_cache_version: YamlStr | None = None
    setup_cache_version: YamlStr | None = None

    def stage_cache_version(self, stage: str) -> str | None:
        """The `<stage>CacheVersion` for "beforeInstall", "install", "beforeSetup" or "setup"."""
        return {"beforeInstall": self.before_install_cache_version, "install": self.install_cache_version,
                "beforeSetup": self.before_setup_cache_version, "setup": self.setup_cache_version}[stage]


class Shell(_UserStages):
    """Shell commands per user stage (a string or a list of strings each)."""

    before_install: StrList = ()
    install: StrList = ()
    before_setup: StrList = ()
    setup: StrList = ()

    def commands(self, stage: str) -> tuple[str, ...]:
        return {"beforeInstall": self.before_install, "install": self.install,
                "beforeSetup": self.before_setup, "setup": self.setup}[stage]


def _task_list(value: Any) -> Any:
    """A list of Ansible tasks, each a mapping; kept as plain dicts in the written order for the Ansible builder."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise werf_error(f"expected a list of Ansible tasks, got {describe_value(value)}")
    for index, task in enumerate(value):
        if not isinstance(task, dict):
            raise werf_error(f"Ansible task #{index + 1} must be a mapping (e.g. `- name: ...` with a module like "
                             f"`shell: ...`), got {describe_value(task)}", key=index)
    return tuple(plain(task) for task in value)


AnsibleTasks = Annotated[tuple[dict[str, Any], ...], BeforeValidator(_task_list)]


class Ansible(_UserStages):
    """Ansible tasks per user stage. Which modules a task may use is checked by the Ansible builder."""

    before_install: AnsibleTasks = ()
    install: AnsibleTasks = ()
    before_setup: AnsibleTasks = ()
    setup: AnsibleTasks = ()

    def tasks(self, stage: str) -> tuple[dict[str, Any], ...]:
        return {"beforeInstall": self.before_install, "install": self.install,
                "beforeSetup": self.before_setup, "setup": self.setup}[stage]
