"""`werf build --prefect` (or with PREFECT_API_URL set): the same build, run as the `werf-build` flow.

The flow runs in this process against the Prefect API, on the project directory as it is (no checkout), with
exactly the parameters a deployment run would get: everything the command's options mean is a flow parameter, and
what the CLI gets back is the flow's return value (the reports) or its failure message. The terminal shows the usual
progress by observing the run's progress events (`flows.progress.ProgressRelay`). Prefect's own console logging is
turned down to CRITICAL before Prefect is imported: the terminal already shows every stage, and a failed build ends
with werf's one-line error instead of Prefect's tracebacks. Set `PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL` yourself to
see Prefect's console log.

Only `prefect_wanted` is used before deciding to run a flow; Prefect is imported only when one runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werf_core.errors import WerfError

if TYPE_CHECKING:
    from werf_core.publish.tags import TagPlan
    from werf_core.session.project import BuildOptions


def prefect_wanted(flag: bool | None) -> bool:
    """--prefect / --no-prefect ($WERF_PREFECT) decide; unset, a configured PREFECT_API_URL means yes."""
    if flag is not None:
        return flag
    return bool(os.environ.get("PREFECT_API_URL"))


def _quiet_prefect_console() -> None:
    """Must run before Prefect is imported: its logging is configured from the environment at import."""
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")


def check_prefect_api(timeout: float = 5.0) -> None:
    """A configured PREFECT_API_URL that does not answer is one clear error, before any work."""
    url = os.environ.get("PREFECT_API_URL", "").rstrip("/")
    if not url:
        return      # Prefect starts a temporary local server of its own
    import httpx
    try:
        httpx.get(f"{url}/health", timeout=timeout).raise_for_status()
    except httpx.HTTPError as err:
        # one line: what is wrong and what to set or unset
        raise WerfError(f"the Prefect API at {url} does not answer ({type(err).__name__}); start the Prefect "
                        "server, fix PREFECT_API_URL, or build without Prefect: unset PREFECT_API_URL or pass "
                        "--no-prefect") from None


def flow_parameters(options: BuildOptions) -> dict[str, Any]:
    """The werf-build parameters that mean the same as `options` (a build of the directory as it is)."""
    project_dir = Path(options.dir).resolve()
    return {"repository": str(project_dir), "project_dir": ".", "config": _relative(options.config, project_dir),
            "images": list(options.images), "stages_storage": options.stages_storage,
            "synchronization": options.synchronization, "project_name": options.project_name,
            "parallel": options.parallel, "parallel_tasks_limit": options.parallel_tasks_limit,
            "insecure_registry": options.insecure_registry,
            "skip_tls_verify_registry": options.skip_tls_verify_registry,
            "allow_git_shallow_clone": options.allow_git_shallow_clone,
            "docker_config": str(Path(options.docker_config).resolve()) if options.docker_config else None,
            "config_templates_dir": _relative(options.config_templates_dir, project_dir)}


def _relative(path: str | None, project_dir: Path) -> str | None:
    """Flow parameters name files relative to the project; an absolute path inside it is made relative."""
    if not path:
        return None
    resolved = Path(path) if Path(path).is_absolute() else project_dir / path
    try:
        return str(resolved.resolve().relative_to(project_dir))
    except ValueError:
        raise WerfError(f"{path}: outside the project directory {project_dir}",
                        hint="a Prefect build reads only files of the project; move the file into it") from None


def run_build_via_prefect(options: BuildOptions, *, log_format: str, log_quiet: bool, log_verbose: bool,
                          report_path: str | None, dry_run: bool = False, fan_out: bool = False) -> dict[str, Any]:
    """Run the werf-build flow for `options`; return its build report (JSON form) like `run_build` does."""
    from werf_cli.build import write_report
    check_prefect_api()
    _quiet_prefect_console()
    from flows.build import build
    report: dict[str, Any] = _run_flow(build, {**flow_parameters(options), "dry_run": dry_run, "fan_out": fan_out},
                                       log_format=log_format, log_quiet=log_quiet, log_verbose=log_verbose)
    write_report(report, report_path)
    return report


def run_build_and_publish_via_prefect(options: BuildOptions, *, images_repo: str | None, images_repo_mode: str,
                                      tags: TagPlan, log_format: str, log_quiet: bool, log_verbose: bool,
                                      report_path: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """`werf build-and-publish` as the werf-build-and-publish flow; returns (build report, publish result) like
    `werf_cli.publish.run_publish(build=True, ...)`. `tags` is the command's TagPlan, passed as parameters."""
    from werf_cli.build import write_report
    check_prefect_api()
    _quiet_prefect_console()
    from flows.publish import build_and_publish
    result: dict[str, Any] = _run_flow(
        build_and_publish, {**flow_parameters(options), "images_repo": images_repo or "",
                            "images_repo_mode": images_repo_mode,
                            "tags_by_strategy": {k: list(v) for k, v in tags.by_strategy.items()},
                            "tag_by_stages_signature": tags.by_stages_signature},
        log_format=log_format, log_quiet=log_quiet, log_verbose=log_verbose)
    write_report(result["build"], report_path)
    return result["build"], result["publish"]


def _run_flow(flow: Any, parameters: dict[str, Any], *, log_format: str, log_quiet: bool,
              log_verbose: bool) -> Any:
    """Run `flow` in this process with `parameters`, showing its progress; its return value, or its failure."""
    from flows.progress import EVENTS, ProgressRelay
    from werf_core.conveyor.progress import make_progress
    from werf_core.errors import BuildError

    relay = ProgressRelay(make_progress(log_format, verbose=log_verbose, quiet=log_quiet))
    EVENTS.addHandler(relay)
    try:
        state = flow(**parameters, return_state=True)
    finally:
        EVENTS.removeHandler(relay)
    if not state.is_completed():
        state.result(raise_on_failure=True)         # werf's own error (a user mistake) or a bug's exception
        raise BuildError(f"the Prefect flow run ended {state.name}: {state.message}",
                         hint="see the flow run's logs in the Prefect UI")
    if not log_quiet:
        relay.progress.info(f"Prefect flow run: {flow_run_url(state.state_details.flow_run_id)}")
    return state.result()


def flow_run_url(flow_run_id: object) -> str:
    from prefect.settings import PREFECT_UI_URL
    base = (PREFECT_UI_URL.value() or "").rstrip("/")
    return f"{base}/runs/flow-run/{flow_run_id}" if base else str(flow_run_id)
