"""The werf-build flow against the session Prefect server, on the real Docker engine."""

from __future__ import annotations

import time

import pytest

from tests.prefect.runs import (
    artifacts,
    copy_example,
    flow_run,
    lineage_project,
    settled_task_runs,
    small_project,
    stage_names,
    table_rows,
    upstream_names,
)

pytestmark = [pytest.mark.prefect, pytest.mark.docker, pytest.mark.slow]


def run_build(**parameters):
    from flows.build import build
    state = build(**parameters, return_state=True)
    assert state.is_completed(), state.message
    return state.state_details.flow_run_id, state.result()


def containers_created(docker_client, project: str, since: float) -> list:
    """Build containers of `project` created after `since` (sub-second: the previous build may end just before)."""
    events = docker_client.events(since=int(since), until=int(time.time()) + 1, decode=True,
                                  filters={"type": "container", "event": "create"})
    return [e for e in events if e.get("Actor", {}).get("Attributes", {}).get("werf") == project
            and e.get("timeNano", 0) >= since * 1e9]


def test_example_stages_are_task_runs_cached_on_the_second_run(prefect_api, git_repo, project_name, werf_home,
                                                               busybox_image, docker_client):
    commit = copy_example(git_repo)
    first_id, first = run_build(repository=str(git_repo.path), project_name=project_name)

    expected = stage_names(first)
    assert len(expected) == 9                       # launcher: from, install; app: 7 non-empty stages
    runs = settled_task_runs(prefect_api, first_id, len(expected))
    assert set(runs) == set(expected)               # one task run per stage, named <image>/<stage> <digest[:12]>
    # `from` is shared by the artifact and the image: built for launcher, then a cache hit for app
    assert {name.split(" ")[0]: r["state_name"] for name, r in runs.items()} == {
        name.split(" ")[0]: "Cached" if name.startswith("app/from ") else "Completed" for name in expected}
    assert first["counts"] == {"built": 8, "reused": 1}
    assert flow_run(prefect_api, first_id)["name"] == f"build-{project_name}-main-{commit[:7]}"

    # the dashboard's artifacts: a stages table per image, a summary naming the final images, the branch's latest
    found = artifacts(prefect_api, first_id)
    assert set(found) == {f"werf-{project_name}-app-stages", f"werf-{project_name}-launcher-stages",
                          f"werf-{project_name}-build", f"werf-{project_name}-main-latest"}
    rows = table_rows(found[f"werf-{project_name}-app-stages"])
    assert [(r["stage"], r["digest"], r["status"]) for r in rows] == [
        (s["name"], s["digest"], s["status"]) for s in first["images"]["app"]["stages"]]
    assert all(r["stage image"].startswith(f"werf-stages-storage/{project_name}:") for r in rows)
    summary = found[f"werf-{project_name}-build"]["data"]
    assert first["images"]["app"]["stageImage"] in summary and commit in summary

    since = time.time()
    second_id, second = run_build(repository=str(git_repo.path), project_name=project_name)
    runs = settled_task_runs(prefect_api, second_id, len(expected))
    assert set(runs) == set(expected)
    assert {name: r["state_name"] for name, r in runs.items()} == {name: "Cached" for name in expected}
    assert second["counts"] == {"reused": 9}
    assert second["images"]["app"]["stageImage"] == first["images"]["app"]["stageImage"]
    assert containers_created(docker_client, project_name, since) == []


