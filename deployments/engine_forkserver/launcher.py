"""The process worker's job command for flow runs: `python -m deployments.engine_forkserver.launcher [--preload M]...`

Hands this flow run (environment, working directory, standard streams) to the fork server of this worker, starting
the server when there is none, forwards the signals it receives to the child and exits like the child did: with its
exit code, or killed by the same signal, so the worker reports the run exactly as if it had started the engine
itself. When no server can be used (not Linux, `WERF_PREFECT_ENGINE_SERVER=off`, it cannot be started) it becomes
`python -m prefect.engine` (exec). Standard library only: this is what every flow run pays for.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from deployments.engine_forkserver import protocol

SERVER_START_TIMEOUT = 120.0   # importing Prefect and the flows: ~4 s alone, much more on a loaded machine
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


ENGINE = "prefect.engine"


def run_engine_here(module: str) -> None:
    """What the worker would have run: Prefect's engine in this process (the environment says which run)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)     # a signal held back meanwhile acts now
    os.execv(sys.executable, [sys.executable, "-m", module])


def connect(path: Path) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(path))
    except OSError:
        sock.close()
        return None
    return sock


def start_server(directory: Path, key: str, module: str, preload: list[str], worker: tuple[int, str]) -> None:
    """A detached server (own session): it outlives this launcher and serves the worker's next runs."""
    log = open(directory / f"{key}.log", "ab")
    try:
        subprocess.Popen([sys.executable, "-m", "deployments.engine_forkserver.server", "--socket",
                          str(directory / f"{key}.sock"), "--worker-pid", str(worker[0]), "--worker-start",
                          worker[1], "--module", module, *[arg for name in preload for arg in ("--preload", name)]],
                         env=protocol.server_environment(os.environ), cwd="/", stdin=subprocess.DEVNULL,
                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
    finally:
        log.close()


def server_connection(module: str, preload: list[str]) -> socket.socket | None:
    """A connection to this worker's server, started if needed (one launcher at a time starts it: a lock file)."""
    worker_pid = os.getppid()
    worker = (worker_pid, protocol.process_start_time(worker_pid) or "")
    directory = protocol.runtime_directory(os.environ)
    key = protocol.server_key(sys.executable, [module, *preload], os.environ, worker)
    path = directory / f"{key}.sock"
    sock = connect(path)
    if sock is not None:
        return sock
    with open(directory / f"{key}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        sock = connect(path)
        if sock is not None:
            return sock
        start_server(directory, key, module, preload, worker)
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            time.sleep(0.05)
            sock = connect(path)
            if sock is not None:
                return sock
    return None


def standard_streams() -> list[int]:
    """fds 0, 1, 2 to hand over; a closed one is replaced by /dev/null, as the child would see it."""
    fds = []
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
            fds.append(fd)
        except OSError:
            fds.append(os.open(os.devnull, os.O_RDWR))
    return fds


def exit_like(returncode: int) -> None:
    """Exit with the child's code, or die of the signal that killed it (the worker sees the same status)."""
    if returncode < 0:
        if -returncode not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(-returncode, signal.SIG_DFL)
        os.kill(os.getpid(), -returncode)
        time.sleep(1)          # the signal is delivered before this ends; if it was ignored, still exit like it
        os._exit(128 - returncode)
    os._exit(returncode)


def relay(sock: socket.socket) -> int:
    """Forward our signals to the child until the server says how it ended; the exit status (subprocess style)."""
    def forward(signum: int, _frame: object) -> None:
        try:
            protocol.send(sock, {"signal": signum})
        except OSError:
            pass
    for signum in FORWARDED:
        signal.signal(signum, forward)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)     # what arrived while the child was made goes to it
    while True:
        try:
            message, _ = protocol.receive(sock)
        except (OSError, protocol.ProtocolError):
            message = None
        if message is None:
            # the server went away: its children die with it (PR_SET_PDEATHSIG), so the run crashed
            print("engine fork server closed the connection; the flow run's process is gone", file=sys.stderr)
            return -signal.SIGKILL
        if "exit" in message:
            return int(message["exit"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deployments.engine_forkserver.launcher",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--preload", action="append", default=[],
                        help="module the server imports before forking (e.g. the deployment's flow module)")
    parser.add_argument("--module", default=ENGINE, help=argparse.SUPPRESS)   # what the child runs; tests
    args = parser.parse_args(argv)
    if not protocol.supported() or os.environ.get(protocol.SWITCH_VARIABLE, "").lower() in {"off", "0", "false"}:
        run_engine_here(args.module)
    try:
        sock = server_connection(args.module, args.preload)
    except OSError as error:
        print(f"engine fork server unavailable ({error}); running the engine in this process", file=sys.stderr)
        sock = None
    if sock is None:
        run_engine_here(args.module)
        return
    # a signal from the worker between the request and the child's pid is held back, then forwarded (not lost)
    signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED)
    for attempt in range(2):
        with sock:
            protocol.send(sock, {"argv": [sys.executable, "-m", args.module], "env": dict(os.environ),
                                 "cwd": os.getcwd()}, fds=standard_streams())
            answer, _ = protocol.receive(sock)
            if answer is not None and "pid" in answer:
                returncode = relay(sock)
                break
        if answer is not None and answer.get("retry") and attempt == 0:
            sock = server_connection(args.module, args.preload)     # that server's code changed on disk: a fresh one
            if sock is not None:
                continue
        reason = "closed" if answer is None else answer.get("error", answer)
        print(f"engine fork server refused the run ({reason}); running the engine in this process", file=sys.stderr)
        run_engine_here(args.module)
        return
    sys.stdout.flush()
    sys.stderr.flush()
    exit_like(returncode)


if __name__ == "__main__":
    main()
