"""The ci-env script: sections of variables, rendered in one output format.

Rules, as in werf v1.1: a variable the user already set (non-empty in the environment) is never overridden — it is
written as a `skip` comment showing both values — except `DOCKER_CONFIG`, which always points at the session copy; a
variable with an empty value is written commented out, so the reader sees it was considered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from werf_core.ci_env.shells import ScriptFormat

# Current values of these are not repeated in `skip` comments, which end up in CI logs.
_SECRET_NAME = re.compile(r"TOKEN|PASSWORD|SECRET", re.IGNORECASE)


@dataclass(frozen=True)
class Variable:
    name: str
    value: str
    override: bool = False  # replace a value already set in the environment


@dataclass(frozen=True)
class Section:
    title: str
    variables: tuple[Variable, ...]


def section(title: str, *variables: Variable) -> Section:
    return Section(title, tuple(variables))


def render_script(sections: list[Section] | tuple[Section, ...], fmt: ScriptFormat,
                  environ: Mapping[str, str], *, verbose: bool = False) -> str:
    """The whole script, one line per entry, ending with a newline.

    With `verbose`, every line is also echoed when the script is sourced (for formats that can echo).
    """
    lines: list[str] = []

    def emit(line: str, *, blank_echo: bool = False) -> None:
        lines.append(line)
        if verbose:
            blank, echoed = fmt.echo(""), fmt.echo(line)
            if blank_echo and blank:
                lines.append(blank)
            if echoed:
                lines.append(echoed)

    for index, sect in enumerate(sections):
        if index:
            lines.append("")
        emit(fmt.comment(sect.title), blank_echo=bool(index))
        for var in sect.variables:
            emit(variable_line(var, fmt, environ))
    return "\n".join(lines) + "\n"


def variable_line(var: Variable, fmt: ScriptFormat, environ: Mapping[str, str]) -> str:
    current = environ.get(var.name, "")
    if current and not var.override:
        shown = "***" if _SECRET_NAME.search(var.name) else current
        return fmt.comment(f"skip {fmt.assignment(var.name, var.value)} ({shown})")
    line = fmt.assignment(var.name, var.value)
    return fmt.comment(line) if var.value == "" else line


def abort_script(fmt: ScriptFormat, message: str, *, verbose: bool = False) -> str:
    """What stdout gets when ci-env fails: a command that stops the sourcing shell (the error itself goes to stderr)."""
    lines: list[str] = []
    blank, error, abort = fmt.echo(""), fmt.echo(f"Error: {message}"), fmt.abort()
    if verbose and blank and error:
        lines += [blank, error]
    if abort:
        lines.append(abort)
    return "".join(line + "\n" for line in lines)
