"""Progress output: one line per stage (digest, built/reused, seconds, size) for people, or JSON lines for machines."""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, TextIO

from werf_core.conveyor.results import ImageResult, StageResult
from werf_core.redaction import redact

if TYPE_CHECKING:
    from werf_core.conveyor.conveyor import StageJob


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


class TextProgress:
    def __init__(self, stream: TextIO | None = None, *, verbose: bool = False, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.verbose = verbose
        self.quiet = quiet
        self._lock = threading.Lock()

    def _print(self, text: str) -> None:
        text = redact(text)   # build output may echo a URL with a token
        with self._lock:
            print(text, file=self.stream, flush=True)

    def stage_started(self, job: StageJob) -> None:
        pass

    def stage_output(self, job: StageJob, line: str) -> None:
        if not self.quiet:
            self._print(f"  {job.image}/{job.stage} │ {line}")

    def stage_command(self, job: StageJob, command: str) -> None:
        if self.verbose and not self.quiet:
            self._print(f"  {job.image}/{job.stage} $ {command}")

    def stage_done(self, result: StageResult) -> None:
        if self.quiet:
            return
        size = human_size(result.size) if result.size else "-"
        mark = "" if result.final else "  (digest final after selection)"
        self._print(f"{result.image:<16} {result.name:<20} {result.digest[:12]}  {result.status:<9} "
                    f"{result.seconds:6.2f}s  {size:>9}{mark}")

    def image_done(self, result: ImageResult) -> None:
        if not self.quiet:
            self._print(f"{result.display_name:<16} => {result.last_stage.description.image_name or '(not built)'}")

    def warning(self, message: str) -> None:
        self._print(f"Warning: {message}")

    def info(self, message: str) -> None:
        if not self.quiet:
            self._print(message)


class JsonProgress:
    """One JSON object per line on stderr: {"event": ..., "time": ...}."""

    def __init__(self, stream: TextIO | None = None, *, verbose: bool = False, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.verbose = verbose
        self._lock = threading.Lock()

    def _emit(self, event: str, **fields: Any) -> None:
        line = redact(json.dumps({"event": event, "time": round(time.time(), 3), **fields}))
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()

    def stage_started(self, job: StageJob) -> None:
        self._emit("stage_started", image=job.image, stage=job.stage, digest=job.digest)

    def stage_output(self, job: StageJob, line: str) -> None:
        self._emit("stage_output", image=job.image, stage=job.stage, line=line)

    def stage_command(self, job: StageJob, command: str) -> None:
        self._emit("stage_command", image=job.image, stage=job.stage, command=command)

    def stage_done(self, result: StageResult) -> None:
        fields = result.to_report()
        fields["stageImage"] = fields.pop("image")   # "image" is the werf image the stage belongs to
        self._emit("stage_done", image=result.image, **fields)

    def image_done(self, result: ImageResult) -> None:
        fields = result.to_report()
        fields["image"] = fields.pop("name")
        self._emit("image_done", **fields)

    def warning(self, message: str) -> None:
        self._emit("warning", message=message)

    def info(self, message: str) -> None:
        self._emit("info", message=message)


def make_progress(log_format: str, *, verbose: bool = False, quiet: bool = False) -> TextProgress | JsonProgress:
    return (JsonProgress if log_format == "json" else TextProgress)(verbose=verbose, quiet=quiet)
