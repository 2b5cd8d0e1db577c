"""`werf build --prefect` (or with PREFECT_API_URL set): the same build, run as the `werf-build` flow.

The flow runs in this process against the Prefect API, on the project directory as it is (no checkout), so the
terminal shows the usual progress while the dashboard gets a flow run with one task run per stage. Prefect's own
console logging is turned down to CRITICAL before Prefect is imported: the terminal already shows every stage, and
a failed build ends with werf's one-line error instead of Prefect's tracebacks. Set
`PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL` yourself to see Prefect's console log.

Only this module is imported from `werf_cli/build.py`, and only when Prefect is wanted.
"""

from __future__ import annotations

import os
from pathlib import Path


def prefect_wanted(flag: bool | None) -> bool:
    """--prefect / --no-prefect ($WERF_PREFECT) decide; unset, a configured PREFECT_API_URL means yes."""
    if flag is not None:
        return flag
    return bool(os.environ.get("PREFECT_API_URL"))


def _quiet_prefect_console() -> None:
    """Must run before Prefect is imported: its logging is configured from the environment at import."""
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")


def run_build_via_prefect(options, *, log_format: str, log_quiet: bool, log_verbose: bool,
                          report_path: str | None, dry_run: bool = False):
    """Run the werf-build flow for `options` (a BuildOptions); return its BuildReport like `run_build` does."""
    _quiet_prefect_console()
    from flows.build import build
    bridge = _run_flow(build, options, log_format=log_format, log_quiet=log_quiet, log_verbose=log_verbose,
                       dry_run=dry_run)
    if report_path:
        bridge.report.write(report_path)
    return bridge.report


def run_build_and_publish_via_prefect(options, *, images_repo: str | None, images_repo_mode: str, tags,
                                      log_format: str, log_quiet: bool, log_verbose: bool, report_path: str | None,
                                      publish_report_path: str | None):
    """`werf build-and-publish` as the werf-build-and-publish flow; returns (BuildReport, PublishReport) like
    `werf_cli.publish.run_publish(build=True, ...)`. `tags` is the command's TagPlan, used as it is."""
    _quiet_prefect_console()
    from flows.publish import build_and_publish
    bridge = _run_flow(build_and_publish, options, log_format=log_format, log_quiet=log_quiet,
                       log_verbose=log_verbose, tag_plan=tags, images_repo=images_repo or "",
                       images_repo_mode=images_repo_mode)
    if report_path:
        bridge.report.write(report_path)
    if publish_report_path:
        bridge.published.write(publish_report_path)
    return bridge.report, bridge.published


def _run_flow(flow, options, *, log_format: str, log_quiet: bool, log_verbose: bool, tag_plan=None, **parameters):
    """Run `flow` in this process on the project directory as it is; the bridge carries back what it produced."""
    from flows.console import CONSOLE, ConsoleBridge
    from werf_core.conveyor.progress import make_progress
    from werf_core.errors import BuildError

    progress = make_progress(log_format, verbose=log_verbose, quiet=log_quiet)
    bridge = ConsoleBridge(progress=progress, tag_plan=tag_plan, option_overrides={
        "config_templates_dir": options.config_templates_dir, "docker_config": options.docker_config,
        "allow_git_shallow_clone": options.allow_git_shallow_clone,
        "skip_tls_verify_registry": options.skip_tls_verify_registry})
    token = CONSOLE.set(bridge)
    try:
        state = flow(repository=str(Path(options.dir).resolve()), project_dir=".", config=options.config,
                     images=list(options.images), stages_storage=options.stages_storage,
                     synchronization=options.synchronization, project_name=options.project_name,
                     parallel=options.parallel, parallel_tasks_limit=options.parallel_tasks_limit,
                     insecure_registry=options.insecure_registry, return_state=True, **parameters)
    finally:
        CONSOLE.reset(token)
    if bridge.error is not None:
        raise bridge.error
    if not state.is_completed():
        state.result(raise_on_failure=True)    # a bug: its own exception and traceback
        raise BuildError(f"the Prefect flow run ended {state.name}: {state.message}",
                         hint="see the flow run's logs in the Prefect UI")
    if not log_quiet:
        progress.info(f"Prefect flow run: {flow_run_url(state.state_details.flow_run_id)}")
    return bridge


def flow_run_url(flow_run_id) -> str:
    from prefect.settings import PREFECT_UI_URL
    base = (PREFECT_UI_URL.value() or "").rstrip("/")
    return f"{base}/runs/flow-run/{flow_run_id}" if base else str(flow_run_id)
