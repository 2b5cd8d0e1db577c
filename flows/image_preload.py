"""What an image run imports on its way beyond flows/image.py, for the engine fork server to import once.

werf_core loads most of itself, docker-py and the registry client lazily (so that `werf version` starts fast). An
image run forked by the worker's engine server (deployments/engine_forkserver) would import them again in every
run (~0.5 s of CPU each); the `fan-out-image` deployment has the server import this module before it forks. The
list comes from the modules a 12-image fan-out run imported after the fork (`WERF_PREFECT_ENGINE_SERVER_IMPORTS_LOG`
on a worker writes them); a module missing here only costs its import in each run, nothing else.
"""

from __future__ import annotations

import importlib

MODULES = (
    "werf_core.builders.container",
    "werf_core.builders.secrets",
    "werf_core.builders.shell",
    "werf_core.builders.toolchain",
    "werf_core.config.cross_checks",
    "werf_core.config.env_hints",
    "werf_core.config.gotemplate.goregex",
    "werf_core.config.gotemplate.gotime",
    "werf_core.config.gotemplate.sprig",
    "werf_core.config.ignored_keys",
    "werf_core.config.line_alignment",
    "werf_core.config.loader",
    "werf_core.config.werf_config",
    "werf_core.conveyor.conveyor",
    "werf_core.git.remote",
    "werf_core.git.shared_checkout",
    "werf_core.layers.engine_export",
    "werf_core.platforms",
    "werf_core.registry.protocol",
    "werf_core.session.project",
    "werf_core.session.session",
    "werf_core.stages.from_config",
    "werf_core.storage.local",
    "werf_core.storage.manifest_cache",
    "werf_core.storage.records",
    "werf_core.storage.registry_push",
    "werf_core.storage.registry_storage",
    "werf_core.storage.switch_block",
    "werf_core.sync.configmap_store",
    "werf_core.sync.distributed_locker",
    "werf_core.sync.kube_stages_cache",
    "werf_core.sync.stage_leases",
    "prefect.task_engine",
    "prefect.artifacts",
    "prefect.concurrency.sync",
    "prefect._internal.states",
    "docker",
    "requests",
    "tenacity",
    "anyio._backends._asyncio",
    "tarfile",
    "netrc",
    "http.cookies",
    "encodings.idna",
)

for _name in MODULES:
    importlib.import_module(_name)
