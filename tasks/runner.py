"""`PrefectStageRunner`: the conveyor's stage-runner seam, implemented with the stage task.

werf's selection decides; Prefect shows it. For each stage the runner asks werf's selection (`kind.select` over
`manager.stages_by_digest`: the stages-storage cache, git ancestry, the stage still existing). When it picks a
stored stage, the runner offers it to the view that serves as the task's result storage (`cache_storage`), and the
task run finishes `Cached` without running its body — whoever built that stage. Otherwise the task runs the
conveyor's per-stage algorithm (build → lock → re-check → publish or discard) in its body.

Lineage: each stage task run waits for the previous stage of its image, and the `from` stage of a `fromImage` image
and an imports stage for the stages they take from, so the run graph draws the chains and the edges between images.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

from prefect.utilities.annotations import quote

from tasks.cache_key import stage_cache_key
from tasks.cache_storage import WerfStagesStorageView, stages_storage_view
from tasks.stage_record import reuse_record
from tasks.stage_task import StageCall, stage_task
from werf_core.conveyor.results import REUSED, StageResult

if TYPE_CHECKING:
    from prefect.states import State

    from werf_core.conveyor.conveyor import Conveyor, StageJob

FLOW_RUN_LABEL = "werf-prefect-flow-run"       # on every stage built in a flow run: which run built it
_DETAILS = logging.getLogger("prefect.task_runs")


class PrefectStageRunner:
    def __init__(self, view: WerfStagesStorageView | None = None) -> None:
        self._view = view
        self._guard = threading.Lock()
        self._states: dict[tuple[str, str], State] = {}       # (image, stage) → its task run's final state
        self._last: dict[str, State] = {}                      # image → its latest stage's state
        self._last_result: dict[str, StageResult] = {}         # image → its latest stage's result
        # every state of this run, kept alive: Prefect maps results to task runs by object id for dependency
        # tracking, and a freed result's id reused by a later parameter would draw a false edge
        self._kept: list[State] = []
        self.hostname = socket.gethostname()

    @property
    def view(self) -> WerfStagesStorageView:
        if self._view is None:
            self._view = stages_storage_view()
        return self._view

    def run_stage(self, conveyor: Conveyor, job: StageJob) -> StageResult:
        started = time.monotonic()
        task = stage_task.with_options(result_storage=self.view)
        upstream = self.upstream(job)
        conveyor.lease_stage(job.digest)   # before the lookup: a concurrent cleanup must not delete what we pick
        chosen = None if conveyor.dry_run else job.kind.select(job.ctx, conveyor.manager.stages_by_digest(job.digest))
        if chosen is None:      # a dry run (the policy caches nothing then), or nothing stored: the body runs
            call, state = self._call(task, conveyor, job, upstream)
            if call.result is None:
                raise RuntimeError(f"stage task {state.name}: expected to run its body, but it finished cached")
            result = call.result
        else:
            key = stage_cache_key(job.project, job.stages_storage, job.digest)
            self.view.offer(key, reuse_record(job.image, job.stage, job.digest, chosen))
            try:
                call, state = self._call(task, conveyor, job, upstream)
            finally:
                self.view.withdraw(key)
            if call.result is not None:     # Prefect ran the body after all (e.g. the view was not consulted)
                result = call.result
            else:
                conveyor.progress.stage_started(job)
                result = conveyor.finish_stage(job, chosen, REUSED, started)
        self._record(job, state, result)
        return result

    def upstream(self, job: StageJob) -> list[State]:
        """The task runs this stage depends on: its image's previous stage, and the stages it takes files from."""
        spec = job.ctx.spec
        with self._guard:
            found = [self._last[job.image]] if job.image in self._last else []
            if job.stage == "from" and spec.from_image and spec.from_image in self._last:
                found.append(self._last[spec.from_image])
            for imported in spec.imports:
                if imported.placement != job.stage:
                    continue
                state = self._states.get((imported.source, imported.stage)) if imported.stage else None
                state = state or self._last.get(imported.source)
                if state is not None:
                    found.append(state)
        return found

    # ---------------------------------------------------------------- helpers
    def _record(self, job: StageJob, state: State, result: StageResult) -> None:
        with self._guard:
            previous = self._last_result.get(job.image)
            self._states[(job.image, job.stage)] = state
            self._kept.append(state)
            self._last[job.image] = state
            self._last_result[job.image] = result
        task_run_id = state.state_details.task_run_id
        if task_run_id is not None and result.description.image_name:
            # shown on the task run's page, also for a Cached run whose body never ran; sent in the background
            # the task-run logger's handlers format with the run names: give them as a run logger would
            _DETAILS.info(stage_details(result, previous, self.hostname),
                          extra={"task_run_id": task_run_id, "flow_run_id": state.state_details.flow_run_id,
                                 "task_run_name": f"{job.image}/{job.stage} {job.digest[:12]}",
                                 "flow_run_name": _flow_run_name()})

    @staticmethod
    def _call(task: Any, conveyor: Conveyor, job: StageJob, upstream: list[State]) -> tuple[StageCall, State]:
        call = StageCall(conveyor, job)
        state = task(project=job.project, stages_storage=job.stages_storage, image=job.image, stage=job.stage,
                     digest=job.digest, dry_run=bool(conveyor.dry_run), call=quote(call), wait_for=upstream,
                     return_state=True)
        if call.error is not None:
            raise call.error
        if not state.is_completed():
            state.result()            # a bug in the body: re-raised here with its own traceback
            raise RuntimeError(f"stage task {job.image}/{job.stage} ended {state.name}: {state.message}")
        return call, state


def stage_details(result: StageResult, previous: StageResult | None, hostname: str) -> str:
    """What a stage resolved to, for its task run's page."""
    description = result.description
    layer = max(0, description.size - previous.description.size) if previous is not None else description.size
    lines = [f"stage {result.image}/{result.name} {result.status} in {result.seconds * 1000:.0f} ms on {hostname}",
             f"digest: {result.digest}",
             f"stage image: {description.image_name}",
             f"image ID: {description.image_id}",
             f"stage layer: {layer} bytes; image: {description.size} bytes"]
    built_by = description.labels.get(FLOW_RUN_LABEL)
    if result.status != "built" and built_by:
        lines.append(f"built by flow run: {flow_run_link(built_by)}")
    return "\n".join(lines)


def _flow_run_name() -> str:
    from prefect.runtime import flow_run
    return str(flow_run.name or "")


def flow_run_link(flow_run_id: str) -> str:
    from prefect.settings import PREFECT_UI_URL
    base = (PREFECT_UI_URL.value() or "").rstrip("/")
    return f"{base}/runs/flow-run/{flow_run_id}" if base else flow_run_id
