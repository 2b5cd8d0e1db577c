"""The automatic host cleanup after `werf build` / `build-and-publish`: started in a detached child process.

A module of its own so that a finished build does not import the cleanup commands (their click options) just to
start the child; the child runs `werf_cli.cleanup.run_auto_host_cleanup`.
"""

from __future__ import annotations


def after_build(project: str) -> None:
    """The automatic host cleanup after `werf build` / `build-and-publish` (off with WERF_DISABLE_AUTO_HOST_CLEANUP=1).

    It runs in a detached child process, so the command returns as soon as the build is done; the child is bounded
    in time, and what it says goes to $WERF_HOME/logs/auto-host-cleanup.log.
    """
    import os
    import subprocess
    import sys

    from werf_core import paths
    from werf_core.cleanup.host import AUTO_DISABLE_ENV
    if os.environ.get(AUTO_DISABLE_ENV, "").strip().lower() in ("1", "true", "yes"):
        return
    logs = paths.werf_home() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / "auto-host-cleanup.log", "ab") as log:
        # at a lower CPU priority: the next command the user starts must not wait for the background cleanup
        subprocess.Popen([sys.executable, "-c", "import os, sys; os.nice(10); from werf_cli.cleanup import "
                                                "run_auto_host_cleanup; run_auto_host_cleanup(sys.argv[1])", project],
                         stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
