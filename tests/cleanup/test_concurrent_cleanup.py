"""Cleanup while builds run: builds of three commits in loops (two runners), cleanup over and over meanwhile, with
`kubernetes://` synchronization on the API emulator and the registry as stages storage.

The policy keeps only main's newest image and the guard period is off, so every cleanup deletes the images and
stages of the two older commits — exactly what the builds of those commits are using. Expected: no build fails
(a build either keeps its stages, because it holds their in-use leases, or rebuilds what a cleanup removed before
it got there), and every image and stage left in the registry is intact.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from tests.cleanup.support import publish, werf_yaml
from tests.registry_storage.support import stage_tags
from tests.support.kube_emulator import KubeEmulator
from tests.support.project import run_werf, werf_env
from werf_core.registry.client import RegistryClient

POLICIES = """cleanup:
  keepPolicies:
  - references:
      branch: main
    imagesPerReference:
      last: 1
"""
ROUNDS = 1


@pytest.fixture
def cluster(tmp_path):
    with KubeEmulator() as emulator:
        yield emulator, emulator.write_kubeconfig(tmp_path / "kubeconfig")


def test_builds_survive_repeated_cleanups(git_repo, project_name, busybox_image, registry, tmp_path, werf_home,
                                          cluster, docker_client):
    emulator, kubeconfig = cluster
    sync = f"kubernetes://werf-synchronization@{kubeconfig}"
    stages, images = registry.repo(f"{project_name}/stages"), registry.repo(project_name)
    git_repo.write("werf.yaml", werf_yaml(project_name, busybox_image, POLICIES))
    commits = []
    for version in ("v1", "v2", "v3"):
        git_repo.write("src/version", version + "\n")
        commits.append(git_repo.commit(version))
    worktrees = []
    for index, commit in enumerate(commits):
        path = tmp_path / f"wt-{index}"
        git_repo.git("worktree", "add", "-q", "--detach", str(path), commit)
        worktrees.append(type(git_repo)(path))

    failures: list[str] = []
    builds = [0]
    seconds: list[float] = []
    done = threading.Event()

    def runner(name: str) -> None:
        home = tmp_path / f"home-{name}"
        home.mkdir()
        for round_ in range(ROUNDS):
            for index, tree in enumerate(worktrees):
                started = time.monotonic()
                result, _ = publish(tree, home, stages, images, f"{name}-{round_}-{index}", synchronization=sync,
                                    check=False)
                seconds.append(time.monotonic() - started)
                builds[0] += 1
                if result.returncode != 0:
                    failures.append(f"{name} round {round_} commit {index} (exit {result.returncode}):\n"
                                    f"{result.stdout[-2000:]}\n{result.stderr[-3000:]}")

    threads = [threading.Thread(target=runner, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    # cleanups run as `werf cleanup` processes, like a scheduled job next to the builds (and so the emulator, which
    # serves from this process, is not starved by cleanup work in it)
    cleanups, deleted_stages = 0, 0
    cleanup_home = tmp_path / "home-cleanup"
    cleanup_home.mkdir()
    try:
        while any(t.is_alive() for t in threads):
            report_path = tmp_path / f"cleanup-{cleanups}.json"
            result = run_werf(["cleanup", "--dir", str(git_repo.path), "--stages-storage", stages,
                               "--synchronization", sync, "--images-repo", images, "--without-kube",
                               "--report-path", str(report_path)],
                              env=werf_env(cleanup_home, WERF_DISABLE_STAGES_CLEANUP_DATE_PERIOD_POLICY="1"),
                              check=False)
            assert result.returncode == 0, result.stderr
            cleanups += 1
            deleted_stages += len(json.loads(report_path.read_text())["stages"]["deleted"])
    finally:
        done.set()
        for thread in threads:
            thread.join()
    durations = sorted(seconds)

    assert not failures, "\n\n".join(failures)
    assert builds[0] == 2 * ROUNDS * len(commits)
    assert cleanups >= 2 and deleted_stages > 0, (cleanups, deleted_stages, durations)   # the race was real

    # nothing left behind is broken: every published tag and every stage reads with all its blobs
    with RegistryClient() as client:
        for tag in registry.tags(f"{project_name}/app"):
            assert client.image_info(f"{images}/app:{tag}", check_layers=True) is not None
        for tag in stage_tags(registry, f"{project_name}/stages"):
            assert client.image_info(f"{stages}:{tag}", check_layers=True) is not None
    # and the newest image (the one the policy keeps) runs
    newest = sorted(t for t in registry.tags(f"{project_name}/app") if t.endswith("-2"))
    assert newest
    reference = f"{images}/app:{newest[-1]}"
    docker_client.images.pull(reference)
    assert docker_client.containers.run(reference, remove=True, labels={"werf": project_name}).decode().strip() == "v3"
