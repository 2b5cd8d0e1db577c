"""`werf config render [IMAGE...]` and `werf config list` (werf v1.1 commands)."""

from __future__ import annotations

from pathlib import Path

import click

from werf_cli.options import apply_home_and_tmp, project_dir_options


def _load(options: dict):
    from werf_core.config import load_werf_config
    from werf_core.redaction import redact
    apply_home_and_tmp(options["home_dir"], options["tmp_dir"])
    config = load_werf_config(Path(options["dir"]), config=options["config"],
                              templates_dir=options["config_templates_dir"],
                              project_name_override=options["project_name"])
    for warning in config.warnings:
        click.echo(redact(warning), err=True)
    return config


def _image_argument(name: str) -> str | None:
    return None if name == "~" else name


@click.group("config")
def config_group() -> None:
    """Render and inspect werf.yaml."""


@config_group.command("render")
@click.argument("images", nargs=-1)
@project_dir_options
def render_command(images: tuple[str, ...], **options) -> None:
    """Print the rendered werf.yaml (after Go templates), or only the sections of the given IMAGES.

    The config is validated first, so a printed render is one werf accepts. Credentials (a token in a git URL)
    are printed masked.
    """
    from werf_core.redaction import redact  # a git URL with a token is shown masked, like in every message
    config = _load(options)
    if not images:
        click.echo(redact(config.rendered), nl=not config.rendered.endswith("\n"))
        return
    texts = [config.document_text(_image_argument(name)) for name in images]
    click.echo(redact("---\n".join(text if text.endswith("\n") else text + "\n" for text in texts)), nl=False)


@config_group.command("list")
@click.option("--images-only", is_flag=True, default=False, help="List images but not artifacts.")
@project_dir_options
def list_command(images_only: bool, **options) -> None:
    """Print the image names of werf.yaml, one per line (`~` is the nameless image), then the artifacts."""
    config = _load(options)
    for name in config.image_names():
        click.echo("~" if name is None else name)
    if not images_only:
        for name in config.artifact_names():
            click.echo(name)
