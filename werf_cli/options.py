"""Common CLI options, named as in werf v1.1: `--some-flag` is also read from `WERF_SOME_FLAG`.

Each decorator adds one group of options; commands combine what they need. Values reach the command function as
keyword arguments named after the flag (`--stages-storage` → `stages_storage`).
"""

from __future__ import annotations

import click


def _compose(*decorators):
    def apply(func):
        for decorator in reversed(decorators):
            func = decorator(func)
        return func
    return apply


def project_dir_options(func):
    """--dir, --config, --config-templates-dir, --home-dir, --tmp-dir, --project-name (werf v1.1 names)."""
    return _compose(
        click.option("--dir", "dir", envvar="WERF_DIR", default=".", show_default=True,
                     help="Project directory (holds werf.yaml) [$WERF_DIR]."),
        click.option("--config", "config", envvar="WERF_CONFIG", default=None,
                     help="Config path: relative to --dir, else to the working directory (default werf.yml, werf.yaml) "
                          "[$WERF_CONFIG]."),
        click.option("--config-templates-dir", envvar="WERF_CONFIG_TEMPLATES_DIR", default=None,
                     help="Directory of *.tmpl templates: relative to --dir, else to the working directory (default .werf) "
                          "[$WERF_CONFIG_TEMPLATES_DIR]."),
        click.option("--home-dir", envvar="WERF_HOME", default=None,
                     help="werf home directory for host state (default ~/.werf) [$WERF_HOME]."),
        click.option("--tmp-dir", envvar="WERF_TMP_DIR", default=None,
                     help="Directory for temporary files [$WERF_TMP_DIR]."),
        click.option("--project-name", "-N", envvar="WERF_PROJECT_NAME", default=None,
                     help="Override the project name from werf.yaml [$WERF_PROJECT_NAME]."),
    )(func)


def log_options(func):
    return _compose(
        click.option("--log-format", envvar="WERF_LOG_FORMAT", type=click.Choice(["text", "json"]), default="text",
                     show_default=True, help="Progress output for people (text) or machines (json) [$WERF_LOG_FORMAT]."),
        click.option("--log-quiet", envvar="WERF_LOG_QUIET", is_flag=True, default=False,
                     help="Print only errors [$WERF_LOG_QUIET]."),
        click.option("--log-verbose", envvar="WERF_LOG_VERBOSE", is_flag=True, default=False,
                     help="Print build output of every stage [$WERF_LOG_VERBOSE]."),
    )(func)


def apply_home_and_tmp(home_dir: str | None, tmp_dir: str | None) -> None:
    """Make --home-dir/--tmp-dir visible to werf_core.paths for the rest of the process."""
    import os
    if home_dir:
        os.environ["WERF_HOME"] = home_dir
    if tmp_dir:
        os.environ["WERF_TMP_DIR"] = tmp_dir
