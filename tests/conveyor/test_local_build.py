"""`werf build` on the local stages storage, end to end with the real Docker engine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.support.project import build, make_project, statuses, werf_env

pytestmark = [pytest.mark.docker]

BUSYBOX = "werf-prefect/busybox:latest"


def app_config(project: str, *, install_extra: str = "", from_ref: str = BUSYBOX) -> str:
    return f"""
    project: {project}
    configVersion: 1
    ---
    artifact: tools
    from: {from_ref}
    shell:
      install:
      - mkdir -p /out/bin
      - printf '#!/bin/sh\\necho tool-ok\\n' > /out/bin/tool
      - chmod 0750 /out/bin/tool
    ---
    image: app
    from: {from_ref}
    git:
    - add: /src
      to: /app
      owner: app
      group: app
      excludePaths: ["**/*.tmp"]
      stageDependencies:
        install: [requirements.txt]
        setup: ["config/**"]
    shell:
      beforeInstall:
      - echo 'app:x:1000:' >> /etc/group
      - echo 'app:x:1000:1000::/app:/bin/sh' >> /etc/passwd
      install:
      - sed -e 's/^/locked=/' /app/requirements.txt > /app/deps.lock{install_extra}
      setup:
      - cp -R /app/config /etc/app-config
    import:
    - artifact: tools
      add: /out
      to: /opt/tools
      after: install
      owner: app
    docker:
      WORKDIR: /app
      USER: app
      ENV: {{APP_MODE: test}}
      CMD: ["/opt/tools/bin/tool"]
    """


APP_FILES = {
    "src/VERSION": "1.0\n",
    "src/requirements.txt": "a==1\nb==2\n",
    "src/config/main.conf": "mode=one\n",
    "src/lib/util.sh": "echo util\n",
    "src/notes.tmp": "not exported\n",
}


def run_in(client, image: str, script: str) -> str:
    return client.containers.run(image, ["/bin/sh", "-c", script], entrypoint=[""], remove=True,
                                 network_disabled=True, user="0").decode()


def final_image(report: dict, image: str = "app") -> str:
    return report["images"][image]["stageImage"]


def stage_tags(client, project: str) -> list[str]:
    tags = []
    for image in client.images.list(name=f"werf-stages-storage/{project}"):
        tags += [t.split(":", 1)[1] for t in image.tags if t.startswith(f"werf-stages-storage/{project}:")]
    return tags


def containers_of(client, project: str) -> list:
    # sparse: a container removed between listing and inspecting must not fail the listing
    return client.containers.list(all=True, filters={"label": f"werf={project}"}, sparse=True)


@pytest.fixture
def app_project(git_repo, project_name, busybox_image):
    make_project(git_repo, app_config(project_name), APP_FILES)
    return git_repo


def test_first_build_builds_every_stage_and_the_image_runs(app_project, werf_home, docker_client, project_name):
    result, report = build(app_project, werf_home)
    app = statuses(report, "app")
    assert list(app) == ["from", "beforeInstall", "gitArchive", "install", "importsAfterInstall", "setup",
                         "dockerInstructions"]
    # every digest was built exactly once; `from` is shared by the artifact and the image (same digest)
    built = Counter(s["digest"] for i in report["images"].values() for s in i["stages"] if s["status"] == "built")
    all_digests = {s["digest"] for i in report["images"].values() for s in i["stages"]}
    assert set(built) == all_digests and set(built.values()) == {1}
    assert "gitArchive" in result.stderr and "built" in result.stderr

    image = final_image(report)
    assert docker_client.containers.run(image, remove=True, network_disabled=True).decode() == "tool-ok\n"
    listing = run_in(docker_client, image, "cd /app && stat -c '%n %U:%G %a' VERSION requirements.txt config "
                                           "config/main.conf lib/util.sh deps.lock; ls /app; "
                                           "stat -c '%n %U %a' /opt/tools/bin/tool; cat /etc/app-config/main.conf")
    lines = listing.splitlines()
    assert "VERSION app:app 644" in lines
    assert "config app:app 755" in lines
    assert "lib/util.sh app:app 644" in lines
    assert "deps.lock root:root 644" in lines          # made by a root shell command, not by git
    assert "notes.tmp" not in listing                   # excluded by excludePaths
    assert "/opt/tools/bin/tool app 750" in lines       # imported with the import's owner, mode kept
    assert "mode=one" in lines
    config = docker_client.api.inspect_image(image)["Config"]
    assert config["User"] == "app" and config["WorkingDir"] == "/app" and "APP_MODE=test" in config["Env"]
    assert config["Labels"]["werf"] == project_name
    assert config["Labels"]["werf-stage-signature"] == report["images"]["app"]["stageDigest"]


def test_second_build_reuses_every_stage_and_starts_no_container(app_project, werf_home, docker_client,
                                                                 project_name):
    build(app_project, werf_home)
    time.sleep(1.1)  # Docker's event filter has one-second resolution
    since = int(time.time())
    _, report = build(app_project, werf_home)
    assert report["counts"] == {"reused": sum(len(i["stages"]) for i in report["images"].values())}
    events = docker_client.events(since=since, until=int(time.time()) + 1, decode=True,
                                  filters={"type": "container", "event": "create"})
    assert [e for e in events if e.get("Actor", {}).get("Attributes", {}).get("werf") == project_name] == []


def test_source_change_rebuilds_only_the_patch_stage(app_project, werf_home, docker_client):
    _, first = build(app_project, werf_home)
    app_project.write("src/VERSION", "2.0\n")
    app_project.remove("src/lib/util.sh")
    app_project.write("src/new/file.txt", "new\n")
    app_project.commit("bump version")
    _, second = build(app_project, werf_home)
    app = statuses(second, "app")
    assert {k: v for k, v in app.items() if v == "built"} == {"gitLatestPatch": "built",
                                                              "dockerInstructions": "built"}
    assert all(v == "reused" for k, v in app.items() if k not in ("gitLatestPatch", "dockerInstructions"))
    image = final_image(second)
    out = run_in(docker_client, image, "cat /app/VERSION; ls /app/lib | wc -l; stat -c '%U' /app/new/file.txt")
    assert out.split() == ["2.0", "0", "app"]
    # the previous final image is untouched
    assert run_in(docker_client, final_image(first), "cat /app/VERSION").strip() == "1.0"


def test_large_change_goes_to_git_cache(app_project, werf_home, docker_client):
    build(app_project, werf_home)
    app_project.write("src/blob.bin", os.urandom(3 * 1024 * 1024))
    app_project.commit("add a large binary")
    _, report = build(app_project, werf_home)
    app = statuses(report, "app")
    assert app["gitCache"] == "built" and "gitLatestPatch" not in app   # nothing left for the latest patch
    assert app["dockerInstructions"] == "built" and app["install"] == "reused"
    out = run_in(docker_client, final_image(report), "stat -c '%s %U' /app/blob.bin")
    assert out.split() == [str(3 * 1024 * 1024), "app"]


def test_stage_dependency_change_rebuilds_install_and_later(app_project, werf_home, docker_client):
    build(app_project, werf_home)
    app_project.write("src/requirements.txt", "a==1\nb==3\n")
    app_project.commit("bump b")
    _, report = build(app_project, werf_home)
    app = statuses(report, "app")
    assert app["from"] == app["beforeInstall"] == app["gitArchive"] == "reused"
    assert app["install"] == app["importsAfterInstall"] == app["setup"] == app["dockerInstructions"] == "built"
    assert "gitLatestPatch" not in app   # install applied the patch, commits are equal afterwards
    assert run_in(docker_client, final_image(report), "cat /app/deps.lock").split() == ["locked=a==1", "locked=b==3"]


def test_two_processes_publish_one_stage_per_digest(app_project, werf_home, docker_client, project_name):
    env = werf_env(werf_home)
    werf = str(Path(sys.executable).with_name("werf"))
    cmd = [werf, "build", "--dir", str(app_project.path), "--stages-storage", ":local"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    digests = Counter(tag.rsplit("-", 1)[0] for tag in stage_tags(docker_client, project_name))
    assert digests and set(digests.values()) == {1}, digests
    assert containers_of(docker_client, project_name) == []


def test_failing_command_names_it_and_leaves_nothing(git_repo, werf_home, docker_client, project_name,
                                                     busybox_image):
    make_project(git_repo, f"""
    project: {project_name}
    configVersion: 1
    ---
    image: broken
    from: {BUSYBOX}
    shell:
      install:
      - echo preparing
      - echo "something went wrong" >&2; exit 3
      - echo never
    """)
    result, report = build(git_repo, werf_home, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert 'command `echo "something went wrong" >&2; exit 3` failed with exit code 3' in result.stderr
    assert "something went wrong" in result.stderr
    assert report is None
    assert containers_of(docker_client, project_name) == []
    assert len(stage_tags(docker_client, project_name)) == 1   # only the `from` stage was published
    dangling = docker_client.images.list(filters={"label": f"werf={project_name}", "dangling": True})
    assert dangling == []


def test_missing_base_image_is_one_clear_error(git_repo, werf_home, project_name, busybox_image):
    make_project(git_repo, f"""
    project: {project_name}
    configVersion: 1
    ---
    image: app
    from: 127.0.0.1:1/no/such-image:1
    shell:
      install: [echo hi]
    """)
    result, _ = build(git_repo, werf_home, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "base image '127.0.0.1:1/no/such-image:1' is not in the Docker engine and could not be pulled" \
        in result.stderr
    assert result.stderr.count("Error:") == 1


def test_bad_werf_yaml_is_one_clear_error(git_repo, werf_home, project_name):
    make_project(git_repo, f"""
    project: {project_name}
    configVersion: 1
    ---
    image: app
    from: {BUSYBOX}
    shel:
      install: [echo hi]
    """)
    result, _ = build(git_repo, werf_home, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "werf.yaml:6" in result.stderr and "shel" in result.stderr and "shell" in result.stderr


def test_ctrl_c_mid_build_stops_cleanly(git_repo, werf_home, docker_client, project_name, busybox_image):
    make_project(git_repo, f"""
    project: {project_name}
    configVersion: 1
    ---
    image: slow
    from: {BUSYBOX}
    shell:
      install:
      - echo started
      - sleep 60
    """)
    werf = str(Path(sys.executable).with_name("werf"))
    proc = subprocess.Popen([werf, "build", "--dir", str(git_repo.path), "--stages-storage", ":local"],
                            env=werf_env(werf_home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    # `from` published and the install container up (a loaded machine may take longer than a second for `from`)
    while time.monotonic() < deadline and not (stage_tags(docker_client, project_name)
                                               and containers_of(docker_client, project_name)):
        time.sleep(0.2)
    assert containers_of(docker_client, project_name), "the build container never started"
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert "Interrupted" in err
    assert containers_of(docker_client, project_name) == []
    assert docker_client.images.list(filters={"label": f"werf={project_name}", "dangling": True}) == []
    assert len(stage_tags(docker_client, project_name)) == 1   # only `from` was published
