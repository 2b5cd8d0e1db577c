"""Entry point of the `werf` console script.

Commands are registered by dotted path and imported only when invoked, so `werf --help` and an idle `werf build`
do not pay for modules they do not use. A command is listed here only once it works.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys

import click

from werf_core import __version__
from werf_core.errors import WerfError

# name -> "module:attribute" of a click command or group
COMMANDS: dict[str, str] = {
    "version": "werf_cli.main:version_command",
    "build": "werf_cli.build:build_command",
    "stages": "werf_cli.stages:stages_group",
    "ci-env": "werf_cli.ci_env:ci_env_command",
    "publish": "werf_cli.publish:publish_command",
    "build-and-publish": "werf_cli.publish:build_and_publish_command",
    "config": "werf_cli.config:config_group",
    "cleanup": "werf_cli.cleanup:cleanup_command",
    "purge": "werf_cli.cleanup:purge_command",
    "images": "werf_cli.cleanup:images_group",
    "host": "werf_cli.cleanup:host_group",
}


class LazyGroup(click.Group):
    def __init__(self, *args, lazy_commands: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_commands = lazy_commands

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_commands))

    def get_command(self, ctx, name):
        if name in self.lazy_commands:
            module_name, attr = self.lazy_commands[name].split(":")
            return getattr(importlib.import_module(module_name), attr)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, lazy_commands=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
def cli() -> None:
    """werf-prefect: werf's distributed, stage-cached image builder, orchestrated by Prefect."""


@click.command("version")
def version_command() -> None:
    """Print the werf-prefect version."""
    click.echo(__version__)


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM: unwinds like Ctrl-C, so every `except KeyboardInterrupt`/`finally` cleanup runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class _Interrupts:
    """The first SIGINT/SIGTERM raises `Interrupted` in the main thread; later ones only say that cleanup is under
    way — raising again would abort the cleanup (containers, temporary directories, locks) half-way."""

    def __init__(self) -> None:
        self.received: int | None = None

    def handle(self, signum: int, frame: object) -> None:
        if self.received is not None:
            try:
                sys.stderr.write(f"werf: {signal.Signals(signum).name} again: still stopping build containers and "
                                 "removing temporary files, please wait\n")
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            return
        self.received = signum
        raise Interrupted(signum)

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self.handle)

    @property
    def exit_code(self) -> int:
        return 128 + (self.received or signal.SIGINT)   # 130 for SIGINT, 143 for SIGTERM


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user errors print one message and exit 1, Ctrl-C exits 130 and SIGTERM 143 after the same
    cleanup — never a traceback for any of them."""
    from werf_core.git.credentials import capture_environment
    from werf_core.redaction import install_log_redaction
    # werf.yaml validation must not look for third-party pydantic plugins: scanning every installed distribution's
    # entry points costs more than the validation itself (the documented switch; an explicit setting wins)
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    install_log_redaction()
    capture_environment()     # the git token leaves os.environ before any werf.yaml template could read it
    interrupts = _Interrupts()
    interrupts.install()
    try:
        return _run(argv, interrupts)
    except KeyboardInterrupt:      # a signal during the error reporting itself
        return interrupts.exit_code


def _run(argv: list[str] | None, interrupts: _Interrupts) -> int:
    try:
        cli.main(args=argv, prog_name="werf", standalone_mode=False)
    except WerfError as err:
        if interrupts.received is not None:        # an error raised while unwinding from the signal
            click.echo("Interrupted: stopped cleanly, nothing half-written was published.", err=True)
            return interrupts.exit_code
        click.echo(err.render(), err=True)
        return err.exit_code
    except click.exceptions.Abort:
        click.echo("Interrupted: stopped cleanly, nothing half-written was published.", err=True)
        return interrupts.exit_code
    except KeyboardInterrupt:
        click.echo("Interrupted: stopped cleanly, nothing half-written was published.", err=True)
        return interrupts.exit_code
    except click.ClickException as err:
        err.show()
        return err.exit_code
    except click.exceptions.Exit as err:
        return err.exit_code
    return 0


def entry() -> None:
    """The `werf` executable: `main`, then a quick exit."""
    exit_now(main())


def exit_now(code: int) -> None:
    """End the process without the interpreter's teardown when nothing needs it.

    Tearing down ~450 modules and their objects takes 0.1-0.7 s after the command has finished (more under load),
    longer than an idle build's own work. The exit handlers still run (temporary directories, logging flushes),
    then the streams are flushed and the process ends. Prefect (background log and event services that flush at
    teardown) or a live non-daemon thread keep the normal exit."""
    import threading
    if "prefect" in sys.modules or any(not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        sys.exit(code)
    import atexit
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):   # a closed pipe: nothing more can be said anyway
            pass
    os._exit(code)


if __name__ == "__main__":
    entry()
