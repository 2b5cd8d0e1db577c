"""`werf build` chooses its runner: in-process without importing Prefect, or the werf-build flow."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.prefect.runs import flow_run, settled_task_runs, small_project, stage_names
from tests.support.project import run_werf, werf_env

pytestmark = [pytest.mark.docker]

PLAIN_BUILD = """
import sys
from werf_cli.main import main
code = main(sys.argv[1:])
print("prefect imported:", "prefect" in sys.modules, file=sys.stderr)
sys.exit(code)
"""


def plain_build(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PLAIN_BUILD, *args], env=env, capture_output=True, text=True,
                          timeout=300)


def test_plain_build_never_imports_prefect(git_repo, project_name, werf_home, busybox_image, tmp_path):
    small_project(git_repo, project_name)
    args = ["build", "--dir", str(git_repo.path), "--stages-storage", ":local"]
    result = plain_build(args, werf_env(werf_home))
    assert result.returncode == 0, result.stderr
    assert "prefect imported: False" in result.stderr
    # --no-prefect (WERF_PREFECT=0) wins over a configured Prefect API
    result = plain_build(args, werf_env(werf_home, PREFECT_API_URL="http://127.0.0.1:9/api", WERF_PREFECT="0"))
    assert result.returncode == 0, result.stderr
    assert "prefect imported: False" in result.stderr and "reused" in result.stderr


@pytest.mark.prefect
def test_prefect_switch_runs_the_build_as_a_flow(prefect_api, git_repo, project_name, werf_home, busybox_image):
    commit = small_project(git_repo, project_name)
    report_path = werf_home / "report.json"
    env = {**prefect_api.env, "WERF_HOME": str(werf_home)}
    env.pop("PREFECT_API_URL")
    result = run_werf(["build", "--prefect", "--dir", str(git_repo.path), "--stages-storage", ":local",
                       "--report-path", str(report_path)], env={**env, "PREFECT_API_URL": prefect_api.url})
    report = json.loads(report_path.read_text())
    assert report["counts"] == {"built": 3}
    # the usual terminal progress, plus where to look in the dashboard; none of Prefect's own console lines
    assert "install" in result.stderr and "built" in result.stderr
    assert "Prefect flow run: http://127.0.0.1:" in result.stderr
    assert "Finished in state" not in result.stderr
    run_id = result.stderr.split("/runs/flow-run/")[1].split()[0]
    assert flow_run(prefect_api, run_id)["name"] == f"build-{project_name}-main-{commit[:7]}"
    assert set(settled_task_runs(prefect_api, run_id, 3)) == set(stage_names(report))

    # PREFECT_API_URL alone switches to the flow; a user error stays one message, exit 1, no traceback
    git_repo.write("werf.yaml", "project: {bad\n")
    git_repo.commit("break werf.yaml")
    result = run_werf(["build", "--dir", str(git_repo.path), "--stages-storage", ":local"],
                      env={**env, "PREFECT_API_URL": prefect_api.url}, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ") and "werf.yaml" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.prefect
@pytest.mark.registry
def test_build_and_publish_prefect_switch_runs_the_flow(prefect_api, git_repo, project_name, werf_home,
                                                        busybox_image, registry, tmp_path):
    """`werf build-and-publish --prefect`: the werf-build-and-publish flow with the command's own tags."""
    small_project(git_repo, project_name)
    env = {**prefect_api.env, "WERF_HOME": str(werf_home), "PREFECT_API_URL": prefect_api.url}
    result = run_werf(["build-and-publish", "--prefect", "--dir", str(git_repo.path), "--stages-storage", ":local",
                       "--images-repo", registry.repo(project_name), "--tag-custom", "v1",
                       "--report-path", str(tmp_path / "build.json"),
                       "--publish-report-path", str(tmp_path / "publish.json")], env=env)
    assert "Prefect flow run: http://127.0.0.1:" in result.stderr
    assert json.loads((tmp_path / "build.json").read_text())["counts"] == {"built": 3}
    assert registry.tags(f"{project_name}/app") == ["v1"]
    assert json.loads((tmp_path / "publish.json").read_text())["Images"]["app"]["DockerTag"] == "v1"


@pytest.mark.prefect
@pytest.mark.slow
def test_a_deployment_run_with_the_cli_runs_parameters_produces_the_same_report(prefect_api, deployments,
                                                                                start_worker, git_repo, project_name,
                                                                                werf_home, busybox_image):
    """Everything `werf build --prefect` means is a flow parameter: a deployment run given the parameters of the
    CLI's flow run builds the same stages and reports the same digests, statuses and stage images."""
    from tests.prefect.runs import artifacts, finished_flow_run, start_deployment_run, table_rows
    small_project(git_repo, project_name)
    env = {**prefect_api.env, "WERF_HOME": str(werf_home), "PREFECT_API_URL": prefect_api.url}
    command = ["build", "--prefect", "--dir", str(git_repo.path), "--stages-storage", ":local",
               "--report-path", str(werf_home / "report.json")]
    run_werf(command, env=env)                                    # builds every stage
    result = run_werf(command, env=env)                           # the same, all reused now
    cli_report = json.loads((werf_home / "report.json").read_text())
    cli_run_id = result.stderr.split("/runs/flow-run/")[1].split()[0]
    parameters = flow_run(prefect_api, cli_run_id)["parameters"]
    assert parameters["repository"] == str(git_repo.path) and parameters["stages_storage"] == ":local"

    worker = start_worker()
    run_id = start_deployment_run("werf-build/ci-build", parameters)
    run = finished_flow_run(prefect_api, run_id, workers=[worker])
    assert run["state_name"] == "Completed", worker.log_tail()
    rows = table_rows(artifacts(prefect_api, run_id)[f"werf-{project_name}-app-stages"])
    deployed = [(r["stage"], r["digest"], r["status"], r["stage image"]) for r in rows]
    from_cli = [(s["name"], s["digest"], s["status"], s["image"]) for s in cli_report["images"]["app"]["stages"]]
    assert deployed == from_cli and {status for _, _, status, _ in deployed} == {"reused"}
    assert {r["state_name"] for r in settled_task_runs(prefect_api, run_id, 3).values()} == {"Cached"}


def test_a_dead_prefect_api_is_one_line_and_exit_1(git_repo, project_name, werf_home, busybox_image):
    from tests.support.net import free_port
    small_project(git_repo, project_name)
    dead = f"http://127.0.0.1:{free_port()}/api"
    result = run_werf(["build", "--dir", str(git_repo.path), "--stages-storage", ":local"],
                      env=werf_env(werf_home, PREFECT_API_URL=dead), check=False)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and dead in lines[0], result.stderr
    assert "unset PREFECT_API_URL" in lines[0] and "--no-prefect" in lines[0]
