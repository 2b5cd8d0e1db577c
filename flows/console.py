"""The link between `werf build --prefect` and the flow it runs in the same process.

Flow parameters must be plain values (the server stores them), so the terminal progress and the Python objects the
CLI wants back (the `BuildReport`, the original `WerfError`) travel through a context variable instead. Deployment
runs have no bridge: they log to Prefect only.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class ConsoleBridge:
    progress: object                      # TextProgress / JsonProgress of the CLI
    # BuildOptions fields that only make sense on the CLI's own host (local paths, TLS switches); a deployment
    # run takes them from the worker's environment instead
    option_overrides: dict = field(default_factory=dict)
    report: object = None                 # the BuildReport, set by the flow
    tag_plan: object = None               # werf build-and-publish: the TagPlan of its --tag-* options
    published: object = None              # ... and the PublishReport the flow produced
    error: BaseException | None = None    # the WerfError that failed the flow, re-raised by the CLI


CONSOLE: ContextVar[ConsoleBridge | None] = ContextVar("werf_prefect_console", default=None)
