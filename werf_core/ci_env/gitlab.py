"""`werf ci-env gitlab`: variables derived from GitLab CI's predefined variables (werf v1.1 semantics).

GitLab variables used: CI_REGISTRY, CI_REGISTRY_IMAGE, CI_JOB_TOKEN (registry login as `gitlab-ci-token`),
CI_COMMIT_TAG / CI_COMMIT_REF_NAME (and their pre-GitLab-9 names CI_BUILD_TAG / CI_BUILD_REF_NAME),
CI_ENVIRONMENT_SLUG, CI_PROJECT_URL, CI_COMMIT_SHA, CI_PIPELINE_ID, CI_JOB_ID, CI_SERVER_VERSION.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from werf_core.ci_env.cleanup_policies import CleanupPolicies, cleanup_policies_section
from werf_core.ci_env.errors import CiEnvError
from werf_core.ci_env.plan import TAGGING_STRATEGIES, CiEnvPlan, EnvReader, RegistryLogin
from werf_core.ci_env.script import Section, Variable, section
from werf_core.ci_env.slug import docker_tag

GITLAB_REGISTRY_IMPLEMENTATION = "gitlab"
GITLAB_CI_TOKEN_USER = "gitlab-ci-token"


def plan_gitlab(environ: Mapping[str, str], tagging_strategy: str, policies: CleanupPolicies) -> CiEnvPlan:
    env = EnvReader(environ)
    registry_image = env("CI_REGISTRY_IMAGE")

    login = None
    stages_storage_implementation = images_repo_implementation = ""
    if registry_image:
        if env("CI_JOB_TOKEN"):
            login = RegistryLogin(registry_image, GITLAB_CI_TOKEN_USER, env("CI_JOB_TOKEN"))
        # The GitLab registry needs its own implementation (tag deletion goes through the GitLab API) — unless the
        # user points the storage or repo at another registry.
        ci_registry = env("CI_REGISTRY")
        if _unset_or_within(env("WERF_STAGES_STORAGE"), ci_registry):
            stages_storage_implementation = GITLAB_REGISTRY_IMPLEMENTATION
        if _unset_or_within(env("WERF_IMAGES_REPO"), ci_registry):
            images_repo_implementation = GITLAB_REGISTRY_IMPLEMENTATION

    stages_storage = [Variable("WERF_STAGES_STORAGE", f"{registry_image}/stages" if registry_image else "")]
    if stages_storage_implementation:
        stages_storage.append(Variable("WERF_STAGES_STORAGE_REPO_IMPLEMENTATION", stages_storage_implementation))
    images_repo = [Variable("WERF_IMAGES_REPO", registry_image)]
    if images_repo_implementation:
        images_repo.append(Variable("WERF_IMAGES_REPO_IMPLEMENTATION", images_repo_implementation))

    sections = (
        section("STAGES_STORAGE", *stages_storage),
        section("IMAGES REPO", *images_repo),
        _tagging_section(env, tagging_strategy),
        _deploy_section(env),
        cleanup_policies_section(policies),
        section(
            "OTHER",
            Variable("WERF_GIT_HISTORY_SYNCHRONIZATION", "1"),
            Variable("WERF_GIT_UNSHALLOW", "1"),
            Variable("WERF_LOG_COLOR_MODE", log_color_mode(env("CI_SERVER_VERSION"))),
            Variable("WERF_LOG_PROJECT_DIR", "1"),
            Variable("WERF_ENABLE_PROCESS_EXTERMINATOR", "1"),
            Variable("WERF_LOG_TERMINAL_WIDTH", "95"),
        ),
    )
    return CiEnvPlan(login=login, sections=sections)


def _unset_or_within(address: str, registry: str) -> bool:
    return address == "" or address.startswith(registry)


def _tagging_section(env: EnvReader, tagging_strategy: str) -> Section:
    if tagging_strategy == "stages-signature":
        return section("TAGGING", Variable("WERF_TAG_BY_STAGES_SIGNATURE", "true"))
    if tagging_strategy != "tag-or-branch":
        raise CiEnvError(f"provided tagging strategy {tagging_strategy!r} is not supported",
                         hint=f"use one of: {', '.join(TAGGING_STRATEGIES)}")
    git_tag = env("CI_BUILD_TAG") or env("CI_COMMIT_TAG")
    if git_tag:
        return section("TAGGING", Variable("WERF_TAG_GIT_TAG", docker_tag(git_tag)))
    git_branch = env("CI_BUILD_REF_NAME") or env("CI_COMMIT_REF_NAME")
    if git_branch:
        return section("TAGGING", Variable("WERF_TAG_GIT_BRANCH", docker_tag(git_branch)))
    raise CiEnvError(
        "the tag-or-branch tagging strategy needs $CI_COMMIT_TAG (for WERF_TAG_GIT_TAG) or $CI_COMMIT_REF_NAME "
        "(for WERF_TAG_GIT_BRANCH), and neither is set",
        hint="run ci-env inside a GitLab CI job, or use --tagging-strategy stages-signature")


def _deploy_section(env: EnvReader) -> Section:
    project_url = env("CI_PROJECT_URL")
    return section(
        "DEPLOY",
        Variable("WERF_ENV", env("CI_ENVIRONMENT_SLUG")),
        Variable("WERF_ADD_ANNOTATION_PROJECT_GIT", _annotation("project.werf.io/git", project_url)),
        Variable("WERF_ADD_ANNOTATION_CI_COMMIT", _annotation("ci.werf.io/commit", env("CI_COMMIT_SHA"))),
        Variable("WERF_ADD_ANNOTATION_GITLAB_CI_PIPELINE_URL", _annotation(
            "gitlab.ci.werf.io/pipeline-url",
            f"{project_url}/pipelines/{env('CI_PIPELINE_ID')}" if project_url and env("CI_PIPELINE_ID") else "")),
        Variable("WERF_ADD_ANNOTATION_GITLAB_CI_JOB_URL", _annotation(
            "gitlab.ci.werf.io/job-url",
            f"{project_url}/-/jobs/{env('CI_JOB_ID')}" if project_url and env("CI_JOB_ID") else "")),
    )


def _annotation(key: str, value: str) -> str:
    return f"{key}={value}" if value else ""


_SEMVER = re.compile(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?")


def log_color_mode(server_version: str) -> str:
    """WERF_LOG_COLOR_MODE: off for GitLab versions after 12.1.3 and before 12.2.0 (their job logs garbled colour
    codes), on for every other or unparsable version."""
    match = _SEMVER.fullmatch(server_version.strip())
    if not match:
        return "on"
    major, minor, patch, prerelease, _ = match.groups()
    # A pre-release sorts just below its release, which the trailing 0/1 expresses.
    version = (int(major), int(minor or 0), int(patch or 0), 0 if prerelease else 1)
    return "off" if (12, 1, 3, 1) < version < (12, 2, 0, 1) else "on"

