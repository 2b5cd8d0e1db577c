"""Progress output: one line per stage for people, one JSON object per event for machines."""

import io
import json

from werf_core.conveyor.progress import JsonProgress, TextProgress, human_size
from werf_core.conveyor.results import ImageResult, StageResult
from werf_core.storage.base import StageDescription
from werf_core.storage.stage_id import StageID


def result(status="built", final=True) -> StageResult:
    d = StageDescription(StageID("ab" * 28, 5), "repo:tag", "sha256:1", {}, size=2_500_000)
    return StageResult(image="app", name="install", digest="ab" * 28, status=status, description=d, next_deps="",
                       content_digest="cd", seconds=1.5, final=final)


def test_json_progress_emits_parseable_events():
    out = io.StringIO()
    progress = JsonProgress(out)
    progress.stage_done(result())
    progress.image_done(ImageResult("app", False, (result(),), "cc"))
    progress.warning("careful")
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [e["event"] for e in events] == ["stage_done", "image_done", "warning"]
    assert events[0]["image"] == "app" and events[0]["name"] == "install" and events[0]["stageImage"] == "repo:tag"
    assert events[0]["status"] == "built" and events[0]["size"] == 2_500_000
    assert events[1]["image"] == "app" and events[1]["stageImage"] == "repo:tag"
    assert events[2]["message"] == "careful"


def test_text_progress_line_has_digest_status_time_and_size():
    out = io.StringIO()
    TextProgress(out).stage_done(result(final=False))
    line = out.getvalue()
    assert "install" in line and "abababababab" in line and "built" in line and "1.50s" in line
    assert "2.5 MB" in line and "final after selection" in line


def test_quiet_text_progress_prints_only_warnings():
    out = io.StringIO()
    progress = TextProgress(out, quiet=True)
    progress.stage_done(result())
    progress.info("hello")
    progress.warning("careful")
    assert out.getvalue() == "Warning: careful\n"


def test_human_size():
    assert human_size(999) == "999 B"
    assert human_size(1500) == "1.5 KB"
    assert human_size(2_000_000_000) == "2.0 GB"
