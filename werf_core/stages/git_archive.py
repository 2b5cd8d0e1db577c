"""gitArchive: the full content of every git mapping at the current commit.

Its digest holds only the mappings' paramshashes, not the commit: an archive built from an older commit stays usable
(later patch stages bring it up to date), which is what keeps a source change from rebuilding everything. The commit
enters the chain through the next-stage dependencies, read from the labels of the archive image actually used.
"""

from __future__ import annotations

from pathlib import Path

from werf_core.hashing import sha256_hash
from werf_core.layers.recipe import LayerRecipe
from werf_core.stages.base import BuildRecipe, GitRelatedStage, StageContext
from werf_core.stages.git_apply import add_archive
from werf_core.stages.git_layer import archive_layer_recipe
from werf_core.stages.spec import ImageSpec


class GitArchiveStage(GitRelatedStage):
    name = "gitArchive"

    def is_present(self, spec: ImageSpec) -> bool:
        return bool(spec.git)

    def dependencies(self, ctx: StageContext) -> str:
        return sha256_hash(*sorted(m.paramshash for m in ctx.git))

    def recipe(self, ctx: StageContext) -> BuildRecipe:
        recipe = BuildRecipe()
        for mapping in ctx.git:
            add_archive(recipe, mapping, mapping.archive(str(Path(ctx.tmp_dir) / self.name)))
        return recipe

    def layer_recipe(self, ctx: StageContext) -> LayerRecipe | None:
        return archive_layer_recipe(ctx, str(Path(ctx.tmp_dir) / self.name))


STAGE = GitArchiveStage()
