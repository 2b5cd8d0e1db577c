"""The conveyor: for every image, every non-empty stage — select a stored stage, or build and publish one.

Per stage (werf's algorithm): compute the digest chained from the previous non-empty stage; look up stored stages
for it (cache first) and let the stage kind select one (git ancestry, then the oldest). Nothing is pulled for a
reused stage. Otherwise announce a build intent for the digest (if another runner announced it first, wait until
it publishes — then reuse — or dies — then take over; see sync/intents.py), build on top of the previous stage image
(pulled only now, if the storage is remote), then take the digest lock, look again, and either publish the new image
or discard it in favour of the stage another runner published meanwhile (a werf v1.1 runner knows no intents). The
lock covers only the re-check and the publication; the intent is what keeps runners from building the same stage.

Images are processed in dependency sets (sources first); the images of one set run in parallel. How a stage is
executed is a seam (`StageRunner`): in-process here, a Prefect task in `tasks/`.
"""

from __future__ import annotations

import contextvars
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from werf_core import BUILD_CACHE_VERSION, __version__, paths
from werf_core.builders.container import ContainerRunner, RunnerGroup
from werf_core.conveyor.results import BuildReport, ImageResult, StageResult, StageStatus
from werf_core.errors import BuildError, ShouldResetStagesStorageCache, StorageError
from werf_core.fsutil import hold_in_use_marker
from werf_core.hashing import sha3_224_hash
from werf_core.layers.config import ConfigChanges
from werf_core.layers.recipe import LayerRecipe, build_layer
from werf_core.layers.writer import Layer
from werf_core.leftovers import build_container_labels
from werf_core.stages.base import BuildRecipe, SourceImage, StageContext, StageKind, commit_label
from werf_core.stages.owner_ids import report_commands
from werf_core.stages.registry import STAGE_KINDS
from werf_core.stages.spec import ImageSpec
from werf_core.storage.base import StageDescription, StagesStorage, new_unique_id
from werf_core.storage.manager import StagesStorageManager
from werf_core.storage.stage_id import StageID
from werf_core.sync.intents import IntentOutcome
from werf_core.sync.synchronization import BuildSynchronization

if TYPE_CHECKING:
    import docker

    from werf_core.stages.git_runtime import GitMappingRuntime

# A stage that vanished from the storage (cleanup, a broken image) resets the stages-storage cache and starts the
# build over; a storage that keeps changing under us must end the build instead of looping forever.
MAX_CACHE_RESETS = 3


@dataclass(frozen=True)
class BuildMode:
    """What one `Conveyor.build` call may do with a stage that is not stored."""

    dry_run: bool = False            # plan only: report it as planned (a prediction), build nothing
    should_be_built: bool = False    # every stage must be stored already: a missing one is an error

    def __post_init__(self) -> None:
        if self.dry_run and self.should_be_built:
            raise ValueError("a dry run builds nothing, so it cannot require every stage to be built")


def _test_pause(variable: str) -> None:
    """Tests freeze a runner at a chosen point (like werf's WERF_TEST_ATOMIC_STAGE_BUILD__* hooks)."""
    seconds = os.environ.get(variable)
    if seconds:
        time.sleep(float(seconds))


def stage_digest(name: str, dependencies: str, prev: StageResult | None) -> str:
    if prev is None:
        return sha3_224_hash(BUILD_CACHE_VERSION, name, dependencies)
    return sha3_224_hash(BUILD_CACHE_VERSION, name, dependencies, prev.digest, prev.next_deps)


def stage_content_digest(name: str, digest: str, next_deps: str) -> str:
    return sha3_224_hash(BUILD_CACHE_VERSION, f"{name}-content", "", digest, next_deps)


def image_content_digest(last: StageResult) -> str:
    return sha3_224_hash(BUILD_CACHE_VERSION, "imageStages", "", last.digest, last.next_deps)


def layer_native_enabled() -> bool:
    """WERF_LAYER_NATIVE=0 builds every stage in a container (for comparisons and as an escape hatch)."""
    import os
    return os.environ.get("WERF_LAYER_NATIVE", "1").strip().lower() not in ("0", "false", "no", "off")


