"""gitCache: a large accumulated patch (1 MiB or more) gets its own stage, so gitLatestPatch stays small.

Its digest holds the patch size in 1 MiB steps: the same stage is reused while the accumulated change grows within a
step. A base commit missing from the repository (history rewritten) counts as size 0, i.e. the stage is skipped.
"""

from __future__ import annotations

from werf_core.hashing import sha256_hash
from werf_core.layers.recipe import LayerRecipe
from werf_core.stages.base import BuildRecipe, GitRelatedStage, StageContext
from werf_core.stages.git_layer import patch_layer_recipe
from werf_core.stages.git_patches import base_commit, patch_recipe, patches
from werf_core.stages.spec import ImageSpec

PATCH_SIZE_STEP = 1024 * 1024


def total_patch_size(ctx: StageContext) -> int:
    for mapping in ctx.git:
        base = base_commit(ctx, mapping)
        if base and not mapping.commit_exists(base):
            return 0
    return sum(p.size for _, p in patches(ctx, GitCacheStage.name) if p is not None)


class GitCacheStage(GitRelatedStage):
    name = "gitCache"

    def is_present(self, spec: ImageSpec) -> bool:
        # werf 1.2 `disableGitAfterPatch: true` drops gitCache and gitLatestPatch
        return bool(spec.git) and not spec.is_artifact and not spec.disable_git_after_patch

    def is_empty(self, ctx: StageContext) -> bool:
        if all(base_commit(ctx, m) == m.current_commit for m in ctx.git):
            return True
        return total_patch_size(ctx) < PATCH_SIZE_STEP

    def dependencies(self, ctx: StageContext) -> str:
        return sha256_hash(str(total_patch_size(ctx) // PATCH_SIZE_STEP))

    def recipe(self, ctx: StageContext) -> BuildRecipe:
        return patch_recipe(ctx, self.name)

    def layer_recipe(self, ctx: StageContext) -> LayerRecipe | None:
        return patch_layer_recipe(ctx, self.name)


STAGE = GitCacheStage()
