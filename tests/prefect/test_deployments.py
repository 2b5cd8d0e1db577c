"""deployments/prefect.yaml on a real server: `prefect deploy --all`, the nightly schedule, a run on a worker."""

from __future__ import annotations

import pytest

from tests.prefect.runs import finished_flow_run, settled_task_runs, small_project, start_deployment_run, wait_until

pytestmark = [pytest.mark.prefect, pytest.mark.docker, pytest.mark.slow]


def test_deploy_creates_the_deployments_on_the_process_pool(deployments):
    rebuild, ci = deployments["scheduled-rebuild"], deployments["ci-build"]
    assert rebuild["work_pool_name"] == ci["work_pool_name"] == "werf-builders"
    assert rebuild["entrypoint"] == ci["entrypoint"] == "flows/build.py:build"
    # {{ $VAR }} placeholders were filled from the environment of `prefect deploy`
    assert rebuild["parameters"] == {"repository": "https://git.example.com/acme/app.git", "ref": "main",
                                     "images": [], "stages_storage": ":local", "trigger": "schedule"}
    assert [s["schedule"]["cron"] for s in rebuild["schedules"]] == ["0 3 * * *"]
    assert ci["schedules"] == []
    # the flow's signature became the parameter schema the UI's "Custom run" form shows
    properties = ci["parameter_openapi_schema"]["properties"]
    assert {"repository", "ref", "commit", "images", "stages_storage", "synchronization"} <= set(properties)
    assert ci["parameter_openapi_schema"]["required"] == ["repository"]
    publish = deployments["ci-build-and-publish"]
    assert publish["entrypoint"] == "flows/publish.py:build_and_publish"
    assert publish["parameters"] == {"stages_storage": ":local", "images_repo": "registry.example.com/acme/app"}
    assert deployments["stages-sync"]["parameter_openapi_schema"]["required"] == ["project", "from_storage",
                                                                                  "to_storage"]
    cleanup = deployments["scheduled-cleanup"]
    assert cleanup["entrypoint"] == "flows/cleanup.py:cleanup"
    assert cleanup["parameters"] == {"repository": "https://git.example.com/acme/app.git",
                                     "images_repo": "registry.example.com/acme/app",
                                     "stages_storage": "registry.example.com/acme/app/stages"}
    assert [s["schedule"]["cron"] for s in cleanup["schedules"]] == ["30 4 * * *"]
    assert cleanup["parameter_openapi_schema"]["required"] == ["repository", "images_repo"]
    image = deployments["fan-out-image"]
    assert image["entrypoint"] == "flows/image.py:build_image"
    # the engine is forked by the worker's engine server, not started behind Prefect's workspace supervisor
    assert image["job_variables"] == {"command": "python -m deployments.engine_forkserver.launcher "
                                                 "--preload flows.image --preload flows.image_preload"}


def test_the_schedule_yields_nightly_runs(prefect_api, deployments):
    rebuild_id = deployments["scheduled-rebuild"]["id"]

    def scheduled():
        runs = prefect_api.post("/flow_runs/filter", {"deployments": {"id": {"any_": [rebuild_id]}},
                                                      "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}})
        return runs or None
    runs = wait_until(scheduled, timeout=60, what="scheduled runs of scheduled-rebuild")
    assert all(r["expected_start_time"].endswith("T03:00:00Z") for r in runs)
    assert all(r["parameters"]["repository"] == "https://git.example.com/acme/app.git" for r in runs)


def test_a_manual_run_with_parameters_completes_on_a_process_worker(prefect_api, deployments, start_worker,
                                                                    git_repo, project_name, busybox_image):
    commit = small_project(git_repo, project_name)
    worker = start_worker()
    run_id = start_deployment_run("werf-build/ci-build", {"repository": str(git_repo.path), "ref": "main",
                                                          "project_name": project_name})
    run = finished_flow_run(prefect_api, run_id, workers=[worker])
    assert run["state_name"] == "Completed", worker.log_tail()
    assert run["name"] == f"build-{project_name}-main-{commit[:7]}"
    assert run["parameters"]["repository"] == str(git_repo.path)
    assert run["parameters"]["stages_storage"] == ":local"          # the deployment's default, merged in
    assert run["work_pool_name"] == "werf-builders"
    runs = settled_task_runs(prefect_api, run_id, 3)
    assert sorted(name.split(" ")[0] for name in runs) == ["app/from", "app/gitArchive", "app/install"]
    assert {r["state_name"] for r in runs.values()} == {"Completed"}


def test_a_werf_yaml_mistake_in_a_deployment_run_fails_with_werfs_message_and_no_traceback(
        prefect_api, deployments, start_worker, git_repo, project_name, busybox_image):
    small_project(git_repo, project_name)
    git_repo.write("werf.yaml", f"project: {project_name}\nconfigVersion: 1\n---\nimage: app\nfrom: [oops\n")
    git_repo.commit("break werf.yaml")
    worker = start_worker()
    run_id = start_deployment_run("werf-build/ci-build", {"repository": str(git_repo.path), "ref": "main",
                                                          "project_name": project_name})
    run = finished_flow_run(prefect_api, run_id, workers=[worker])
    assert run["state_type"] == "FAILED", worker.log_tail()
    message = run["state"]["message"]
    assert message.startswith("Error: ") and "werf.yaml" in message and "Traceback" not in message

    def logs():
        entries = prefect_api.post("/logs/filter", {"logs": {"flow_run_id": {"any_": [run_id]}}, "limit": 200})
        return entries if any("werf.yaml" in e["message"] for e in entries) else None
    messages = [entry["message"] for entry in wait_until(logs, what="the run's logs")]
    assert [m for m in messages if m.startswith("Error: ")] == [message]     # werf's message, once
    assert not [m for m in messages if "Traceback" in m or "unexpected exception" in m], messages
    assert "Traceback" not in worker.log_tail()
