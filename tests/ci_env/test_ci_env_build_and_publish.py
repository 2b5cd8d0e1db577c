"""The CI workflow end to end: a GitLab job sources `werf ci-env gitlab --as-file` and runs the real
`werf build-and-publish`. The stages storage becomes `$CI_REGISTRY_IMAGE/stages` and the images repo
`$CI_REGISTRY_IMAGE` without the job naming either; the test registry stands in for GitLab's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ci_env.conftest import GITLAB_BRANCH_PIPELINE
from tests.support.project import make_project
from werf_core.ci_env.slug import docker_tag

pytestmark = [pytest.mark.docker, pytest.mark.registry]

WERF_BIN = Path(sys.executable).parent / "werf"


@pytest.mark.parametrize("strategy", ["stages-signature", "tag-or-branch"])
def test_sourced_gitlab_environment_drives_build_and_publish(strategy, clean_env, git_repo, registry,
                                                             registry_busybox, project_name, tmp_path):
    make_project(git_repo, f"""
    project: {project_name}
    configVersion: 1
    ---
    image: app
    from: {registry_busybox}
    git:
    - add: /src
      to: /app
    shell:
      install: [cat /app/VERSION > /installed-version]
    docker:
      CMD: ["cat", "/app/VERSION"]
    """, {"src/VERSION": "7.0\n"})
    job = {**os.environ, **GITLAB_BRANCH_PIPELINE,
           "PATH": f"{WERF_BIN.parent}:{os.environ['PATH']}",
           "CI_REGISTRY": registry.address, "CI_REGISTRY_IMAGE": registry.repo(project_name),
           "CI_COMMIT_SHA": git_repo.head(), "CI_COMMIT_REF_NAME": "feature/PAY-42", "CI_PROJECT_DIR": str(git_repo.path)}
    script = (f'set -e; . $(werf ci-env gitlab --as-file --tagging-strategy {strategy}); '
              f'werf build-and-publish --synchronization :local --publish-report-path "{tmp_path}/publish.json"; '
              'printf "%s\\n%s\\n" "$WERF_STAGES_STORAGE" "$WERF_IMAGES_REPO"')
    done = subprocess.run(["bash", "-c", script], env=job, cwd=git_repo.path, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [registry.repo(f"{project_name}/stages"), registry.repo(project_name)]

    stage_tags = registry.tags(f"{project_name}/stages")
    assert any(t.split("-")[-1].isdigit() for t in stage_tags)          # <digest>-<uniqueID> stages were stored
    published = json.loads((tmp_path / "publish.json").read_text())["Images"]["app"]
    # tag-or-branch: werf's docker-tag slug of the branch (lower case, `/` → `-`, a hash suffix as the name changed)
    expected_tag = docker_tag("feature/PAY-42") if strategy == "tag-or-branch" else published["DockerTag"]
    assert published["DockerTag"] == expected_tag
    assert registry.tags(f"{project_name}/app") == [expected_tag]
    labels = registry.config(f"{project_name}/app", expected_tag)["config"]["Labels"]
    assert labels["werf-image"] == "true" and labels["werf-image-name"] == "app"
    if strategy == "tag-or-branch":
        assert expected_tag.startswith("feature-pay-42-")
    else:
        assert labels["werf-content-signature"] == expected_tag
