"""Open everything a build needs from the user's options: config, git, stages storage, synchronization, conveyor.

Shared by `werf build`, `werf build-and-publish`, `werf stages plan` and the Prefect flows, so they all see the same
project the same way.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from werf_core.errors import WerfError

if TYPE_CHECKING:
    import docker

    from werf_core.config.werf_config import WerfConfig
    from werf_core.conveyor.conveyor import Conveyor, Progress, StageRunner
    from werf_core.git.repository import GitRepository
    from werf_core.stages.git_runtime import GitMappingRuntime
    from werf_core.stages.spec import ImageSpec
    from werf_core.storage.base import StagesStorage
    from werf_core.sync.synchronization import Synchronization


@dataclass
class BuildOptions:
    dir: str = "."
    config: str | None = None
    config_templates_dir: str | None = None
    project_name: str | None = None
    stages_storage: str | None = None
    synchronization: str | None = None
    parallel: bool = True
    parallel_tasks_limit: int = 5
    allow_git_shallow_clone: bool = False
    insecure_registry: bool = False
    skip_tls_verify_registry: bool = False
    docker_config: str | None = None
    images: list[str] = field(default_factory=list)


@dataclass
class BuildProject:
    options: BuildOptions
    config: WerfConfig
    project: str
    project_dir: Path
    storage: StagesStorage
    sync: Synchronization
    repository: GitRepository | None
    project_commit: str
    client_factory: Callable[[], docker.DockerClient]
    on_close: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in self.on_close:      # e.g. the conveyor's stage leases, before the synchronization stops
            close()
        self.on_close.clear()
        self.sync.close()


def docker_client() -> docker.DockerClient:
    """The Docker engine client; an unreachable engine is one clear error."""
    import docker
    import docker.errors
    try:
        client = docker.from_env(timeout=600)
        client.ping()
        return client
    except docker.errors.DockerException as err:
        raise _engine_unreachable(err) from None


def _engine_unreachable(err: object) -> WerfError:
    where = os.environ.get("DOCKER_HOST") or "the default socket /var/run/docker.sock"
    return WerfError(f"cannot connect to the Docker engine at {where}: {err}",
                     hint="start Docker (`make setup` starts a local dockerd), or set DOCKER_HOST")


def local_stages_storage(client_factory: Callable[[], docker.DockerClient]) -> StagesStorage:
    """The local stages storage; docker-py is imported only once a stage is built, tagged, loaded or removed (an
    idle build's inspections go straight to the engine's socket, see werf_core.engine_api)."""
    from werf_core.engine_api import EngineAPI, EngineUnavailable
    from werf_core.storage.local import LocalStagesStorage
    engine = EngineAPI.from_env()
    if engine is None:
        return LocalStagesStorage(client_factory())
    try:
        engine.ping()
    except EngineUnavailable as err:
        raise _engine_unreachable(err) from None
    return LocalStagesStorage(client_factory=client_factory, engine=engine)


def open_stages_storage(address: str, client_factory: Callable[[], docker.DockerClient],
                        options: BuildOptions) -> StagesStorage:
    from werf_core.storage.base import LOCAL_ADDRESS
    if address.strip() == LOCAL_ADDRESS:
        return local_stages_storage(client_factory)
    from werf_core.storage.registry_storage import RegistryStagesStorage
    return RegistryStagesStorage(address.strip().rstrip("/"), client_factory,
                                 insecure=options.insecure_registry, skip_tls_verify=options.skip_tls_verify_registry,
                                 docker_config=options.docker_config)


def open_project(options: BuildOptions, *, warn: Callable[[str], None]) -> BuildProject:
    from werf_core.config import load_werf_config
    from werf_core.git import open_local_repository
    from werf_core.sync import open_synchronization

    if not options.stages_storage:
        raise WerfError("no stages storage given",
                        hint="pass --stages-storage :local (or a registry repository such as "
                             "registry.example.com/project/stages), or set WERF_STAGES_STORAGE")
    project_dir = Path(options.dir).resolve()
    config = load_werf_config(project_dir, config=options.config, templates_dir=options.config_templates_dir,
                              project_name_override=options.project_name)
    for warning in config.warnings:
        warn(warning)
    project = config.meta.project
    needs_repo = any(not m.url for model in [*config.images, *config.artifacts] for m in model.git)
    repository: GitRepository | None = None
    commit = ""
    try:
        repository = open_local_repository(project_dir, allow_shallow=options.allow_git_shallow_clone)
        commit = repository.head_commit()
        repository.pin_head(commit)     # every image of this build from the same commit, without asking git again
    except WerfError:
        if needs_repo:
            raise
    from werf_core.storage.switch_block import check_not_switched
    check_not_switched(project, options.stages_storage)
    sync = open_synchronization(options.synchronization, project, stages_storage=options.stages_storage, warn=warn)
    _client: list[docker.DockerClient] = []

    def client_factory() -> docker.DockerClient:
        if not _client:
            _client.append(docker_client())
        return _client[0]

    storage = open_stages_storage(options.stages_storage, client_factory, options)
    return BuildProject(options=options, config=config, project=project, project_dir=project_dir, storage=storage,
                        sync=sync, repository=repository, project_commit=commit, client_factory=client_factory)


def make_conveyor(project: BuildProject, *, progress: Progress, stage_runner: StageRunner | None = None,
                  stage_labels: dict[str, str] | None = None) -> Conveyor:
    from werf_core.conveyor.conveyor import Conveyor
    from werf_core.stages.from_config import image_spec
    from werf_core.stages.git_runtime import bind_git_mappings

    specs = [image_spec(m) for m in project.config.all()]
    repository = project.repository
    project.storage.report_to(progress.info)   # registry pushes and pulls show their progress

    def bind(spec: ImageSpec) -> list[GitMappingRuntime]:
        return bind_git_mappings(spec.git, repository, warn=progress.warning)

    conveyor = Conveyor(project=project.project, project_dir=str(project.project_dir), specs=specs,
                      storage=project.storage, sync=project.sync,
                      docker_client_factory=project.client_factory,
                      git_binder=bind, project_commit=project.project_commit, progress=progress,
                      stage_runner=stage_runner, parallel=project.options.parallel,
                      parallel_tasks_limit=project.options.parallel_tasks_limit,
                      base_image_resolver=registry_image_id_resolver(project.options), stage_labels=stage_labels)
    project.on_close.append(conveyor.release_leases)   # held through the publication that may follow the build
    return conveyor


def registry_image_id_resolver(options: BuildOptions) -> Callable[[str], str]:
    """fromLatest: the base image's current ID (config digest) from its registry, asked on every build (as werf)."""
    def resolve(reference: str) -> str:
        from werf_core.registry import RegistryClient
        client = RegistryClient.from_werf_options(insecure_registry=options.insecure_registry,
                                                  skip_tls_verify_registry=options.skip_tls_verify_registry,
                                                  docker_config=options.docker_config)
        try:
            info = client.image_info(reference, check_layers=False)
        finally:
            client.close()
        if info is None:
            raise WerfError(f"fromLatest: base image {reference!r} is not in its registry",
                            hint="check the `from:` value; fromLatest asks the registry for the image's current ID")
        return info.id
    return resolve


def requested_images(options: BuildOptions) -> list[str | None] | None:
    """The IMAGE arguments (`~` is the nameless image), or None for every image."""
    return [None if name == "~" else name for name in options.images] if options.images else None


def image_sets(project: BuildProject) -> list[list[ImageSpec]]:
    from werf_core.stages.from_config import specs_in_sets
    return specs_in_sets(project.config, requested_images(project.options))
