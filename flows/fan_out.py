"""Fan-out: one `werf-image` flow run per image, picked up by whichever worker of the pool is free.

The parent `werf-build` run (with `fan_out`) checks out the sources once, reads werf.yaml for the images and what
each is built from (`fromImage`, imports, `dependencies`), and submits a child run of the `werf-image` deployment
for an image as soon as every image it depends on has finished. Children build at the commit the parent resolved
and share the stages through the registry stages storage and the `kubernetes://` synchronization, so an image
built by one child is simply reused (`Cached`) by the children that depend on it, and each stage is published once.

Failure handling: a child that fails fails the parent with that image's message (the other children are cancelled);
a child that crashed (its worker died) is submitted again, up to `CRASH_RETRIES` times — what it had already
published is reused; when the parent itself is cancelled or crashes, it cancels the children still running.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from werf_core.errors import WerfError

CRASH_RETRIES = 2
POLL_SECONDS = 1.0
FINAL_TYPES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


class FanOutError(WerfError):
    """A child image run failed, or fan-out was asked for where it cannot work."""


@dataclass
class ChildRun:
    image: str
    flow_run_id: str
    attempt: int = 1


@dataclass
class FanOutResult:
    """What the children did: per image, its (last) flow run and final state name."""

    runs: dict[str, ChildRun] = field(default_factory=dict)
    states: dict[str, str] = field(default_factory=dict)


class ChildRuns:
    """The Prefect API side of fan-out (a seam: tests of the scheduling order use an in-memory double)."""

    def __init__(self, deployment: str) -> None:
        self.deployment = deployment

    def submit(self, image: str, parameters: dict[str, Any], run_name: str) -> str:
        from prefect.deployments import run_deployment
        # as a subflow: the parent's page lists the image runs, each with its stage task runs
        run = run_deployment(self.deployment, parameters=parameters, timeout=0, as_subflow=True,
                             flow_run_name=run_name)
        return str(run.id)

    def state(self, flow_run_id: str) -> tuple[str, str, str]:
        """(state type, state name, message) of a child run."""
        from prefect.client.orchestration import get_client
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(flow_run_id)
        state = run.state
        if state is None:
            return "PENDING", "Pending", ""
        return state.type.value, state.name, state.message or ""

    def cancel(self, flow_run_id: str) -> None:
        from prefect.client.orchestration import get_client
        from prefect.states import Cancelling
        with get_client(sync_client=True) as client:
            client.set_flow_run_state(flow_run_id, Cancelling(message="the parent build run was cancelled"),
                                      force=True)


def schedule(dependencies: Mapping[str, list[str]], *, start: Callable[[str, int], str],
             state: Callable[[str], tuple[str, str, str]], cancel: Callable[[str], None],
             poll: float = POLL_SECONDS, timeout: float | None = None) -> FanOutResult:
    """Run every image of `dependencies` (image → images it depends on) as child runs, each once its dependencies
    completed; `start(image, attempt)` submits a run and returns its id. Returns when all completed."""
    result = FanOutResult()
    done: set[str] = set()
    running: dict[str, ChildRun] = {}
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while len(done) < len(dependencies):
            for image, needs in dependencies.items():
                if image not in done and image not in running and all(n in done for n in needs):
                    running[image] = result.runs[image] = ChildRun(image, start(image, 1))
            if not running:
                missing = sorted(set(dependencies) - done)
                raise FanOutError(f"images {', '.join(missing)} depend on images that are not built",
                                  hint="check fromImage/import/dependencies in werf.yaml")
            time.sleep(poll)
            for image, child in list(running.items()):
                kind, name, message = state(child.flow_run_id)
                if kind not in FINAL_TYPES:
                    continue
                result.states[image] = name
                if kind == "COMPLETED":
                    done.add(image)
                    del running[image]
                elif kind == "CRASHED" and child.attempt <= CRASH_RETRIES:
                    retry = ChildRun(image, start(image, child.attempt + 1), child.attempt + 1)
                    running[image] = result.runs[image] = retry
                else:
                    del running[image]
                    raise FanOutError(f"image {image}: its run {child.flow_run_id} ended {name}"
                                      + (f": {message}" if message else ""),
                                      hint="open that flow run in the Prefect UI for its stages and logs")
            if deadline is not None and time.monotonic() > deadline:
                raise FanOutError(f"the image runs did not finish in {timeout:.0f}s: "
                                  f"{', '.join(sorted(running))} still running",
                                  hint="are workers running on the pool of the werf-image deployment?")
    except BaseException:
        for child in running.values():     # failure elsewhere, or the parent was cancelled: stop the rest
            try:
                cancel(child.flow_run_id)
            except Exception:
                pass
        raise
    return result


def image_dependencies(config: Any, names: list[str | None] | None) -> dict[str, list[str]]:
    """image name ("~" for the nameless one) → the images it is built from, for the images asked for and their
    sources (werf's dependency closure)."""
    def display(model: Any) -> str:
        return "~" if model.name is None else str(model.name)
    graph: dict[str, list[str]] = {}
    for image_set in config.dependency_sets(names):
        for model in image_set:
            graph[display(model)] = [display(dep) for dep in config.dependencies_of(model)]
    return graph


def check_fan_out_possible(stages_storage: str | None, synchronization: str | None) -> None:
    """Children run on other machines: they must share the stages and the locks."""
    if not stages_storage or stages_storage.strip() == ":local":
        raise FanOutError("fan-out needs a registry stages storage: :local stages live in one machine's Docker "
                          "engine", hint="pass stages_storage=REGISTRY/REPO (e.g. registry.example.com/app/stages)")
    if not synchronization or not synchronization.startswith("kubernetes://"):
        raise FanOutError("fan-out needs kubernetes:// synchronization: :local locks are per machine, so two "
                          "workers could publish the same stage", hint="pass synchronization=kubernetes://NAMESPACE "
                                                                      "(or set WERF_SYNCHRONIZATION on the workers)")
