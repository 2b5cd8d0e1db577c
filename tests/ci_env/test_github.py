"""`werf ci-env github`: the variables a GitHub Actions job gets, read back by sourcing the script in bash."""

from __future__ import annotations

import base64
import json

import pytest

from tests.ci_env.conftest import write_werf_yaml
from tests.ci_env.script_readers import changed_variables, commented_out, source_with_bash
from werf_core.ci_env import CiEnvError, CiEnvOptions, generate_ci_env
from werf_core.errors import ConfigError

NAMED_IMAGES = """configVersion: 1
project: shop
---
image: api
from: alpine:3.20
---
image: worker
from: alpine:3.20
"""

NAMELESS_IMAGE = """configVersion: 1
project: shop
---
image: ~
from: alpine:3.20
"""


@pytest.fixture
def project_dir(tmp_path):
    return tmp_path / "project"


def github(project_dir, env, **kwargs):
    return generate_ci_env(CiEnvOptions("github", project_dir=project_dir, **kwargs), environ=env)


def test_push_workflow_of_a_project_with_named_images(github_env, project_dir, tmp_path):
    write_werf_yaml(project_dir, NAMED_IMAGES)
    result = github(project_dir, github_env)
    exported = changed_variables(source_with_bash(result.script, github_env, tmp_path), github_env)
    assert exported == {
        "DOCKER_CONFIG": str(result.docker_config),
        "WERF_STAGES_STORAGE": "docker.pkg.github.com/acme/shop-api/stages",
        "WERF_IMAGES_REPO": "docker.pkg.github.com/acme/shop-api",
        "WERF_TAG_BY_STAGES_SIGNATURE": "true",
        "WERF_ADD_ANNOTATION_PROJECT_GIT": "project.werf.io/git=https://github.com/Acme/Shop-API",
        "WERF_ADD_ANNOTATION_CI_COMMIT": "ci.werf.io/commit=ffac537e6cbbf934b08745a378932722df287a53",
        "WERF_ADD_ANNOTATION_GITHUB_ACTIONS_RUN_URL":
            "github.ci.werf.io/workflow-run-url=https://github.com/Acme/Shop-API/actions/runs/1658821493",
        "WERF_REPO_GITHUB_TOKEN": "ghs_FAKEinstallationTOKEN",
        "WERF_GIT_TAG_STRATEGY_LIMIT": "10",
        "WERF_GIT_TAG_STRATEGY_EXPIRY_DAYS": "30",
        "WERF_GIT_COMMIT_STRATEGY_LIMIT": "50",
        "WERF_GIT_COMMIT_STRATEGY_EXPIRY_DAYS": "30",
        "WERF_STAGES_SIGNATURE_STRATEGY_LIMIT": "-1",
        "WERF_STAGES_SIGNATURE_STRATEGY_EXPIRY_DAYS": "-1",
        "WERF_GIT_HISTORY_SYNCHRONIZATION": "1",
        "WERF_LOG_COLOR_MODE": "on",
        "WERF_LOG_PROJECT_DIR": "1",
        "WERF_ENABLE_PROCESS_EXTERMINATOR": "1",
        "WERF_LOG_TERMINAL_WIDTH": "95",
    }
    assert "WERF_GIT_UNSHALLOW" not in result.script  # GitHub's OTHER block has no unshallow


def test_sections_come_in_werfs_order(github_env, project_dir):
    write_werf_yaml(project_dir, NAMED_IMAGES)
    script = github(project_dir, github_env).script
    headers = [line[2:] for line in script.splitlines() if line.startswith("# ") and "=" not in line]
    assert headers == ["DOCKER CONFIG", "STAGES_STORAGE", "IMAGES REPO", "TAGGING", "DEPLOY", "CLEANUP",
                       "IMAGE CLEANUP POLICIES", "OTHER"]


def test_nameless_image_publishes_under_the_project_name(github_env, project_dir, tmp_path):
    write_werf_yaml(project_dir, NAMELESS_IMAGE)
    exported = source_with_bash(github(project_dir, github_env).script, github_env, tmp_path)
    assert exported["WERF_IMAGES_REPO"] == "docker.pkg.github.com/acme/shop-api/shop"
    assert exported["WERF_STAGES_STORAGE"] == "docker.pkg.github.com/acme/shop-api/stages"


