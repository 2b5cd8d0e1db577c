"""What gitCache and gitLatestPatch share: the patches from the previous stage image's commits to the current ones."""

from __future__ import annotations

from pathlib import Path

from werf_core.stages.base import BuildRecipe, StageContext, commit_label
from werf_core.stages.git_apply import add_patch
from werf_core.stages.git_runtime import GitMappingRuntime, PatchData


def base_commit(ctx: StageContext, mapping: GitMappingRuntime) -> str:
    return ctx.prev_built.labels.get(commit_label(mapping.paramshash), "") if ctx.prev_built else ""


def patches(ctx: StageContext, stage: str) -> list[tuple[GitMappingRuntime, PatchData | None]]:
    """(mapping, patch) per mapping; the patch is None when the commit did not move."""
    result: list[tuple[GitMappingRuntime, PatchData | None]] = []
    for mapping in ctx.git:
        base = base_commit(ctx, mapping)
        if base == mapping.current_commit:
            result.append((mapping, None))
        else:
            result.append((mapping, mapping.patch(base, str(Path(ctx.tmp_dir) / stage))))
    return result


def patch_recipe(ctx: StageContext, stage: str) -> BuildRecipe:
    recipe = BuildRecipe()
    for mapping, patch in patches(ctx, stage):
        if patch is not None:
            add_patch(recipe, mapping, patch)
    return recipe
