"""A Dockerfile image through the werf-build flow: one task run per instruction, `Cached` on the second run."""

from __future__ import annotations

import pytest

from tests.prefect.runs import settled_task_runs, stage_names
from tests.support.project import make_project

pytestmark = [pytest.mark.prefect, pytest.mark.docker, pytest.mark.slow]

WERF_YAML = """
project: {project}
configVersion: 1
---
image: app
dockerfile: Dockerfile
"""
DOCKERFILE = "FROM werf-prefect/busybox:latest\nCOPY VERSION /app/VERSION\nRUN cp /app/VERSION /installed\n" \
             "ENV MODE=prod\n"


def run_build(**parameters):
    from flows.build import build
    state = build(**parameters, return_state=True)
    assert state.is_completed(), state.message
    return state.state_details.flow_run_id, state.result()


def test_instructions_are_task_runs(prefect_api, git_repo, project_name, werf_home, busybox_image):
    make_project(git_repo, WERF_YAML.format(project=project_name), {"Dockerfile": DOCKERFILE, "VERSION": "1\n"})
    first_id, first = run_build(repository=str(git_repo.path), project_name=project_name)
    expected = stage_names(first)
    runs = settled_task_runs(prefect_api, first_id, len(expected))
    assert sorted(name.split(" ")[0] for name in runs) == ["app/COPY#2", "app/ENV#4", "app/FROM#1", "app/RUN#3"]
    assert set(runs) == set(expected)                 # `app/RUN#3 <digest12>`
    second_id, second = run_build(repository=str(git_repo.path), project_name=project_name)
    runs = settled_task_runs(prefect_api, second_id, len(expected))
    assert {r["state_name"] for r in runs.values()} == {"Cached"}
    assert second["counts"] == {"reused": 4}
