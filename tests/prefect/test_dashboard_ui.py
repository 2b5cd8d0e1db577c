"""The Prefect dashboard, loaded in headless Chromium, shows a build's stages as task runs."""

from __future__ import annotations

import html
import os
import re
import shutil

import pytest

from tests.prefect.chromium import dump_dom, screenshot
from tests.prefect.runs import settled_task_runs, small_project, stage_names, wait_until

pytestmark = [pytest.mark.prefect, pytest.mark.docker, pytest.mark.slow]


def page_text(dom: str) -> str:
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


def test_flow_run_page_shows_the_stage_task_runs(prefect_api, git_repo, project_name, werf_home, busybox_image,
                                                 tmp_path):
    from flows.build import build
    small_project(git_repo, project_name)
    build(repository=str(git_repo.path), project_name=project_name)
    git_repo.write("src/VERSION", "2\n")                 # a source change: only a git patch stage is new
    git_repo.commit("bump")
    state = build(repository=str(git_repo.path), project_name=project_name, return_state=True)
    run_id = state.state_details.flow_run_id
    stages = stage_names(state.result())
    names = set(stages)
    runs = settled_task_runs(prefect_api, run_id, len(names))
    cached = {name for name, run in runs.items() if run["state_name"] == "Cached"}
    assert {stages[name][1] for name in names - cached} == {"gitLatestPatch"}

    # the default UI (v2) at the run page's Task Runs tab, as the sidebar's Runs → run → Task Runs leads there
    url = f"{prefect_api.server.url}/v2/runs/flow-run/{run_id}?tab=TaskRuns"

    def rendered():
        text = page_text(dump_dom(url))
        return text if all(name in text for name in names) else None
    text = wait_until(rendered, timeout=180, interval=1, what=f"the UI to list {sorted(names)}")
    assert f"build-{project_name}-main" in text
    assert text.count("Cached") >= len(cached) and "Completed" in text      # the cache hits are visible as such

    shot = screenshot(url, tmp_path / "flow-run.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    if os.environ.get("WERF_PREFECT_SCREENSHOT"):        # refresh the picture in docs/ (see docs/prefect.md)
        shutil.copy(shot, os.environ["WERF_PREFECT_SCREENSHOT"])
