"""Branch names, tags and other CI values are partly chosen by whoever can push; sourcing the script must never run
them. Each case runs the real `werf` executable the documented way (`. $(werf ci-env ... --as-file)`, or `eval`
of stdout) in bash or dash, then checks that no marker file appeared and that each variable holds the exact text."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ci_env.conftest import GITHUB_PUSH_WORKFLOW, GITLAB_BRANCH_PIPELINE, write_werf_yaml
from werf_core.ci_env.slug import docker_tag, is_valid_docker_tag

WERF_BIN = Path(sys.executable).parent / "werf"

HOSTILE_TEMPLATES = [
    "$(touch {marker})",
    "`touch {marker}`",
    "a'b; touch {marker}; '",
    'x"; touch {marker}; "',
    "'$(touch {marker})'",
    "\\'; touch {marker} #",
    "line1\ntouch {marker}",
    "${{IFS}}$(touch${{IFS}}{marker})",
]

SHOWN = ["WERF_ENV", "WERF_ADD_ANNOTATION_CI_COMMIT", "WERF_TAG_GIT_BRANCH", "WERF_TAG_GIT_TAG",
         "WERF_ADD_ANNOTATION_PROJECT_GIT", "WERF_ADD_ANNOTATION_GITHUB_ACTIONS_RUN_URL", "WERF_LOG_TERMINAL_WIDTH",
         "WERF_ADD_ANNOTATION_GITLAB_CI_JOB_URL", "WERF_IMAGES_REPO", "WERF_STAGES_STORAGE"]


def source_and_report(command: str, env: dict[str, str], cwd: Path, shell: str = "bash") -> dict[str, str]:
    """Run `command` (which sources ci-env) in `shell`, then report SHOWN variables NUL-separated."""
    report = "; ".join(f'printf "%s=%s\\000" {name} "${{{name}-<unset>}}"' for name in SHOWN)
    done = subprocess.run([shell, "-c", f"set -e; {command}; {report}"], env=env, cwd=cwd, capture_output=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    items = done.stdout.decode().split("\0")[:-1]
    return {k: v for k, v in (item.split("=", 1) for item in items) if v != "<unset>"}


@pytest.fixture
def job_env(clean_env):
    return {**{k: v for k, v in os.environ.items()}, "PATH": f"{WERF_BIN.parent}:{os.environ['PATH']}"}


@pytest.mark.parametrize("template", HOSTILE_TEMPLATES)
def test_gitlab_values_stay_text_when_sourced(template, job_env, tmp_path):
    marker = tmp_path / "marker"
    hostile = template.format(marker=marker)
    env = {**job_env, **GITLAB_BRANCH_PIPELINE, "CI_COMMIT_REF_NAME": hostile, "CI_ENVIRONMENT_SLUG": hostile,
           "CI_COMMIT_SHA": hostile, "CI_JOB_ID": hostile, "WERF_LOG_TERMINAL_WIDTH": hostile}
    values = source_and_report(". $(werf ci-env gitlab --tagging-strategy tag-or-branch --as-file)", env, tmp_path)
    assert not marker.exists()
    assert values["WERF_ENV"] == hostile
    assert values["WERF_ADD_ANNOTATION_CI_COMMIT"] == f"ci.werf.io/commit={hostile}"
    assert values["WERF_ADD_ANNOTATION_GITLAB_CI_JOB_URL"] == \
        f"gitlab.ci.werf.io/job-url=https://gitlab.example.com/acme/shop-api/-/jobs/{hostile}"
    assert values["WERF_LOG_TERMINAL_WIDTH"] == hostile  # set by the user: kept, shown in a skip comment only
    assert values["WERF_TAG_GIT_BRANCH"] == docker_tag(hostile)
    assert is_valid_docker_tag(values["WERF_TAG_GIT_BRANCH"])


@pytest.mark.parametrize("shell", ["bash", "dash"])
def test_gitlab_tag_names_stay_text_with_eval_of_stdout(shell, job_env, tmp_path):
    if not shutil.which(shell):
        pytest.skip(f"{shell} is not installed")
    marker = tmp_path / "marker"
    hostile = f"v1'$(touch {marker})`touch {marker}`"
    env = {**job_env, **GITLAB_BRANCH_PIPELINE, "CI_COMMIT_TAG": hostile, "CI_ENVIRONMENT_SLUG": hostile}
    values = source_and_report('eval "$(werf ci-env gitlab --tagging-strategy tag-or-branch)"', env, tmp_path,
                               shell=shell)
    assert not marker.exists()
    assert values["WERF_TAG_GIT_TAG"] == docker_tag(hostile)
    assert values["WERF_ENV"] == hostile


@pytest.mark.parametrize("template", HOSTILE_TEMPLATES[:4])
def test_github_values_stay_text_when_sourced(template, job_env, tmp_path):
    marker = tmp_path / "marker"
    hostile = template.format(marker=marker)
    write_werf_yaml(tmp_path / "project", "configVersion: 1\nproject: shop\n---\nimage: api\nfrom: alpine\n")
    env = {**job_env, **GITHUB_PUSH_WORKFLOW, "GITHUB_REPOSITORY": f"Acme/{hostile}", "GITHUB_SHA": hostile,
           "GITHUB_RUN_ID": hostile}
    values = source_and_report(". $(werf ci-env github --dir project --as-file)", env, tmp_path)
    assert not marker.exists()
    assert values["WERF_ADD_ANNOTATION_PROJECT_GIT"] == f"project.werf.io/git=https://github.com/Acme/{hostile}"
    assert values["WERF_ADD_ANNOTATION_CI_COMMIT"] == f"ci.werf.io/commit={hostile}"
    assert values["WERF_ADD_ANNOTATION_GITHUB_ACTIONS_RUN_URL"] == \
        f"github.ci.werf.io/workflow-run-url=https://github.com/Acme/{hostile}/actions/runs/{hostile}"
    assert values["WERF_IMAGES_REPO"] == f"docker.pkg.github.com/acme/{hostile.lower()}"


def test_failed_ci_env_stops_an_eval_instead_of_continuing(job_env, tmp_path):
    # No branch or tag: tag-or-branch cannot work. `eval` must stop the job rather than build with wrong tags.
    done = subprocess.run(["bash", "-c", 'eval "$(werf ci-env gitlab --tagging-strategy tag-or-branch)"; '
                                         "echo carried-on"], env=job_env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1
    assert "carried-on" not in done.stdout
    assert "tag-or-branch tagging strategy needs" in done.stderr
    assert "Traceback" not in done.stderr
