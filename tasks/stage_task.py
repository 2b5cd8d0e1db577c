"""The stage task: one Prefect task run per non-empty stage, cached by the stage digest.

Its body is the conveyor's own per-stage algorithm (`Conveyor.execute_stage`: select a stored stage, else build →
lock → re-check → publish or discard), so the lock-guarded publication happens inside the task run and a stage is
published once however many runners race for it. The task returns a small JSON record (`stage_record`), which
Prefect stores under the cache key; a later run with the same key finishes in state `Cached` without running the
body at all.

The conveyor and the job travel in a typed `StageCall` wrapped in `quote(...)`: Prefect neither walks into it nor
hashes it (flow-run parameters are never stored for task runs), and the cache key is computed from the plain string
parameters only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prefect import task
from prefect.cache_policies import CachePolicy
from prefect.states import Completed, Failed

from tasks.cache_key import stage_cache_key
from tasks.stage_record import stage_record
from werf_core.conveyor.results import REUSED
from werf_core.errors import ShouldResetStagesStorageCache, WerfError

if TYPE_CHECKING:
    from werf_core.conveyor.conveyor import Conveyor, StageJob
    from werf_core.conveyor.results import StageResult


class StageDigestCachePolicy(CachePolicy):
    """Cache key = the stage digest, namespaced by project and stages storage (see `cache_key`).

    A dry run caches nothing: its answers are predictions, not stage images.
    """

    def compute_key(self, task_ctx, inputs, flow_parameters, **kwargs) -> str | None:
        if inputs.get("dry_run"):
            return None
        return stage_cache_key(inputs["project"], inputs["stages_storage"], inputs["digest"])


def stage_task_run_name() -> str:
    """`<image>/<stage> <first 12 of the digest>`, e.g. `app/install 3f2a9c01b7de`."""
    from prefect.runtime import task_run
    parameters = task_run.parameters
    return f"{parameters['image']}/{parameters['stage']} {parameters['digest'][:12]}"


@dataclass
class StageCall:
    """What the task body needs besides its parameters, and what it hands back besides its JSON value."""

    conveyor: Conveyor
    job: StageJob
    result: StageResult | None = None           # when the body ran
    error: BaseException | None = field(default=None)


# No task tags: a tagged task run asks the API for tag-concurrency slots before it starts (one blocking round trip
# per stage, measured at up to 2 s on a busy SQLite server; bench/prefect_orchestration.py).
@task(name="werf-stage", cache_policy=StageDigestCachePolicy(), result_serializer="json",
      cache_result_in_memory=False, task_run_name=stage_task_run_name)
def stage_task(project: str, stages_storage: str, image: str, stage: str, digest: str, dry_run: bool,
               call: StageCall) -> Any:
    try:
        result = call.conveyor.execute_stage(call.job)
    except (WerfError, ShouldResetStagesStorageCache) as err:
        # A user-facing failure (or the conveyor's reset signal): fail the task run with the message only and let
        # the runner raise the original exception in the flow, where the conveyor handles it.
        call.error = err
        text = err.render() if isinstance(err, WerfError) else str(err)
        return Failed(message=text)
    call.result = result
    if result.status == REUSED:
        # another runner published the stage between the runner's look-up and this body: still a reuse
        return Completed(name="Cached", data=stage_record(result))
    return stage_record(result)
