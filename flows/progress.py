"""Build progress as Prefect run logs (and, from the CLI, also on the terminal as usual).

Lines about a stage are logged with the logger of the run they happen in: build output and the stage summary land
in the stage's task run, image summaries and warnings in the flow run. When `werf build --prefect` runs the flow,
the usual terminal progress (`TextProgress`/`JsonProgress`) is given as `console` and receives every event too.
"""

from __future__ import annotations

import logging

from werf_core.conveyor.progress import human_size
from werf_core.redaction import redact


def _run_logger(fallback: logging.Logger | logging.LoggerAdapter):
    from prefect.exceptions import MissingContextError
    from prefect.logging import get_run_logger
    try:
        return get_run_logger()
    except MissingContextError:
        return fallback


class PrefectProgress:
    def __init__(self, console=None) -> None:
        self.console = console
        self._fallback = logging.getLogger("werf_prefect.build")

    def _log(self, level: int, message: str) -> None:
        _run_logger(self._fallback).log(level, redact(message))

    def stage_started(self, job) -> None:
        if self.console is not None:
            self.console.stage_started(job)

    def stage_output(self, job, line: str) -> None:
        self._log(logging.INFO, f"{job.image}/{job.stage} │ {line}")
        if self.console is not None:
            self.console.stage_output(job, line)

    def stage_done(self, result) -> None:
        size = human_size(result.size) if result.size else "-"
        self._log(logging.INFO, f"{result.image}/{result.name} {result.digest[:12]} {result.status} in "
                                f"{result.seconds:.2f}s, {size}: {result.description.image_name or '(planned)'}")
        if self.console is not None:
            self.console.stage_done(result)

    def image_done(self, result) -> None:
        self._log(logging.INFO, f"image {result.display_name} => "
                                f"{result.last_stage.description.image_name or '(not built)'}")
        if self.console is not None:
            self.console.image_done(result)

    def warning(self, message: str) -> None:
        self._log(logging.WARNING, message)
        if self.console is not None:
            self.console.warning(message)

    def info(self, message: str) -> None:
        self._log(logging.INFO, message)
        if self.console is not None:
            self.console.info(message)
