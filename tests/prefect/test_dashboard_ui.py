"""The Prefect dashboard, loaded in headless Chromium, shows a build's stages as task runs."""

from __future__ import annotations

import html
import os
import re
import shutil

import pytest

from tests.prefect.chromium import dump_dom, screenshot
from tests.prefect.runs import lineage_project, settled_task_runs, stage_names, wait_until

pytestmark = [pytest.mark.prefect, pytest.mark.docker, pytest.mark.slow]


def page_text(dom: str) -> str:
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


def test_run_pages_show_cached_stages_their_lineage_and_digests(prefect_api, git_repo, project_name, werf_home,
                                                                busybox_image, tmp_path):
    """The default UI, as a person opens it: the flow run page lists the stage task runs (reused ones Cached) with
    their details in the logs; a task run page shows the full digest and, under Task Inputs, the task runs it
    depends on — the edges the run graph draws."""
    from flows.build import build
    lineage_project(git_repo, project_name)
    build(repository=str(git_repo.path), project_name=project_name)
    git_repo.write("werf.yaml", (git_repo.path / "werf.yaml").read_text().replace("echo installed", "echo again"))
    git_repo.commit("change app's install")        # app's install and what follows are new, the rest is reused
    state = build(repository=str(git_repo.path), project_name=project_name, return_state=True)
    run_id = state.state_details.flow_run_id
    report = state.result()
    stages = stage_names(report)
    runs = settled_task_runs(prefect_api, run_id, len(stages))
    cached = {name for name, run in runs.items() if run["state_name"] == "Cached"}
    assert {stages[name][:2] for name in set(stages) - cached} == {
        ("app", "install"), ("app", "importsAfterInstall"), ("app", "dockerInstructions")}

    base = prefect_api.server.url
    flow_page = f"{base}/runs/flow-run/{run_id}"

    def task_runs_tab():
        # the run graph is a canvas; the run's task-run list (rendered as text by the v2 pages) names the same runs
        text = page_text(dump_dom(f"{base}/v2/runs/flow-run/{run_id}?tab=TaskRuns", budget_ms=40000, timeout=200))
        return text if all(name in text for name in stages) else None
    text = wait_until(task_runs_tab, timeout=300, interval=1, what=f"the UI to list {sorted(stages)}")
    assert "Cached" in text and "Completed" in text

    imports = next(name for name in stages if name.startswith("app/importsAfterInstall"))
    digest = next(s["digest"] for s in report["images"]["app"]["stages"] if s["name"] == "importsAfterInstall")
    upstream = {name.split(" ")[0]: run["id"] for name, run in runs.items()}
    task_page = f"{base}/runs/task-run/{runs[imports]['id']}"
    logs = wait_until(lambda: (lambda t: t if digest in t else None)(
        page_text(dump_dom(f"{task_page}?tab=Logs", budget_ms=60000, timeout=200))),
        timeout=240, interval=1, what="the task run's logs to show the digest")
    assert "stage image: werf-stages-storage/" in logs
    inputs = wait_until(lambda: (lambda t: t if "wait_for" in t else None)(
        page_text(dump_dom(f"{task_page}?tab=Task%20Inputs", budget_ms=40000, timeout=200))),
        timeout=240, interval=1, what="the task run's inputs")
    assert upstream["app/install"] in inputs and upstream["builder/install"] in inputs      # the lineage edges

    shot = screenshot(flow_page, tmp_path / "flow-run.png", budget_ms=40000, timeout=200)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    if os.environ.get("WERF_PREFECT_SCREENSHOT"):        # refresh the picture in docs/ (see docs/prefect.md)
        shutil.copy(shot, os.environ["WERF_PREFECT_SCREENSHOT"])
