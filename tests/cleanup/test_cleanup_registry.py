"""`werf cleanup` against the real registry and Docker engine, after a scripted git history over "days".

History (day: event → published tag):
  0 main c1 → c1          1 feature-a fa1 → fa1        2 main c2 → c2
  3 main merges feature-a (c3) → c3, tag v1.0, feature-a deleted
  5 feature-b fb1 → fb1   6 feature-b fb2 → fb2        10 main c4 → c4
Policies: every tag; main's last 2 images; feature-* branches active in the last 168h (1 image each).
A Deployment in the (emulated) cluster runs c1. Cleanup at day 11 must keep c1 (Kubernetes), c3 (tag v1.0 and main),
c4 (main), fb2 (feature-b) and delete fa1, c2, fb1 — and exactly the stages only those three needed.
"""

from __future__ import annotations

import json

import docker.errors
import pytest

from tests.cleanup.support import BASE_TIME, DAY, commit_at, publish, stage_images, werf_yaml
from tests.registry_storage.support import stage_tags
from tests.support.kube_emulator import KubeEmulator
from tests.support.project import run_werf, werf_env
from werf_core.cleanup.config_policies import keep_policies_from_config
from werf_core.cleanup.images import ImagesCleanupOptions
from werf_core.cleanup.kube_scan import KubeScanOptions
from werf_core.cleanup.report import CleanupReport
from werf_core.cleanup.run import run_cleanup
from werf_core.registry.client import RegistryClient
from werf_core.session.cleanup_target import cleanup_target
from werf_core.session.project import BuildOptions, open_project

POLICIES = """cleanup:
  keepPolicies:
  - references:
      tag: /.*/
  - references:
      branch: main
    imagesPerReference:
      last: 2
  - references:
      branch: /^feature-/
      limit:
        in: 168h
"""

KEPT, DELETED = {"c1", "c3", "c4", "fb2"}, {"fa1", "c2", "fb1"}


@pytest.fixture
def history(git_repo, project_name, busybox_image, registry, werf_home):
    """Build and publish the scripted history; returns (repo, stages repo, images repo, {tag: build report})."""
    stages, images = registry.repo(f"{project_name}/stages"), registry.repo(project_name)
    reports = {}
    repo = git_repo
    repo.write("werf.yaml", werf_yaml(project_name, busybox_image, POLICIES))

    def step(day, message, tag):
        commit_at(repo, day, message, version=tag)
        reports[tag] = publish(repo, werf_home, stages, images, tag)[1]

    step(0, "c1", "c1")
    repo.branch("feature-a")
    repo.write("src/feature", "a\n")                   # another file, so the merge below is clean
    commit_at(repo, 1, "fa1")
    reports["fa1"] = publish(repo, werf_home, stages, images, "fa1")[1]
    repo.checkout("main")
    step(2, "c2", "c2")
    repo.git("merge", "-q", "--no-ff", "--no-commit", "feature-a")
    step(3, "merge feature-a", "c3")
    repo.tag("v1.0")
    repo.git("branch", "-D", "feature-a")
    repo.branch("feature-b")
    step(5, "fb1", "fb1")
    step(6, "fb2", "fb2")
    repo.checkout("main")
    step(10, "c4", "c4")
    return repo, stages, images, reports


def cleanup(repo, stages, images, *, dry_run, kubeconfig, now):
    project = open_project(BuildOptions(dir=str(repo.path), stages_storage=stages, synchronization=":local"),
                           warn=lambda message: None)
    try:
        target = cleanup_target(project, images_repo=images)
        report = CleanupReport(dry_run=dry_run)
        run_cleanup(target, options=ImagesCleanupOptions(policies=keep_policies_from_config(project.config)),
                    kube=KubeScanOptions(config_path=str(kubeconfig)), report=report, now=now,
                    guard_seconds=2 * 3600)
        return report
    finally:
        project.close()


