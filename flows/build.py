"""The `werf-build` flow: build a project's stages, every stage a (cached) task run.

One flow run = one conveyor with the Prefect stage runner. The conveyor keeps werf's order (dependency sets, sources
first) and runs the images of one set in parallel threads; each stage is a task run named
`<image>/<stage> <digest[:12]>`, `Cached` when its digest was already answered. The run is named
`build-<project>-<ref>` and leaves a stages table per image and a summary (see `artifacts`).

User mistakes (bad parameters, werf.yaml errors, a failing build command) end the run `Failed` with werf's one-line
message and hint, not a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prefect import flow, get_run_logger
from prefect.states import Failed

from flows import engine_logs
from flows.artifacts import publish_build_artifacts
from flows.credentials import git_credentials_from_block, scrub_stored_parameters
from flows.params import BuildParameters, build_run_name_for, validate_build_parameters
from flows.progress import PrefectProgress
from flows.source import Source, checked_out
from tasks.runner import FLOW_RUN_LABEL
from werf_core.errors import WerfError
from werf_core.redaction import redact

engine_logs.install()     # deployment runs load this module before the engine runs the flow

if TYPE_CHECKING:
    from werf_core.conveyor.results import BuildReport
    from werf_core.session.project import BuildOptions
    from werf_core.session.session import BuildSession


def build_run_name() -> str:
    """`build-<project>-<ref>-<commit7>[-<trigger>]` (`flows.params.build_run_name_for`). A run whose parameters
    name the commit (webhook runs, fan-out children) keeps this name; otherwise it is completed with the commit
    checked out and the project named in werf.yaml."""
    from prefect.runtime import flow_run
    return build_run_name_for(flow_run.parameters)


@dataclass(frozen=True)
class BuildSettings:
    """How to build, as opposed to what (BuildParameters). Host-local settings (TLS switches, the Docker config
    directory, a templates directory) are plain flow parameters too, so a deployment run and `werf build --prefect`
    given the same parameters build the same way."""

    dry_run: bool = False
    parallel: bool = True
    parallel_tasks_limit: int = 5
    insecure_registry: bool = False
    skip_tls_verify_registry: bool = False
    allow_git_shallow_clone: bool = False
    docker_config: str | None = None
    config_templates_dir: str | None = None


@flow(name="werf-build", flow_run_name=build_run_name, validate_parameters=True)
def build(repository: str, ref: str | None = None, commit: str | None = None, project_dir: str = ".",
          config: str | None = None, images: list[str] | None = None, stages_storage: str | None = ":local",
          synchronization: str | None = None,
          project_name: str | None = None, parallel: bool = True, parallel_tasks_limit: int = 5,
          insecure_registry: bool = False, dry_run: bool = False, skip_tls_verify_registry: bool = False,
          allow_git_shallow_clone: bool = False, docker_config: str | None = None,
          config_templates_dir: str | None = None, trigger: str | None = None, fan_out: bool = False,
          image_deployment: str = "werf-image/fan-out-image", git_credentials_block: str | None = None,
          ) -> dict[str, Any]:
    """Build the stages of IMAGES (default: all) of the werf project in REPOSITORY at REF/COMMIT; return the report.

    repository: https/ssh/git URL, user@host:path, or an absolute local path on the worker (without ref and commit a
    local path is built as it is). stages_storage: `:local` or a registry repository. synchronization:
    `:local` or `kubernetes://NAMESPACE` (default: the worker's WERF_SYNCHRONIZATION, else `:local`).
    docker_config: a Docker config directory on the worker (registry credentials); config_templates_dir: relative
    to the project directory. trigger: what started the run (schedule, webhook, ...), shown in the run name.
    fan_out: one `werf-image` run per image through IMAGE_DEPLOYMENT, each on whichever worker is free (needs a
    registry stages storage and kubernetes:// synchronization).
    git_credentials_block: the name of a Prefect Secret block with the token for an https repository (a token, or
    {"host", "username", "password"}); credentials are never accepted in the repository URL itself.
    """
    def body() -> dict[str, Any]:
        params = validate_build_parameters(
            repository=repository, ref=ref, commit=commit, project_dir=project_dir, config=config, images=images,
            stages_storage=stages_storage, synchronization=synchronization, project_name=project_name,
            trigger=trigger, git_credentials_block=git_credentials_block)
        settings = build_settings(
            dry_run=dry_run, parallel=parallel, parallel_tasks_limit=parallel_tasks_limit,
            insecure_registry=insecure_registry, skip_tls_verify_registry=skip_tls_verify_registry,
            allow_git_shallow_clone=allow_git_shallow_clone, docker_config=docker_config,
            config_templates_dir=config_templates_dir)
        if fan_out:
            from flows.fan_out_build import run_fan_out
            with git_credentials_from_block(params.git_credentials_block, params.repository):
                return run_fan_out(params, settings, image_deployment=image_deployment)
        return run_build(params, settings)[0].to_json()
    return guarded(body)


def build_settings(**values: Any) -> BuildSettings:
    """BuildSettings from flow parameters, checking the two paths among them."""
    from flows.params import check_docker_config, check_relative_path
    if values.get("config_templates_dir"):
        values["config_templates_dir"] = check_relative_path("config_templates_dir", values["config_templates_dir"])
    if values.get("docker_config"):
        values["docker_config"] = check_docker_config(values["docker_config"])
    return BuildSettings(**values)


def guarded(body: Callable[[], Any]) -> Any:
    """Run a flow body; a WerfError fails the run with werf's message and hint (and nothing else).

    The error itself is the failed state's data: a caller in this process (`werf build --prefect`) gets it back,
    typed, from `state.result()`.

    Before anything else, credential-bearing parameter values are replaced by their redacted form on the server (the
    checks then refuse them). Any other exception whose text carries a credential is re-raised redacted, so Prefect's
    state message, logs and events never hold it.
    """
    scrub_stored_parameters()
    try:
        return body()
    except WerfError as err:
        get_run_logger().error(err.render())
        return Failed(message=err.render(), data=err)
    except Exception as err:
        text = f"{type(err).__name__}: {err}"
        if redact(text) == text:
            raise
        raise RedactedError(redact(text)) from None


class RedactedError(RuntimeError):
    """An unexpected error whose message carried a credential, re-raised with the credential masked."""


Publish = Callable[["BuildSession", "Source", "BuildReport"], Any]


def run_build(params: BuildParameters, settings: BuildSettings, *,
              prepare_publish: Callable[[Source], Publish] | None = None,
              latest_artifact: bool = True, shared_checkout: bool = False) -> tuple[BuildReport, Any]:
    """Check out, build, leave the artifacts; return the BuildReport and what publishing returned.

    `prepare_publish(source)` is called before building — so that its user mistakes (no tag, a bad images repo)
    surface before any work — and returns `publish(session, source, report)`, which runs after the build while the
    project is still open. `shared_checkout`: the commit's checkout is shared with the other builds of it on this
    host (`flows.source.checked_out`).
    """
    from tasks.runner import PrefectStageRunner
    from werf_core.session.session import BuildSession

    published = None
    with git_credentials_from_block(params.git_credentials_block, params.repository), \
            checked_out(params, shared=shared_checkout) as source:
        publish = prepare_publish(source) if prepare_publish is not None else None
        progress = PrefectProgress()
        with BuildSession.open(build_options(params, settings, source), progress=progress,
                               stage_runner=PrefectStageRunner(),
                               stage_labels={FLOW_RUN_LABEL: current_flow_run_id()}) as session:
            if not params.commit:
                # named by its parameters, which gave no commit: now the commit and the werf project are known
                rename_flow_run(build_run_name_for({**current_parameters(), "project_name": session.project.project},
                                                   commit=source.commit, ref=source.branch))
            report = session.build(dry_run=settings.dry_run)
            if publish is not None:
                published = publish(session, source, report)
    publish_build_artifacts(report, label=source.label, commit=source.commit,
                            branch=source.branch if latest_artifact else None,
                            flow_run=current_flow_run_id(), published=published_references(published))
    return report, published


def published_references(published: Any) -> dict[str, list[str]] | None:
    """image → the references it was published as (for the summary artifact)."""
    if published is None:
        return None
    references: dict[str, list[str]] = {}
    for tag in published.tags:
        references.setdefault(tag.image or "~", []).append(tag.reference)
    return references


def build_options(params: BuildParameters, settings: BuildSettings, source: Source) -> BuildOptions:
    from werf_core.session.project import BuildOptions
    templates = str(source.project_dir / settings.config_templates_dir) if settings.config_templates_dir else None
    return BuildOptions(dir=str(source.project_dir), config=params.config, config_templates_dir=templates,
                        stages_storage=params.stages_storage, synchronization=params.synchronization,
                        project_name=params.project_name, images=list(params.images),
                        parallel=settings.parallel, parallel_tasks_limit=settings.parallel_tasks_limit,
                        insecure_registry=settings.insecure_registry,
                        skip_tls_verify_registry=settings.skip_tls_verify_registry,
                        allow_git_shallow_clone=settings.allow_git_shallow_clone,
                        docker_config=settings.docker_config)


def current_parameters() -> dict[str, Any]:
    from prefect.runtime import flow_run
    return dict(flow_run.parameters)


def current_flow_run_id() -> str:
    from prefect.runtime import flow_run
    return str(flow_run.id or "")


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
