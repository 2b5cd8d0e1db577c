"""`PrefectStageRunner`: the conveyor's stage-runner seam, implemented with the stage task.

A Prefect cache hit must never hand back a stage werf's selection would not pick (a git stage built from a commit
that is not an ancestor of the current one, a stage deleted from the stages storage, or a newer one where werf takes
the oldest suitable). So before calling the task the runner reads the cached record itself and asks werf's selection
for this digest (`kind.select` over `manager.stages_by_digest`, which answers from the stages-storage cache and
checks that the stages still exist). Only when both name the same stage image is the task called normally and
finishes `Cached`; otherwise it runs with `refresh_cache=True`, executes the conveyor's stage algorithm and
overwrites the record. A hit is checked once more against the value the task actually returned, since another
runner may have rewritten the record in between.
"""

from __future__ import annotations

import time

from prefect.results import ResultRecord
from prefect.utilities.annotations import quote

from tasks.cache_key import stage_cache_key
from tasks.stage_record import description_from_record
from tasks.stage_task import StageCall, stage_task
from werf_core.conveyor.results import REUSED, StageResult
from werf_core.storage.base import StageDescription


class PrefectStageRunner:
    def __init__(self, storage) -> None:
        """`storage`: the saved block holding the cache records (`cache_storage.stage_cache_storage`)."""
        self.storage = storage
        self.cached_task = stage_task.with_options(result_storage=storage)
        self.refresh_task = stage_task.with_options(result_storage=storage, refresh_cache=True)

    def run_stage(self, conveyor, job) -> StageResult:
        started = time.monotonic()
        if conveyor.mode.dry_run:
            return self._execute(self.cached_task, conveyor, job)   # the policy caches nothing in a dry run
        key = stage_cache_key(job.project, job.stages_storage, job.digest)
        recorded = self.read_record(key, job.digest)
        chosen = None
        if recorded is not None:
            chosen = job.kind.select(job.ctx, conveyor.manager.stages_by_digest(job.digest))
        if not _same_stage(recorded, chosen):
            return self._execute(self.refresh_task, conveyor, job)
        call, state = self._call(self.cached_task, conveyor, job)
        if call.executed:
            return call.result
        if not _same_stage(description_from_record(state.result(), digest=job.digest), chosen):
            return self._execute(self.refresh_task, conveyor, job)
        return self._reused(conveyor, job, chosen, started)

    def read_record(self, key: str, digest: str) -> StageDescription | None:
        """The stage image the cached record names, or None (no record, unreadable, or not for this digest)."""
        try:
            content = self.storage.read_path(key, _sync=True)
            record = ResultRecord.deserialize(content)
        except Exception:   # any unreadable record is a miss; the task run then rewrites it
            return None
        if record.metadata.expiration is not None:
            return None     # we never set one: somebody else's record
        return description_from_record(record.result, digest=digest)

    # ---------------------------------------------------------------- helpers
    def _call(self, task, conveyor, job) -> tuple[StageCall, object]:
        call = StageCall(conveyor, job)
        state = task(project=job.project, stages_storage=job.stages_storage, image=job.image, stage=job.stage,
                     digest=job.digest, dry_run=conveyor.mode.dry_run, call=quote(call), return_state=True)
        if call.error is not None:
            raise call.error
        if not state.is_completed():
            state.result()            # a bug in the body: re-raised here with its own traceback
            raise RuntimeError(f"stage task {job.image}/{job.stage} ended {state.name}: {state.message}")
        return call, state

    def _execute(self, task, conveyor, job) -> StageResult:
        call, _ = self._call(task, conveyor, job)
        if not call.executed:
            raise RuntimeError(f"stage task {job.image}/{job.stage} was expected to run, but finished cached")
        return call.result

    @staticmethod
    def _reused(conveyor, job, description: StageDescription, started: float) -> StageResult:
        conveyor.progress.stage_started(job)
        return conveyor.finish_stage(job, description, REUSED, started)


def _same_stage(a: StageDescription | None, b: StageDescription | None) -> bool:
    return a is not None and b is not None and a.stage_id == b.stage_id
