"""Dispatch to the image's builder (shell or ansible) for a user stage's checksum and container instructions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from werf_core.builders.instructions import ContainerInstructions
from werf_core.stages.spec import BuilderKind, ImageSpec, UserStageSpec

if TYPE_CHECKING:
    import docker


def _stage(spec: ImageSpec, stage: str) -> UserStageSpec:
    return spec.user_stages.get(stage) or UserStageSpec()


def checksum(spec: ImageSpec, stage: str) -> str:
    user = _stage(spec, stage)
    if spec.builder == BuilderKind.SHELL:
        from werf_core.builders.shell import shell_stage_checksum
        return shell_stage_checksum(list(user.items), user.stage_cache_version, spec.cache_version)
    if spec.builder == BuilderKind.ANSIBLE:
        from werf_core.builders.ansible import ansible_stage_checksum
        return ansible_stage_checksum(list(user.items), user.stage_cache_version or None, spec.cache_version or None)
    return ""


def instructions(spec: ImageSpec, stage: str, work_dir: Path,
                 docker_client: Callable[[], docker.DockerClient]) -> ContainerInstructions:
    user = _stage(spec, stage)
    if spec.builder == BuilderKind.SHELL:
        from werf_core.builders.shell import shell_instructions
        return shell_instructions(list(user.items))
    if spec.builder == BuilderKind.ANSIBLE:
        from werf_core.builders.ansible import AnsibleBuilder, validate_ansible_tasks
        validate_ansible_tasks(list(user.items), image=spec.display_name, stage=stage, check_runtime=True)
        work_dir.mkdir(parents=True, exist_ok=True)
        return AnsibleBuilder.for_engine(docker_client()).instructions(stage, list(user.items), work_dir)
    return ContainerInstructions()


def failure_describer(spec: ImageSpec) -> Callable[[str], str] | None:
    """How a failed user stage is reported: ansible names the failed task; shell output names the command."""
    if spec.builder == BuilderKind.ANSIBLE:
        from werf_core.builders.ansible import describe_ansible_failure
        return describe_ansible_failure
    return None


def validate(spec: ImageSpec) -> None:
    """Builder-specific checks when the config is loaded (ansible: one supported module per task)."""
    if spec.builder == BuilderKind.ANSIBLE:
        from werf_core.builders.ansible import validate_ansible_tasks
        for stage, user in spec.user_stages.items():
            validate_ansible_tasks(list(user.items), image=spec.display_name, stage=stage, check_runtime=False)
