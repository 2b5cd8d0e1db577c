"""Starting a run of the ci-build deployment for a delivery.

`run_deployment(..., timeout=0)` returns as soon as the run is created (a worker picks it up later). The delivery id
is the run's idempotency key: GitHub and GitLab retry deliveries, and CI jobs get re-run; the Prefect server answers
a repeated key with the run it already created, so one delivery never starts two builds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class StartedRun:
    id: str
    name: str


class RunStarter(Protocol):
    async def start(self, parameters: dict, *, idempotency_key: str, tags: list[str]) -> StartedRun: ...


class PrefectRunStarter:
    def __init__(self, deployment: str) -> None:
        self.deployment = deployment

    async def start(self, parameters: dict, *, idempotency_key: str, tags: list[str]) -> StartedRun:
        from prefect.deployments import arun_deployment

        from flows.params import build_run_name_for
        # named now, with the function the flow names itself with: the name in the answer stays the run's name
        run = await arun_deployment(self.deployment, parameters=parameters, timeout=0, as_subflow=False,
                                    idempotency_key=idempotency_key, tags=tags,
                                    flow_run_name=build_run_name_for(parameters))
        return StartedRun(id=str(run.id), name=run.name)