def test_unsuitable_or_deleted_cached_stages_are_not_reused(prefect_api, git_repo, project_name, werf_home,
                                                            busybox_image, docker_client):
    base = small_project(git_repo, project_name)
    git_repo.write("src/VERSION", "main\n")
    git_repo.commit("main work")
    _, on_main = run_build(repository=str(git_repo.path), project_name=project_name)
    main_archive = _stage(on_main, "gitArchive")

    # a branch that does not contain main's commit: werf must not select main's gitArchive (same digest, built from
    # a commit that is not an ancestor) even though the Prefect cache holds exactly that answer for the digest
    git_repo.checkout(base)
    git_repo.branch("other")
    git_repo.write("src/VERSION", "other\n")
    git_repo.commit("other work")
    other_id, on_other = run_build(repository=str(git_repo.path), project_name=project_name)
    other_archive = _stage(on_other, "gitArchive")
    assert other_archive["digest"] == main_archive["digest"]
    assert other_archive["status"] == "built" and other_archive["image"] != main_archive["image"]
    runs = settled_task_runs(prefect_api, other_id, len(stage_names(on_other)))
    states = {name.split(" ")[0]: r["state_name"] for name, r in runs.items()}
    assert states["app/from"] == "Cached" and states["app/gitArchive"] == "Completed"

    # back on main: the record now names the other branch's stage; werf's choice (main's own) wins, rebuilt never
    git_repo.checkout("main")
    since = time.time()
    main_id, again = run_build(repository=str(git_repo.path), project_name=project_name)
    assert _stage(again, "gitArchive")["image"] == main_archive["image"]
    assert _stage(again, "gitArchive")["status"] == "reused"
    assert again["images"]["app"]["stageImage"] == on_main["images"]["app"]["stageImage"]
    assert containers_created(docker_client, project_name, since) == []

    # a stage deleted from the stages storage behind the cache's back is built again, not handed out by Prefect
    docker_client.images.remove(_stage(again, "install")["image"], force=True)
    rebuilt_id, rebuilt = run_build(repository=str(git_repo.path), project_name=project_name)
    assert _stage(rebuilt, "install")["status"] == "built"
    assert _stage(rebuilt, "install")["image"] != _stage(again, "install")["image"]
    assert docker_client.images.get(rebuilt["images"]["app"]["stageImage"])


def _stage(report: dict, name: str) -> dict:
    return next(s for s in report["images"]["app"]["stages"] if s["name"] == name)


def test_kubernetes_synchronization_runners_share_cached_stages_through_the_stages_storage_alone(
        prefect_api, git_repo, project_name, werf_home, busybox_image, kube_emulator, kubeconfig_path, monkeypatch):
    """Another runner (empty WERF_HOME, same namespace) sees every stage Cached: werf's selection over the shared
    stages-storage cache is the only cache; no Prefect record store exists anywhere."""
    small_project(git_repo, project_name)
    parameters = dict(repository=str(git_repo.path), project_name=project_name,
                      synchronization=f"kubernetes://werf-sync@{kubeconfig_path}")
    _, first = run_build(**parameters)
    assert [name for name in kube_emulator.config_map_names("werf-sync") if "prefect" in name] == []
    assert not (werf_home / "shared_context" / "prefect_stage_cache").exists()

    other_home = werf_home.parent / "other-runner-home"
    other_home.mkdir()
    monkeypatch.setenv("WERF_HOME", str(other_home))
    second_id, second = run_build(**parameters)
    runs = settled_task_runs(prefect_api, second_id, 3)
    assert {r["state_name"] for r in runs.values()} == {"Cached"}
    assert second["images"]["app"]["stageImage"] == first["images"]["app"]["stageImage"]


def test_stages_built_without_prefect_are_cached_on_a_fresh_prefect_server(prefect_api, git_repo, project_name,
                                                                           werf_home, busybox_image):
    """An in-process build (no Prefect at all), then a Prefect build: every stage task run finishes Cached."""
    from werf_core.conveyor.progress import TextProgress
    from werf_core.session.project import BuildOptions
    from werf_core.session.session import BuildSession
    small_project(git_repo, project_name)
    options = BuildOptions(dir=str(git_repo.path), stages_storage=":local", project_name=project_name)
    with BuildSession.open(options, progress=TextProgress(quiet=True)) as session:
        plain = session.build().to_json()
    assert {s["status"] for s in plain["images"]["app"]["stages"]} == {"built"}
    run_id, report = run_build(repository=str(git_repo.path), project_name=project_name)
    runs = settled_task_runs(prefect_api, run_id, 3)
    assert {r["state_name"] for r in runs.values()} == {"Cached"}
    assert {s["status"] for s in report["images"]["app"]["stages"]} == {"reused"}
    assert report["images"]["app"]["stageImage"] == plain["images"]["app"]["stageImage"]


