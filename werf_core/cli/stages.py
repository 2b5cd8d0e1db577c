"""`werf stages ...`: commands about the stages storage itself."""

from __future__ import annotations

import json

import click

from werf_core.cli.build import build_options_from, run_build, storage_options
from werf_core.cli.options import log_options, project_dir_options


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
        click.echo(json.dumps(report.to_json(), indent=2))
        return
    for image in report.images:
        kind = "artifact" if image.is_artifact else "image"
        click.echo(f"{kind} {image.display_name}")
        for stage in image.stages:
            note = "" if stage.final else "  (provisional: final after selection)"
            click.echo(f"  {stage.name:<20} {stage.digest}  {stage.status}{note}")
