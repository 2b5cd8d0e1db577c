"""The fork server: imports Prefect and the flows once, then forks one child per flow run a launcher hands over.

Single-threaded (checked after the imports: a fork copies only the calling thread, so a thread started by an import
would leave a child with a lock nobody releases). One selector loop serves the listening socket, the launchers'
connections (their signals; their end) and child exits (SIGCHLD through a wakeup pipe).

A child: its own process group, PR_SET_PDEATHSIG (it dies with the server), the launcher's standard streams on
fds 0-2, its environment and working directory, Prefect's settings read again from that environment, then
`prefect.engine` run as `__main__` — what `python -m prefect.engine` does — and the interpreter's exit steps (non-
daemon threads joined, atexit handlers: Prefect flushes its logs and events there) before it exits with the code
the engine chose. The server answers the launcher with the child's exit status.

When a launcher's connection drops while its child runs (the launcher was killed), the child's process group is
killed: to the worker and to Prefect the run's process died, and nothing of it may go on. When the source files of
the modules it imported change (a new checkout on the worker), the server hands the next run back to the launcher
(which starts a fresh server) and exits once its children are done. It also exits when its worker is gone or after
`WERF_PREFECT_ENGINE_SERVER_IDLE_SECONDS` (default 1800) without a run.
"""

from __future__ import annotations

import argparse
import atexit
import ctypes
import importlib
import os
import runpy
import selectors
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployments.engine_forkserver import protocol

ENGINE_MODULES = ("prefect.engine", "prefect.flow_engine", "prefect._internal.metrics",
                  "prefect.deployments.steps.core")
DEFAULT_IDLE_SECONDS = 1800.0
REQUEST_TIMEOUT = 10.0           # a launcher sends its request at once; a stuck peer must not stall the server
PR_SET_PDEATHSIG = 1
CATCHABLE = [s for s in signal.Signals if s not in (signal.SIGKILL, signal.SIGSTOP)]


@dataclass
class Run:
    connection: socket.socket
    pid: int | None = None
    status: int | None = None
    launcher_gone: bool = False


