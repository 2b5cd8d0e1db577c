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
from uuid import UUID

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
    """The Prefect API side of fan-out (a seam: tests of the scheduling order use an in-memory double).

    The scheduler asks for the state of every running child once per poll; one request answers for all of them
    (`STATE_TTL`), through one client kept for the fan-out, instead of a client and a request per child."""

    STATE_TTL = 0.25     # shorter than a poll, longer than the scheduler's pass over the running children

    def __init__(self, deployment: str) -> None:
        self.deployment = deployment
        self._client: Any = None
        self._pending: set[str] = set()        # submitted, not yet seen in a final state
        self._states: dict[str, tuple[str, str, str]] = {}
        self._read_at = 0.0

    def submit(self, image: str, parameters: dict[str, Any], run_name: str) -> str:
        from prefect.deployments import run_deployment
        # as a subflow: the parent's page lists the image runs, each with its stage task runs
        run = run_deployment(self.deployment, parameters=parameters, timeout=0, as_subflow=True,
                             flow_run_name=run_name)
        flow_run_id = str(run.id)  # type: ignore[union-attr]  # Prefect's sync/async dispatch: a FlowRun here
        self._pending.add(flow_run_id)
        return flow_run_id

    def state(self, flow_run_id: str) -> tuple[str, str, str]:
        """(state type, state name, message) of a child run."""
        if flow_run_id not in self._states or time.monotonic() - self._read_at > self.STATE_TTL:
            self._read_states({flow_run_id} | self._pending)
        return self._states.get(flow_run_id, ("PENDING", "Pending", ""))

    def _read_states(self, flow_run_ids: set[str]) -> None:
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
        runs = self.client().read_flow_runs(flow_run_filter=FlowRunFilter(
            id=FlowRunFilterId(any_=[UUID(i) for i in sorted(flow_run_ids)])), limit=len(flow_run_ids))
        self._read_at = time.monotonic()
        for run in runs:
            state = run.state
            key = str(run.id)
            if state is None:
                self._states[key] = ("PENDING", "Pending", "")
                continue
            self._states[key] = (state.type.value, state.name or state.type.value.title(), state.message or "")
            if state.type.value in FINAL_TYPES:
                self._pending.discard(key)

    def cancel(self, flow_run_id: str) -> None:
        from prefect.states import Cancelling
        self.client().set_flow_run_state(flow_run_id, Cancelling(message="the parent build run was cancelled"),
                                         force=True)

    def client(self) -> Any:
        if self._client is None:
            from prefect.client.orchestration import get_client
            client = get_client(sync_client=True)
            client.__enter__()
            self._client = client
        return self._client

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.__exit__(None, None, None)


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
