"""Starting a run of the ci-build deployment for a delivery.

`run_deployment(..., timeout=0)` returns as soon as the run is created (a worker picks it up later). The idempotency
key (provider + SHA-256 of the signed body, see app.py) makes the Prefect server answer a repeated body with the run
it already created, so one delivery never starts two builds. The runs of a delivery id are found by its tag; when
a replayed body comes with a new delivery id, that id's tag is added to the existing run.
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

    async def keys_for_tag(self, tag: str) -> list[str]:
        """The idempotency keys of the runs carrying `tag`."""
        ...


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
        missing = [tag for tag in tags if tag not in (run.tags or [])]
        if missing:       # an existing run of this body, reached through another delivery id
            from prefect.client.orchestration import get_client
            async with get_client() as client:
                await client.update_flow_run(run.id, tags=[*(run.tags or []), *missing])
        return StartedRun(id=str(run.id), name=run.name)

    async def keys_for_tag(self, tag: str) -> list[str]:
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags
        async with get_client() as client:
            runs = await client.read_flow_runs(flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[tag])),
                                               limit=20)
        return [run.idempotency_key or "" for run in runs]
