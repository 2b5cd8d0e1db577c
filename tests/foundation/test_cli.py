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
