"""Two process workers build the same project at the same time: every stage is still published once."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from tests.prefect.runs import (
    artifacts,
    finished_flow_run,
    small_project,
    start_deployment_run,
    table_rows,
    wait_until,
)

pytestmark = [pytest.mark.prefect, pytest.mark.docker, pytest.mark.slow]


def stored_stages(docker_client, project: str) -> dict[str, list[str]]:
    """digest → the stage tags in the local stages storage."""
    stages = defaultdict(list)
    for image in docker_client.api.images(name=f"werf-stages-storage/{project}"):
        for tag in image.get("RepoTags") or []:
            digest, _, unique = tag.split(":", 1)[1].rpartition("-")
            stages[digest].append(unique)
    return dict(stages)


def test_two_workers_racing_on_one_project_publish_each_digest_once(prefect_api, deployments, start_worker,
                                                                    git_repo, project_name, busybox_image,
                                                                    docker_client):
    # a slow install stage keeps both builds in flight together
    small_project(git_repo, project_name, install="sleep 3; cat /app/VERSION > /installed")
    workers = [start_worker(limit=1), start_worker(limit=1)]
    # both polling before the runs exist: a worker still starting (Prefect's import under load) would let the other
    # finish the first build before it takes the second, and the builds would not race at all
    wait_until(lambda: all("started!" in w.log_tail() for w in workers), timeout=120, what="both workers to start")
    parameters = {"repository": str(git_repo.path), "ref": "main", "project_name": project_name}
    run_ids = [start_deployment_run("werf-build/ci-build", parameters) for _ in range(2)]
    runs = [finished_flow_run(prefect_api, run_id, workers=workers) for run_id in run_ids]
    assert [r["state_name"] for r in runs] == ["Completed", "Completed"], [w.log_tail() for w in workers]

    # both builds really ran at the same time, on different workers
    (a, b) = sorted(runs, key=lambda r: r["start_time"])
    assert b["start_time"] < a["end_time"]
    assert len({r["infrastructure_pid"] for r in runs}) == 2

    stored = stored_stages(docker_client, project_name)
    assert len(stored) == 3 and all(len(tags) == 1 for tags in stored.values()), stored

    # each digest was built and published by exactly one of the runs; the other reused or discarded it
    statuses = defaultdict(list)
    for run_id in run_ids:
        table = artifacts(prefect_api, run_id)[f"werf-{project_name}-app-stages"]
        for row in table_rows(table):
            statuses[row["digest"]].append(row["status"])
    assert set(statuses) == set(stored)
    for digest, seen in statuses.items():
        assert sorted(seen)[0] == "built" and sorted(seen)[1] in ("discarded", "reused"), (digest, seen)
        assert Counter(seen)["built"] == 1
