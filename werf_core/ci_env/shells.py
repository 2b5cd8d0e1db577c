"""How one variable assignment, comment or message is written for each shell ci-env can target.

Values come from CI variables that anyone able to push a branch or tag partly controls, and the script is sourced by
the CI job's shell. Every format therefore quotes values so that the shell takes them as plain text: nothing in a
value can end the quoting, run a command or expand a variable.
"""

from __future__ import annotations

import re

from werf_core.ci_env.errors import CiEnvError

_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def printable(text: str) -> str:
    """`text` on one line: control characters shown as escapes, so a comment can never spill onto a new line."""
    def escape(match: re.Match[str]) -> str:
        ch = match.group()
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, f"\\x{ord(ch):02x}")
    return _CONTROL_CHARS.sub(escape, text)


class ScriptFormat:
    """One output format. `assignment` and `comment` return a single line without the newline."""

    name: str = ""
    file_suffix: str = ""
    comment_sign: str = "#"

    def assignment(self, key: str, value: str) -> str:
        raise NotImplementedError

    def comment(self, text: str) -> str:
        return f"{self.comment_sign} {printable(text)}"

    def echo(self, text: str) -> str | None:
        """A command printing `text` when the script is sourced (for --log-verbose); None if the format has none."""
        return None

    def abort(self) -> str | None:
        """A command that stops whoever sources the script; None if the format cannot express it."""
        return None


def posix_quote(value: str) -> str:
    """Single-quoted for any POSIX shell; a `'` inside becomes `'\\''` (close, escaped quote, reopen)."""
    return "'" + value.replace("'", "'\\''") + "'"


class PosixShellFormat(ScriptFormat):
    """`export K='V'` — bash, dash, zsh and any other POSIX shell."""

    name = "default"

    def assignment(self, key: str, value: str) -> str:
        return f"export {key}={posix_quote(value)}"

    def echo(self, text: str) -> str:
        return f"echo {posix_quote(printable(text))}"

    def abort(self) -> str:
        return "exit 1"


# PowerShell ends a single-quoted string at any of these quote characters, not just the ASCII one; each is escaped
# by doubling it.
_POWERSHELL_SINGLE_QUOTES = re.compile("['\u2018\u2019\u201a\u201b]")


def powershell_quote(value: str) -> str:
    return "'" + _POWERSHELL_SINGLE_QUOTES.sub(lambda m: m.group() * 2, value) + "'"


class PowerShellFormat(ScriptFormat):
    """`$Env:K = 'V'`; single-quoted strings in PowerShell expand nothing."""

    name = "powershell"
    file_suffix = ".ps1"

    def assignment(self, key: str, value: str) -> str:
        return f"$Env:{key} = {powershell_quote(value)}"

    def echo(self, text: str) -> str:
        return f"Write-Output {powershell_quote(printable(text))}"

    def abort(self) -> str:
        return "exit 1"


_CMD_SPECIAL = re.compile(r'[\^&|<>()"]')


def cmd_escape(value: str) -> str:
    """Escape for an unquoted word of a cmd.exe batch file: `%` doubles, `^ & | < > ( ) "` get a caret.

    Delayed expansion (`!VAR!`) is off unless a batch file enables it; values are not escaped for it.
    """
    if "\n" in value or "\r" in value:
        raise CiEnvError(f"the value {printable(value)!r} spans several lines, which cmd.exe cannot set",
                         hint="use --shell powershell or the default shell")
    return _CMD_SPECIAL.sub(lambda m: "^" + m.group(), value.replace("%", "%%"))


class CmdExeFormat(ScriptFormat):
    """`set K=V` lines of a .bat file, with `::` comments.

    werf v1.1 accepted `--shell cmdexe` but then compared against "cmd.exe" and wrote `export` lines that cmd.exe
    cannot run; here cmdexe gets real `set` commands.
    """

    name = "cmdexe"
    file_suffix = ".bat"
    comment_sign = "::"

    def assignment(self, key: str, value: str) -> str:
        return f"set {key}={cmd_escape(value)}"

    def comment(self, text: str) -> str:
        return f":: {cmd_escape(printable(text))}"

    def echo(self, text: str) -> str:
        return f"echo {cmd_escape(printable(text))}" if text else "echo."

    def abort(self) -> str:
        return "exit /b 1"


class EnvFileFormat(ScriptFormat):
    """`K=V` lines as `docker run --env-file` reads them: values are taken literally, `#` lines are comments.

    Not meant to be sourced by a shell, nor for GitHub's $GITHUB_ENV (which rejects comment lines). A value cannot
    span lines in this format.
    """

    name = "env-file"

    def assignment(self, key: str, value: str) -> str:
        if "\n" in value or "\r" in value:
            raise CiEnvError(f"the value of {key} spans several lines, which an env file cannot hold",
                             hint="use the default shell format (without --as-env-file)")
        return f"{key}={value}"


SHELLS: dict[str, type[ScriptFormat]] = {
    "default": PosixShellFormat,
    "bash": PosixShellFormat,
    "powershell": PowerShellFormat,
    "cmdexe": CmdExeFormat,
}


def script_format(shell: str | None, *, env_file: bool = False) -> ScriptFormat:
    """The format for `--shell` (empty means default) or, with `--as-env-file`, the env-file format."""
    shell = shell or "default"
    if shell not in SHELLS:
        raise CiEnvError(f"provided shell {shell!r} is not supported",
                         hint="use --shell default (any POSIX shell), powershell or cmdexe")
    if env_file:
        return EnvFileFormat()
    return SHELLS[shell]()
