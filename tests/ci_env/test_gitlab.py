"""`werf ci-env gitlab`: the variables a GitLab job gets, read back by sourcing the script in bash."""

from __future__ import annotations

import base64
import json

import pytest

from tests.ci_env.conftest import GITLAB_TAG_PIPELINE
from tests.ci_env.script_readers import changed_variables, commented_out, skipped, source_with_bash
from werf_core.ci_env import CiEnvError, CiEnvOptions, generate_ci_env
from werf_core.ci_env.gitlab import log_color_mode
from werf_core.hashing import murmur_hash

CLEANUP_AND_OTHER = {
    "WERF_GIT_TAG_STRATEGY_LIMIT": "10",
    "WERF_GIT_TAG_STRATEGY_EXPIRY_DAYS": "30",
    "WERF_GIT_COMMIT_STRATEGY_LIMIT": "50",
    "WERF_GIT_COMMIT_STRATEGY_EXPIRY_DAYS": "30",
    "WERF_STAGES_SIGNATURE_STRATEGY_LIMIT": "-1",
    "WERF_STAGES_SIGNATURE_STRATEGY_EXPIRY_DAYS": "-1",
    "WERF_GIT_HISTORY_SYNCHRONIZATION": "1",
    "WERF_GIT_UNSHALLOW": "1",
    "WERF_LOG_COLOR_MODE": "on",
    "WERF_LOG_PROJECT_DIR": "1",
    "WERF_ENABLE_PROCESS_EXTERMINATOR": "1",
    "WERF_LOG_TERMINAL_WIDTH": "95",
}


def test_branch_pipeline_with_stages_signature_tagging(gitlab_env, tmp_path):
    result = generate_ci_env(CiEnvOptions("gitlab"), environ=gitlab_env)
    exported = changed_variables(source_with_bash(result.script, gitlab_env, tmp_path), gitlab_env)
    assert exported == {
        "DOCKER_CONFIG": str(result.docker_config),
        "WERF_STAGES_STORAGE": "registry.example.com/acme/shop-api/stages",
        "WERF_STAGES_STORAGE_REPO_IMPLEMENTATION": "gitlab",
        "WERF_IMAGES_REPO": "registry.example.com/acme/shop-api",
        "WERF_IMAGES_REPO_IMPLEMENTATION": "gitlab",
        "WERF_TAG_BY_STAGES_SIGNATURE": "true",
        "WERF_ENV": "review-feat-x3k9a1",
        "WERF_ADD_ANNOTATION_PROJECT_GIT": "project.werf.io/git=https://gitlab.example.com/acme/shop-api",
        "WERF_ADD_ANNOTATION_CI_COMMIT": "ci.werf.io/commit=1f6c5d0a9b8e7d6c5b4a39281706f5e4d3c2b1a0",
        "WERF_ADD_ANNOTATION_GITLAB_CI_PIPELINE_URL":
            "gitlab.ci.werf.io/pipeline-url=https://gitlab.example.com/acme/shop-api/pipelines/1234567",
        "WERF_ADD_ANNOTATION_GITLAB_CI_JOB_URL":
            "gitlab.ci.werf.io/job-url=https://gitlab.example.com/acme/shop-api/-/jobs/98765432",
        **CLEANUP_AND_OTHER,
    }


def test_sections_come_in_werfs_order(gitlab_env):
    script = generate_ci_env(CiEnvOptions("gitlab"), environ=gitlab_env).script
    headers = [line[2:] for line in script.splitlines() if line.startswith("# ") and "=" not in line]
    assert headers == ["DOCKER CONFIG", "STAGES_STORAGE", "IMAGES REPO", "TAGGING", "DEPLOY",
                       "IMAGE CLEANUP POLICIES", "OTHER"]
    assert script.startswith("# DOCKER CONFIG\nexport DOCKER_CONFIG=")
    assert "\n\n# STAGES_STORAGE\n" in script


