"""`PrefectStageRunner`: the conveyor's stage-runner seam, implemented with the stage task.

werf's selection decides; Prefect shows it. For each stage the runner asks werf's selection (`kind.select` over
`manager.stages_by_digest`: the stages-storage cache, git ancestry, the stage still existing). When it picks a
stored stage, the runner offers it to the view that serves as the task's result storage (`cache_storage`), and the
task run finishes `Cached` without running its body — whoever built that stage. Otherwise the task runs the
conveyor's per-stage algorithm (build → lock → re-check → publish or discard) in its body.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from prefect.utilities.annotations import quote

from tasks.cache_key import stage_cache_key
from tasks.cache_storage import WerfStagesStorageView, stages_storage_view
from tasks.stage_record import reuse_record
from tasks.stage_task import StageCall, stage_task
from werf_core.conveyor.results import REUSED, StageResult

if TYPE_CHECKING:
    from prefect.states import State

    from werf_core.conveyor.conveyor import Conveyor, StageJob


class PrefectStageRunner:
    def __init__(self, view: WerfStagesStorageView | None = None) -> None:
        self._view = view

    @property
    def view(self) -> WerfStagesStorageView:
        if self._view is None:
            self._view = stages_storage_view()
        return self._view

    def run_stage(self, conveyor: Conveyor, job: StageJob) -> StageResult:
        started = time.monotonic()
        task = stage_task.with_options(result_storage=self.view)
        if conveyor.dry_run:
            return self._executed(*self._call(task, conveyor, job))   # the policy caches nothing in a dry run
        chosen = job.kind.select(job.ctx, conveyor.manager.stages_by_digest(job.digest))
        if chosen is None:
            return self._executed(*self._call(task, conveyor, job))
        key = stage_cache_key(job.project, job.stages_storage, job.digest)
        self.view.offer(key, reuse_record(job.image, job.stage, job.digest, chosen))
        try:
            call, _ = self._call(task, conveyor, job)
        finally:
            self.view.withdraw(key)
        if call.result is not None:     # Prefect ran the body after all (e.g. the view was not consulted)
            return call.result
        conveyor.progress.stage_started(job)
        return conveyor.finish_stage(job, chosen, REUSED, started)

    # ---------------------------------------------------------------- helpers
    @staticmethod
    def _call(task: object, conveyor: Conveyor, job: StageJob) -> tuple[StageCall, State]:
        call = StageCall(conveyor, job)
        state = task(project=job.project, stages_storage=job.stages_storage,  # type: ignore[operator]
                     image=job.image, stage=job.stage, digest=job.digest, dry_run=bool(conveyor.dry_run),
                     call=quote(call), return_state=True)
        if call.error is not None:
            raise call.error
        if not state.is_completed():
            state.result()            # a bug in the body: re-raised here with its own traceback
            raise RuntimeError(f"stage task {job.image}/{job.stage} ended {state.name}: {state.message}")
        return call, state

    @staticmethod
    def _executed(call: StageCall, state: State) -> StageResult:
        if call.result is None:
            raise RuntimeError(f"stage task {state.name}: expected to run its body, but it finished cached")
        return call.result
