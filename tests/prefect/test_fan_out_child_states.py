"""The parent's view of its image runs: one API request per poll answers for every running child."""

from __future__ import annotations

import pytest

from flows.fan_out import ChildRuns

pytestmark = [pytest.mark.prefect]


def test_one_request_reads_the_states_of_all_running_children(prefect_api, monkeypatch):
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.states import Completed, Failed, Running

    @flow(name="werf-image-states-test")
    def image() -> None: ...

    with get_client(sync_client=True) as client:
        runs = {name: str(client.create_flow_run(flow=image, name=name, state=state).id)
                for name, state in (("a", Running()), ("b", Completed()), ("c", Failed(message="image c: boom")))}
    children = ChildRuns("werf-image/fan-out-image")
    children._pending.update(runs.values())          # as `submit` records them
    reads = []
    original = type(children.client()).read_flow_runs

    def counting(self, *args, **kwargs):
        reads.append(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(children.client()), "read_flow_runs", counting)
    try:
        seen = {name: children.state(run_id) for name, run_id in runs.items()}
        assert seen == {"a": ("RUNNING", "Running", ""), "b": ("COMPLETED", "Completed", ""),
                        "c": ("FAILED", "Failed", "image c: boom")}
        assert len(reads) == 1                           # one request for the three children
        children.STATE_TTL = 0
        assert children.state(runs["a"])[0] == "RUNNING"
        assert len(reads) == 2 and children._pending == {runs["a"]}    # finished children are not asked again
    finally:
        children.close()