def test_branch_pipeline_with_tag_or_branch_tagging(gitlab_env, tmp_path):
    result = generate_ci_env(CiEnvOptions("gitlab", tagging_strategy="tag-or-branch"), environ=gitlab_env)
    exported = source_with_bash(result.script, gitlab_env, tmp_path)
    branch = "feature/PAY-42_checkout"
    assert exported["WERF_TAG_GIT_BRANCH"] == f"feature-pay-42-checkout-{murmur_hash(branch)}"
    assert "WERF_TAG_GIT_TAG" not in exported
    assert "WERF_TAG_BY_STAGES_SIGNATURE" not in exported


def test_tag_pipeline_with_tag_or_branch_tagging(clean_env, monkeypatch, tmp_path):
    env = {**GITLAB_TAG_PIPELINE, "HOME": str(clean_env), "PATH": "/usr/bin:/bin"}
    result = generate_ci_env(CiEnvOptions("gitlab", tagging_strategy="tag-or-branch"), environ=env)
    exported = source_with_bash(result.script, env, tmp_path)
    assert exported["WERF_TAG_GIT_TAG"] == "v1.4.0"  # already a valid docker tag: kept as it is
    assert "WERF_TAG_GIT_BRANCH" not in exported
    assert "WERF_ENV" in commented_out(result.script)  # tag pipelines here have no environment


def test_legacy_gitlab_variable_names_win(clean_env):
    env = {"HOME": str(clean_env), "CI_BUILD_TAG": "old-tag", "CI_COMMIT_TAG": "new-tag",
           "CI_COMMIT_REF_NAME": "main"}
    script = generate_ci_env(CiEnvOptions("gitlab", tagging_strategy="tag-or-branch"), environ=env).script
    assert "export WERF_TAG_GIT_TAG='old-tag'" in script
    env = {"HOME": str(clean_env), "CI_BUILD_REF_NAME": "legacy", "CI_COMMIT_REF_NAME": "main"}
    script = generate_ci_env(CiEnvOptions("gitlab", tagging_strategy="tag-or-branch"), environ=env).script
    assert "export WERF_TAG_GIT_BRANCH='legacy'" in script


def test_tag_or_branch_outside_a_pipeline_is_a_clear_error(clean_env):
    with pytest.raises(CiEnvError, match=r"\$CI_COMMIT_TAG .* \$CI_COMMIT_REF_NAME") as err:
        generate_ci_env(CiEnvOptions("gitlab", tagging_strategy="tag-or-branch"), environ={"HOME": str(clean_env)})
    assert "stages-signature" in err.value.hint


def test_unknown_tagging_strategy(gitlab_env):
    with pytest.raises(CiEnvError, match="'by-date' is not supported"):
        generate_ci_env(CiEnvOptions("gitlab", tagging_strategy="by-date"), environ=gitlab_env)


def test_unknown_ci_system(gitlab_env):
    with pytest.raises(CiEnvError, match="'jenkins' is not supported") as err:
        generate_ci_env(CiEnvOptions("jenkins"), environ=gitlab_env)
    assert "gitlab, github" in err.value.hint


def test_user_set_variables_are_kept_and_shown_as_skipped(gitlab_env, tmp_path):
    env = {**gitlab_env, "WERF_STAGES_STORAGE": "registry.example.com/acme/shared-stages",
           "WERF_LOG_TERMINAL_WIDTH": "200", "WERF_ENV": "production"}
    result = generate_ci_env(CiEnvOptions("gitlab"), environ=env)
    assert ("# skip export WERF_STAGES_STORAGE='registry.example.com/acme/shop-api/stages' "
            "(registry.example.com/acme/shared-stages)") in result.script
    assert set(skipped(result.script)) == {"WERF_STAGES_STORAGE", "WERF_LOG_TERMINAL_WIDTH", "WERF_ENV"}
    exported = source_with_bash(result.script, env, tmp_path)
    assert exported["WERF_STAGES_STORAGE"] == "registry.example.com/acme/shared-stages"
    assert exported["WERF_LOG_TERMINAL_WIDTH"] == "200"
    assert exported["WERF_ENV"] == "production"
    # Still inside the GitLab registry, so still its implementation.
    assert exported["WERF_STAGES_STORAGE_REPO_IMPLEMENTATION"] == "gitlab"


