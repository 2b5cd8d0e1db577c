"""The `werf-build` flow: build a project's stages, every stage a (cached) task run.

One flow run = one conveyor with the Prefect stage runner. The conveyor keeps werf's order (dependency sets, sources
first) and runs the images of one set in parallel threads; each stage is a task run named
`<image>/<stage> <digest[:12]>`, `Cached` when its digest was already answered. The run is named
`build-<project>-<ref>` and leaves a stages table per image and a summary (see `artifacts`).

User mistakes (bad parameters, werf.yaml errors, a failing build command) end the run `Failed` with werf's one-line
message and hint, not a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from prefect import flow, get_run_logger
from prefect.states import Failed

from flows.artifacts import publish_build_artifacts
from flows.console import CONSOLE
from flows.credentials import git_credentials_from_block, scrub_stored_parameters
from flows.params import BuildParameters, short_ref, validate_build_parameters
from flows.progress import PrefectProgress
from flows.source import checked_out
from werf_core.errors import WerfError
from werf_core.redaction import redact, strip_url_credentials


def build_run_name() -> str:
    """Before werf.yaml is read: `build-<repository name>-<ref>`; renamed to the werf project once known."""
    from prefect.runtime import flow_run
    parameters = flow_run.parameters
    repository = strip_url_credentials(str(parameters.get("repository") or "project")).split("?", 1)[0]
    repository = repository.rstrip("/").removesuffix(".git")
    name = parameters.get("project_name") or repository.rsplit("/", 1)[-1].rsplit(":", 1)[-1] or "project"
    ref = parameters.get("ref")
    label = short_ref(ref) if ref else (str(parameters.get("commit") or "")[:12] or "head")
    return redact(f"build-{name}-{label}")[:200]


@dataclass
class BuildSettings:
    """How to build, as opposed to what (BuildParameters)."""

    dry_run: bool = False
    parallel: bool = True
    parallel_tasks_limit: int = 5
    insecure_registry: bool = False


@flow(name="werf-build", flow_run_name=build_run_name, validate_parameters=True)
def build(repository: str, ref: str | None = None, commit: str | None = None, project_dir: str = ".",
          config: str | None = None, images: list[str] | None = None, stages_storage: str | None = ":local",
          synchronization: str | None = None,
          project_name: str | None = None, parallel: bool = True, parallel_tasks_limit: int = 5,
          insecure_registry: bool = False, dry_run: bool = False, git_credentials_block: str | None = None):
    """Build the stages of IMAGES (default: all) of the werf project in REPOSITORY at REF/COMMIT.

    repository: https/ssh/git URL, user@host:path, or an absolute path on the worker (without ref and commit a
    local path is built as it is). stages_storage: `:local` or a registry repository. synchronization:
    `:local` or `kubernetes://NAMESPACE` (default: the worker's WERF_SYNCHRONIZATION, else `:local`).
    git_credentials_block: the name of a Prefect Secret block with the token for an https repository (a token, or
    {"host", "username", "password"}); credentials are never accepted in the repository URL itself.
    """
    return guarded(lambda: run_build(
        validate_build_parameters(repository=repository, ref=ref, commit=commit, project_dir=project_dir,
                                  config=config, images=images, stages_storage=stages_storage, synchronization=synchronization,
                                  project_name=project_name, git_credentials_block=git_credentials_block),
        BuildSettings(dry_run=dry_run, parallel=parallel, parallel_tasks_limit=parallel_tasks_limit,
                      insecure_registry=insecure_registry)).to_json())


def guarded(body: Callable[[], object]):
    """Run a flow body; a WerfError fails the run with its message (and reaches the CLI as itself).

    Before anything else, credential-bearing parameter values are replaced by their redacted form on the server (the
    checks then refuse them). Any other exception whose text carries a credential is re-raised redacted, so Prefect's
    state message, logs and events never hold it."""
    scrub_stored_parameters()
    try:
        return body()
    except WerfError as err:
        get_run_logger().error(err.render())
        bridge = CONSOLE.get()
        if bridge is not None:
            bridge.error = err
        return Failed(message=err.render())
    except Exception as err:
        text = f"{type(err).__name__}: {err}"
        if redact(text) == text:
            raise
        raise RedactedError(redact(text)) from None


class RedactedError(RuntimeError):
    """An unexpected error whose message carried a credential, re-raised with the credential masked."""


def run_build(params: BuildParameters, settings: BuildSettings, *, publisher: Callable | None = None):
    """Check out, build, leave the artifacts; return the BuildReport.

    `publisher(project, source, progress)` is called before building — so that its user mistakes (no tag, a bad
    images repo) surface before any work — and returns `publish(report) -> {image: [published references]}`,
    which runs after the build while the project is still open.
    """
    published = None
    with opened_project(params, settings) as (project, source, progress):
        from tasks.cache_storage import stage_cache_storage
        from tasks.runner import PrefectStageRunner
        from werf_core.session.project import image_sets, make_conveyor, requested_images

        publish = publisher(project, source, progress) if publisher is not None else None
        runner = PrefectStageRunner(stage_cache_storage(project.sync))
        conveyor = make_conveyor(project, progress=progress, stage_runner=runner)
        try:
            report = conveyor.build(requested_images(project.options), image_sets(project),
                                    dry_run=settings.dry_run)
        except KeyboardInterrupt:
            conveyor.cancel()
            raise
        if publish is not None:
            published = publish(report)
    publish_build_artifacts(report, label=source.label, commit=source.commit, published=published)
    bridge = CONSOLE.get()
    if bridge is not None:
        bridge.report = report
    return report


@contextmanager
def opened_project(params: BuildParameters, settings: BuildSettings) -> Iterator[tuple]:
    """(BuildProject, Source, PrefectProgress) for the checked-out sources; closed (and cleaned up) afterwards."""
    from werf_core.session.project import BuildOptions, open_project

    with git_credentials_from_block(params.git_credentials_block, params.repository), \
            checked_out(params) as source:
        options = BuildOptions(dir=str(source.project_dir), config=params.config,
                               stages_storage=params.stages_storage, synchronization=params.synchronization,
                               project_name=params.project_name, images=list(params.images),
                               parallel=settings.parallel, parallel_tasks_limit=settings.parallel_tasks_limit,
                               insecure_registry=settings.insecure_registry)
        bridge = CONSOLE.get()
        if bridge is not None:
            options = replace(options, **bridge.option_overrides)
        progress = PrefectProgress(console=bridge.progress if bridge is not None else None)
        project = open_project(options, warn=progress.warning)
        try:
            rename_flow_run(f"build-{project.project}-{source.label}")
            yield project, source, progress
        finally:
            project.close()


def rename_flow_run(name: str) -> None:
    """Give the run its final name once the werf project is known (best effort: a name is not worth a failure)."""
    from prefect.client.orchestration import get_client
    from prefect.runtime import flow_run
    run_id = flow_run.id
    if not run_id or flow_run.name == name:
        return
    try:
        with get_client(sync_client=True) as client:
            client.update_flow_run(run_id, name=name)
    except Exception as err:
        get_run_logger().warning(f"could not rename the flow run to {name}: {err}")
