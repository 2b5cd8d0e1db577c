"""What a builder asks of the build container, independent of how the container is run.

A stage kind (or a builder such as shell or ansible) describes the work as `ContainerInstructions`; the container
runner (werf_core/builders/container.py) merges the instructions of one stage, starts one container from the previous
stage image with the toolchain mounted read-only at /.werf/stapel, runs the commands with the toolchain's shell
(`set -e`, one command per line), and commits the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TOOLCHAIN_MOUNT = "/.werf/stapel"
TOOLCHAIN_SHELL = f"{TOOLCHAIN_MOUNT}/bin/sh"


@dataclass
class Bind:
    host_path: str
    container_path: str
    read_only: bool = True


@dataclass
class ContainerInstructions:
    # extra containers whose volumes are mounted (read-only), e.g. the ansible runtime
    volumes_from: list[str] = field(default_factory=list)
    binds: list[Bind] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    # shell command lines, run in order by the toolchain shell with `set -e`; each may be a user command
    commands: list[str] = field(default_factory=list)
    # werf's own commands run after `commands` (not steps of the stage; their failures are ignored), e.g. reporting
    # facts the committed image's labels record
    report_commands: list[str] = field(default_factory=list)
    # labels to put on the committed stage image
    labels: dict[str, str] = field(default_factory=dict)
    # image config set by the stage (the docker: directive): Dockerfile-style changes for `docker commit`
    # (ENV, EXPOSE, VOLUME, WORKDIR, HEALTHCHECK, LABEL) and overrides of the inherited ENTRYPOINT/CMD/USER
    changes: list[str] = field(default_factory=list)
    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    user: str | None = None

    def merge(self, other: ContainerInstructions) -> ContainerInstructions:
        return ContainerInstructions(
            volumes_from=[*self.volumes_from, *[v for v in other.volumes_from if v not in self.volumes_from]],
            binds=[*self.binds, *other.binds],
            env={**self.env, **other.env},
            commands=[*self.commands, *other.commands],
            report_commands=[*self.report_commands, *other.report_commands],
            labels={**self.labels, **other.labels},
            changes=[*self.changes, *other.changes],
            entrypoint=other.entrypoint if other.entrypoint is not None else self.entrypoint,
            cmd=other.cmd if other.cmd is not None else self.cmd,
            user=other.user if other.user is not None else self.user,
        )
