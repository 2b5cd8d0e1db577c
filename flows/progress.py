"""Build progress as Prefect run logs, plus progress events for whoever watches the run in this process.

Lines about a stage are logged with the logger of the run they happen in: build output and the stage summary land
in the stage's task run, image summaries and warnings in the flow run. Every event is also emitted, with the result
objects attached, on the `werf_prefect.progress` logger: `werf build --prefect` attaches a handler there that drives
its usual terminal progress (`ProgressRelay`). Nothing flows back into the run that way; a run started by a
deployment simply has no such observer.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from werf_core.conveyor.progress import human_size
from werf_core.redaction import redact

if TYPE_CHECKING:
    from werf_core.conveyor.conveyor import Progress, StageJob
    from werf_core.conveyor.results import ImageResult, StageResult

EVENTS = logging.getLogger("werf_prefect.progress")
EVENTS.setLevel(logging.DEBUG)
EVENTS.propagate = False        # observers attach here; Prefect's console and API handlers get the log lines
EVENT_ATTRIBUTE = "werf_progress"


def _run_logger(fallback: logging.Logger) -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    from prefect.exceptions import MissingContextError
    from prefect.logging import get_run_logger
    try:
        return get_run_logger()
    except MissingContextError:
        return fallback


class PrefectProgress:
    def __init__(self) -> None:
        self._fallback = logging.getLogger("werf_prefect.build")

    def _log(self, level: int, message: str) -> None:
        _run_logger(self._fallback).log(level, redact(message))

    @staticmethod
    def _event(method: str, *args: Any) -> None:
        # DEBUG: with no observer attached, logging's last-resort handler (WARNING and up) prints nothing
        EVENTS.debug(method, extra={EVENT_ATTRIBUTE: (method, args)})

    def stage_started(self, job: StageJob) -> None:
        self._event("stage_started", job)

    def stage_output(self, job: StageJob, line: str) -> None:
        self._log(logging.INFO, f"{job.image}/{job.stage} │ {line}")
        self._event("stage_output", job, line)

    def stage_command(self, job: StageJob, command: str) -> None:
        self._log(logging.INFO, f"{job.image}/{job.stage} $ {command}")
        self._event("stage_command", job, command)

    def stage_done(self, result: StageResult) -> None:
        size = human_size(result.size) if result.size else "-"
        self._log(logging.INFO, f"{result.image}/{result.name} {result.digest[:12]} {result.status} in "
                                f"{result.seconds:.3f}s, {size}: {result.description.image_name or '(planned)'}")
        self._event("stage_done", result)

    def image_done(self, result: ImageResult) -> None:
        self._log(logging.INFO, f"image {result.display_name} => "
                                f"{result.last_stage.description.image_name or '(not built)'}")
        self._event("image_done", result)

    def warning(self, message: str) -> None:
        self._log(logging.WARNING, message)
        self._event("warning", message)

    def info(self, message: str) -> None:
        self._log(logging.INFO, message)
        self._event("info", message)


class ProgressRelay(logging.Handler):
    """Replays the run's progress events on a terminal progress (TextProgress / JsonProgress)."""

    def __init__(self, progress: Progress) -> None:
        super().__init__(logging.DEBUG)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, EVENT_ATTRIBUTE, None)
        if event is not None:
            method, args = event
            getattr(self.progress, method)(*args)
