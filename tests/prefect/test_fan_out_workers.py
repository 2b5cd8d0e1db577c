"""A fanned-out build on process workers: one werf-image run per image, in dependency order, each on whichever
worker is free; a killed image run is run again and the build still succeeds. Registry stages storage and
kubernetes:// synchronization (the API emulator), as fan-out requires."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.prefect.runs import flow_run, wait_until
from tests.support.project import make_project

pytestmark = [pytest.mark.prefect, pytest.mark.docker, pytest.mark.registry, pytest.mark.slow]

CHAIN = """
project: {project}
configVersion: 1
---
image: a
from: {base}
shell:
  install:
  - sleep 2; echo a > /a
---
image: b
fromImage: a
shell:
  install:
  - echo b > /b
---
image: c
fromImage: b
shell:
  install:
  - echo c > /c
---
image: d
from: {base}
shell:
  install:
  - sleep 2; echo d > /d
---
image: e
from: {base}
shell:
  install:
  - sleep 2; echo e > /e
"""

SLOW = """
project: {project}
configVersion: 1
---
image: slow
from: {base}
shell:
  install:
  - sleep {seconds}; echo slow > /slow
---
image: quick
from: {base}
shell:
  install:
  - echo quick > /quick
"""


def parameters(git_repo, project_name, registry, kubeconfig_path) -> dict:
    return {"repository": str(git_repo.path), "ref": "main", "project_name": project_name,
            "stages_storage": registry.repo(f"{project_name}/stages"),
            "synchronization": f"kubernetes://werf-sync@{kubeconfig_path}", "fan_out": True}


def engine_of(launcher_pid: int) -> int | None:
    """The engine a launcher's fork server started for it: the process writing to the launcher's stdout pipe (the
    worker reads it; the worker's own stdout is its log)."""
    try:
        pipe = os.readlink(f"/proc/{launcher_pid}/fd/1")
    except OSError:
        return None
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != launcher_pid:
            try:
                if os.readlink(entry / "fd" / "1") == pipe:
                    return int(entry.name)
            except OSError:
                continue
    return None


def alive(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z"
    except OSError:
        return False


def published_once(registry, project_name: str) -> bool:
    digests = [tag.rsplit("-", 1)[0] for tag in registry.tags(f"{project_name}/stages") if len(tag) > 60]
    return bool(digests) and max(Counter(digests).values()) == 1


def test_fan_out_follows_the_dependencies_and_runs_independent_images_at_once(
        prefect_api, deployments, start_worker, git_repo, project_name, registry, registry_busybox, kubeconfig_path,
        tmp_path):
    from flows.build import build
    make_project(git_repo, CHAIN.format(project=project_name, base=registry_busybox))
    workers = [start_worker(limit=2, home=tmp_path / f"worker-{n}-home") for n in range(2)]
    state = build(**parameters(git_repo, project_name, registry, kubeconfig_path), return_state=True)
    assert state.is_completed(), f"{state.message}\n" + "\n".join(w.log_tail() for w in workers)
    report = state.result()
    assert set(report["images"]) == {"a", "b", "c", "d", "e"}
    runs = {image: flow_run(prefect_api, data["flowRun"]) for image, data in report["images"].items()}
    assert all(run["state_name"] == "Completed" for run in runs.values())
    assert runs["a"]["end_time"] <= runs["b"]["start_time"] and runs["b"]["end_time"] <= runs["c"]["start_time"]
    # independent images are submitted with the first one, not after it: each takes the next free worker slot
    # (when it starts running depends on how fast a worker spawns it, which a loaded machine stretches)
    assert runs["d"]["created"] < runs["a"]["end_time"] and runs["e"]["created"] < runs["a"]["end_time"]
    assert runs["b"]["created"] >= runs["a"]["end_time"]
    # each child built its own image; what it was built from was reused from the shared stages storage
    statuses = {image: {s["name"]: s["status"] for s in data["stages"]} for image, data in report["images"].items()}
    assert statuses["b"]["install"] == "built" and statuses["c"]["install"] == "built"
    assert all(data["worker"] for data in report["images"].values())
    assert published_once(registry, project_name)
    # the image runs are subflow runs of the parent
    parent = state.state_details.flow_run_id
    children = prefect_api.post("/flow_runs/filter", {"flow_runs": {"parent_flow_run_id": {"any_": [str(parent)]}}})
    assert {run["id"] for run in children} >= {data["flowRun"] for data in report["images"].values()}


def test_fan_out_refuses_local_storages_with_a_clear_message(prefect_api, git_repo, project_name):
    from flows.build import build
    make_project(git_repo, CHAIN.format(project=project_name, base="werf-prefect/busybox:latest"))
    state = build(repository=str(git_repo.path), project_name=project_name, stages_storage=":local", fan_out=True,
                  return_state=True)
    assert state.is_failed() and "fan-out needs a registry stages storage" in state.message
    assert "Traceback" not in state.message


def test_a_killed_image_run_is_run_again_and_the_build_succeeds(
        prefect_api, deployments, start_worker, git_repo, project_name, registry, registry_busybox, kubeconfig_path,
        tmp_path):
    from flows.build import build
    make_project(git_repo, SLOW.format(project=project_name, base=registry_busybox, seconds=20))
    workers = [start_worker(limit=1, home=tmp_path / f"worker-{n}-home") for n in range(2)]
    outcome: list = []
    parent = threading.Thread(target=lambda: outcome.append(
        build(**parameters(git_repo, project_name, registry, kubeconfig_path), return_state=True)))
    parent.start()

    def running_slow_child():
        runs = prefect_api.post("/flow_runs/filter", {"flow_runs": {"name": {"like_": f"image-{project_name}-slow-"}}})
        return next((r for r in runs if r["state_type"] == "RUNNING" and r.get("infrastructure_pid")), None)
    child = wait_until(running_slow_child, timeout=240, interval=0.5, what="the slow image's run to start")
    time.sleep(3)                                           # in the middle of its install stage
    launcher = int(str(child["infrastructure_pid"]).rsplit(":", 1)[-1])
    engine = wait_until(lambda: engine_of(launcher), timeout=30, what="the run's engine")
    os.kill(launcher, signal.SIGKILL)
    # the engine the worker's fork server started for it dies with the killed launcher: nothing of the run goes on
    wait_until(lambda: not alive(engine), timeout=15, what="the killed run's engine to die")
    parent.join(timeout=600)
    assert outcome, "the parent run did not finish"
    state = outcome[0]
    assert state.is_completed(), f"{state.message}\n" + "\n".join(w.log_tail() for w in workers)
    assert flow_run(prefect_api, child["id"])["state_type"] == "CRASHED"
    retried = flow_run(prefect_api, state.result()["images"]["slow"]["flowRun"])
    assert retried["name"].endswith("-try2") and retried["state_type"] == "COMPLETED"
    assert published_once(registry, project_name)


def test_cancelling_an_image_run_stops_its_forked_engine(
        prefect_api, deployments, start_worker, git_repo, project_name, registry, registry_busybox, kubeconfig_path,
        tmp_path):
    """Prefect's cancellation (the worker signals the run's process) reaches the engine the fork server forked."""
    from prefect.deployments import run_deployment
    commit = make_project(git_repo, SLOW.format(project=project_name, base=registry_busybox, seconds=60))
    worker = start_worker(limit=1, home=tmp_path / "worker-home")
    run = run_deployment("werf-image/fan-out-image", timeout=0, parameters={
        **{k: v for k, v in parameters(git_repo, project_name, registry, kubeconfig_path).items()
           if k not in ("fan_out", "ref")}, "image": "slow", "commit": commit})
    run_id = str(run.id)
    running = wait_until(lambda: (lambda r: r if r["state_type"] == "RUNNING" and r.get("infrastructure_pid")
                                  else None)(flow_run(prefect_api, run_id)),
                         timeout=240, interval=0.5, what="the image run to start")
    launcher = int(str(running["infrastructure_pid"]).rsplit(":", 1)[-1])
    engine = wait_until(lambda: engine_of(launcher), timeout=30, what="the run's engine")
    time.sleep(3)
    prefect_api.post(f"/flow_runs/{run_id}/set_state",
                     {"state": {"type": "CANCELLING", "name": "Cancelling"}, "force": True})
    wait_until(lambda: flow_run(prefect_api, run_id)["state_type"] == "CANCELLED", timeout=120, interval=0.5,
               what=f"the run to be cancelled\n{worker.log_tail()}")
    wait_until(lambda: not alive(engine) and not alive(launcher), timeout=30, what="its processes to end")
