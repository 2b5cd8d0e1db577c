"""`BuildSession`: the one way to build — open the project and its storages, plan or build, publish, close.

The CLI commands, the Prefect flows and the benchmarks all drive a build through this class, so they open the same
project the same way, cancel running build containers the same way on any exit, and close every client they
opened (the stages storage's registry client, a registry client opened only for publishing, the synchronization).

    with BuildSession.open(options, progress=progress) as session:
        report = session.build()
        published = session.publish(report, images_repo=repo, tag_plan=tags)
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from werf_core.session.project import (
    BuildOptions,
    BuildProject,
    image_sets,
    make_conveyor,
    open_project,
    requested_images,
)

if TYPE_CHECKING:
    from werf_core.conveyor.conveyor import Conveyor, Progress, StageRunner
    from werf_core.conveyor.results import BuildReport
    from werf_core.publish.images_repo import ImagesRepo
    from werf_core.publish.publisher import Publisher
    from werf_core.publish.report import PublishReport
    from werf_core.publish.tags import TagPlan
    from werf_core.registry.client import RegistryClient


class BuildSession:
    def __init__(self, project: BuildProject, *, progress: Progress, stage_runner: StageRunner | None = None,
                 stage_labels: dict[str, str] | None = None) -> None:
        self.project = project
        self.progress = progress
        self._stage_runner = stage_runner
        self._stage_labels = stage_labels
        self._conveyor: Conveyor | None = None
        self._own_registry: RegistryClient | None = None

    @classmethod
    def open(cls, options: BuildOptions, *, progress: Progress, stage_runner: StageRunner | None = None,
             stage_labels: dict[str, str] | None = None) -> BuildSession:
        """Load werf.yaml, open git, the stages storage and the synchronization (user mistakes raise here).

        `stage_labels` are added to every stage built in this session (e.g. the flow run that built it)."""
        return cls(open_project(options, warn=progress.warning), progress=progress, stage_runner=stage_runner,
                   stage_labels=stage_labels)

    def __enter__(self) -> BuildSession:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def options(self) -> BuildOptions:
        return self.project.options

    @property
    def conveyor(self) -> Conveyor:
        if self._conveyor is None:
            self._conveyor = make_conveyor(self.project, progress=self.progress, stage_runner=self._stage_runner,
                                           stage_labels=self._stage_labels)
        return self._conveyor

    # ---------------------------------------------------------------- build
    def build(self, *, dry_run: bool = False, should_be_built: bool = False) -> BuildReport:
        """Build (dry_run: plan; should_be_built: only look up) the requested images and what they depend on.

        Whatever ends the build early — an error, Ctrl-C, SIGTERM turned into an exception — stops the build
        containers still running before the exception goes on.
        """
        conveyor = self.conveyor
        try:
            return conveyor.build(requested_images(self.options), image_sets(self.project), dry_run=dry_run,
                                  should_be_built=should_be_built)
        except BaseException:
            conveyor.cancel()
            raise

    def cancel(self) -> None:
        if self._conveyor is not None:
            self._conveyor.cancel()

    # ---------------------------------------------------------------- publish
    def registry(self) -> RegistryClient:
        """The registry client for the images repo: the stages storage's own, else one opened (and closed) here."""
        from werf_core.storage.registry_storage import RegistryStagesStorage
        if isinstance(self.project.storage, RegistryStagesStorage):
            return self.project.storage.registry
        if self._own_registry is None:
            from werf_core.registry.client import RegistryClient
            self._own_registry = RegistryClient.from_werf_options(
                insecure_registry=self.options.insecure_registry,
                skip_tls_verify_registry=self.options.skip_tls_verify_registry,
                docker_config=self.options.docker_config)
        return self._own_registry

    def publisher(self, *, images_repo: ImagesRepo, tag_plan: TagPlan) -> Publisher:
        from werf_core.publish.publisher import Publisher
        from werf_core.storage.records import records_for
        project = self.project
        return Publisher(project=project.project, storage=project.storage, sync=project.sync,
                         images_repo=images_repo, tag_plan=tag_plan, registry=self.registry(),
                         records=records_for(project.storage), progress=self.progress,
                         project_commit=project.project_commit, docker_client_factory=project.client_factory,
                         docker_config=self.options.docker_config,
                         image_specs={name: project.config.image_spec_of(name)
                                      for name in project.config.image_names()},
                         intermediate_images=project.config.intermediate_image_names())

    def publish(self, report: BuildReport, *, images_repo: ImagesRepo, tag_plan: TagPlan) -> PublishReport:
        """Publish every non-artifact image of `report` (werf's publication: per tag, under the image lock)."""
        return self.publisher(images_repo=images_repo, tag_plan=tag_plan).publish(report.images)

    # ---------------------------------------------------------------- close
    def close(self) -> None:
        try:
            if self._own_registry is not None:
                self._own_registry.close()
                self._own_registry = None
        finally:
            self.project.close()


__all__ = ["BuildOptions", "BuildSession"]
