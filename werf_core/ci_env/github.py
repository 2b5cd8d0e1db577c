"""`werf ci-env github`: variables derived from GitHub Actions' default variables (werf v1.1 semantics).

GitHub variables used: GITHUB_REPOSITORY (owner/repo), GITHUB_ACTOR and GITHUB_TOKEN (registry login, and the token
that cleanup needs to delete packages), GITHUB_SHA, GITHUB_RUN_ID.

The registry is werf v1.1's `docker.pkg.github.com` by default; `--github-registry ghcr.io` selects GitHub's
current container registry, which has replaced it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from werf_core.ci_env.cleanup_policies import CleanupPolicies, cleanup_policies_section
from werf_core.ci_env.errors import CiEnvError
from werf_core.ci_env.plan import CiEnvPlan, EnvReader, RegistryLogin
from werf_core.ci_env.project_images import ProjectImages
from werf_core.ci_env.script import Variable, section

DEFAULT_GITHUB_REGISTRY = "docker.pkg.github.com"


def plan_github(environ: Mapping[str, str], tagging_strategy: str, policies: CleanupPolicies, *,
                load_project: Callable[[], ProjectImages | None],
                registry: str = DEFAULT_GITHUB_REGISTRY) -> CiEnvPlan:
    """`load_project` reads werf.yaml; it is called only when GITHUB_REPOSITORY is set, as the answer is only
    needed then."""
    if tagging_strategy != "stages-signature":
        raise CiEnvError(f"provided tagging strategy {tagging_strategy!r} is not supported for GitHub",
                         hint="GitHub supports only --tagging-strategy stages-signature")
    env = EnvReader(environ)
    registry = registry.rstrip("/")
    token, actor = env("GITHUB_TOKEN"), env("GITHUB_ACTOR")
    login = RegistryLogin(registry, actor, token) if actor and token else None

    repository = env("GITHUB_REPOSITORY")
    images_repo = stages_storage = ""
    if repository:
        project = load_project()
        if project is not None:
            # Registry paths must be lowercase, while GitHub keeps the owner's and repository's spelling.
            project_repo = f"{registry}/{repository.lower()}"
            images_repo = f"{project_repo}/{project.project}" if project.has_nameless_image else project_repo
            stages_storage = f"{project_repo}/stages"

    run_id = env("GITHUB_RUN_ID")
    sections = (
        section("STAGES_STORAGE", Variable("WERF_STAGES_STORAGE", stages_storage)),
        section("IMAGES REPO", Variable("WERF_IMAGES_REPO", images_repo)),
        section("TAGGING", Variable("WERF_TAG_BY_STAGES_SIGNATURE", "true")),
        section(
            "DEPLOY",
            Variable("WERF_ADD_ANNOTATION_PROJECT_GIT",
                     f"project.werf.io/git=https://github.com/{repository}" if repository else ""),
            Variable("WERF_ADD_ANNOTATION_CI_COMMIT", f"ci.werf.io/commit={env('GITHUB_SHA')}"
                     if env("GITHUB_SHA") else ""),
            Variable("WERF_ADD_ANNOTATION_GITHUB_ACTIONS_RUN_URL",
                     f"github.ci.werf.io/workflow-run-url=https://github.com/{repository}/actions/runs/{run_id}"
                     if repository and run_id else ""),
        ),
        section("CLEANUP", Variable("WERF_REPO_GITHUB_TOKEN", token)),
        cleanup_policies_section(policies),
        section(
            "OTHER",
            Variable("WERF_GIT_HISTORY_SYNCHRONIZATION", "1"),
            Variable("WERF_LOG_COLOR_MODE", "on"),
            Variable("WERF_LOG_PROJECT_DIR", "1"),
            Variable("WERF_ENABLE_PROCESS_EXTERMINATOR", "1"),
            Variable("WERF_LOG_TERMINAL_WIDTH", "95"),
        ),
    )
    return CiEnvPlan(login=login, sections=sections)