def test_docker_config_is_replaced_even_when_set(gitlab_env, tmp_path):
    user_config = tmp_path / "user-docker"
    user_config.mkdir()
    env = {**gitlab_env, "DOCKER_CONFIG": str(user_config)}
    result = generate_ci_env(CiEnvOptions("gitlab", docker_config=user_config), environ=env)
    assert source_with_bash(result.script, env, tmp_path)["DOCKER_CONFIG"] == str(result.docker_config)
    assert result.docker_config != user_config
    assert "DOCKER_CONFIG" not in skipped(result.script)


def test_storage_outside_the_gitlab_registry_gets_no_gitlab_implementation(gitlab_env, tmp_path):
    env = {**gitlab_env, "WERF_STAGES_STORAGE": "harbor.example.com/acme/stages",
           "WERF_IMAGES_REPO": "harbor.example.com/acme"}
    result = generate_ci_env(CiEnvOptions("gitlab"), environ=env)
    exported = source_with_bash(result.script, env, tmp_path)
    assert "WERF_STAGES_STORAGE_REPO_IMPLEMENTATION" not in exported
    assert "WERF_IMAGES_REPO_IMPLEMENTATION" not in exported
    assert exported["WERF_IMAGES_REPO"] == "harbor.example.com/acme"


def test_project_without_a_registry_exports_no_storage(clean_env):
    env = {"HOME": str(clean_env), "CI_COMMIT_REF_NAME": "main", "CI_JOB_TOKEN": "t"}
    result = generate_ci_env(CiEnvOptions("gitlab"), environ=env)
    assert {"WERF_STAGES_STORAGE", "WERF_IMAGES_REPO", "WERF_ENV", "WERF_ADD_ANNOTATION_PROJECT_GIT",
            "WERF_ADD_ANNOTATION_GITLAB_CI_JOB_URL"} <= set(commented_out(result.script))
    assert "IMPLEMENTATION" not in result.script
    assert not (result.docker_config / "config.json").exists()  # no registry, no login


def test_registry_login_uses_the_job_token(gitlab_env):
    result = generate_ci_env(CiEnvOptions("gitlab"), environ=gitlab_env)
    config = json.loads((result.docker_config / "config.json").read_text())
    assert base64.b64decode(config["auths"]["registry.example.com"]["auth"]).decode() == \
        "gitlab-ci-token:glcbt-64_FAKEjobTOKENvalue"


def test_cleanup_policies_come_from_the_hosts_cleanup_yaml(gitlab_env, werf_home, tmp_path):
    (werf_home / "config").mkdir()
    (werf_home / "config" / "cleanup.yaml").write_text("gitTagStrategyLimit: 3\nstagesSignatureStrategyExpiryDays: 7\n")
    exported = source_with_bash(generate_ci_env(CiEnvOptions("gitlab"), environ=gitlab_env).script,
                                gitlab_env, tmp_path)
    assert exported["WERF_GIT_TAG_STRATEGY_LIMIT"] == "3"
    assert exported["WERF_STAGES_SIGNATURE_STRATEGY_EXPIRY_DAYS"] == "7"
    assert exported["WERF_GIT_COMMIT_STRATEGY_LIMIT"] == "50"  # not in the file: default


@pytest.mark.parametrize("version, mode", [
    ("", "on"), ("12.1.3", "on"), ("12.1.4", "off"), ("12.1.12-ee", "off"), ("12.2.0-rc1", "off"),
    ("12.2.0", "on"), ("16.11.2-ee", "on"), ("11.9.0", "on"), ("not-a-version", "on"), ("12.1.3-pre", "on"),
])
def test_log_colour_is_off_only_for_gitlab_12_1_4_to_12_2_0(version, mode):
    assert log_color_mode(version) == mode


def test_log_colour_mode_reaches_the_script(gitlab_env, tmp_path):
    env = {**gitlab_env, "CI_SERVER_VERSION": "12.1.6"}
    exported = source_with_bash(generate_ci_env(CiEnvOptions("gitlab"), environ=env).script, env, tmp_path)
    assert exported["WERF_LOG_COLOR_MODE"] == "off"
