"""gitLatestPatch: the small patch from the previous stage image's commit to the current commit.

This is the only stage a typical source change rebuilds. Its digest holds the patch text of every mapping, so two
builders at the same commit share it, and it is skipped when nothing under the mappings changed.
"""

from __future__ import annotations

from werf_core.errors import GitError
from werf_core.hashing import sha256_hash
from werf_core.layers.recipe import LayerRecipe
from werf_core.stages.base import BuildRecipe, GitRelatedStage, StageContext
from werf_core.stages.git_layer import patch_layer_recipe
from werf_core.stages.git_patches import base_commit, patch_recipe, patches
from werf_core.stages.spec import ImageSpec


class GitLatestPatchStage(GitRelatedStage):
    name = "gitLatestPatch"

    def is_present(self, spec: ImageSpec) -> bool:
        # werf 1.2 `disableGitAfterPatch: true` drops gitCache and gitLatestPatch
        return bool(spec.git) and not spec.is_artifact and not spec.disable_git_after_patch

    def is_empty(self, ctx: StageContext) -> bool:
        if all(base_commit(ctx, m) == m.current_commit for m in ctx.git):
            return True
        return all(p is None or p.empty for _, p in self._patches(ctx))

    def dependencies(self, ctx: StageContext) -> str:
        return sha256_hash(*[p.text_digest if p is not None else "" for _, p in self._patches(ctx)])

    def recipe(self, ctx: StageContext) -> BuildRecipe:
        return patch_recipe(ctx, self.name)

    def layer_recipe(self, ctx: StageContext) -> LayerRecipe | None:
        return patch_layer_recipe(ctx, self.name)

    def _patches(self, ctx: StageContext):
        for mapping in ctx.git:
            base = base_commit(ctx, mapping)
            if base and base != mapping.current_commit and not mapping.commit_exists(base):
                raise GitError(f"commit {base} recorded in stage image {ctx.prev_built.image_name} is not in the "
                               f"repository of the git mapping to {mapping.to}",
                               hint="the history was rewritten (force push?); fetch the full history, or change "
                                    "fromCacheVersion to rebuild from scratch")
        return patches(ctx, self.name)


STAGE = GitLatestPatchStage()
