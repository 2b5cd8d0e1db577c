"""All stage kinds in werf's order. The conveyor knows stages only through this list and the StageKind interface."""

from __future__ import annotations

from werf_core.stages import (
                              before_install,
                              before_setup,
                              docker_instructions,
                              from_,
                              git_archive,
                              git_cache,
                              git_latest_patch,
                              imports,
                              install,
                              setup,
)
from werf_core.stages.base import StageKind

STAGE_KINDS: tuple[StageKind, ...] = (
    from_.STAGE,
    before_install.STAGE,
    imports.STAGES["importsBeforeInstall"],
    git_archive.STAGE,
    install.STAGE,
    imports.STAGES["importsAfterInstall"],
    before_setup.STAGE,
    imports.STAGES["importsBeforeSetup"],
    setup.STAGE,
    imports.STAGES["importsAfterSetup"],
    git_cache.STAGE,
    git_latest_patch.STAGE,
    docker_instructions.STAGE,
)

STAGE_NAMES = tuple(k.name for k in STAGE_KINDS)