@dataclass
class Server:
    socket_path: Path
    worker: tuple[int, str]
    idle_seconds: float
    module: str                                                 # what a child runs as __main__
    listener: socket.socket | None = None
    selector: selectors.BaseSelector = field(default_factory=selectors.DefaultSelector)
    runs: dict[int, Run] = field(default_factory=dict)          # by connection fd
    children: dict[int, Run] = field(default_factory=dict)      # by child pid
    sources: dict[str, int] = field(default_factory=dict)
    saved_handlers: dict[int, Any] = field(default_factory=dict)
    wakeup: tuple[int, int] = (-1, -1)
    last_activity: float = field(default_factory=time.monotonic)
    bound_inode: int = 0

    # -- lifecycle ------------------------------------------------------------------------------------------------

    def listen(self) -> None:
        self.socket_path.unlink(missing_ok=True)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)
        try:
            listener.bind(str(self.socket_path))
        finally:
            os.umask(old_umask)
        listener.listen(64)
        listener.setblocking(False)
        self.listener = listener
        self.selector.register(listener, selectors.EVENT_READ, "accept")
        self.bound_inode = self.socket_path.stat().st_ino
        self.socket_path.with_suffix(".pid").write_text(f"{os.getpid()}\n")

    def stop_listening(self) -> None:
        """No new runs: the next launcher finds no socket and starts a fresh server."""
        listener, self.listener = self.listener, None
        if listener is None:
            return
        self.selector.unregister(listener)
        try:      # a newer server may have bound the path already: only remove our own socket
            ours = self.socket_path.stat().st_ino == self.bound_inode
        except OSError:
            ours = False
        if ours:
            self.socket_path.unlink(missing_ok=True)
            self.socket_path.with_suffix(".pid").unlink(missing_ok=True)
        listener.close()

    def serve(self) -> None:
        read_end, write_end = os.pipe()
        os.set_blocking(read_end, False)
        os.set_blocking(write_end, False)
        self.wakeup = (read_end, write_end)
        signal.set_wakeup_fd(write_end)
        signal.signal(signal.SIGCHLD, lambda *_: None)     # the wakeup pipe is what matters
        self.selector.register(read_end, selectors.EVENT_READ, "wakeup")
        while self.listener is not None or self.children or self.runs:
            for key, _events in self.selector.select(timeout=2.0):
                if key.data == "accept":
                    self.accept()
                elif key.data == "wakeup":
                    try:
                        os.read(read_end, 4096)
                    except BlockingIOError:
                        pass
                    self.reap()
                else:
                    self.from_launcher(key.data)
            self.reap()
            if self.listener is not None and (not self.worker_alive() or self.idle_too_long()):
                self.stop_listening()

    def worker_alive(self) -> bool:
        return protocol.process_start_time(self.worker[0]) == self.worker[1]

    def idle_too_long(self) -> bool:
        return not self.runs and time.monotonic() - self.last_activity > self.idle_seconds

    def sources_changed(self) -> bool:
        for path, mtime in self.sources.items():
            try:
                if os.stat(path).st_mtime_ns != mtime:
                    return True
            except OSError:
                return True
        return False

    # -- launchers ------------------------------------------------------------------------------------------------

    def accept(self) -> None:
        assert self.listener is not None
        try:
            connection, _ = self.listener.accept()
        except BlockingIOError:
            return
        connection.setblocking(True)
        connection.settimeout(REQUEST_TIMEOUT)
        creds = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", creds)
        if uid != os.getuid():                  # the directory is private already; a second lock on the door
            connection.close()
            return
        self.last_activity = time.monotonic()
        fds: list[int] = []
        try:
            request, fds = protocol.receive(connection, max_fds=3)
            if request is None:
                connection.close()
                return
            if self.sources_changed():
                self.stop_listening()       # first: the launcher's next connection must reach a fresh server
                protocol.send(connection, {"retry": True, "error": "the flow code changed since this server "
                                                                   "started"})
                connection.close()
                return
            problem = request_problem(request, fds)
            if problem:
                protocol.send(connection, {"error": problem})
                connection.close()
                return
            run = Run(connection)
            pid = os.fork()
            if pid == 0:
                self.become_child(request, fds)     # never returns
            try:     # the child makes itself a group leader too: whichever comes first, killpg finds the group
                os.setpgid(pid, pid)
            except OSError:
                pass
            run.pid = pid
            self.children[pid] = run
            self.runs[connection.fileno()] = run
            connection.settimeout(None)
            self.selector.register(connection, selectors.EVENT_READ, run)
            protocol.send(connection, {"pid": pid})
        except (OSError, protocol.ProtocolError) as error:
            print(f"engine fork server: a launcher's request failed: {error}", file=sys.stderr, flush=True)
            if connection.fileno() not in self.runs:
                connection.close()
        finally:
            for fd in fds:
                os.close(fd)

    def from_launcher(self, run: Run) -> None:
        try:
            message, _ = protocol.receive(run.connection)
        except (OSError, protocol.ProtocolError):
            message = None
        if message is None:
            self.launcher_gone(run)
            return
        signum = message.get("signal")
        if isinstance(signum, int) and run.status is None and run.pid is not None and signum in _SIGNAL_NUMBERS:
            try:
                os.kill(run.pid, signum)            # as the worker would signal the engine process
            except ProcessLookupError:
                pass

    def launcher_gone(self, run: Run) -> None:
        """The launcher died (or was killed): its run's process must not outlive it."""
        run.launcher_gone = True
        self.forget_connection(run)
        if run.pid is not None and run.status is None:
            try:
                os.killpg(run.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def forget_connection(self, run: Run) -> None:
        fd = run.connection.fileno()
        if fd in self.runs:
            del self.runs[fd]
            self.selector.unregister(run.connection)
        run.connection.close()

    def reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            run = self.children.pop(pid, None)
            if run is None:
                continue
            run.status = os.waitstatus_to_exitcode(status)
            self.last_activity = time.monotonic()
            if not run.launcher_gone:
                try:
                    run.connection.settimeout(REQUEST_TIMEOUT)
                    protocol.send(run.connection, {"exit": run.status})
                except OSError:
                    pass
                self.forget_connection(run)

    # -- the child ------------------------------------------------------------------------------------------------

    def become_child(self, request: dict[str, Any], fds: list[int]) -> None:
        code = 70
        try:
            server_pid = os.getppid()
            os.setpgid(0, 0)
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != server_pid:                 # the server died before the line above
                os._exit(code)
            signal.set_wakeup_fd(-1)
            for signum, handler in self.saved_handlers.items():
                signal.signal(signum, handler)
            signal.pthread_sigmask(signal.SIG_SETMASK, [])
            for item in list(self.selector.get_map().values()):
                if isinstance(item.fileobj, socket.socket):
                    item.fileobj.close()
            self.selector.close()
            os.close(self.wakeup[0])
            os.close(self.wakeup[1])
            for target, fd in enumerate(fds):
                os.dup2(fd, target)
            for fd in fds:
                if fd > 2:
                    os.close(fd)
            os.chdir(request["cwd"])
            os.environ.clear()
            os.environ.update(request["env"])
            sys.argv = [str(request["argv"][0])]
            import prefect.context
            prefect.context.refresh_global_settings_context()     # Prefect's settings from this run's environment
            preloaded = set(sys.modules)
            code = run_engine(self.module)
            log_imports(preloaded)
        except BaseException:
            traceback.print_exc()
        finally:
            _flush_standard_streams()
            if code < 0:
                if -code not in (signal.SIGKILL, signal.SIGSTOP):
                    signal.signal(-code, signal.SIG_DFL)
                os.kill(os.getpid(), -code)
            os._exit(code if code >= 0 else 128 - code)


def run_engine(module: str) -> int:
    """`python -m MODULE` (Prefect's engine) in this process, ending like an interpreter would; the exit status."""
    code = 0
    # `prefect` imports `prefect.engine` itself, so `python -m prefect.engine` runs it a second time as `__main__`
    # too; runpy warns about that only here because the server imported it before
    warnings.filterwarnings("ignore", message=r"'prefect\.engine' found in sys\.modules", category=RuntimeWarning)
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exit_:
        code = _exit_code(exit_.code)
    except KeyboardInterrupt:
        traceback.print_exc()
        code = -signal.SIGINT
    except BaseException:
        traceback.print_exc()
        code = 1
    try:
        threading._shutdown()        # type: ignore[attr-defined]  # what interpreter exit does first
    except Exception:
        traceback.print_exc()
    atexit._run_exitfuncs()
    return code


def log_imports(preloaded: set[str]) -> None:
    """With WERF_PREFECT_ENGINE_SERVER_IMPORTS_LOG=FILE, the modules this run imported that the server had not:
    candidates for the deployment's preload module."""
    target = os.environ.get(protocol.IMPORTS_LOG_VARIABLE)
    if not target:
        return
    try:
        with open(target, "a") as log:
            log.write("".join(f"{name}\n" for name in sorted(set(sys.modules) - preloaded)))
    except OSError as error:
        print(f"engine fork server: cannot write {target}: {error}", file=sys.stderr)


def _exit_code(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    print(value, file=sys.stderr)
    return 1


def _flush_standard_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


_SIGNAL_NUMBERS = {int(s) for s in signal.Signals}


def request_problem(request: dict[str, Any], fds: list[int]) -> str | None:
    if len(fds) != 3:
        return f"expected the launcher's 3 standard streams, got {len(fds)} descriptors"
    env, cwd, argv = request.get("env"), request.get("cwd"), request.get("argv")
    if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str) and "=" not in k and k
                                            for k, v in env.items()):
        return "env must map names to strings"
    if not isinstance(cwd, str) or not os.path.isdir(cwd):
        return "cwd must be an existing directory"
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        return "argv must be a list of strings"
    return None


