"""The same variables in every output format: POSIX shells, PowerShell, cmd.exe and env files."""

from __future__ import annotations

import subprocess

import pytest

from tests.ci_env.conftest import GITHUB_PUSH_WORKFLOW, GITLAB_BRANCH_PIPELINE, write_werf_yaml
from tests.ci_env.script_readers import changed_variables, commented_out, read_assignments, skipped, source_with_bash
from werf_core.ci_env import CiEnvError, CiEnvOptions, generate_ci_env

CASES = {
    "gitlab-stages-signature": ("gitlab", "stages-signature", GITLAB_BRANCH_PIPELINE),
    "gitlab-tag-or-branch": ("gitlab", "tag-or-branch", GITLAB_BRANCH_PIPELINE),
    "github": ("github", "stages-signature", GITHUB_PUSH_WORKFLOW),
}


@pytest.fixture
def run(clean_env, tmp_path):
    write_werf_yaml(tmp_path / "project", "configVersion: 1\nproject: shop\n---\nimage: api\nfrom: alpine\n")

    def run(case: str, shell: str | None, extra: dict[str, str] | None = None, **kwargs):
        ci, strategy, variables = CASES[case]
        env = {"HOME": str(clean_env), "PATH": "/usr/bin:/bin", **variables, **(extra or {})}
        options = CiEnvOptions(ci, tagging_strategy=strategy, shell=None if shell == "env-file" else shell,
                               env_file=shell == "env-file", project_dir=tmp_path / "project", **kwargs)
        return generate_ci_env(options, environ=env), env
    return run


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("shell", ["powershell", "cmdexe", "env-file"])
def test_every_format_sets_what_bash_sets(run, case, shell, tmp_path):
    reference, env = run(case, "default", extra={"WERF_LOG_TERMINAL_WIDTH": "120"})
    expected = changed_variables(source_with_bash(reference.script, env, tmp_path), env)
    expected.pop("DOCKER_CONFIG")
    result, _ = run(case, shell, extra={"WERF_LOG_TERMINAL_WIDTH": "120"})
    assigned = read_assignments(result.script, shell)
    assert assigned.pop("DOCKER_CONFIG") == str(result.docker_config)
    assert assigned == expected
    assert skipped(result.script, shell) == ["WERF_LOG_TERMINAL_WIDTH"]
    assert commented_out(result.script, shell) == commented_out(reference.script)


def test_powershell_script_lines(run):
    result, _ = run("gitlab-stages-signature", "powershell")
    lines = result.script.splitlines()
    assert lines[:2] == ["# DOCKER CONFIG", f"$Env:DOCKER_CONFIG = '{result.docker_config}'"]
    assert "$Env:WERF_STAGES_STORAGE = 'registry.example.com/acme/shop-api/stages'" in lines
    assert result.format.file_suffix == ".ps1"


def test_cmdexe_script_lines(run):
    result, _ = run("gitlab-stages-signature", "cmdexe", extra={"WERF_ENV": "prod&test"})
    lines = result.script.splitlines()
    assert lines[:2] == [":: DOCKER CONFIG", f"set DOCKER_CONFIG={result.docker_config}"]
    assert "set WERF_TAG_BY_STAGES_SIGNATURE=true" in lines
    assert ":: skip set WERF_ENV=review-feat-x3k9a1 ^(prod^&test^)" in lines
    assert result.format.file_suffix == ".bat"


def test_env_file_lines(run):
    result, _ = run("github", "env-file", extra={"WERF_ENV": "x"})
    lines = result.script.splitlines()
    assert lines[:2] == ["# DOCKER CONFIG", f"DOCKER_CONFIG={result.docker_config}"]
    assert "WERF_IMAGES_REPO=docker.pkg.github.com/acme/shop-api" in lines


@pytest.mark.docker
def test_env_file_is_read_literally_by_docker(run, docker_client, busybox_image, tmp_path, project_name):
    quirky = "a 'b' \"c\" $HOME `d`"
    result, _ = run("gitlab-tag-or-branch", "env-file", extra={"CI_ENVIRONMENT_SLUG": quirky})
    env_file = tmp_path / "ci.env"
    env_file.write_text(result.script)
    done = subprocess.run(["docker", "run", "--rm", "--name", f"{project_name}-envfile", "--network", "none",
                           "--env-file", str(env_file), busybox_image, "env"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    seen = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    assert seen["WERF_ENV"] == quirky
    assert seen["WERF_TAG_GIT_BRANCH"].startswith("feature-pay-42-checkout-")
    assert "WERF_STAGES_STORAGE_REPO_IMPLEMENTATION" in seen


def test_env_file_refuses_a_multi_line_value(run):
    with pytest.raises(CiEnvError, match="WERF_ENV spans several lines"):
        run("gitlab-stages-signature", "env-file", extra={"CI_ENVIRONMENT_SLUG": "a\nb"})


def test_failed_format_leaves_no_docker_config_copy(run, tmp_path):
    with pytest.raises(CiEnvError):
        run("gitlab-stages-signature", "env-file", extra={"CI_ENVIRONMENT_SLUG": "a\nb"})
    assert list((tmp_path / "tmp").iterdir()) == []


def test_verbose_script_echoes_each_line_when_sourced(run, tmp_path):
    result, env = run("gitlab-stages-signature", "default", verbose=True)
    path = tmp_path / "verbose.sh"
    path.write_text(result.script)
    done = subprocess.run(["bash", "-c", f". {path}"], env=env, capture_output=True, text=True, timeout=30)
    plain, _ = run("gitlab-stages-signature", "default")
    expected = plain.script.replace(str(plain.docker_config), str(result.docker_config))
    assert done.stdout == expected


@pytest.mark.parametrize("shell, echo", [("powershell", "Write-Output '# TAGGING'"), ("cmdexe", "echo :: TAGGING")])
def test_verbose_echo_in_other_shells(run, shell, echo):
    result, _ = run("gitlab-stages-signature", shell, verbose=True)
    assert echo in result.script.splitlines()


def test_env_file_has_no_echo_lines_even_when_verbose(run):
    result, _ = run("gitlab-stages-signature", "env-file", verbose=True)
    assert not [line for line in result.script.splitlines() if line.startswith(("echo", "Write-Output"))]