@dataclass
class NativeStage:
    """A stage built without a container: its layer file (None: config-only) and config changes, not yet stored."""

    layer: Layer | None
    changes: ConfigChanges

    def discard(self) -> None:
        if self.layer is not None:
            self.layer.path.unlink(missing_ok=True)


@dataclass
class StageJob:
    """Everything needed to execute one stage; the unit a StageRunner runs (a Prefect task run, in flows/)."""

    image: str
    kind: StageKind
    digest: str
    ctx: StageContext
    project: str
    stages_storage: str
    mode: BuildMode = BuildMode()

    @property
    def stage(self) -> str:
        return self.kind.name


class StageRunner(Protocol):
    def run_stage(self, conveyor: Conveyor, job: StageJob) -> StageResult: ...


class InProcessStageRunner:
    def run_stage(self, conveyor: Conveyor, job: StageJob) -> StageResult:
        return conveyor.execute_stage(job)


class Progress(Protocol):
    def stage_started(self, job: StageJob) -> None: ...
    def stage_output(self, job: StageJob, line: str) -> None: ...
    def stage_command(self, job: StageJob, command: str) -> None: ...
    def stage_done(self, result: StageResult) -> None: ...
    def image_done(self, result: ImageResult) -> None: ...
    def warning(self, message: str) -> None: ...
    def info(self, message: str) -> None: ...


