"""Benchmark: what running the stages as Prefect task runs costs, per stage, against running them in-process.

Builds examples/hello-app (9 non-empty stages) with the local stages storage, two ways, in one process:

- in-process: the conveyor with its default stage runner (what `werf build` does without Prefect);
- prefect: the `werf-build` flow against a Prefect server — every stage a task run with its cache record.

Two scenarios, median of --runs each:
- idle: every stage is already stored (in-process: reused; Prefect: every task run `Cached`) — pure orchestration;
- cold: a new project name each run, so every stage is built (docker containers) — orchestration next to real work.

"per stage" is the time inside the stage runner (what a stage costs from the conveyor's point of view); "run" is the
whole call (for the flow: creating the flow run, checkout, artifacts, and the end-of-run log flush). The last table
is the difference: Prefect's cost per stage. Uses $PREFECT_API_URL if set, else starts a throw-away
`prefect server start` (not counted).

    .venv/bin/python bench/prefect_orchestration.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EXAMPLE = ROOT / "examples" / "hello-app"
GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@werf.invalid", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "bench@werf.invalid"}


class TimedRunner:
    """Wraps a stage runner and records how long each stage took through it."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.seconds: list[float] = []

    def run_stage(self, conveyor, job):
        started = time.perf_counter()
        try:
            return self.inner.run_stage(conveyor, job)
        finally:
            self.seconds.append(time.perf_counter() - started)


def make_repository(directory: Path) -> Path:
    shutil.copytree(EXAMPLE, directory)
    env = {**os.environ, **GIT_ENV}
    for command in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], ["git", "commit", "-qm", "example"]):
        subprocess.run(command, cwd=directory, env=env, check=True)
    return directory


def build_in_process(repository: Path, project: str) -> tuple[float, list[float]]:
    from werf_core.conveyor.conveyor import InProcessStageRunner
    from werf_core.conveyor.progress import TextProgress
    from werf_core.session.project import BuildOptions
    from werf_core.session.session import BuildSession

    started = time.perf_counter()
    runner = TimedRunner(InProcessStageRunner())
    options = BuildOptions(dir=str(repository), stages_storage=":local", project_name=project)
    with BuildSession.open(options, progress=TextProgress(quiet=True), stage_runner=runner) as session:
        session.build()
    return time.perf_counter() - started, runner.seconds


def build_with_prefect(repository: Path, project: str) -> tuple[float, list[float]]:
    import tasks.runner
    from flows.build import build

    timings: list[float] = []
    original = tasks.runner.PrefectStageRunner.run_stage

    def timed(self, conveyor, job):
        started = time.perf_counter()
        try:
            return original(self, conveyor, job)
        finally:
            timings.append(time.perf_counter() - started)

    tasks.runner.PrefectStageRunner.run_stage = timed
    try:
        started = time.perf_counter()
        state = build(repository=str(repository), project_name=project, return_state=True)
        elapsed = time.perf_counter() - started
    finally:
        tasks.runner.PrefectStageRunner.run_stage = original
    if not state.is_completed():
        raise SystemExit(f"the flow run failed: {state.message}")
    return elapsed, timings


def remove_project(client, project: str) -> None:
    """Every image of the project; several passes, since an image with child images is removed after them."""
    import docker.errors
    for _ in range(20):
        images = client.images.list(all=True, filters={"label": f"werf={project}"})
        if not images:
            return
        for image in images:
            try:
                client.images.remove(image.id, force=True)
            except docker.errors.APIError:
                pass   # a parent of an image not removed yet: next pass


def measure(actions: dict[str, object], runs: int) -> dict[str, list[tuple[float, float, int]]]:
    """(run seconds, mean seconds per stage, stages) of every run, per runner. The runners take turns, so background
    load (the Prefect server ingesting earlier runs' events, the engine pruning layers) falls on both alike and
    the runs pair up for differences."""
    samples: dict[str, list[tuple[float, float, int]]] = {name: [] for name in actions}
    for _ in range(runs):
        for name, action in actions.items():
            total, stages = action()
            samples[name].append((total, statistics.mean(stages), len(stages)))
    return samples


def median_of(samples: list[tuple[float, float, int]], index: int) -> float:
    return statistics.median(sample[index] for sample in samples)


def median_difference(prefect: list, local: list, index: int) -> float:
    """Median of the paired differences: robust to a slow docker moment hitting one side of one pair."""
    return statistics.median(p[index] - q[index] for p, q in zip(prefect, local))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="werf-prefect-bench-"))
    os.environ["WERF_HOME"] = str(work / "werf-home")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    server = None
    if not os.environ.get("PREFECT_API_URL"):
        from tests.support.prefect_server import PrefectServer
        print("starting a throw-away Prefect server ...", file=sys.stderr)
        server = PrefectServer(work / "prefect").start()
        os.environ.update(server.client_environment())
    projects: list[str] = []
    try:
        from werf_core.session.project import docker_client
        client = docker_client()
        repository = make_repository(work / "hello-app")
        results: dict[tuple[str, str], list] = {}

        def fresh(build):
            def action():
                project = f"bench-prefect-{uuid.uuid4().hex[:8]}"
                projects.append(project)
                return build(repository, project)
            return action

        idle_local, idle_prefect = f"bench-prefect-{uuid.uuid4().hex[:8]}", f"bench-prefect-{uuid.uuid4().hex[:8]}"
        projects += [idle_local, idle_prefect]
        build_in_process(repository, idle_local)          # store every stage once
        build_with_prefect(repository, idle_prefect)      # ... and every Prefect cache record
        build_with_prefect(repository, idle_prefect)      # warm-up: imports, block lookup, first API connections
        idle = measure({"in-process": lambda: build_in_process(repository, idle_local),
                        "prefect": lambda: build_with_prefect(repository, idle_prefect)}, args.runs)
        cold = measure({"in-process": fresh(build_in_process), "prefect": fresh(build_with_prefect)}, args.runs)
        for scenario, measured in (("idle", idle), ("cold", cold)):
            for runner, data in measured.items():
                results[(scenario, runner)] = data
    finally:
        for project in projects:
            remove_project(client, project)
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)

    print(f"\nexamples/hello-app, :local stages storage, median of {args.runs} runs\n")
    print("| scenario | runner | stages | run (s) | per stage (ms) |")
    print("|---|---|---:|---:|---:|")
    for (scenario, runner), samples in results.items():
        print(f"| {scenario} | {runner} | {samples[0][2]} | {median_of(samples, 0):.2f} | "
              f"{median_of(samples, 1) * 1000:.1f} |")
    print("\nPrefect's cost (median of the paired differences, prefect − in-process):\n")
    print("| scenario | per stage (ms) | per run (s) |")
    print("|---|---:|---:|")
    for scenario in ("idle", "cold"):
        local, prefect = results[(scenario, "in-process")], results[(scenario, "prefect")]
        print(f"| {scenario} | {median_difference(prefect, local, 1) * 1000:.1f} | "
              f"{median_difference(prefect, local, 0):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
