"""werf 1.2 `dependencies:` of a stapel image: the dependency's name, ID, repo, tag and digest arrive as environment
variables (image ENV from the import stage on), and a rebuilt dependency rebuilds the dependent stages."""

from __future__ import annotations

import pytest

from tests.support.project import build, make_project, statuses

pytestmark = [pytest.mark.docker]

BUSYBOX = "werf-prefect/busybox:latest"


def config(project: str, base_step: str = "echo base > /base") -> str:
    return f"""
    project: {project}
    configVersion: 1
    ---
    image: base
    from: {BUSYBOX}
    shell:
      install:
      - {base_step}
    ---
    image: app
    from: {BUSYBOX}
    dependencies:
    - image: base
      before: install
      imports:
      - {{type: ImageName, targetEnv: BASE_NAME}}
      - {{type: ImageID, targetEnv: BASE_ID}}
      - {{type: ImageRepo, targetEnv: BASE_REPO}}
      - {{type: ImageTag, targetEnv: BASE_TAG}}
      - {{type: ImageDigest, targetEnv: BASE_DIGEST}}
    shell:
      install:
      - echo "$BASE_NAME|$BASE_ID" > /seen-at-install
    """


def test_dependency_facts_are_environment_variables(git_repo, werf_home, docker_client, project_name):
    make_project(git_repo, config(project_name))
    _, report = build(git_repo, werf_home)
    base = report["images"]["base"]
    app = report["images"]["app"]
    assert list(statuses(report, "app")) == ["from", "importsBeforeInstall", "install"]
    env = dict(item.split("=", 1) for item in docker_client.api.inspect_image(app["stageImage"])["Config"]["Env"])
    repo, _, tag = base["stageImage"].rpartition(":")
    assert env["BASE_NAME"] == base["stageImage"] and env["BASE_ID"] == base["stageImageID"]
    assert env["BASE_REPO"] == repo and env["BASE_TAG"] == tag and env["BASE_DIGEST"] == base["stageImageID"]
    seen = docker_client.containers.run(app["stageImage"], ["cat", "/seen-at-install"], remove=True,
                                        network_disabled=True).decode().strip()
    assert seen == f"{base['stageImage']}|{base['stageImageID']}"

    make_project(git_repo, config(project_name, "echo changed > /base"), message="base changed")
    _, again = build(git_repo, werf_home)
    assert statuses(again, "app")["importsBeforeInstall"] == "built"
    assert statuses(again, "app")["install"] == "built"
    assert again["images"]["app"]["stageImage"] != app["stageImage"]
