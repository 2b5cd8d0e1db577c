"""The automatic host cleanup after `werf build` / `build-and-publish`: started in a detached child process when due.

A module of its own so that a finished build does not import the cleanup commands (their click options) just to
start the child; the child runs `werf_cli.cleanup.run_auto_host_cleanup`. Whether it is due is decided here, cheaply
(werf_core/cleanup/auto_gate.py): most builds start no process at all.
"""

from __future__ import annotations

import os

ALLOWED_USAGE_ENV = "WERF_ALLOWED_DOCKER_STORAGE_VOLUME_USAGE"
DEFAULT_ALLOWED_USAGE = 70.0


def allowed_usage() -> float:
    return float(os.environ.get(ALLOWED_USAGE_ENV) or DEFAULT_ALLOWED_USAGE)


def _docker_volume_percent() -> float | None:
    """Use% of the volume holding the engine's root directory; None when it cannot be told from this host."""
    from werf_core.cleanup.volume import statvfs_usage
    from werf_core.engine_api import EngineAPI, NotAnswered
    engine = EngineAPI.from_env()
    if engine is None:
        return None
    try:
        root = engine.root_dir()
        return statvfs_usage(root).percent if root else None
    except (NotAnswered, OSError):
        return None


def after_build(project: str) -> None:
    """The automatic host cleanup after `werf build` / `build-and-publish` (off with WERF_DISABLE_AUTO_HOST_CLEANUP=1).

    When due, it runs in a detached child process, so the command returns as soon as the build is done; the child
    is bounded in time, and what it says goes to $WERF_HOME/logs/auto-host-cleanup.log.
    """
    import subprocess
    import sys

    from werf_core import paths
    from werf_core.cleanup.auto_gate import auto_cleanup_disabled, cleanup_due, mark_started, stamp_path
    if auto_cleanup_disabled():
        return
    stamp = stamp_path(project)
    try:
        allowed = allowed_usage()
    except ValueError:
        allowed = DEFAULT_ALLOWED_USAGE   # the child reports the bad value
    if not cleanup_due(stamp, allowed_usage=allowed, usage_percent=_docker_volume_percent):
        return
    mark_started(stamp)
    logs = paths.werf_home() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / "auto-host-cleanup.log", "ab") as log:
        # at a lower CPU priority: the next command the user starts must not wait for the background cleanup
        subprocess.Popen([sys.executable, "-c", "import os, sys; os.nice(10); from werf_cli.cleanup import "
                                                "run_auto_host_cleanup; run_auto_host_cleanup(sys.argv[1])", project],
                         stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
