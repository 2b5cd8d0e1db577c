"""Host cleanup on the real engine: LRU removal of local stage images above a (small, injected) volume threshold,
never an image a container uses or a running build holds; leftovers of killed builds; the post-build hook."""

from __future__ import annotations

import os
import time

import pytest

from tests.support.project import build, make_project
from werf_core.cleanup.host import HostCleanupOptions, VolumeUsage, host_cleanup
from werf_core.cleanup.report import CleanupReport
from werf_core.fsutil import hold_in_use_marker
from werf_core.storage import lru
from werf_core.sync import open_synchronization

NO_AUTO = {"WERF_DISABLE_AUTO_HOST_CLEANUP": "1"}


def project_config(project: str, base: str) -> str:
    return f"""
    project: {project}
    configVersion: 1
    ---
    image: app
    from: {base}
    git:
    - add: /src
      to: /app
    shell:
      install:
      - echo installed > /installed
    """


def stage_images(client, project: str) -> dict[str, dict]:
    """tag → image summary of the project's tagged local stage images."""
    found = {}
    for image in client.api.images(filters={"label": ["werf-stage-signature", f"werf={project}"]}):
        for tag in image.get("RepoTags") or []:
            if tag.startswith("werf-stages-storage/"):
                found[tag] = image
    return found


@pytest.fixture
def built(git_repo, project_name, busybox_image, werf_home, docker_client):
    make_project(git_repo, project_config(project_name, busybox_image), {"src/version": "1\n"})
    build(git_repo, werf_home, env_extra=NO_AUTO)
    for version in ("2", "3"):
        git_repo.write("src/version", version + "\n")
        git_repo.commit(version)
        build(git_repo, werf_home, env_extra=NO_AUTO)
    return stage_images(docker_client, project_name)


def test_lru_removes_least_recently_used_first_and_never_what_is_in_use(built, docker_client, project_name,
                                                                        werf_home):
    images = built
    assert len(images) >= 5
    # a known use order: the recorded last-use times decide, not creation
    order = sorted(images, key=lambda tag: images[tag]["Id"])
    for rank, tag in enumerate(order):
        lru.record_use(tag, now=lambda rank=rank: 1_000_000 + rank)
    in_container, held = order[0], order[1]            # the two least recently used, both protected
    container = docker_client.api.create_container(in_container, command=["true"], labels={"werf": project_name})
    sync = open_synchronization(":local", project_name, stages_storage=":local")
    leases = sync.stage_leases()
    leases.hold(images[held]["Labels"]["werf-stage-signature"])     # as a running build holds it

    def present() -> dict[str, dict]:
        return stage_images(docker_client, project_name)

    total = 1000 * 1024 * 1024

    def usage() -> VolumeUsage:              # the volume "holds" the project's images plus a fixed rest
        return VolumeUsage(total, 600 * 1024 * 1024 + sum(i["Size"] for i in present().values()))

    unprotected = [tag for tag in order if tag not in (in_container, held)]
    # a threshold that needs exactly the two least recently used unprotected images gone (the second one in part)
    need = images[unprotected[0]]["Size"] + images[unprotected[1]]["Size"] // 2
    allowed, margin = 100.0 * (usage().used - need) / total + 0.25, 0.25
    options = HostCleanupOptions(allowed_usage=allowed, margin=margin, lru_project=project_name,
                                 project=project_name)
    try:
        quiet = CleanupReport()                 # below the threshold nothing goes
        host_cleanup(docker_client, options, quiet, usage=lambda: VolumeUsage(total, total // 2))
        dry = CleanupReport(dry_run=True)       # a dry run lists, removes nothing
        host_cleanup(docker_client, options, dry, usage=usage)
        assert set(present()) == set(images) and quiet.names("host.images") == []
        report = CleanupReport()
        host_cleanup(docker_client, options, report, usage=usage)
    finally:
        leases.release_all()
        docker_client.api.remove_container(container["Id"], force=True)
    left = present()
    removed = [tag for tag in order if tag not in left]
    assert in_container in left and held in left                    # in use: never removed, though least recent
    assert removed == unprotected[:2], report.to_json()              # least recently used first, no more than needed
    assert usage().percent <= allowed - margin
    assert report.names("host.images") == dry.names("host.images") == sorted(removed)


def test_leftovers_of_a_killed_build_go_and_a_live_build_s_stay(docker_client, project_name, busybox_image,
                                                                tmp_path, monkeypatch):
    monkeypatch.setenv("WERF_TMP_DIR", str(tmp_path))
    dead = tmp_path / f"werf-{project_name}-dead"
    live = tmp_path / f"werf-{project_name}-live"
    for directory in (dead, live):
        directory.mkdir()
        (directory / "file").write_text("x")
    os.close(hold_in_use_marker(dead))              # the build that held it is gone
    marker = hold_in_use_marker(live)               # still building
    unrelated = tmp_path / "werf-test-registry-data"   # not ours, however old
    unrelated.mkdir()
    old_container = docker_client.api.create_container(busybox_image, command=["true"], name=f"werf.build.{project_name}",
                                                       labels={"werf": project_name})
    try:
        report = CleanupReport()
        host_cleanup(docker_client, HostCleanupOptions(project=project_name, min_age=0, lru=False), report,
                     now=lambda: time.time() + 1)
    finally:
        os.close(marker)
        try:
            docker_client.api.remove_container(old_container["Id"], force=True)
        except Exception:
            pass
    assert not dead.exists() and live.exists() and unrelated.exists()
    assert report.names("host.tmpDirs") == [str(dead)]
    assert report.names("host.containers") == [f"werf.build.{project_name}"]


def test_the_volume_usage_is_measured_as_df_does(docker_client):
    """Reserved and unavailable blocks count neither way: on this host's thin volume, f_blocks alone reads ~70 %
    where df says ~30 % — a GC trusting it would wipe a healthy engine's stage images."""
    import subprocess

    from werf_core.cleanup.host import docker_volume_usage
    probe = docker_volume_usage(docker_client)
    assert probe is not None
    root = docker_client.info()["DockerRootDir"]
    df = subprocess.run(["df", "-P", root], capture_output=True, text=True, check=True).stdout.splitlines()[-1]
    df_percent = float(df.split()[4].rstrip("%"))
    assert abs(probe().percent - df_percent) <= 1.5
