"""beforeInstall: user commands before any git content (system packages, users, groups)."""

from werf_core.stages.user import UserStage

STAGE = UserStage("beforeInstall")