def test_a_dry_run_plans_without_writing_cache_records(prefect_api, git_repo, project_name, werf_home,
                                                       busybox_image):
    small_project(git_repo, project_name)
    run_id, report = run_build(repository=str(git_repo.path), project_name=project_name, dry_run=True)
    assert {s["status"] for s in report["images"]["app"]["stages"]} == {"planned"}
    assert {r["state_name"] for r in settled_task_runs(prefect_api, run_id, 3).values()} == {"Completed"}
    assert not (werf_home / "shared_context" / "prefect_stage_cache").exists()


def test_a_failing_stage_fails_its_task_run_and_the_flow_with_werfs_message(prefect_api, git_repo, project_name,
                                                                           werf_home, busybox_image):
    from flows.build import build
    small_project(git_repo, project_name, install="echo broken >&2; exit 3")
    state = build(repository=str(git_repo.path), project_name=project_name, return_state=True)
    assert state.is_failed()
    assert state.message.startswith("Error: ") and "install" in state.message and "Traceback" not in state.message
    runs = settled_task_runs(prefect_api, state.state_details.flow_run_id, 3)
    states = {name.split(" ")[0]: r["state_name"] for name, r in runs.items()}
    assert states == {"app/from": "Completed", "app/gitArchive": "Completed", "app/install": "Failed"}
    # nothing is recorded for Prefect: the next run's cache answers come from the stages storage alone
    assert not (werf_home / "shared_context" / "prefect_stage_cache").exists()


def test_stage_task_runs_carry_their_lineage_as_upstream_inputs(prefect_api, git_repo, project_name, werf_home,
                                                               busybox_image):
    """Each stage waits for the previous stage of its image; an imports stage also for the stage it imports from."""
    commit = lineage_project(git_repo, project_name)
    for expected_state in ("Completed", "Cached"):        # built, then every stage reused: the same graph
        run_id, report = run_build(repository=str(git_repo.path), project_name=project_name)
        runs = settled_task_runs(prefect_api, run_id, 7)
        assert {r["state_name"] for r in runs.values()} == ({"Completed", "Cached"} if expected_state == "Completed"
                                                            else {"Cached"})
        assert upstream_names(prefect_api, run_id) == {
            "builder/from": set(), "builder/gitArchive": {"builder/from"}, "builder/install": {"builder/gitArchive"},
            "app/from": set(), "app/install": {"app/from"},
            "app/importsAfterInstall": {"app/install", "builder/install"},
            "app/dockerInstructions": {"app/importsAfterInstall"}}
    # named before anything runs, the commit added once checked out: build-<project>-<ref>-<commit7>
    assert flow_run(prefect_api, run_id)["name"] == f"build-{project_name}-main-{commit[:7]}"
    latest = artifacts(prefect_api, run_id)[f"werf-{project_name}-main-latest"]
    assert {row["image"]: row["commit"] for row in table_rows(latest)} == {"builder": commit[:12],
                                                                           "app": commit[:12]}


def test_a_reused_stages_task_run_names_the_flow_run_that_built_it(prefect_api, git_repo, project_name, werf_home,
                                                                   busybox_image):
    small_project(git_repo, project_name, install="echo step-one; echo step-two")
    first_id, _ = run_build(repository=str(git_repo.path), project_name=project_name)
    second_id, report = run_build(repository=str(git_repo.path), project_name=project_name)
    install = _stage(report, "install")

    def logs_of(run_id: str, stage: str) -> list[str]:
        runs = settled_task_runs(prefect_api, run_id, 3)
        task_run_id = next(r["id"] for name, r in runs.items() if name.startswith(f"app/{stage} "))
        return [entry["message"] for entry in prefect_api.post("/logs/filter", {
            "logs": {"task_run_id": {"any_": [task_run_id]}}, "limit": 200})]

    from tests.prefect.runs import wait_until
    built = wait_until(lambda: (lambda m: m if any("digest:" in x for x in m) else None)(logs_of(first_id, "install")),
                       what="the built stage's details")
    assert any("$ echo step-one; echo step-two" in line for line in built)          # the command, echoed
    assert "app/install │ step-one" in built and "app/install │ step-two" in built   # and its output
    reused = wait_until(lambda: (lambda m: m if any("digest:" in x for x in m) else None)(
        logs_of(second_id, "install")), what="the reused stage's details")
    details = next(line for line in reused if "digest:" in line)
    assert f"digest: {install['digest']}" in details and f"stage image: {install['image']}" in details
    assert "built by flow run: " in details and str(first_id) in details
