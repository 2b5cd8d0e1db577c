"""Dockerfile images through `werf build`: one stage per instruction, caching by exactly what each one reads."""

from __future__ import annotations

import json
import time
import uuid
from textwrap import dedent

import pytest

from tests.registry_storage.support import (
    blob_downloads,
    build_args,
    container_creates,
    forget_project_images,
    layer_digests,
    read_report,
    stage_tags,
    werf,
)
from tests.support.docker_cleanup import remove_project_images
from tests.support.project import build, make_project, run_werf, statuses, werf_env

pytestmark = [pytest.mark.docker]
BUSYBOX = "werf-prefect/busybox:latest"

DOCKERFILE = """\
ARG BASE={base}
FROM $BASE AS build
RUN mkdir /out && echo built > /out/artifact
FROM $BASE
ARG GREETING
WORKDIR /app
COPY config/ ./config/
RUN cat config/settings > /app/settings.copy && echo "$GREETING" > /app/greeting
COPY --from=build /out/artifact /app/artifact
COPY main.sh /app/
CMD ["/bin/sh", "/app/main.sh"]
"""
FILES = {"config/settings": "a=1\n", "main.sh": "echo main\n", "README.md": "docs\n", "unrelated.txt": "x\n",
         "secret.log": "ignored\n", ".dockerignore": "*.log\n"}


def werf_yaml(project: str, base: str = BUSYBOX) -> str:
    return f"""
    project: {project}
    configVersion: 1
    ---
    image: app
    dockerfile: Dockerfile
    args:
      BASE: {base}
      GREETING: hello
    """


@pytest.fixture
def project(docker_client):
    name = f"t-{uuid.uuid4().hex[:10]}"
    yield name
    remove_project_images(docker_client, name)


def container_starts(client, project: str, since: float) -> int:
    events = client.api.events(since=int(since), until=int(time.time()) + 1, decode=True,
                               filters={"type": "container", "event": "start", "label": f"werf={project}"})
    return sum(1 for _ in events)


def test_stages_per_instruction_idle_and_one_file_change(git_repo, werf_home, project, docker_client):
    make_project(git_repo, werf_yaml(project), {**FILES, "Dockerfile": DOCKERFILE.format(base=BUSYBOX)})
    _, first = build(git_repo, werf_home)
    names = list(statuses(first, "app"))
    assert names == ["FROM#2", "RUN#3", "FROM#4", "WORKDIR#6", "COPY#7", "RUN#8", "COPY#9", "COPY#10", "CMD#11"]
    # both stages start from the same base: one FROM stage serves them
    assert [n for n, s in statuses(first, "app").items() if s != "built"] == ["FROM#4"]
    image = first["images"]["app"]["stageImage"]
    output = docker_client.containers.run(image, remove=True, network_disabled=True,
                                          command=["/bin/sh", "-c", "cat /app/settings.copy /app/greeting "
                                                                    "/app/artifact; sh /app/main.sh"])
    assert output.decode() == "a=1\nhello\nbuilt\nmain\n"

    time.sleep(1.1)   # engine events have one-second resolution; the check container above is not ours
    since = time.time()
    git_repo.write("unrelated.txt", "changed\n")
    git_repo.write("secret.log", "changed, but ignored by .dockerignore\n")
    _, idle = build(git_repo, werf_home)
    assert set(statuses(idle, "app").values()) == {"reused"}
    assert container_starts(docker_client, project, since) == 0

    git_repo.write("main.sh", "echo changed\n")
    _, changed = build(git_repo, werf_home)
    result = statuses(changed, "app")
    assert [n for n, s in result.items() if s == "built"] == ["COPY#10", "CMD#11"]


def test_a_changed_build_arg_rebuilds_from_the_run_that_uses_it(git_repo, werf_home, project):
    make_project(git_repo, werf_yaml(project), {**FILES, "Dockerfile": DOCKERFILE.format(base=BUSYBOX)})
    build(git_repo, werf_home)
    git_repo.write("werf.yaml", dedent(werf_yaml(project)).lstrip().replace("GREETING: hello", "GREETING: bye"))
    _, report = build(git_repo, werf_home)
    assert [n for n, s in statuses(report, "app").items() if s == "built"] == ["RUN#8", "COPY#9", "COPY#10",
                                                                               "CMD#11"]