def source_files() -> dict[str, int]:
    """mtime of the source (or, without it, the file) of every module imported so far."""
    found: dict[str, int] = {}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if not isinstance(path, str):
            continue
        try:
            found[path] = os.stat(path).st_mtime_ns
        except OSError:
            continue
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deployments.engine_forkserver.server")
    parser.add_argument("--socket", required=True, type=Path)
    parser.add_argument("--worker-pid", required=True, type=int)
    parser.add_argument("--worker-start", required=True)
    parser.add_argument("--preload", action="append", default=[])
    parser.add_argument("--module", default="prefect.engine")
    args = parser.parse_args(argv)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])     # a launcher may have started us with signals held back
    saved = {int(s): signal.getsignal(s) for s in CATCHABLE}
    for module in (*ENGINE_MODULES, *args.preload):
        importlib.import_module(module)
    if threading.active_count() != 1:
        print(f"engine fork server: importing {', '.join(args.preload)} started threads "
              f"({', '.join(t.name for t in threading.enumerate())}); a fork would copy a half-held lock, so "
              "launchers run the engine themselves", file=sys.stderr)
        return 1
    idle = float(os.environ.get(protocol.IDLE_VARIABLE) or DEFAULT_IDLE_SECONDS)
    server = Server(args.socket, (args.worker_pid, args.worker_start), idle, args.module, saved_handlers=saved,
                    sources=source_files())
    server.listen()
    try:
        server.serve()
    finally:
        server.stop_listening()
        args.socket.with_suffix(".lock").unlink(missing_ok=True)
        log = args.socket.with_suffix(".log")
        if log.exists() and not log.stat().st_size:
            log.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
