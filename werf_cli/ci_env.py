"""`werf ci-env gitlab|github`: print (or write to a file) the `WERF_*` variables for a CI job.

    . $(werf ci-env gitlab --as-file)                       # bash/sh job
    werf ci-env gitlab --as-env-file > ci.env               # K=V lines for docker run --env-file
"""

from __future__ import annotations

from pathlib import Path

import click

from werf_cli.options import apply_home_and_tmp, log_options, project_dir_options
from werf_core.errors import WerfError

_EXAMPLES = """
\b
Examples:
  # bash / sh (GitLab CI, GitHub Actions)
  . $(werf ci-env gitlab --as-file)
\b
  # powershell
  $WERF_CI_ENV_SCRIPT_PATH = werf ci-env gitlab --as-file --shell powershell | Out-String
  . $WERF_CI_ENV_SCRIPT_PATH.Trim()
\b
  # cmd.exe
  FOR /F "tokens=*" %g IN ('werf ci-env gitlab --as-file --shell cmdexe') do (SET WERF_CI_ENV_SCRIPT_PATH=%g)
  %WERF_CI_ENV_SCRIPT_PATH%
"""


@click.command("ci-env", epilog=_EXAMPLES)
@click.argument("ci_system", metavar="CI_SYSTEM")
@click.option("--tagging-strategy", default="stages-signature", show_default=True,
              help="stages-signature: tag published images by their stages signature (--tag-by-stages-signature); "
                   "tag-or-branch (GitLab only): --tag-git-tag or --tag-git-branch from the CI variables.")
@click.option("--as-file", is_flag=True, envvar="WERF_AS_FILE",
              help="Write the script to a private file under ~/.werf/service/tmp/ci_env and print its path "
                   "[$WERF_AS_FILE].")
@click.option("--as-env-file", is_flag=True, envvar="WERF_AS_ENV_FILE",
              help="Print K=V lines (env-file format, values taken literally) instead of shell commands; with "
                   "--as-file, write them to a .env file [$WERF_AS_ENV_FILE].")
@click.option("--output-file-path", "-o", envvar="WERF_OUTPUT_FILE_PATH", default=None,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Write the script to this file instead (nothing is printed) [$WERF_OUTPUT_FILE_PATH].")
@click.option("--shell", envvar="WERF_SHELL", default=None,
              help="default (any POSIX shell, also `bash`), powershell or cmdexe [$WERF_SHELL].")
@click.option("--docker-config", envvar=["WERF_DOCKER_CONFIG", "DOCKER_CONFIG"], default=None,
              type=click.Path(file_okay=False, path_type=Path),
              help="Docker config directory to copy for the job (default ~/.docker); the copy is logged into the CI "
                   "registry [$WERF_DOCKER_CONFIG, $DOCKER_CONFIG].")
@click.option("--github-registry", envvar="WERF_GITHUB_REGISTRY", default="docker.pkg.github.com", show_default=True,
              help="GitHub container registry for `github` (ghcr.io for GitHub's current registry) "
                   "[$WERF_GITHUB_REGISTRY].")
@project_dir_options
@log_options
def ci_env_command(ci_system: str, tagging_strategy: str, as_file: bool, as_env_file: bool,
                   output_file_path: Path | None, shell: str | None, docker_config: Path | None,
                   github_registry: str, dir: str, config: str | None, config_templates_dir: str | None,
                   home_dir: str | None, tmp_dir: str | None, project_name: str | None, log_format: str,
                   log_quiet: bool, log_verbose: bool) -> None:
    """Generate werf environment variables for a CI system: gitlab or github.

    A variable already set in the environment is kept (shown as a `skip` comment); DOCKER_CONFIG always points at
    the job's own copy of the docker config.
    """
    from werf_core.ci_env import CiEnvOptions, abort_script, generate_ci_env, script_format, write_source_file
    from werf_core.paths import werf_home

    apply_home_and_tmp(home_dir, tmp_dir)
    to_file = as_file or output_file_path is not None
    options = CiEnvOptions(
        ci_system=ci_system, tagging_strategy=tagging_strategy, shell=shell, env_file=as_env_file,
        verbose=log_verbose, docker_config=docker_config, project_dir=Path(dir), config=config,
        templates_dir=config_templates_dir, project_name=project_name, github_registry=github_registry)
    try:
        result = generate_ci_env(options)
    except WerfError as err:
        if not to_file:
            # Whoever evaluates stdout must stop too, not carry on without the variables.
            try:
                fmt = script_format(shell, env_file=as_env_file)
            except WerfError:
                fmt = script_format(None)
            click.echo(abort_script(fmt, err.message, verbose=log_verbose), nl=False)
        raise
    if not to_file:
        click.echo(result.script, nl=False)
        return
    path = write_source_file(result.script, werf_home=werf_home(), suffix=result.format.file_suffix,
                             env_file=as_env_file, output_path=output_file_path)
    if output_file_path is None:
        click.echo(str(path))