@pytest.mark.parametrize("dockerfile, message", [
    ("FROM {base}\nRUN true\nBOGUS x\n", "Dockerfile:3: unknown instruction: BOGUS"),
    ("FROM {base}\nCOPY --from=127.0.0.1:1/none /x /y\nRUN true\n", "base image '127.0.0.1:1/none'"),
    ("FROM {base}\nENV A=${{B:?must-be-set}}\n", "Dockerfile:2: B: must-be-set"),
    ("FROM {base}\nRUN true\nCOPY missing.txt /m\n", "Dockerfile:3: COPY: missing.txt: not found in the build "
                                                     "context"),
    ("FROM {base}\nRUN exit 3\n", "RUN#2: the command returned a non-zero code: 3"),
])
def test_bad_dockerfiles_fail_with_path_and_line_and_store_nothing(git_repo, werf_home, project, docker_client,
                                                                    dockerfile, message):
    make_project(git_repo, werf_yaml(project), {**FILES, "Dockerfile": dockerfile.format(base=BUSYBOX)})
    result, _ = build(git_repo, werf_home, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    stored = docker_client.images.list(name=f"werf-stages-storage/{project}")
    # nothing of the failing instruction and after it is stored (earlier instructions are complete stages)
    assert all(len(s.tags) for s in stored)
    if "unknown instruction" in message or "must-be-set" in message:
        assert stored == []


@pytest.mark.registry
def test_registry_stages_storage_fresh_runner(git_repo, project, registry, registry_busybox, docker_client,
                                              tmp_path):
    make_project(git_repo, werf_yaml(project, registry_busybox),
                 {**FILES, "Dockerfile": DOCKERFILE.format(base=registry_busybox)})
    stages = registry.repo(f"{project}/stages")
    homes = [tmp_path / n for n in ("a", "b", "c")]
    for home in homes:
        home.mkdir()
    werf(build_args("build", git_repo.path, stages, report=homes[0] / "r.json"), homes[0])
    assert "built" in set(statuses_of(read_report(homes[0] / "r.json")).values())

    # a fresh runner: no stage image in the engine, own WERF_HOME
    forget_project_images(docker_client, project)
    position = registry.log_position()
    since = time.time()
    werf(build_args("build", git_repo.path, stages, report=homes[1] / "r.json"), homes[1])
    assert set(statuses_of(read_report(homes[1] / "r.json")).values()) == {"reused"}
    assert container_creates(docker_client, since, project) == []
    layers = layer_digests(registry, f"{project}/stages", stage_tags(registry, f"{project}/stages"))
    assert layers and not set(blob_downloads(registry.requests_since(position))) & layers

    git_repo.write("main.sh", "echo changed\n")
    forget_project_images(docker_client, project)
    werf(build_args("build", git_repo.path, stages, report=homes[2] / "r.json"), homes[2])
    built = [n for n, s in statuses_of(read_report(homes[2] / "r.json")).items() if s == "built"]
    assert built == ["COPY#10", "CMD#11"]


def statuses_of(report: dict) -> dict[str, str]:
    return {s["name"]: s["status"] for s in report["images"]["app"]["stages"]}


def test_stages_plan_and_stapel_images_on_top_of_a_dockerfile_image(git_repo, werf_home, project, docker_client):
    """`werf stages plan` lists the instructions; a stapel image uses a Dockerfile image as base and imports from
    it (and the Dockerfile image's stages are shared, not rebuilt)."""
    config = werf_yaml(project) + f"""
    ---
    image: stapel
    fromImage: app
    shell:
      setup: [cat /app/greeting > /from-dockerfile-image]
    ---
    image: importer
    from: {BUSYBOX}
    import:
    - image: app
      add: /app/artifact
      to: /imported/artifact
      after: setup
    """
    make_project(git_repo, config, {**FILES, "Dockerfile": DOCKERFILE.format(base=BUSYBOX)})
    env = werf_env(werf_home)
    planned = run_werf(["stages", "plan", "--dir", str(git_repo.path), "--stages-storage", ":local", "--output",
                        "json", "app"], env=env)
    plan = json.loads(planned.stdout)
    assert [s["name"] for s in plan["images"]["app"]["stages"]][-3:] == ["COPY#9", "COPY#10", "CMD#11"]
    assert {s["status"] for s in plan["images"]["app"]["stages"]} <= {"planned", "reused"}
    _, report = build(git_repo, werf_home)
    for name, command in (("stapel", "cat /from-dockerfile-image"), ("importer", "cat /imported/artifact")):
        image = report["images"][name]["stageImage"]
        out = docker_client.containers.run(image, command=["/bin/sh", "-c", command], remove=True,
                                           network_disabled=True)
        assert out.decode() == {"stapel": "hello\n", "importer": "built\n"}[name]
    _, again = build(git_repo, werf_home)
    assert {s["status"] for i in again["images"].values() for s in i["stages"]} == {"reused"}
