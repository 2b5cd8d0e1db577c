"""werf-build-and-publish and werf-stages-sync against the session Prefect server and the throw-away registry."""

from __future__ import annotations

import pytest

from tests.prefect.runs import artifacts, settled_task_runs, small_project

pytestmark = [pytest.mark.prefect, pytest.mark.docker, pytest.mark.registry, pytest.mark.slow]


def test_build_and_publish_tags_images_by_branch_and_commit(prefect_api, git_repo, project_name, werf_home,
                                                            busybox_image, registry, docker_client):
    from flows.publish import build_and_publish
    commit = small_project(git_repo, project_name)
    images_repo = registry.repo(project_name)
    parameters = dict(repository=str(git_repo.path), ref="main", images_repo=images_repo, project_name=project_name,
                      tag_git_commit=True)
    state = build_and_publish(**parameters, return_state=True)
    assert state.is_completed(), state.message
    run_id = state.state_details.flow_run_id
    assert sorted(registry.tags(f"{project_name}/app")) == sorted(["main", commit])
    runs = settled_task_runs(prefect_api, run_id, 4)
    assert runs["publish app"]["state_name"] == "Completed"
    summary = artifacts(prefect_api, run_id)[f"werf-{project_name}-build"]["data"]
    assert f"{images_repo}/app:main" in summary and f"{images_repo}/app:{commit}" in summary
    published_digest = registry.manifest(f"{project_name}/app", "main").headers["Docker-Content-Digest"]

    # again: every stage a cache hit, and the tags are left alone (they already name this content)
    again = build_and_publish(**parameters, return_state=True)
    assert again.is_completed(), again.message
    runs = settled_task_runs(prefect_api, again.state_details.flow_run_id, 4)
    assert {name: r["state_name"] for name, r in runs.items() if name != "publish app"} == {
        name: "Cached" for name in runs if name != "publish app"}
    assert registry.manifest(f"{project_name}/app", "main").headers["Docker-Content-Digest"] == published_digest
    # (the low-level listing: no per-image inspect that could race with other processes removing images)
    assert not [t for i in docker_client.api.images() for t in i.get("RepoTags") or [] if t.startswith(images_repo)]


def test_build_and_publish_without_any_tag_fails_before_building(prefect_api, git_repo, project_name, werf_home,
                                                                 busybox_image, registry):
    from flows.publish import build_and_publish
    small_project(git_repo, project_name)
    state = build_and_publish(repository=str(git_repo.path), images_repo=registry.repo(project_name),
                              project_name=project_name, tag_git_ref=False, return_state=True)
    assert state.is_failed()
    assert "no tag given" in state.message
    assert prefect_api.post("/task_runs/filter", {"flow_runs": {"id": {"any_": [
        str(state.state_details.flow_run_id)]}}}) == []


def test_stages_sync_copies_only_what_is_missing(prefect_api, git_repo, project_name, werf_home, busybox_image,
                                                 registry):
    from flows.build import build
    from flows.stages_sync import stages_sync
    small_project(git_repo, project_name)
    report = build(repository=str(git_repo.path), project_name=project_name)
    stages_repo = registry.repo(f"{project_name}/stages")
    first = stages_sync(project=project_name, from_storage=":local", to_storage=stages_repo)
    expected = {f"{s['digest']}-{s['image'].rsplit('-', 1)[1]}" for s in report["images"]["app"]["stages"]}
    assert set(first["copied"]) == expected and first["present"] == 0
    assert set(registry.tags(f"{project_name}/stages")) >= expected
    second = stages_sync(project=project_name, from_storage=":local", to_storage=stages_repo)
    assert second["copied"] == [] and second["present"] == 3

    failed = stages_sync(project=project_name, from_storage=":local", to_storage=":local", return_state=True)
    assert failed.is_failed() and "same stages storage" in failed.message
