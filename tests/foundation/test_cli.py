import subprocess
import sys

from werf_cli.main import main
from werf_core import __version__


def test_version_command(capsys):
    assert main(["version"]) == 0
    assert capsys.readouterr().out.strip() == __version__


def test_help_lists_only_working_commands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "version" in out


def test_console_script_runs_without_prefect():
    code = "import sys; from werf_cli.main import main; main(['version']); print('prefect' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == [__version__, "False"]


def test_unknown_command_is_a_clean_error(capsys):
    assert main(["no-such-command"]) == 2
    assert "No such command" in capsys.readouterr().err


def _exit_now_probe(body: str) -> subprocess.CompletedProcess:
    """A process that does `body`, then ends through werf's quick exit with code 3."""
    code = "import sys, os, tempfile, threading, time\nfrom werf_cli.main import exit_now\n" + body + "\nexit_now(3)\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_quick_exit_keeps_the_code_the_output_and_the_exit_handlers(tmp_path):
    marker = tmp_path / "handler-ran"
    done = _exit_now_probe(
        "import atexit, logging\n"
        f"kept = tempfile.TemporaryDirectory(dir={str(tmp_path)!r})\n"     # cleaned by its finalizer at exit
        f"atexit.register(lambda: open({str(marker)!r}, 'w').write('yes'))\n"
        "logging.basicConfig(stream=sys.stderr)\n"
        "logging.getLogger('probe').warning('logged')\n"
        "sys.stdout.write('x' * 100000)\n"                                 # more than one pipe buffer, unflushed
        "sys.stderr.write('to stderr')")
    assert done.returncode == 3
    assert done.stdout == "x" * 100000
    assert "logged" in done.stderr and done.stderr.endswith("to stderr")
    assert marker.read_text() == "yes"
    assert [p.name for p in tmp_path.iterdir()] == ["handler-ran"]     # the temporary directory is gone


def test_quick_exit_waits_for_a_running_non_daemon_thread(tmp_path):
    marker = tmp_path / "thread-finished"
    done = _exit_now_probe(
        f"threading.Thread(target=lambda: (time.sleep(0.5), open({str(marker)!r}, 'w').write('done'))).start()")
    assert done.returncode == 3
    assert marker.read_text() == "done"


FINALIZED_AT_TEARDOWN = ("class Held:\n"
                         "    def __del__(self):\n"
                         "        print('torn down', flush=True)\n"
                         "held = Held()\n")


def test_quick_exit_skips_the_interpreter_teardown():
    done = _exit_now_probe(FINALIZED_AT_TEARDOWN)
    assert done.returncode == 3 and "torn down" not in done.stdout


def test_quick_exit_leaves_prefect_its_normal_shutdown():
    done = _exit_now_probe(FINALIZED_AT_TEARDOWN + "sys.modules.setdefault('prefect', type(sys)('prefect'))")
    assert done.returncode == 3 and "torn down" in done.stdout
