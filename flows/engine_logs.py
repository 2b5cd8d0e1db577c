"""No engine traceback for a user mistake.

A werf error (bad werf.yaml, unreachable registry, failing build command) ends a flow run `Failed` with werf's own
message and hint, logged once by the flow (`flows.build.guarded`). Prefect's engine then raises the failed state's
exception again at the end of the run and logs it with its traceback ("Engine execution exited with unexpected
exception", ~40 lines) to the run log and the worker's console. That record says nothing new to the user, so it is
dropped here; every other exception keeps its traceback.
"""

from __future__ import annotations

import logging

from werf_core.errors import WerfError

# the loggers Prefect's engine reports a run's final exception on
ENGINE_LOGGERS = ("prefect.flow_runs", "prefect.task_runs", "prefect.engine", "prefect.flow_engine",
                  "prefect.task_engine")


def is_user_mistake(error: BaseException | None) -> bool:
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, WerfError):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


class DropUserMistakeTracebacks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and is_user_mistake(record.exc_info[1]))


def install() -> None:
    """Idempotent: one filter per engine logger."""
    for name in ENGINE_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, DropUserMistakeTracebacks) for f in logger.filters):
            logger.addFilter(DropUserMistakeTracebacks())
