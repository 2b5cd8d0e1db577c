"""`werf build [IMAGE...]`: build the stages of the images (and what they depend on) into the stages storage."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from werf_cli.options import apply_home_and_tmp, log_options, project_dir_options
from werf_core.errors import WerfError
from werf_core.fsutil import atomic_write

if TYPE_CHECKING:
    from werf_core.session.project import BuildOptions


def storage_options(func):
    """--stages-storage, --synchronization, registry flags, parallelism (werf v1.1 names and variables)."""
    decorators = [
        click.option("--stages-storage", "-s", envvar="WERF_STAGES_STORAGE", default=None,
                     help="Stages storage: :local or a registry repository, e.g. registry.example.com/app/stages "
                          "[$WERF_STAGES_STORAGE]."),
        click.option("--synchronization", "-S", envvar="WERF_SYNCHRONIZATION", default=None,
                     help="Locks and stages-storage cache: :local or kubernetes://NAMESPACE[:CONTEXT][@base64:CONFIG"
                          "|@PATH] [$WERF_SYNCHRONIZATION]."),
        click.option("--insecure-registry", envvar="WERF_INSECURE_REGISTRY", is_flag=True, default=False,
                     help="Use plain HTTP for registries [$WERF_INSECURE_REGISTRY]."),
        click.option("--skip-tls-verify-registry", envvar="WERF_SKIP_TLS_VERIFY_REGISTRY", is_flag=True,
                     default=False, help="Do not verify registry TLS certificates [$WERF_SKIP_TLS_VERIFY_REGISTRY]."),
        click.option("--docker-config", envvar="WERF_DOCKER_CONFIG", default=None,
                     help="Docker config directory with registry credentials (default ~/.docker) "
                          "[$WERF_DOCKER_CONFIG]."),
        click.option("--parallel/--no-parallel", "-p", envvar="WERF_PARALLEL", default=True, show_default=True,
                     help="Build the independent images of a dependency set in parallel [$WERF_PARALLEL]."),
        click.option("--parallel-tasks-limit", envvar="WERF_PARALLEL_TASKS_LIMIT", type=int, default=5,
                     show_default=True, help="At most this many images at once [$WERF_PARALLEL_TASKS_LIMIT]."),
        click.option("--allow-git-shallow-clone", envvar="WERF_ALLOW_GIT_SHALLOW_CLONE", is_flag=True,
                     default=False, help="Build from a shallow clone (stage selection by ancestry may then rebuild "
                                         "more) [$WERF_ALLOW_GIT_SHALLOW_CLONE]."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


PREFECT_HELP = ("Run as a Prefect flow, every stage a task run in the dashboard (default: when PREFECT_API_URL is "
                "set) [$WERF_PREFECT].")


def build_options_from(kwargs: dict[str, Any], images: tuple[str, ...]) -> BuildOptions:
    from werf_core.session.project import BuildOptions
    apply_home_and_tmp(kwargs.get("home_dir"), kwargs.get("tmp_dir"))
    return BuildOptions(
        dir=kwargs["dir"], config=kwargs.get("config"), config_templates_dir=kwargs.get("config_templates_dir"),
        project_name=kwargs.get("project_name"), stages_storage=kwargs.get("stages_storage"),
        synchronization=kwargs.get("synchronization"), parallel=kwargs.get("parallel", True),
        parallel_tasks_limit=kwargs.get("parallel_tasks_limit", 5),
        allow_git_shallow_clone=kwargs.get("allow_git_shallow_clone", False),
        insecure_registry=kwargs.get("insecure_registry", False),
        skip_tls_verify_registry=kwargs.get("skip_tls_verify_registry", False),
        docker_config=kwargs.get("docker_config"), images=list(images))


def print_summary(report: dict[str, Any]) -> None:
    """One closing line from a build report (the JSON form, whichever way the build ran)."""
    counts = report.get("counts", {})
    parts = [f"{counts.get(k, 0)} {k}" for k in ("built", "reused", "discarded", "planned") if counts.get(k)]
    click.echo(f"Stages: {', '.join(parts) or 'none'} in {report.get('seconds', 0.0):.2f}s", err=True)


def write_report(report: dict[str, Any], path: str | None) -> None:
    if path:
        atomic_write(path, json.dumps(report, indent=2) + "\n", mode=0o644)


def run_build(options: BuildOptions, *, log_format: str, log_quiet: bool, log_verbose: bool,
              report_path: str | None, dry_run: bool = False) -> dict[str, Any]:
    """The build in this process; returns the build report (JSON form) and writes it to `report_path`."""
    from werf_core.conveyor.progress import make_progress
    from werf_core.session.session import BuildSession

    progress = make_progress(log_format, verbose=log_verbose, quiet=log_quiet)
    with BuildSession.open(options, progress=progress) as session:
        report = session.build(dry_run=dry_run).to_json()
    write_report(report, report_path)
    return report


@click.command("build")
@click.argument("images", nargs=-1)
@project_dir_options
@storage_options
@log_options
@click.option("--report-path", "--build-report-path", "report_path", envvar="WERF_REPORT_PATH", default=None,
              help="Write a JSON build report (images, stages: digest, status, seconds, size) [$WERF_REPORT_PATH].")
@click.option("--dry-run", is_flag=True, default=False, envvar="WERF_DRY_RUN",
              help="Plan only: print every stage's digest and whether a stored stage would be used [$WERF_DRY_RUN].")
@click.option("--prefect/--no-prefect", "prefect", envvar="WERF_PREFECT", default=None,
              help=PREFECT_HELP)
@click.option("--fan-out", is_flag=True, default=False, envvar="WERF_FAN_OUT",
              help="With --prefect: one werf-image flow run per image on the Prefect work pool, each on whichever "
                   "worker is free (needs a registry stages storage and kubernetes:// synchronization) "
                   "[$WERF_FAN_OUT].")
def build_command(images, report_path, dry_run, log_format, log_quiet, log_verbose, prefect=None, fan_out=False,
                  **kwargs):
    """Build the stages of IMAGES (default: every image) into the stages storage.

    A stage already in the stages storage is reused without pulling it; only what changed is built.
    """
    from werf_cli.prefect_run import prefect_wanted  # cheap: prefect_run imports Prefect only when it runs a flow
    options = build_options_from(kwargs, images)
    if fan_out:
        if not prefect_wanted(prefect):
            raise WerfError("--fan-out spreads the images over Prefect workers: it needs --prefect (or "
                            "PREFECT_API_URL)", hint="add --prefect, or drop --fan-out to build in this process")
        from werf_cli.prefect_run import run_build_via_prefect
        report = run_build_via_prefect(options, log_format=log_format, log_quiet=log_quiet, log_verbose=log_verbose,
                                       report_path=report_path, dry_run=dry_run, fan_out=True)
    elif prefect_wanted(prefect):
        from werf_cli.prefect_run import run_build_via_prefect
        report = run_build_via_prefect(options, log_format=log_format, log_quiet=log_quiet, log_verbose=log_verbose,
                                       report_path=report_path, dry_run=dry_run)
    else:
        report = run_build(options, log_format=log_format, log_quiet=log_quiet, log_verbose=log_verbose,
                           report_path=report_path, dry_run=dry_run)
    if not log_quiet:
        print_summary(report)
    if not dry_run:
        from werf_cli.auto_cleanup import after_build
        after_build(report["project"])
