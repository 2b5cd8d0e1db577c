"""`werf stages ...`: commands about the stages storage itself."""

from __future__ import annotations

import json

import click

from werf_cli.build import build_options_from, run_build, storage_options
from werf_cli.options import log_options, project_dir_options


@click.group("stages")
def stages_group() -> None:
    """Plan, sync and switch stages storages."""


@stages_group.command("plan")
@click.argument("images", nargs=-1)
@project_dir_options
@storage_options
@log_options
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Print the plan as a table or as JSON.")
def plan_command(images, output, log_format, log_quiet, log_verbose, **kwargs):
    """Print every stage of IMAGES with its digest, without building anything.

    A stage marked `reused` is in the stages storage and would be used as is; `planned` would be built. A digest is
    final only when every git stage before it resolved to a stored image: otherwise it depends on the commits the
    build of that stage will record, and is marked provisional.
    """
    options = build_options_from(kwargs, images)
    report = run_build(options, log_format=log_format, log_quiet=True, log_verbose=False, report_path=None,
                       dry_run=True)
    if output == "json":
        click.echo(json.dumps(report, indent=2))
        return
    for name, image in report["images"].items():
        kind = "artifact" if image["isArtifact"] else "image"
        click.echo(f"{kind} {name}")
        for stage in image["stages"]:
            note = "" if stage["final"] else "  (provisional: final after selection)"
            click.echo(f"  {stage['name']:<20} {stage['digest']}  {stage['status']}{note}")


# ---------------------------------------------------------------- sync and switch-from-local (distributed mode)

def _registry_options(func):
    """The registry flags of `werf build`, for the storages a sync talks to."""
    for decorator in reversed([
        click.option("--insecure-registry", envvar="WERF_INSECURE_REGISTRY", is_flag=True, default=False,
                     help="Use plain HTTP for registries [$WERF_INSECURE_REGISTRY]."),
        click.option("--skip-tls-verify-registry", envvar="WERF_SKIP_TLS_VERIFY_REGISTRY", is_flag=True,
                     default=False, help="Do not verify registry TLS certificates [$WERF_SKIP_TLS_VERIFY_REGISTRY]."),
        click.option("--docker-config", envvar="WERF_DOCKER_CONFIG", default=None,
                     help="Docker config directory with registry credentials [$WERF_DOCKER_CONFIG]."),
        click.option("--synchronization", "-S", envvar="WERF_SYNCHRONIZATION", default=None,
                     help="Accepted for werf compatibility; a sync takes no locks (stage names are "
                          "content-addressed and every write is atomic) [$WERF_SYNCHRONIZATION]."),
    ]):
        func = decorator(func)
    return func


def _open_sync_storages(kwargs: dict, source: str, destination: str):
    """(project name, source storage, destination storage) for the project in --dir."""
    from pathlib import Path

    from werf_cli.options import apply_home_and_tmp
    from werf_core.config import load_werf_config
    from werf_core.session.project import BuildOptions, docker_client, open_stages_storage

    apply_home_and_tmp(kwargs.get("home_dir"), kwargs.get("tmp_dir"))
    config = load_werf_config(Path(kwargs["dir"]).resolve(), config=kwargs.get("config"),
                              templates_dir=kwargs.get("config_templates_dir"),
                              project_name_override=kwargs.get("project_name"))
    options = BuildOptions(insecure_registry=kwargs.get("insecure_registry", False),
                           skip_tls_verify_registry=kwargs.get("skip_tls_verify_registry", False),
                           docker_config=kwargs.get("docker_config"))
    client: list = []

    def client_factory():
        if not client:
            client.append(docker_client())
        return client[0]

    return (config.meta.project, open_stages_storage(source, client_factory, options),
            open_stages_storage(destination, client_factory, options))


def _say(quiet: bool):
    return (lambda message: None) if quiet else (lambda message: click.echo(message, err=True))


@stages_group.command("sync")
@project_dir_options
@_registry_options
@click.option("--from", "from_", envvar="WERF_FROM", required=True,
              help="Source stages storage: :local or a registry repository [$WERF_FROM].")
