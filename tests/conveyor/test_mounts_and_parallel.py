"""Build-time mounts (tmp_dir, build_dir, fromPath) and images of one dependency set built in parallel."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from tests.support.project import build, make_project, statuses

pytestmark = [pytest.mark.docker]

BUSYBOX = "werf-prefect/busybox:latest"


def test_mounts_are_bound_while_building_and_empty_in_the_image(git_repo, werf_home, docker_client, project_name,
                                                              busybox_image, tmp_path):
    host_dir = tmp_path / "host-data"
    host_dir.mkdir()
    (host_dir / "seed.txt").write_text("from the host\n")
    make_project(git_repo, f"""
    project: {project_name}
    configVersion: 1
    ---
    image: app
    from: {BUSYBOX}
    mount:
    - from: tmp_dir
      to: /var/tmp/build
    - from: build_dir
      to: /var/cache/pkg
    - fromPath: {host_dir}
      to: /mnt/host
    shell:
      install:
      - echo scratch > /var/tmp/build/scratch
      - echo "run-$(date +%s%N)" >> /var/cache/pkg/runs
      - cp /mnt/host/seed.txt /seed.txt
      - echo written-back > /mnt/host/out.txt
      - wc -l < /var/cache/pkg/runs > /cache-runs
    """)
    _, report = build(git_repo, werf_home)
    image = report["images"]["app"]["stageImage"]
    out = docker_client.containers.run(image, ["sh", "-c", "cat /seed.txt /cache-runs; "
                                                           "find /var/tmp/build /var/cache/pkg /mnt/host -mindepth 1 | wc -l"],
                                       remove=True, network_disabled=True).decode().split()
    assert out == ["from", "the", "host", "1", "0"]      # mountpoints exist but hold nothing in the image
    assert (host_dir / "out.txt").read_text() == "written-back\n"
    labels = docker_client.api.inspect_image(image)["Config"]["Labels"]
    assert labels["werf-mount-type-tmp-dir"] == "/var/tmp/build"
    assert labels["werf-mount-type-build-dir"] == "/var/cache/pkg"

    # build_dir survives between builds of the project on this host; tmp_dir does not
    git_repo.write("werf.yaml", (git_repo.path / "werf.yaml").read_text().replace(
        "> /cache-runs", "> /cache-runs; ls -A /var/tmp/build | wc -l > /tmp-entries"))
    git_repo.commit("second build")
    _, report = build(git_repo, werf_home)
    image = report["images"]["app"]["stageImage"]
    out = docker_client.containers.run(image, ["sh", "-c", "cat /cache-runs /tmp-entries"], remove=True,
                                       network_disabled=True).decode().split()
    assert out == ["2", "1"]


def test_independent_images_build_in_parallel_and_share_identical_stages(git_repo, werf_home, docker_client,
                                                                        project_name, busybox_image):
    images = "\n".join(f"""---
image: svc{i}
from: {BUSYBOX}
shell:
  beforeInstall: [echo common > /common]
  install: [sleep 2, echo svc{i} > /name]
""" for i in range(3))
    make_project(git_repo, f"project: {project_name}\nconfigVersion: 1\n{images}")
    since = time.time()
    _, report = build(git_repo, werf_home, "--parallel-tasks-limit", "3")
    for i in range(3):
        assert list(statuses(report, f"svc{i}")) == ["from", "beforeInstall", "install"]
    # the shared from/beforeInstall digests were built once (in-process digest mutex) and reused by the others
    built = Counter(s["digest"] for img in report["images"].values() for s in img["stages"] if s["status"] == "built")
    assert set(built.values()) == {1} and len(built) == 2 + 3
    # the three install containers ran at the same time: their run intervals overlap
    events = docker_client.events(since=int(since) - 1, until=int(time.time()) + 1, decode=True,
                                  filters={"type": "container", "label": f"werf={project_name}"})
    spans: dict[str, list[int]] = {}
    for event in events:
        if event.get("status") in ("start", "die"):
            spans.setdefault(event["id"], []).append(event["timeNano"])
    intervals = sorted((min(t), max(t)) for t in spans.values() if len(t) == 2)
    overlapping = max(sum(1 for s2, e2 in intervals if s2 < end and e2 > start) for start, end in intervals)
    assert overlapping >= 3, intervals
