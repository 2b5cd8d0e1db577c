"""The werf-cleanup flow against the session Prefect server and the throw-away registry."""

from __future__ import annotations

import pytest

from tests.prefect.runs import artifacts, small_project

pytestmark = [pytest.mark.prefect, pytest.mark.docker, pytest.mark.registry, pytest.mark.slow]


def test_cleanup_flow_deletes_the_images_of_a_deleted_branch(prefect_api, git_repo, project_name, werf_home,
                                                             busybox_image, registry):
    from flows.cleanup import cleanup
    from flows.publish import build_and_publish
    small_project(git_repo, project_name)
    images_repo = registry.repo(project_name)

    def publish(ref: str) -> str:
        commit = git_repo.head()
        state = build_and_publish(repository=str(git_repo.path), ref=ref, images_repo=images_repo,
                                  project_name=project_name, tag_git_commit=True, return_state=True)
        assert state.is_completed(), state.message
        return commit

    main_commit = publish("main")
    git_repo.branch("feature")
    git_repo.write("src/VERSION", "2\n")
    feature_commit = git_repo.commit("feature work")
    publish("feature")
    git_repo.checkout("main")
    git_repo.git("branch", "-D", "feature")
    assert set(registry.tags(f"{project_name}/app")) == {"main", main_commit, "feature", feature_commit}

    parameters = dict(repository=str(git_repo.path), images_repo=images_repo, project_name=project_name,
                      without_kube=True)
    dry = cleanup(**parameters, dry_run=True)
    assert set(registry.tags(f"{project_name}/app")) == {"main", main_commit, "feature", feature_commit}
    state = cleanup(**parameters, return_state=True)
    assert state.is_completed(), state.message
    report = state.result()
    gone = {f"{images_repo}/app:feature", f"{images_repo}/app:{feature_commit}"}
    assert {i["name"] for i in report["images"]["deleted"]} == {i["name"] for i in dry["images"]["deleted"]} == gone
    assert set(registry.tags(f"{project_name}/app")) == {"main", main_commit}
    assert report["stages"]["deleted"] == []                     # every stage is younger than the 2 h guard
    summary = artifacts(prefect_api, state.state_details.flow_run_id)[f"werf-{project_name}-cleanup"]["data"]
    assert f"{images_repo}/app:feature" in summary