class Conveyor:
    def __init__(self, *, project: str, project_dir: str, specs: list[ImageSpec], storage: StagesStorage,
                 sync: BuildSynchronization, docker_client_factory: Callable[[], docker.DockerClient],
                 git_binder: Callable[[ImageSpec], list[GitMappingRuntime]], project_commit: str = "",
                 progress: Progress, stage_runner: StageRunner | None = None,
                 parallel: bool = True, parallel_tasks_limit: int = 5,
                 base_image_resolver: Callable[[str], str] | None = None,
                 stage_labels: dict[str, str] | None = None) -> None:
        self.project = project
        self.project_dir = project_dir
        self.specs = {spec.name: spec for spec in specs}
        self.storage = storage
        self.sync = sync
        self._client_factory = docker_client_factory
        self._client: docker.DockerClient | None = None
        self._client_lock = threading.Lock()
        self.git_binder = git_binder
        self.project_commit = project_commit
        self.progress = progress
        self.stage_runner = stage_runner or InProcessStageRunner()
        self.parallel = parallel
        self.parallel_tasks_limit = max(1, parallel_tasks_limit)
        self.base_image_resolver = base_image_resolver
        # extra labels for every stage built here, e.g. the Prefect flow run that built it
        self.stage_labels = dict(stage_labels or {})
        self.manager = StagesStorageManager(storage, project, sync, on_warning=progress.warning)
        self._mode = BuildMode()
        self._image_results: dict[str | None, ImageResult] = {}
        self._digest_mutexes: dict[str, threading.Lock] = {}
        self._mutex_guard = threading.Lock()
        self._runners: list[ContainerRunner] = []
        self._runner_group = RunnerGroup(background_removal=True)      # cancel(): no runner starts a container afterwards
        self._toolchain: str | None = None
        self._work_dir: Path | None = None
        # shared leases on every digest this build looks up, so a concurrent cleanup never deletes what we use
        self._leases = sync.stage_leases() if hasattr(sync, "stage_leases") else None

    # ---------------------------------------------------------------- services, created on first use
    @property
    def client(self) -> docker.DockerClient:
        with self._client_lock:
            if self._client is None:
                self._client = self._client_factory()
            return self._client

    def _toolchain_container(self) -> str:
        from werf_core.builders.toolchain import ensure_toolchain
        with self._client_lock:
            toolchain = self._toolchain
        if toolchain is None:
            toolchain = ensure_toolchain(self.client)
            with self._client_lock:
                self._toolchain = toolchain
        return toolchain

    @property
    def mode(self) -> BuildMode:
        """The mode of the build in progress (stage runners that resolve stages themselves read it)."""
        return self._mode

    # ---------------------------------------------------------------- entry points
    def build(self, image_names: list[str | None] | None, sets: list[list[ImageSpec]], *, dry_run: bool = False,
              should_be_built: bool = False) -> BuildReport:
        """Build (or, with dry_run, plan) the images of `sets` (dependency sets, sources first)."""
        mode = self._mode = BuildMode(dry_run=dry_run, should_be_built=should_be_built)
        started = time.monotonic()
        self._work_dir = Path(tempfile.mkdtemp(prefix=f"werf-{self.project}-", dir=paths.tmp_dir()))
        marker = hold_in_use_marker(self._work_dir)   # `werf host cleanup` leaves a live build's directory alone
        try:
            resets = 0
            while True:
                try:
                    images = self._build_sets(sets, mode)
                    break
                except ShouldResetStagesStorageCache as err:
                    if resets == MAX_CACHE_RESETS:
                        raise StorageError(
                            f"the stages of {self.project} in {self.storage.address} kept changing during the build: "
                            f"started over {resets} times, last because {err}",
                            hint="something deletes or rewrites stages while builds run (cleanup, a broken registry "
                                 "or its cache); stop it and rerun the build") from None
                    resets += 1
                    self.progress.warning(f"{err}; resetting the stages storage cache of {self.project} "
                                          "and starting over")
                    self.manager.reset_cache()
                    self._image_results.clear()
        except BaseException:
            if self._client is not None:    # an interrupt between a commit and its publication leaves an image
                self._runner_group.remove_unpublished_images(self._client, self.project)
            raise
        finally:
            self._runner_group.wait_for_removals()   # no build container outlives the build
            shutil.rmtree(self._work_dir, ignore_errors=True)
            os.close(marker)
        # the report lists the images asked for (all when none were named), not the sources built for them
        wanted = [i for i in images if i.name in image_names] if image_names else images
        return BuildReport(project=self.project, stages_storage=self.storage.address, images=wanted,
                           seconds=time.monotonic() - started)

    def _build_sets(self, sets: list[list[ImageSpec]], mode: BuildMode) -> list[ImageResult]:
        results: list[ImageResult] = []
        for image_set in sets:
            if not self.parallel or len(image_set) == 1:
                for spec in image_set:
                    results.append(self.build_image(spec, mode))
                continue
            results.extend(self._build_parallel(image_set, mode))
        return results

    def _build_parallel(self, image_set: list[ImageSpec], mode: BuildMode) -> list[ImageResult]:
        pool = ThreadPoolExecutor(max_workers=min(self.parallel_tasks_limit, len(image_set)),
                                  thread_name_prefix="werf-image")
        # copy the context so code that relies on context variables (Prefect's run context) works in the workers
        futures = [pool.submit(contextvars.copy_context().run, self.build_image, spec, mode) for spec in image_set]
        try:
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            for future in done:
                error = future.exception()
                if error is not None:
                    self.cancel()
                    raise error
            return [f.result() for f in futures]
        except BaseException:
            self.cancel()
            for future in futures:
                future.cancel()
            raise
        finally:
            pool.shutdown(wait=True)

    def lease_stage(self, digest: str) -> None:
        """Hold the shared in-use lease on `digest` until `release_leases` (see werf_core/sync/stage_leases.py).

        Taken before the digest is looked up: a cleanup deleting its stages makes us wait, then we see them gone.
        """
        if self._leases is not None and not self.mode.dry_run:
            self._leases.hold(digest)

    def release_leases(self) -> None:
        """End the build's stage leases; called when the build and its publication are done."""
        if self._leases is not None:
            self._leases.release_all()

    def cancel(self) -> None:
        """Stop every running build container (Ctrl-C, SIGTERM, or another image failed)."""
        self._runner_group.cancelled.set()
        for runner in list(self._runners):
            runner.cancel_all()

    # ---------------------------------------------------------------- one image
    def build_image(self, spec: ImageSpec, mode: BuildMode = BuildMode()) -> ImageResult:
        image_tmp = Path(tempfile.mkdtemp(prefix=f"{spec.display_name.replace('/', '_')}-", dir=self._work_dir))
        if spec.dockerfile is not None:
            # the Dockerfile-image path: one stage per instruction (werf_core/conveyor/dockerfile_image.py)
            from werf_core.conveyor.dockerfile_image import build_dockerfile_platforms
            return build_dockerfile_platforms(self, spec, image_tmp, mode)
        from werf_core.platforms import check_host_only
        check_host_only(spec.display_name, spec.platforms, spec.source_path, spec.source_line)
        git = self.git_binder(spec)
        prev: StageResult | None = None
        stages: list[StageResult] = []
        provisional = False  # dry run: an earlier git stage's image (and so the commits it records) is only predicted
        for kind in STAGE_KINDS:
            if not kind.is_present(spec):
                continue
            ctx = StageContext(spec=spec, project=self.project, project_dir=self.project_dir, git=git,
                               prev_built=prev.description if prev else None, source_image=self.source_image,
                               base_image_id=lambda: self._base_image_id(spec), export_path=self.export_path,
                               docker_client=lambda: self.client,
                               werf_home=str(paths.werf_home()), tmp_dir=str(image_tmp / kind.name))
            Path(ctx.tmp_dir).mkdir(parents=True, exist_ok=True)
            if kind.is_empty(ctx):
                continue
            digest = stage_digest(kind.name, kind.dependencies(ctx), prev)
            job = StageJob(image=spec.display_name, kind=kind, digest=digest, ctx=ctx, project=self.project,
                           stages_storage=self.storage.address, mode=mode)
            result = self.stage_runner.run_stage(self, job)
            if provisional:
                result = replace(result, final=False)
            provisional = provisional or (result.status == StageStatus.PLANNED and kind.git_related)
            stages.append(result)
            prev = result
        return self._image_done(spec, stages)

    def _image_done(self, spec: ImageSpec, stages: list[StageResult], platform: str = "",
                    variants: tuple[ImageResult, ...] = ()) -> ImageResult:
        if not stages:
            raise BuildError(f"image {spec.display_name} has no stages")
        content = image_content_digest(stages[-1])
        if variants:   # one image over several platforms: its content is every platform's
            content = sha3_224_hash(BUILD_CACHE_VERSION, "imagePlatforms", "",
                                    *(f"{v.platform}={v.content_digest}" for v in variants))
        image = ImageResult(name=spec.name, is_artifact=spec.is_artifact, stages=tuple(stages),
                            content_digest=content, platform=platform, variants=variants)
        built = [s for v in (variants or (image,)) for s in v.stages]
        if not spec.is_artifact and any(s.status == StageStatus.BUILT for s in built):
            self._record_managed_image(spec.name)
        self._image_results[spec.name] = image
        self.progress.image_done(image)
        return image

    def _record_managed_image(self, name: str | None) -> None:
        """werf's managed-image record: an image that got new stages is known to cleanup from now on."""
        from werf_core.storage.records import records_for
        records = records_for(self.storage)
        if records is not None:
            records.add_managed_image(self.project, name)

    def source_image(self, name: str) -> SourceImage:
        image = self._image_results.get(name)
        if image is None:
            raise BuildError(f"image {name} must be built before the images that use it")
        stages = {s.name: (s.content_digest, s.description) for s in image.stages}
        return SourceImage(content_digest=image.content_digest, last_stage=image.last_stage.description,
                           stages=stages)

    # ---------------------------------------------------------------- one stage
    def execute_stage(self, job: StageJob) -> StageResult:
        """werf's per-stage algorithm; see the module docstring."""
        started = time.monotonic()
        self.progress.stage_started(job)
        self.lease_stage(job.digest)
        with self._digest_mutex(job.digest):
            chosen = job.kind.select(job.ctx, self.manager.stages_by_digest(job.digest))
            if chosen is not None:
                return self.finish_stage(job, chosen, StageStatus.REUSED, started)
            if job.mode.dry_run:
                return self.finish_stage(job, self._predicted(job), StageStatus.PLANNED, started)
            if job.mode.should_be_built:
                raise StorageError(
                    f"stage {job.image}/{job.stage} ({job.digest}) is not in {self.storage.address}",
                    hint="run `werf build` first; if it was just built, the werf.yaml or its inputs may be "
                         "non-deterministic (e.g. a template using env or dates)")
            with self._build_intent(job) as intent:
                if intent.found is not None:
                    return self.finish_stage(job, intent.found, StageStatus.REUSED, started)
                native = self.layer_native_recipe(job)
                built: str | NativeStage = self.build_native_stage(job, native) if native is not None \
                    else self.build_stage_image(job)
                published = False
                try:
                    description, status = self.publish_stage(job, built)
                    published = status == StageStatus.BUILT
                finally:
                    if not published:
                        if isinstance(built, NativeStage):
                            built.discard()
                        else:
                            self._remove_image(built)
                return self.finish_stage(job, description, status, started)

    @contextmanager
    def _build_intent(self, job: StageJob) -> Iterator[IntentOutcome[StageDescription]]:
        """Announce that we build this stage; if another runner announced it first, wait for it (see sync/intents):
        `found` is then the stage it published, else we hold the intent and build."""
        intents = getattr(self.sync, "intents", None)
        if intents is None:
            yield IntentOutcome(None, waited=False)
            return

        def find_published() -> StageDescription | None:
            stages = self.manager.cached_stages(job.digest)
            return None if stages is None else job.kind.select(job.ctx, stages)

        with intents.building(job.digest, what=f"{job.image}/{job.stage}", find_published=find_published,
                              on_wait=self.progress.info) as intent:
            _test_pause("WERF_TEST_SLEEP_SECONDS_AFTER_BUILD_INTENT")
            if intent.found is None and intent.waited:
                # the builder we waited for released or lost its intent: it may still have published
                intent.found = job.kind.select(job.ctx, self.manager.stages_by_digest(job.digest, fresh=True))
                if intent.found is None:
                    self.progress.info(f"{job.image}/{job.stage}: the runner that was building stage {job.digest} "
                                       "gave up (failed, or stopped renewing its intent); building it here")
            yield intent

    # ---------------------------------------------------------------- layer-native stages (no container)
    def layer_native_recipe(self, job: StageJob) -> LayerRecipe | None:
        """The stage's layer-native recipe when the stage kind, the storage and the switch allow one."""
        if not layer_native_enabled() or job.ctx.prev_built is None or not hasattr(self.storage, "store_layer"):
            return None
        return job.kind.layer_recipe(job.ctx)

    def build_native_stage(self, job: StageJob, recipe: LayerRecipe) -> NativeStage:
        """Write the stage's layer in-process (nothing is published yet)."""
        recipe.changes.labels.update(self._stage_labels(job, recipe.changes.labels))
        layer = build_layer(recipe, Path(job.ctx.tmp_dir) / "layer.tar",
                            compress=bool(getattr(self.storage, "compresses_layers", True)))
        return NativeStage(layer=layer, changes=recipe.changes)

    def build_stage_image(self, job: StageJob) -> str:
        """Build the stage on top of the previous stage image; return the local image ID (not yet published)."""
        if job.ctx.spec.dockerfile is not None:
            from werf_core.conveyor.dockerfile_image import build_in_engine
            return build_in_engine(self, job)
        ctx = job.ctx
        recipe: BuildRecipe = job.kind.recipe(ctx)
        base = self._build_base(job)
        if ctx.prev_built is not None:
            # every stage after `from` builds with the mounts; `from` itself empties the mountpoints of the base
            # image, which must not happen through a bind (it would delete the shared build_dir's content)
            from werf_core.stages.mounts import mount_binds
            recipe.instructions.binds.extend(mount_binds(
                ctx.spec.mounts, project=self.project, project_dir=self.project_dir, werf_home=ctx.werf_home,
                build_tmp_dir=str(Path(ctx.tmp_dir).parent)))
        recipe.instructions.labels.update(self._stage_labels(job, recipe.instructions.labels))
        # the owner names' IDs as this image has them, for later stages built without a container
        recipe.instructions.report_commands.extend(report_commands(ctx.spec))
        commands = recipe.instructions.commands
        runner = ContainerRunner(self.client, project=self.project, toolchain_container=self._toolchain_container(),
                                 on_output=lambda line: self.progress.stage_output(job, line),
                                 on_step=lambda index: self.progress.stage_command(job, commands[index]),
                                 group=self._runner_group)
        self._runners.append(runner)
        try:
            return runner.build(base, recipe.instructions, stage=f"{job.image}/{job.stage}", files=recipe.files,
                                describe_failure=recipe.describe_failure)
        finally:
            self._runners.remove(runner)

    def _stage_labels(self, job: StageJob, own_labels: dict[str, str]) -> dict[str, str]:
        """werf's service labels of a new stage image (its content digest follows from the labels it will carry)."""
        predicted = dict(job.ctx.prev_built.labels) if job.ctx.prev_built else {}
        predicted.update(own_labels)
        next_deps = job.kind.next_stage_dependencies(job.ctx, StageDescription(StageID(job.digest, 0), "", "",
                                                                               predicted))
        return self.service_labels(job.digest, stage_content_digest(job.stage, job.digest, next_deps))

    def publish_stage(self, job: StageJob, built: str | NativeStage) -> tuple[StageDescription, StageStatus]:
        """Lock the digest, look again, then publish the new stage or use the one published meanwhile."""
        with self.sync.locker.locked(self.sync.stage_lock_name(job.digest),
                                     on_wait=lambda name: self.progress.info(f"Waiting for locked {name!r} ...")) \
                as handle:
            known = self.manager.stages_by_digest(job.digest, fresh=True)
            chosen = job.kind.select(job.ctx, known)
            if chosen is not None:
                self.progress.info(f"{job.image}/{job.stage}: discarding the newly built image, "
                                   f"{chosen.image_name} was published meanwhile")
                return chosen, StageStatus.DISCARDED
            _test_pause("WERF_TEST_SLEEP_SECONDS_BEFORE_STAGE_SAVE")
            stage_id = StageID(job.digest, new_unique_id())
            assert handle is not None, "a blocking acquire yields a handle"
            handle.ensure_held()
            if isinstance(built, NativeStage):
                parent = job.ctx.prev_built
                assert parent is not None, "a layer-native stage always has a parent stage"
                description = self.storage.store_layer(self.project, parent, built.layer, built.changes, stage_id)
            else:
                built_on = self._built_on(job)
                description = self.storage.store(self.project, built, stage_id, parent=built_on) if built_on \
                    else self.storage.store(self.project, built, stage_id)
            self.manager.record_new_stage(job.digest, known, description)
            return description, StageStatus.BUILT

    # ---------------------------------------------------------------- helpers
    @staticmethod
    def _built_on(job: StageJob) -> str | None:
        """The image a stage image was built on, when known: the previous stage, or a Dockerfile FROM's base."""
        if job.ctx.prev_built is not None:
            return job.ctx.prev_built.image_name or None
        if job.ctx.spec.dockerfile is not None:
            from werf_core.conveyor.dockerfile_image import from_base_reference
            return from_base_reference(job)
        return None

    def service_labels(self, digest: str, content_digest: str) -> dict[str, str]:
        labels = {**self.stage_labels,
                  "werf": self.project, "werf-version": __version__, "werf-cache-version": BUILD_CACHE_VERSION,
                  "werf-image": "false", "werf-stage-signature": digest,
                  "werf-stage-content-signature": content_digest}
        if self.project_commit:
            labels["werf-project-repo-commit"] = self.project_commit
        return labels

    @staticmethod
    def _predicted_labels(ctx: StageContext, recipe: BuildRecipe | None) -> dict[str, str]:
        labels = dict(ctx.prev_built.labels) if ctx.prev_built else {}
        if recipe is not None:
            labels.update(recipe.instructions.labels)
        return labels

    def _predicted(self, job: StageJob) -> StageDescription:
        """Dry run: what the stage image would record if it were built now (the current commits)."""
        labels = self._predicted_labels(job.ctx, None)
        if job.kind.git_related:
            for mapping in job.ctx.git:
                labels[commit_label(mapping.paramshash)] = mapping.current_commit
        return StageDescription(StageID(job.digest, 0), "", "", labels)

    def finish_stage(self, job: StageJob, description: StageDescription, status: StageStatus, started: float) -> StageResult:
        """The result of a stage resolved to `description` (also used by runners that resolve stages themselves)."""
        next_deps = job.kind.next_stage_dependencies(job.ctx, description)
        mark_used = getattr(self.storage, "mark_used", None)
        if mark_used is not None and status != StageStatus.PLANNED:
            mark_used(self.project, description)
        result = StageResult(image=job.image, name=job.stage, digest=job.digest, status=status,
                             description=description, next_deps=next_deps,
                             content_digest=stage_content_digest(job.stage, job.digest, next_deps),
                             seconds=time.monotonic() - started)
        self.progress.stage_done(result)
        return result

    def _digest_mutex(self, digest: str) -> threading.Lock:
        # two images of one build with an identical stage must not both build it
        with self._mutex_guard:
            return self._digest_mutexes.setdefault(digest, threading.Lock())

    def _build_base(self, job: StageJob) -> str:
        ctx = job.ctx
        if ctx.prev_built is not None:
            return self.storage.fetch(self.project, ctx.prev_built)
        if ctx.spec.from_image:
            return self.storage.fetch(self.project, self.source_image(ctx.spec.from_image).last_stage)
        return self.ensure_base_image(ctx.spec.from_ref, ctx.spec)

    def ensure_base_image(self, reference: str, spec: ImageSpec) -> str:
        """The `from:` image in the local engine, pulled if missing."""
        import docker.errors
        try:
            self.client.api.inspect_image(reference)
            return reference
        except docker.errors.ImageNotFound:
            pass
        self.progress.info(f"Pulling base image {reference} ...")
        try:
            for _ in self.client.api.pull(reference, stream=True, decode=True):
                pass
            self.client.api.inspect_image(reference)
            return reference
        except docker.errors.APIError as err:
            raise BuildError(f"image {spec.display_name}: base image {reference!r} is not in the Docker engine and "
                             f"could not be pulled: {err.explanation or err}",
                             hint=f"check the `from:` value in {spec.source_path or 'werf.yaml'}, or make the image "
                                  "available (docker pull / docker load)") from None

    def _base_image_id(self, spec: ImageSpec) -> str:
        """fromLatest: the current image ID of the base reference (the registry's answer when a resolver is given)."""
        if self.base_image_resolver is not None:
            return self.base_image_resolver(spec.from_ref)
        image_id: str = self.client.api.inspect_image(self.ensure_base_image(spec.from_ref, spec))["Id"]
        return image_id

    def export_path(self, description: StageDescription, path: str) -> Path:
        """A tar of `path` inside a stored stage image (fetched if needed), for imports."""
        local = self.storage.fetch(self.project, description)
        return self.archive_from_image(
            local, path, prefix="import-", missing=(f"import: {path} does not exist in {description.image_name}",
                                                    "check the import's `add:` path and the source image's stages"))

    def archive_from_image(self, image: str, path: str, *, prefix: str, missing: tuple[str, str]) -> Path:
        """A tar of `path` inside the engine's `image`, in this build's work directory, read through a build
        container that never runs (labelled so a leftover is found by host cleanup); `missing` is the message and
        hint of the error when the image has no such path."""
        import docker.errors
        container = self.client.api.create_container(image, command=["/.werf/none"], network_disabled=True,
                                                     labels={"werf": self.project, **build_container_labels()})
        target = Path(tempfile.mkstemp(prefix=prefix, suffix=".tar", dir=self._work_dir)[1])
        try:
            try:
                stream, _ = self.client.api.get_archive(container["Id"], path)
            except docker.errors.NotFound:
                raise BuildError(missing[0], hint=missing[1]) from None
            with open(target, "wb") as f:
                for chunk in stream:
                    f.write(chunk)
        finally:
            self.client.api.remove_container(container["Id"], force=True)
        return target

    def _remove_image(self, image_id: str) -> None:
        import docker.errors
        try:
            self.client.api.remove_image(image_id, noprune=False)
        except docker.errors.APIError:
            pass
