"""beforeSetup: user commands on current sources (a git patch is applied first when commits moved)."""

from werf_core.stages.user import UserWithGitPatchStage

STAGE = UserWithGitPatchStage("beforeSetup")
