"""The ansible builder: turns one stage's tasks into `ContainerInstructions` for the container runner."""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werf_core.builders.ansible.layout import ANSIBLE_PLAYBOOK, TMPDIR_MOUNT, WORKDIR_MOUNT
from werf_core.builders.ansible.workdir import CONFIG, PLAYBOOK, write_workdir
from werf_core.builders.instructions import Bind, ContainerInstructions

if TYPE_CHECKING:
    import docker

    from werf_core.builders.ansible.runtime.image import AnsibleRuntime

DEBUG_ARGS_ENV = "WERF_DEBUG_ANSIBLE_ARGS"  # werf's knob: extra ansible-playbook arguments, e.g. "-vvv"


class AnsibleBuilder:
    """Runs ansible stages with the self-contained runtime (built lazily on first use).

    `runtime` is anything with `ensure() -> RuntimeInfo`, normally `AnsibleRuntime(docker_client)`.
    """

    def __init__(self, runtime: AnsibleRuntime) -> None:
        self.runtime = runtime

    @classmethod
    def for_engine(cls, client: docker.DockerClient) -> AnsibleBuilder:
        from werf_core.builders.ansible.runtime.image import AnsibleRuntime

        return cls(AnsibleRuntime(client))

    def instructions(self, stage: str, tasks: list[dict[str, Any]], workdir: Path) -> ContainerInstructions:
        """Write the stage's playbook into `workdir` (the caller removes it afterwards) and describe the container."""
        runtime = self.runtime.ensure()
        tmp = write_workdir(Path(workdir), stage, tasks)
        command = [ANSIBLE_PLAYBOOK, f"{WORKDIR_MOUNT}/{PLAYBOOK}", *shlex.split(os.environ.get(DEBUG_ARGS_ENV, ""))]
        return ContainerInstructions(
            volumes_from=[f"{runtime.container}:ro"],
            binds=[Bind(str(Path(workdir).resolve()), WORKDIR_MOUNT, read_only=True),
                   Bind(str(tmp.resolve()), TMPDIR_MOUNT, read_only=False)],
            # the runner exports these in the build script only; they never reach the committed image
            env={"ANSIBLE_CONFIG": f"{WORKDIR_MOUNT}/{CONFIG}"},
            commands=[shlex.join(command)],
        )