@click.option("--to", "to", envvar="WERF_TO", required=True,
              help="Destination stages storage: :local or a registry repository [$WERF_TO].")
@click.option("--remove-source", envvar="WERF_REMOVE_SOURCE", is_flag=True, default=False,
              help="Delete each stage from the source once the destination has it [$WERF_REMOVE_SOURCE].")
@click.option("--cleanup-local-cache", envvar="WERF_CLEANUP_LOCAL_CACHE", is_flag=True, default=False,
              help="Remove the engine's copies of synced stages under their registry names "
                   "[$WERF_CLEANUP_LOCAL_CACHE].")
@click.option("--workers", type=click.IntRange(1, 32), default=4, show_default=True,
              help="Stages copied at once.")
@click.option("--log-quiet", envvar="WERF_LOG_QUIET", is_flag=True, default=False,
              help="Print only errors [$WERF_LOG_QUIET].")
def sync_command(from_, to, remove_source, cleanup_local_cache, workers, log_quiet, **kwargs):
    """Copy the project's stages from --from to --to, keeping their names.

    Copies only what the destination lacks, so it can be rerun at any time (a second run copies nothing, an
    interrupted one resumes). Managed-image and metadata records are not copied.
    """
    from werf_core.storage.sync_stages import sync_stages
    project, source, destination = _open_sync_storages(kwargs, from_, to)
    sync_stages(source, destination, project, remove_source=remove_source, cleanup_local_cache=cleanup_local_cache,
                workers=workers, say=_say(log_quiet))


@stages_group.command("switch-from-local")
@project_dir_options
@_registry_options
@click.option("--from", "from_", envvar="WERF_FROM", default=":local", show_default=True,
              help="Must be :local [$WERF_FROM].")
@click.option("--to", "to", envvar="WERF_TO", required=True,
              help="The registry repository that becomes the project's stages storage [$WERF_TO].")
@click.option("--workers", type=click.IntRange(1, 32), default=4, show_default=True,
              help="Stages copied at once.")
@click.option("--log-quiet", envvar="WERF_LOG_QUIET", is_flag=True, default=False,
              help="Print only errors [$WERF_LOG_QUIET].")
def switch_from_local_command(from_, to, workers, log_quiet, **kwargs):
    """Move the project's stages from :local to the registry --to, and refuse :local for it from now on.

    Syncs, blocks :local for the project on this host, then syncs again removing the local stages (anything a
    concurrent local build published meanwhile is carried over too).
    """
    from werf_core.errors import WerfError
    from werf_core.storage.base import LOCAL_ADDRESS
    from werf_core.storage.switch_block import write_block
    from werf_core.storage.sync_stages import sync_stages
    if from_.strip() != LOCAL_ADDRESS:
        raise WerfError(f"switch-from-local moves stages from {LOCAL_ADDRESS}, not from {from_}",
                        hint=f"to copy between registries use `werf stages sync --from {from_} --to {to}`")
    if to.strip() == LOCAL_ADDRESS:
        raise WerfError("--to must be a registry repository, not :local",
                        hint="e.g. --to registry.example.com/project/stages")
    project, source, destination = _open_sync_storages(kwargs, from_, to)
    say = _say(log_quiet)
    sync_stages(source, destination, project, workers=workers, say=say)
    write_block(project, destination.address)
    sync_stages(source, destination, project, remove_source=True, cleanup_local_cache=True, workers=workers,
                say=say)
    say(f"Project {project} now uses the stages storage {destination.address}; --stages-storage :local is refused "
        "for it on this host")


# ---------------------------------------------------------------- cleanup and purge (werf_cli/cleanup.py)

def _register_cleanup_commands() -> None:
    from werf_cli.cleanup import stages_cleanup_command, stages_purge_command
    stages_group.add_command(stages_cleanup_command)
    stages_group.add_command(stages_purge_command)


_register_cleanup_commands()
