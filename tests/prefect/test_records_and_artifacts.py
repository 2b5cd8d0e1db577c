"""The cached stage record (what a Cached task run hands back) and the artifacts a build run leaves."""

from __future__ import annotations

import re

from flows.artifacts import (
    artifact_key,
    image_table_key,
    latest_key,
    latest_rows,
    stage_rows,
    summary_key,
    summary_markdown,
)
from tasks.stage_record import RECORD_VERSION, reuse_record, stage_record
from werf_core.conveyor.results import BUILT, REUSED, BuildReport, ImageResult, StageResult
from werf_core.storage.base import StageDescription
from werf_core.storage.stage_id import StageID

D1, D2 = "a" * 56, "b" * 56


def stage(name: str, digest: str, status: str = BUILT, size: int = 2_000_000, seconds: float = 1.234) -> StageResult:
    description = StageDescription(StageID(digest, 1795751797625), f"werf-stages-storage/app:{digest}-1795751797625",
                                   "sha256:" + "c" * 64, {"werf": "app", "werf-git-abc-commit": "f" * 40}, size,
                                   1795751797.6)
    return StageResult(image="app", name=name, digest=digest, status=status, description=description,
                       next_deps="", content_digest="d" * 56, seconds=seconds)


def report() -> BuildReport:
    app = ImageResult(name="app", is_artifact=False,
                      stages=(stage("from", D1, REUSED), stage("install", D2, size=2_500_000)),
                      content_digest="e" * 56)
    nameless = ImageResult(name=None, is_artifact=False, stages=(stage("from", D1, REUSED),), content_digest="f" * 56)
    return BuildReport(project="hello-app", stages_storage=":local", images=[app, nameless], seconds=3.21)


# ---------------------------------------------------------------- stage record
def test_record_names_the_stage_image_and_its_commit_labels():
    result = stage("install", D2)
    record = stage_record(result)
    assert record["version"] == RECORD_VERSION
    assert record["stage"] == {"image": "app", "name": "install", "digest": D2, "status": "built", "seconds": 1.234}
    assert StageDescription.from_json(record["description"]) == result.description


def test_record_values_sit_one_level_down_in_fresh_objects():
    """Prefect links a result's direct components to the task run by identity: no shared constants up there."""
    first, second = stage_record(stage("install", D2)), stage_record(stage("install", D2))
    assert all(isinstance(value, dict) or type(value) is int for value in first.values())
    assert all(first[key] is not second[key] for key in first if isinstance(first[key], dict))


def test_reuse_record_is_a_reused_stage_record():
    result = stage("install", D2, status=REUSED, seconds=0.0)
    assert reuse_record("app", "install", D2, result.description) == stage_record(result)


# ---------------------------------------------------------------- artifacts
def test_artifact_keys_are_lowercase_digits_and_dashes():
    for key in (image_table_key("hello-app", "app"), image_table_key("p", "~"), image_table_key("p", "Web/API_v2"),
                summary_key("hello-app"), artifact_key("x" * 300)):
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", key) and len(key) <= 100
    assert image_table_key("hello-app", "app") == "werf-hello-app-app-stages"
    assert image_table_key("p", "~") == "werf-p-nameless-stages"
    assert summary_key("hello-app") == "werf-hello-app-build"


def test_stage_rows_show_digest_status_time_size_and_image():
    rows = stage_rows(report().images[0])
    assert [r["stage"] for r in rows] == ["from", "install"]
    assert rows[1] == {"stage": "install", "digest": D2, "status": "built", "ms": 1234, "layer": "500.0 KB",
                       "size": "2.5 MB", "stage image": f"werf-stages-storage/app:{D2}-1795751797625", "host": ""}
    assert rows[0]["layer"] == rows[0]["size"] == "2.0 MB"      # the first stage's layer is its whole image


def test_summary_names_the_final_images():
    text = summary_markdown(report(), label="main", commit="f" * 40,
                            published={"app": ["127.0.0.1:5000/hello/app:main"]})
    assert text.startswith("# werf build of `hello-app` at `main`")
    assert f"| `app` | 1 | 1 | 500.0 KB | 2468 ms | `werf-stages-storage/app:{D2}-1795751797625` | 2 |" in text
    assert "| `~` |" in text
    assert "`127.0.0.1:5000/hello/app:main`" in text
    assert "1 built, 2 reused" in text


def test_latest_build_rows_name_commit_run_and_publications():
    rows = latest_rows(report(), commit="f" * 40, flow_run="run-1", published={"app": ["r/app:main"]})
    assert rows[0] == {"image": "app", "commit": "f" * 12, "flow run": "run-1",
                       "final stage image": f"werf-stages-storage/app:{D2}-1795751797625", "published": "r/app:main"}
    assert rows[1]["image"] == "~" and rows[1]["published"] == "-"
    assert latest_key("hello-app", "feature/x") == "werf-hello-app-feature-x-latest"
