"""`werf ci-env gitlab|github`: the `WERF_*` variables a CI job needs, as a script for the job's shell.

    from werf_core.ci_env import CiEnvOptions, generate_ci_env
    result = generate_ci_env(CiEnvOptions("gitlab", shell="default"), environ=os.environ)
    print(result.script)

`generate_ci_env` makes the job's private docker config (a copy of the user's, logged into the CI registry) and
returns the script; writing it to a file (`--as-file`) is `write_source_file`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from werf_core import paths
from werf_core.ci_env.cleanup_policies import CleanupPolicies, cleanup_config_path, load_cleanup_policies
from werf_core.ci_env.docker_config import add_registry_login, create_session_docker_config
from werf_core.ci_env.errors import CiEnvError
from werf_core.ci_env.github import DEFAULT_GITHUB_REGISTRY, plan_github
from werf_core.ci_env.gitlab import plan_gitlab
from werf_core.ci_env.plan import TAGGING_STRATEGIES, CiEnvPlan
from werf_core.ci_env.project_images import ProjectImages, read_project_images
from werf_core.ci_env.script import Variable, abort_script, render_script, section
from werf_core.ci_env.shells import ScriptFormat, script_format
from werf_core.ci_env.slug import docker_tag
from werf_core.ci_env.source_file import write_source_file

CI_SYSTEMS = ("gitlab", "github")

__all__ = [
    "CI_SYSTEMS", "TAGGING_STRATEGIES", "CiEnvError", "CiEnvOptions", "CiEnvResult", "CleanupPolicies",
    "abort_script", "docker_tag", "generate_ci_env", "script_format", "write_source_file",
]


@dataclass(frozen=True)
class CiEnvOptions:
    ci_system: str
    tagging_strategy: str = "stages-signature"
    shell: str | None = None  # default (any POSIX shell), powershell, cmdexe
    env_file: bool = False  # K=V lines instead of shell commands
    verbose: bool = False  # the script echoes what it sets
    docker_config: Path | None = None  # default: ~/.docker
    project_dir: Path = Path(".")
    config: str | None = None
    templates_dir: str | None = None
    project_name: str | None = None
    github_registry: str = DEFAULT_GITHUB_REGISTRY


@dataclass(frozen=True)
class CiEnvResult:
    script: str
    format: ScriptFormat
    docker_config: Path  # the session copy DOCKER_CONFIG points at


def generate_ci_env(options: CiEnvOptions, environ: Mapping[str, str] | None = None) -> CiEnvResult:
    environ = os.environ if environ is None else environ
    fmt = script_format(options.shell, env_file=options.env_file)
    plan = _plan(options, environ)

    source = options.docker_config or Path(environ.get("HOME") or Path.home()) / ".docker"
    session = create_session_docker_config(source, tmp_dir=paths.tmp_dir(), werf_home=paths.werf_home())
    try:
        if plan.login:
            add_registry_login(session, plan.login)
        sections = (section("DOCKER CONFIG", Variable("DOCKER_CONFIG", str(session), override=True)),
                    *plan.sections)
        script = render_script(sections, fmt, environ, verbose=options.verbose)
    except BaseException:
        shutil.rmtree(session, ignore_errors=True)
        raise
    return CiEnvResult(script=script, format=fmt, docker_config=session)


def _plan(options: CiEnvOptions, environ: Mapping[str, str]) -> CiEnvPlan:
    if options.tagging_strategy not in TAGGING_STRATEGIES:
        raise CiEnvError(f"provided tagging strategy {options.tagging_strategy!r} is not supported",
                         hint=f"use one of: {', '.join(TAGGING_STRATEGIES)}")
    policies = load_cleanup_policies(cleanup_config_path(paths.werf_home()))
    if options.ci_system == "gitlab":
        return plan_gitlab(environ, options.tagging_strategy, policies)
    if options.ci_system == "github":
        def load_project() -> ProjectImages | None:
            return read_project_images(
                options.project_dir, config=options.config, templates_dir=options.templates_dir,
                project_name_override=options.project_name or environ.get("WERF_PROJECT_NAME") or None,
                env=environ)
        return plan_github(environ, options.tagging_strategy, policies, load_project=load_project,
                           registry=options.github_registry)
    raise CiEnvError(f"provided CI system {options.ci_system!r} is not supported",
                     hint=f"use one of: {', '.join(CI_SYSTEMS)}")
