"""What a build asks the registry (counted in the registry's access log): a stages repository is listed at most once
per build, no resource is requested twice, and with `kubernetes://` synchronization a fresh runner's idle build asks
nothing at all — the stages-storage cache holds what selection needs."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.registry_storage.support import all_statuses, build_args, forget_project_images, read_report, werf
from tests.support.kube_emulator import KubeEmulator

pytestmark = [pytest.mark.docker, pytest.mark.registry]


def tag_listings(requests: list[tuple[str, str]], repository: str) -> int:
    return sum(1 for method, path in requests if method == "GET" and path.startswith(f"/v2/{repository}/tags/list"))


def repeated(requests: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    return {request: n for request, n in Counter(requests).items() if n > 1}


def kube_args(command, project, stages, kubeconfig, *extra, report=None):
    args = build_args(command, project.path, stages, *extra, report=report)
    at = args.index("--synchronization")
    args[at + 1] = f"kubernetes://werf-synchronization@{kubeconfig}"
    return args


def test_a_cold_build_lists_the_stages_repository_once_and_probes_no_rejected_tags(
        app_project, home_a, stages_repo, registry, project_name, tmp_path):
    position = registry.log_position()
    report = tmp_path / "a.json"
    werf(build_args("build", app_project.path, stages_repo, report=report), home_a)
    assert all_statuses(read_report(report)) == {"built", "reused"}     # `from` is shared by both images
    requests = registry.requests_since(position)
    repository = f"{project_name}/stages"
    assert tag_listings(requests, repository) == 1, requests
    assert not [p for _, p in requests if "-rejected" in p], "rejected markers are answered by the listing"
    # (`docker push` through the engine pings /v2/ and HEADs every parent layer per push: the engine's requests,
    # not ours; what this build reads itself — tag lists, manifests, configs — it reads once)
    ours = [r for r in requests if "/tags/list" in r[1] or "/manifests/" in r[1]]
    assert not [r for r in repeated(ours) if r[0] in ("GET", "HEAD")], repeated(ours)


def test_a_fresh_runners_idle_build_with_local_sync_requests_no_url_twice(
        app_project, home_a, home_b, stages_repo, registry, docker_client, project_name):
    werf(build_args("build", app_project.path, stages_repo), home_a)
    forget_project_images(docker_client, project_name)
    position = registry.log_position()
    werf(build_args("build", app_project.path, stages_repo), home_b)      # home_b: a runner that saw nothing
    requests = registry.requests_since(position)
    assert requests and repeated(requests) == {}, repeated(requests)
    assert tag_listings(requests, f"{project_name}/stages") == 1


def test_a_fresh_runners_idle_build_with_kubernetes_sync_asks_the_registry_nothing(
        app_project, home_a, home_b, stages_repo, registry, docker_client, project_name, tmp_path):
    with KubeEmulator() as emulator:
        kubeconfig = emulator.write_kubeconfig(tmp_path / "kubeconfig")
        werf(kube_args("build", app_project, stages_repo, kubeconfig), home_a)
        forget_project_images(docker_client, project_name)
        position, kube_position = registry.log_position(), len(emulator.requests)
        report = tmp_path / "b.json"
        werf(kube_args("build", app_project, stages_repo, kubeconfig, report=report), home_b)
        assert all_statuses(read_report(report)) == {"reused"}
        assert registry.requests_since(position) == []
        # and the cache was read once per shard, not once per stage
        shard_reads = Counter(r.name for r in emulator.requests[kube_position:]
                              if r.verb == "get" and "-stages-cache-" in (r.name or ""))
        assert shard_reads and set(shard_reads.values()) == {1}, shard_reads
