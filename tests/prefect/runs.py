"""Reading flow runs, task runs and artifacts back through the Prefect REST API, as the dashboard does.

Task-run states reach the server as events, a moment after the flow has returned: readers poll until settled.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.project import make_project

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "hello-app"
FINAL_STATES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def wait_until(check: Callable[[], object], *, timeout: float = 60.0, interval: float = 0.5, what: str = "it"):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def task_runs(api, flow_run_id: str) -> list[dict]:
    return api.post("/task_runs/filter", {"flow_runs": {"id": {"any_": [str(flow_run_id)]}}, "limit": 200})


def settled_task_runs(api, flow_run_id: str, count: int, timeout: float = 60.0) -> dict[str, dict]:
    """name → task run, once `count` task runs of the flow run are in final states."""
    def check():
        runs = task_runs(api, flow_run_id)
        if len(runs) == count and all(r["state_type"] in FINAL_STATES for r in runs):
            return runs
        return None
    runs = wait_until(check, timeout=timeout, what=f"{count} settled task runs of flow run {flow_run_id}")
    return {run["name"]: run for run in runs}


def flow_run(api, flow_run_id: str) -> dict:
    return api.get(f"/flow_runs/{flow_run_id}")


def artifacts(api, flow_run_id: str) -> dict[str, dict]:
    found = api.post("/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [str(flow_run_id)]}}})
    return {a["key"]: a for a in found}


def table_rows(artifact: dict) -> list[dict]:
    data = artifact["data"]
    return json.loads(data) if isinstance(data, str) else data


def stage_names(report: dict) -> dict[str, tuple[str, str, str]]:
    """Expected task-run name → (image, stage, status) from a build report (`BuildReport.to_json()`)."""
    names = {}
    for image, data in report["images"].items():
        for stage in data["stages"]:
            names[f"{image}/{stage['name']} {stage['digest'][:12]}"] = (image, stage["name"], stage["status"])
    return names


def copy_example(repo) -> str:
    """examples/hello-app as the root of `repo`, committed (what `make demo` builds)."""
    files = {str(p.relative_to(EXAMPLE)): p.read_bytes() for p in EXAMPLE.rglob("*") if p.is_file()}
    werf_yaml = files.pop("werf.yaml").decode()
    return make_project(repo, werf_yaml, files, message="hello-app example")


SMALL_PROJECT = """
project: {project}
configVersion: 1
---
image: app
from: werf-prefect/busybox:latest
git:
- add: /src
  to: /app
shell:
  install:
  - {install}
"""


def small_project(repo, project: str, install: str = "cat /app/VERSION > /installed") -> str:
    return make_project(repo, SMALL_PROJECT.format(project=project, install=install), {"src/VERSION": "1\n"})


def finished_flow_run(api, flow_run_id: str, timeout: float = 240.0, workers=()) -> dict:
    """The flow run once it reached a final state (workers' logs in the failure message if it never does)."""
    def check():
        run = flow_run(api, flow_run_id)
        return run if run["state_type"] in FINAL_STATES else None
    try:
        return wait_until(check, timeout=timeout, interval=1.0, what=f"flow run {flow_run_id} to finish")
    except AssertionError as err:
        logs = "\n".join(w.log_tail() for w in workers)
        raise AssertionError(f"{err}\nworker logs:\n{logs}") from None


def start_deployment_run(name: str, parameters: dict, **kwargs) -> str:
    from prefect.deployments import run_deployment
    return str(run_deployment(name, parameters=parameters, timeout=0, as_subflow=False, **kwargs).id)


LINEAGE_PROJECT = """
project: {project}
configVersion: 1
---
artifact: builder
from: werf-prefect/busybox:latest
git:
- add: /src
  to: /src
shell:
  install:
  - mkdir -p /out && cp /src/VERSION /out/VERSION
---
image: app
from: werf-prefect/busybox:latest
import:
- artifact: builder
  add: /out
  to: /app
  after: install
shell:
  install:
  - echo installed > /installed
docker:
  CMD: ["cat", "/app/VERSION"]
"""


def lineage_project(repo, project: str) -> str:
    """An artifact `builder` and an image `app` importing from it after its install stage."""
    return make_project(repo, LINEAGE_PROJECT.format(project=project), {"src/VERSION": "1\n"})


def upstream_names(api, flow_run_id: str) -> dict[str, set[str]]:
    """Task-run name (without digest) → the names of the task runs it waits for, as the run graph draws them."""
    runs = task_runs(api, flow_run_id)
    names = {run["id"]: run["name"].split(" ")[0] for run in runs}
    return {names[run["id"]]: {names.get(i["id"], i["id"]) for i in run["task_inputs"].get("wait_for", [])}
            for run in runs}
