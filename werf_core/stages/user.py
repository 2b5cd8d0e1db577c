"""User stages (beforeInstall, install, beforeSetup, setup): the user's shell commands or ansible tasks.

install, beforeSetup and setup first bring git content up to the current commit with a patch when the previous stage
image was built from an older commit, so the user's commands always see current sources; beforeInstall runs before
any git content exists.
"""

from __future__ import annotations

from pathlib import Path

from werf_core.hashing import sha256_hash
from werf_core.stages import builders
from werf_core.stages.base import BuildRecipe, GitRelatedStage, PlainStage, StageContext
from werf_core.stages.git_patches import patch_recipe
from werf_core.stages.spec import ImageSpec


class UserStage(PlainStage):
    """beforeInstall: the builder's checksum is the digest input; no git patch."""

    def __init__(self, name: str) -> None:
        self.name = name

    def is_present(self, spec: ImageSpec) -> bool:
        return bool(spec.builder) and builders.checksum(spec, self.name) != ""

    def dependencies(self, ctx: StageContext) -> str:
        return builders.checksum(ctx.spec, self.name)

    def recipe(self, ctx: StageContext) -> BuildRecipe:
        from werf_core.builders.secrets import secret_binds
        recipe = BuildRecipe(describe_failure=builders.failure_describer(ctx.spec))
        recipe.instructions = recipe.instructions.merge(
            builders.instructions(ctx.spec, self.name, Path(ctx.tmp_dir) / f"{self.name}-builder", ctx.docker_client))
        # werf 2.x build secrets: read only now that the stage is built, mounted for its commands only
        recipe.instructions.binds.extend(secret_binds(ctx.spec.secrets, project_dir=ctx.project_dir,
                                                      work_dir=ctx.tmp_dir))
        return recipe


class UserWithGitPatchStage(GitRelatedStage, UserStage):
    """install / beforeSetup / setup: digest = builder checksum + stageDependencies checksum."""

    def dependencies(self, ctx: StageContext) -> str:
        stage_deps = sha256_hash(*[m.stage_dependencies_checksum(self.name) for m in ctx.git])
        return sha256_hash(builders.checksum(ctx.spec, self.name), stage_deps)

    def recipe(self, ctx: StageContext) -> BuildRecipe:
        recipe = patch_recipe(ctx, self.name)   # the same patches gitCache/gitLatestPatch would apply
        user = UserStage.recipe(self, ctx)
        recipe.instructions = recipe.instructions.merge(user.instructions)
        recipe.files.update(user.files)
        recipe.describe_failure = user.describe_failure
        return recipe
