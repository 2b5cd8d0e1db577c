"""Quoting of values for each output format: whatever a value holds, the shell reads it back as the same text."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ci_env.script_readers import read_assignments
from werf_core.ci_env.errors import CiEnvError
from werf_core.ci_env.shells import (
    CmdExeFormat,
    EnvFileFormat,
    PosixShellFormat,
    PowerShellFormat,
    printable,
    script_format,
)

HOSTILE = ["$(reboot)", "`id`", "a'b", 'x"; rm -rf ~; "', "'; touch /tmp/x; '", "$HOME", "\\", "a\nb", "%PATH%",
           "a & calc", "^", "‘smart’ quotes’", "!x!"]


def test_posix_assignment_is_single_quoted():
    assert PosixShellFormat().assignment("K", "a'b") == "export K='a'\\''b'"
    assert PosixShellFormat().assignment("K", "$(reboot)") == "export K='$(reboot)'"


def test_powershell_doubles_every_kind_of_single_quote():
    assert PowerShellFormat().assignment("K", "a'b") == "$Env:K = 'a''b'"
    assert PowerShellFormat().assignment("K", "a\u2019b") == "$Env:K = 'a\u2019\u2019b'"
    assert PowerShellFormat().assignment("K", "$(calc)") == "$Env:K = '$(calc)'"


def test_cmd_escapes_metacharacters_and_percent():
    assert CmdExeFormat().assignment("K", 'a"&calc&"') == 'set K=a^"^&calc^&^"'
    assert CmdExeFormat().assignment("K", "100%") == "set K=100%%"
    assert CmdExeFormat().comment("skip set K=a&b") == ":: skip set K=a^&b"


def test_env_file_is_literal():
    assert EnvFileFormat().assignment("K", "a 'b' $c") == "K=a 'b' $c"


@pytest.mark.parametrize("fmt", [CmdExeFormat(), EnvFileFormat()])
def test_formats_that_cannot_hold_a_newline_refuse_it(fmt):
    with pytest.raises(CiEnvError, match="several lines"):
        fmt.assignment("K", "a\nb")


def test_comments_stay_on_one_line():
    assert PosixShellFormat().comment("skip x\nreboot") == "# skip x\\nreboot"
    assert printable("a\rb\x1bc") == "a\\rb\\x1bc"


def test_unknown_shell_is_a_clear_error():
    with pytest.raises(CiEnvError, match="'fish' is not supported") as err:
        script_format("fish")
    assert "powershell" in err.value.hint


@pytest.mark.parametrize("shell, cls", [(None, PosixShellFormat), ("", PosixShellFormat),
                                        ("default", PosixShellFormat), ("bash", PosixShellFormat),
                                        ("powershell", PowerShellFormat), ("cmdexe", CmdExeFormat)])
def test_shell_names(shell, cls):
    assert isinstance(script_format(shell), cls)
    assert isinstance(script_format(shell, env_file=True), EnvFileFormat)


@pytest.mark.parametrize("value", HOSTILE)
def test_powershell_and_cmd_read_back_the_exact_value(value):
    ps = PowerShellFormat().assignment("K", value)
    assert read_assignments(ps, "powershell") == {"K": value}
    if "\n" not in value:
        cmd = CmdExeFormat().assignment("K", value)
        assert read_assignments(cmd, "cmdexe") == {"K": value}


# A value in an environment variable cannot hold NUL; everything else is fair game.
env_text = st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=60, deadline=None)
@given(st.lists(env_text, min_size=1, max_size=8))
def test_any_value_round_trips_through_a_real_posix_shell(tmp_path_factory, values):
    shells = [s for s in ("bash", "dash") if shutil.which(s)]
    script = "".join(PosixShellFormat().assignment(f"V{i}", v) + "\n" for i, v in enumerate(values))
    workdir = tmp_path_factory.mktemp("roundtrip")
    (workdir / "s.sh").write_text(script)
    print_all = "printf '%s\\000' " + " ".join(f'"$V{i}"' for i in range(len(values)))
    for shell in shells:
        out = subprocess.run([shell, "-c", ". ./s.sh; " + print_all], cwd=workdir, capture_output=True,
                             env={"PATH": os.environ["PATH"]}, timeout=30)
        assert out.returncode == 0, out.stderr
        assert out.stdout.decode("utf-8", "surrogateescape").split("\0")[:-1] == values
        assert sorted(p.name for p in workdir.iterdir()) == ["s.sh"]  # nothing was created by a value


@settings(max_examples=200, deadline=None)
@given(env_text)
def test_any_value_round_trips_through_powershell_quoting(value):
    assert read_assignments(PowerShellFormat().assignment("K", value), "powershell") == {"K": value}