def test_cleanup_keeps_exactly_what_the_history_and_kubernetes_need(history, registry, project_name, tmp_path,
                                                                   docker_client, werf_home):
    repo, stages, images, reports = history
    repository = f"{project_name}/app"
    assert set(registry.tags(repository)) == KEPT | DELETED
    all_stages_before = set(stage_tags(registry, f"{project_name}/stages"))

    # the CLI, today (no fake clock): the history is "in the future", so every branch counts as active: main keeps
    # 2 images, feature-b 1, the tag 1 — and nothing protects c1; all stages are younger than the 2 h guard
    report_path = tmp_path / "cleanup.json"
    result = run_werf(["cleanup", "--dir", str(repo.path), "--stages-storage", stages, "--synchronization", ":local",
                       "--images-repo", images, "--without-kube", "--dry-run", "--report-path", str(report_path)],
                      env=werf_env(werf_home))
    document = json.loads(report_path.read_text())
    assert document["dryRun"] is True
    names = {item["name"].rpartition(":")[2] for item in document["images"]["deleted"]}
    assert names == {"c1", "fa1", "c2", "fb1"}
    for name in names:
        assert f"Would delete image {registry.repo(f'{repository}:{name}')}" in result.stderr
    assert document["stages"]["deleted"] == []
    assert "Cleanup:" in result.stderr
    with KubeEmulator() as cluster:
        cluster.add_workload("deployments", "default", "web", {"containers": [
            {"name": "web", "image": registry.repo(f"{repository}:c1")}]})
        kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")
        now = BASE_TIME + 11 * DAY

        dry = cleanup(repo, stages, images, dry_run=True, kubeconfig=kubeconfig, now=now)
        assert set(registry.tags(repository)) == KEPT | DELETED                  # a dry run deletes nothing
        assert set(stage_tags(registry, f"{project_name}/stages")) == all_stages_before

        real = cleanup(repo, stages, images, dry_run=False, kubeconfig=kubeconfig, now=now)
    for section in ("images.deleted", "stages.deleted", "metadata.deleted"):
        assert dry.names(section) == real.names(section), section                # and listed exactly this

    assert set(registry.tags(repository)) == KEPT
    assert real.names("images.deleted") == sorted(registry.repo(f"{repository}:{t}") for t in DELETED)
    expected_stages = set().union(*(stage_images(reports[tag]) for tag in KEPT))
    remaining = {registry.repo(f"{project_name}/stages:{t}") for t in stage_tags(registry, f"{project_name}/stages")}
    assert remaining == expected_stages
    gone = set().union(*(stage_images(reports[tag]) for tag in DELETED)) - expected_stages
    assert gone and set(real.names("stages.deleted")) == gone

    # metadata records of the deleted contents went with them
    project = open_project(BuildOptions(dir=str(repo.path), stages_storage=stages, synchronization=":local"),
                           warn=lambda m: None)
    try:
        records = cleanup_target(project, images_repo=images).records
        commits = set(records.metadata_commits(project.project, "app"))
    finally:
        project.close()
    assert len(commits) == len(KEPT)

    # every kept image still pulls and runs, from an engine that has none of it
    for tag in sorted(KEPT):
        reference = registry.repo(f"{repository}:{tag}")
        try:
            docker_client.images.remove(reference, force=True)
        except docker.errors.ImageNotFound:
            pass
        docker_client.images.pull(reference)
        output = docker_client.containers.run(reference, remove=True, labels={"werf": project_name})
        assert output.decode().strip() == tag


def test_a_registry_without_tag_deletion_gives_one_clear_error(git_repo, project_name, busybox_image, werf_home,
                                                                  monkeypatch):
    from tests.support.registry import remove_registry, start_throwaway_registry
    repo = git_repo
    repo.write("werf.yaml", werf_yaml(project_name, busybox_image))
    # a registry like the session's, but with deletes disabled (the registry reads this over its config file)
    monkeypatch.setenv("REGISTRY_STORAGE_DELETE_ENABLED", "false")
    strict = start_throwaway_registry()
    monkeypatch.delenv("REGISTRY_STORAGE_DELETE_ENABLED")
    try:
        stages, images = strict.repo(f"{project_name}/stages"), strict.repo(project_name)
        for tag in ("a1",):
            commit_at(repo, 0, tag, version=tag)
            publish(repo, werf_home, stages, images, tag)
        result = run_werf(["images", "purge", "--dir", str(repo.path), "--stages-storage", stages,
                           "--synchronization", ":local", "--images-repo", images],
                          env=werf_env(werf_home), check=False)
    finally:
        remove_registry(strict)
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("Error:") == 1 and "does not support deleting tags" in result.stderr
    assert "Traceback" not in result.stderr


def test_purge_removes_every_published_image_stage_and_record(git_repo, project_name, busybox_image, registry,
                                                              werf_home):
    from werf_core.cleanup.run import run_purge
    stages, images = registry.repo(f"{project_name}/stages"), registry.repo(project_name)
    git_repo.write("werf.yaml", werf_yaml(project_name, busybox_image))
    commit_at(git_repo, 0, "one", version="one")
    publish(git_repo, werf_home, stages, images, "one")
    foreign = registry.repo(f"{project_name}/app:not-werf")      # something else in the images repo: left alone
    with RegistryClient() as client:
        client.push_manifest_only_image(foreign, {"made-by": "someone else"})
    before_stages = stage_tags(registry, f"{project_name}/stages")
    assert before_stages and "one" in registry.tags(f"{project_name}/app")

    def purge(dry_run: bool) -> CleanupReport:
        project = open_project(BuildOptions(dir=str(git_repo.path), stages_storage=stages, synchronization=":local"),
                               warn=lambda message: None)
        try:
            report = CleanupReport(dry_run=dry_run)
            run_purge(cleanup_target(project, images_repo=images), report=report)
            return report
        finally:
            project.close()

    dry = purge(True)
    assert stage_tags(registry, f"{project_name}/stages") == before_stages
    real = purge(False)
    assert dry.names("stages.deleted") == real.names("stages.deleted") and len(real.names("stages.deleted")) == len(
        before_stages)
    assert registry.tags(f"{project_name}/app") == ["not-werf"]
    assert stage_tags(registry, f"{project_name}/stages") == []
    assert not [t for t in registry.tags(f"{project_name}/stages") if t.startswith(("managed-image-", "image-meta"))]