def test_project_name_override_names_the_nameless_image_repo(github_env, project_dir, tmp_path):
    write_werf_yaml(project_dir, NAMELESS_IMAGE)
    env = {**github_env, "WERF_PROJECT_NAME": "shop-eu"}
    exported = source_with_bash(github(project_dir, env).script, env, tmp_path)
    assert exported["WERF_IMAGES_REPO"] == "docker.pkg.github.com/acme/shop-api/shop-eu"


def test_werf_yml_and_custom_config_paths_are_found(github_env, project_dir, tmp_path):
    project_dir.mkdir()
    (project_dir / "werf.yml").write_text(NAMELESS_IMAGE)
    assert "acme/shop-api/shop'" in github(project_dir, github_env).script
    (project_dir / "ci").mkdir()
    (project_dir / "ci" / "werf-ci.yaml").write_text(NAMED_IMAGES)
    assert "WERF_IMAGES_REPO='docker.pkg.github.com/acme/shop-api'" in \
        github(project_dir, github_env, config="ci/werf-ci.yaml").script


def test_missing_custom_config_is_an_error(github_env, project_dir):
    project_dir.mkdir()
    with pytest.raises(ConfigError, match="werf-ci.yaml does not exist"):
        github(project_dir, github_env, config="werf-ci.yaml")


def test_without_werf_yaml_storage_and_repo_are_left_unset(github_env, project_dir, tmp_path):
    project_dir.mkdir()
    result = github(project_dir, github_env)
    assert {"WERF_STAGES_STORAGE", "WERF_IMAGES_REPO"} <= set(commented_out(result.script))
    exported = source_with_bash(result.script, github_env, tmp_path)
    assert "WERF_STAGES_STORAGE" not in exported


def test_without_github_repository_werf_yaml_is_not_read(clean_env, project_dir):
    write_werf_yaml(project_dir, "this: [is not werf.yaml")
    result = github(project_dir, {"HOME": str(clean_env)})
    assert {"WERF_STAGES_STORAGE", "WERF_IMAGES_REPO", "WERF_ADD_ANNOTATION_PROJECT_GIT",
            "WERF_REPO_GITHUB_TOKEN"} <= set(commented_out(result.script))


def test_ghcr_registry_option(github_env, project_dir, tmp_path):
    write_werf_yaml(project_dir, NAMED_IMAGES)
    result = github(project_dir, github_env, github_registry="ghcr.io/")
    exported = source_with_bash(result.script, github_env, tmp_path)
    assert exported["WERF_STAGES_STORAGE"] == "ghcr.io/acme/shop-api/stages"
    assert exported["WERF_IMAGES_REPO"] == "ghcr.io/acme/shop-api"
    auths = json.loads((result.docker_config / "config.json").read_text())["auths"]
    assert list(auths) == ["ghcr.io"]


def test_registry_login_uses_actor_and_token(github_env, project_dir):
    write_werf_yaml(project_dir, NAMED_IMAGES)
    result = github(project_dir, github_env)
    auth = json.loads((result.docker_config / "config.json").read_text())["auths"]["docker.pkg.github.com"]["auth"]
    assert base64.b64decode(auth).decode() == "octocat:ghs_FAKEinstallationTOKEN"


def test_no_token_no_login(github_env, project_dir):
    write_werf_yaml(project_dir, NAMED_IMAGES)
    env = {k: v for k, v in github_env.items() if k != "GITHUB_TOKEN"}
    result = github(project_dir, env)
    assert not (result.docker_config / "config.json").exists()
    assert "WERF_REPO_GITHUB_TOKEN" in commented_out(result.script)


def test_token_already_set_is_not_echoed_in_the_skip_comment(github_env, project_dir):
    write_werf_yaml(project_dir, NAMED_IMAGES)
    env = {**github_env, "WERF_REPO_GITHUB_TOKEN": "ghp_PERSONALtoken"}
    script = github(project_dir, env).script
    assert "ghp_PERSONALtoken" not in script
    assert "# skip export WERF_REPO_GITHUB_TOKEN='ghs_FAKEinstallationTOKEN' (***)" in script


def test_tag_or_branch_is_gitlab_only(github_env, project_dir):
    with pytest.raises(CiEnvError, match="not supported for GitHub") as err:
        github(project_dir, github_env, tagging_strategy="tag-or-branch")
    assert "stages-signature" in err.value.hint
