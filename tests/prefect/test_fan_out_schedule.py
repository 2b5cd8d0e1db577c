"""Fan-out scheduling (flows.fan_out.schedule) against an in-memory double of the child runs: order, parallelism,
failure, crash retries, cancellation. The Prefect side is covered by the worker tests."""

from __future__ import annotations

import pytest

from flows.fan_out import CRASH_RETRIES, FanOutError, check_fan_out_possible, schedule


class FakeRuns:
    """Child runs that finish after `ticks` state polls; `outcome` per image (per attempt for crashes)."""

    def __init__(self, ticks: dict[str, int] | None = None, outcomes: dict[str, list[str]] | None = None) -> None:
        self.ticks = ticks or {}
        self.outcomes = outcomes or {}
        self.started: list[tuple[str, int]] = []
        self.running_at_start: dict[str, set[str]] = {}
        self.polls: dict[str, int] = {}
        self.cancelled: list[str] = []
        self.final: dict[str, str] = {}

    def start(self, image: str, attempt: int) -> str:
        run_id = f"{image}#{attempt}"
        self.running_at_start[run_id] = {r for r in self.polls if r not in self.final}
        self.started.append((image, attempt))
        self.polls[run_id] = 0
        return run_id

    def state(self, run_id: str) -> tuple[str, str, str]:
        image, attempt = run_id.split("#")
        self.polls[run_id] += 1
        if self.polls[run_id] < self.ticks.get(image, 1):
            return "RUNNING", "Running", ""
        outcome = (self.outcomes.get(image) or ["COMPLETED"])[min(int(attempt), len(self.outcomes.get(image) or
                                                                                   ["x"])) - 1]
        self.final[run_id] = outcome
        return outcome, outcome.title(), "boom" if outcome == "FAILED" else ""

    def cancel(self, run_id: str) -> None:
        self.cancelled.append(run_id)


def run(graph, fake, **kwargs):
    return schedule(graph, start=fake.start, state=fake.state, cancel=fake.cancel, poll=0, **kwargs)


def test_a_chain_runs_in_order_while_independent_images_run_at_once():
    graph = {"a": [], "b": ["a"], "c": ["b"], "d": [], "e": []}
    fake = FakeRuns(ticks={"a": 2, "b": 2, "c": 2, "d": 5, "e": 5})
    result = run(graph, fake)
    order = [image for image, _ in fake.started]
    assert order.index("a") < order.index("b") < order.index("c")
    assert set(order[:3]) == {"a", "d", "e"}                     # no dependencies: submitted together
    assert fake.final["a#1"] == "COMPLETED" and "a#1" not in fake.running_at_start["b#1"]   # b only after a ended
    assert {"d#1", "e#1"} <= fake.running_at_start["b#1"]          # ... while d and e were still running
    assert set(result.states.values()) == {"Completed"}


def test_a_failed_child_fails_the_parent_with_its_message_and_cancels_the_others():
    graph = {"a": [], "slow": [], "after-a": ["a"]}
    fake = FakeRuns(ticks={"a": 1, "slow": 50}, outcomes={"a": ["FAILED"]})
    with pytest.raises(FanOutError, match=r"image a: its run a#1 ended Failed: boom"):
        run(graph, fake)
    assert fake.cancelled == ["slow#1"]
    assert ("after-a", 1) not in fake.started


def test_a_crashed_child_is_submitted_again_and_the_build_goes_on():
    fake = FakeRuns(outcomes={"a": ["CRASHED", "COMPLETED"]})
    result = run({"a": [], "b": ["a"]}, fake)
    assert fake.started == [("a", 1), ("a", 2), ("b", 1)]
    assert result.runs["a"].attempt == 2 and result.states["a"] == "Completed"


def test_crashes_are_retried_a_bounded_number_of_times():
    fake = FakeRuns(outcomes={"a": ["CRASHED"] * (CRASH_RETRIES + 1)})
    with pytest.raises(FanOutError, match="ended Crashed"):
        run({"a": []}, fake)
    assert len(fake.started) == CRASH_RETRIES + 1


def test_an_interrupted_parent_cancels_its_running_children():
    fake = FakeRuns(ticks={"a": 10**6, "b": 10**6})
    polls = {"n": 0}

    def state(run_id):
        polls["n"] += 1
        if polls["n"] > 5:
            raise KeyboardInterrupt        # what cancelling the parent run raises in its process
        return fake.state(run_id)
    with pytest.raises(KeyboardInterrupt):
        schedule({"a": [], "b": []}, start=fake.start, state=state, cancel=fake.cancel, poll=0)
    assert sorted(fake.cancelled) == ["a#1", "b#1"]


def test_a_wait_has_a_timeout_with_a_clear_error():
    fake = FakeRuns(ticks={"a": 10**9})
    with pytest.raises(FanOutError, match="did not finish"):
        run({"a": []}, fake, timeout=0)
    assert fake.cancelled == ["a#1"]


@pytest.mark.parametrize("storage, sync, problem", [
    (":local", "kubernetes://werf", "registry stages storage"),
    (None, "kubernetes://werf", "registry stages storage"),
    ("127.0.0.1:5000/app/stages", ":local", "kubernetes:// synchronization"),
    ("127.0.0.1:5000/app/stages", None, "kubernetes:// synchronization"),
])
def test_fan_out_refuses_storages_and_locks_of_one_machine(storage, sync, problem):
    with pytest.raises(FanOutError, match=problem):
        check_fan_out_possible(storage, sync)
    check_fan_out_possible("127.0.0.1:5000/app/stages", "kubernetes://werf")
