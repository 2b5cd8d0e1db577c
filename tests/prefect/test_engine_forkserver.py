"""The engine fork server and its launcher (deployments/engine_forkserver), with a probe module in place of Prefect's
engine: the child gets the launcher's environment, directory and streams; the launcher exits like the child; signals
reach the child; a killed launcher or server takes the child with it; changed code gets a fresh server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from deployments.engine_forkserver import protocol

pytestmark = [pytest.mark.slow]      # each server imports Prefect first (~4 s)

ROOT = Path(__file__).resolve().parents[2]
PROBE = "tests.support.forkserver_probe"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:            # a zombie is dead for our purposes
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(condition, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def server_dir():
    """A private socket directory for this module's servers (short: a Unix socket path has ~107 bytes)."""
    directory = Path(tempfile.mkdtemp(prefix="wfs-"))
    yield directory
    for pid in servers(directory):               # the servers these tests started, if still theirs
        try:
            if b"engine_forkserver.server" in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.kill(pid, signal.SIGTERM)
        except (OSError, ProcessLookupError):
            pass
    subprocess.run(["rm", "-rf", str(directory)], check=False)


@pytest.fixture
def launch(server_dir, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), protocol.DIRECTORY_VARIABLE: str(server_dir),
           "PROBE_MARKER": "from-the-launcher"}
    started: list[subprocess.Popen] = []

    def start(action: str, extra_env: dict | None = None, preload: tuple[str, ...] = (), **order) -> tuple[
            subprocess.Popen, Path]:
        workdir = tmp_path / f"run-{len(started)}"
        workdir.mkdir()
        (workdir / "probe.json").write_text(json.dumps({"action": action, **order}))
        command = [sys.executable, "-m", "deployments.engine_forkserver.launcher", "--module", PROBE,
                   *[arg for module in preload for arg in ("--preload", module)]]
        process = subprocess.Popen(command, cwd=workdir, env={**env, **(extra_env or {})}, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        started.append(process)
        return process, workdir

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


def seen(workdir: Path) -> dict:
    wait_for(lambda: (workdir / "seen.json").exists(), what="the probe to start")
    return json.loads((workdir / "seen.json").read_text())


def servers(server_dir: Path) -> set[int]:
    return {int(p.read_text()) for p in server_dir.glob("*.pid")}


def test_the_child_runs_in_a_forked_server_with_the_launchers_environment_directory_and_streams(launch, server_dir):
    process, workdir = launch("exit", code=0, extra_env={"PREFECT__FLOW_RUN_ID": "run-1"})
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err
    assert out == "to stdout\n" and "to stderr" in err
    first = seen(workdir)
    assert first["marker"] == "from-the-launcher" and first["run_id"] == "run-1"
    assert first["cwd"] == str(workdir)
    assert first["ppid"] in servers(server_dir), "the probe was not forked by a server"
    assert first["pgid"] == first["pid"] and first["threads"] == 1
    assert first["argv0"].endswith("forkserver_probe.py")
    # the next run of this worker (another run id, which is not part of a server's identity) reuses the server
    process, workdir = launch("exit", code=0, extra_env={"PREFECT__FLOW_RUN_ID": "run-2"})
    process.communicate(timeout=60)
    second = seen(workdir)
    assert second["run_id"] == "run-2" and second["ppid"] == first["ppid"] and second["pid"] != first["pid"]


@pytest.mark.parametrize("action, code", [("exit", 3), ("exit", 0), ("raise", 1)])
def test_the_launcher_exits_with_the_childs_code(launch, action, code):
    process, workdir = launch(action, code=code)
    _out, err = process.communicate(timeout=180)
    assert process.returncode == code, err
    if action == "raise":
        assert "the probe failed on purpose" in err


def test_the_child_ends_like_an_interpreter_threads_joined_and_atexit_run(launch):
    process, workdir = launch("exit-steps")
    process.communicate(timeout=180)
    assert process.returncode == 0
    assert (workdir / "thread").read_text() == "joined" and (workdir / "atexit").read_text() == "ran"


def test_a_signal_to_the_launcher_reaches_the_child(launch):
    process, workdir = launch("wait-for-term")
    seen(workdir)
    wait_for(lambda: (workdir / "seen.json").exists())
    time.sleep(0.2)                            # the probe installs its handler right after writing seen.json
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)
    assert (workdir / "signal").read_text() == str(int(signal.SIGTERM))
    assert process.returncode == 7


def test_a_child_killed_by_a_signal_kills_the_launcher_with_it(launch):
    process, workdir = launch("sleep")
    child = seen(workdir)["pid"]
    wait_for(lambda: (workdir / "ready").exists(), what="the probe to sleep")
    os.kill(child, signal.SIGTERM)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGTERM      # what the worker sees, as if the engine was its own child


def test_a_killed_launcher_kills_its_child(launch):
    process, workdir = launch("sleep")
    child = seen(workdir)["pid"]
    wait_for(lambda: (workdir / "ready").exists(), what="the probe to sleep")
    process.kill()                             # kill -9: nothing the launcher can do about it
    process.communicate(timeout=30)
    wait_for(lambda: not alive(child), timeout=10, what="the child to die with its launcher")


def test_a_killed_server_kills_its_children_and_their_launchers_report_it(launch, server_dir):
    process, workdir = launch("sleep", extra_env={"PROBE_SERVER": "to-be-killed"})   # a server of its own
    found = seen(workdir)
    wait_for(lambda: (workdir / "ready").exists(), what="the probe to sleep")
    os.kill(found["ppid"], signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    wait_for(lambda: not alive(found["pid"]), timeout=10, what="the child to die with its server")


def test_changed_code_gets_a_fresh_server(launch, tmp_path, server_dir):
    package = tmp_path / "probe_preload"
    package.mkdir()
    module = package / "changing.py"
    module.write_text("VALUE = 1\n")
    env = {"PYTHONPATH": f"{ROOT}{os.pathsep}{package}"}
    process, workdir = launch("exit", code=0, extra_env=env, preload=("changing",))
    process.communicate(timeout=180)
    before = seen(workdir)["ppid"]
    module.write_text("VALUE = 2\n")
    os.utime(module, ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
    process, workdir = launch("exit", code=0, extra_env=env, preload=("changing",))
    _out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err
    after = seen(workdir)["ppid"]
    assert after != before and after in servers(server_dir)
    wait_for(lambda: not alive(before), timeout=10, what="the old server to exit")


def test_without_a_server_the_launcher_runs_the_module_itself(launch):
    process, workdir = launch("exit", code=5, extra_env={protocol.SWITCH_VARIABLE: "off"})
    process.communicate(timeout=180)
    assert process.returncode == 5
    assert seen(workdir)["pid"] == process.pid


def test_the_server_leaves_when_its_worker_is_gone(server_dir, tmp_path):
    """The launcher's parent is its worker: a worker process that ran one run and exited leaves no server."""
    workdir = tmp_path / "run"
    workdir.mkdir()
    (workdir / "probe.json").write_text(json.dumps({"action": "exit", "code": 0}))
    env = {**os.environ, "PYTHONPATH": str(ROOT), protocol.DIRECTORY_VARIABLE: str(server_dir),
           "PROBE_MARKER": "worker-gone"}
    worker = subprocess.run([sys.executable, "-c", "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))",
                             sys.executable, "-m", "deployments.engine_forkserver.launcher", "--module", PROBE],
                            cwd=workdir, env=env, capture_output=True, text=True, timeout=180)
    assert worker.returncode == 0, worker.stderr
    server = seen(workdir)["ppid"]
    wait_for(lambda: not alive(server), timeout=15, what="the server to notice its worker is gone")
