"""Naming the environment variable behind a config error.

A template such as `from: {{ env "BASE_IMAGE" }}` renders `from: ` when the variable is unset, and validation then
reports "expected a string, got nothing (null)" (or a YAML syntax error a few lines further on), which does not
say why. The renderer records every `env`/`expandenv` lookup that found nothing; when loading fails, the error gets
a hint naming those variables: first the ones read on the lines the error points at, else — for errors that look
like a missing value — all of them.
"""

from __future__ import annotations

from collections.abc import Sequence

from werf_core.config.gotemplate.werf_funcs import UnsetEnvRead
from werf_core.errors import ConfigError

# messages of errors a value left empty by an unset variable typically causes
_EMPTY_VALUE_SIGNS = ("nothing (null)", "must not be empty", "YAML syntax error", "missing required key", 'got ""',
                      "expected a", "is not defined", "bad project name", "required", "needs")
MAX_NAMED = 5


def reads_on_lines(reads: Sequence[UnsetEnvRead], path: str | None, first: int, last: int) -> list[UnsetEnvRead]:
    return [read for read in reads if read.path == path and read.line is not None and first <= read.line <= last]


def with_env_hint(err: ConfigError, reads: Sequence[UnsetEnvRead]) -> ConfigError:
    """`err` with a hint naming the unset variables that plausibly caused it (unchanged when none did)."""
    if not reads:
        return err
    chosen: list[UnsetEnvRead] = []
    if err.line is not None:
        last = getattr(err, "last_line", None) or err.line
        chosen = reads_on_lines(reads, err.path, err.line, last)
    if not chosen and any(sign in err.message for sign in _EMPTY_VALUE_SIGNS):
        chosen = list(reads)
    if not chosen:
        return err
    err.hint = _hint(chosen) + (f"\n{err.hint}" if err.hint else "")
    return err


def _hint(reads: Sequence[UnsetEnvRead]) -> str:
    names = []
    for read in reads:
        if read.name not in names:
            names.append(read.name)
    shown = names[:MAX_NAMED]
    more = f" and {len(names) - MAX_NAMED} more" if len(names) > MAX_NAMED else ""
    listed = ", ".join(f"${name}" for name in shown) + more
    places = "; ".join(f'{read.function} "{read.name}" at {read.where()}' for read in reads[:MAX_NAMED])
    verb = "is" if len(names) == 1 else "are"
    example = shown[0]
    return (f"the environment variable{'s' if len(names) > 1 else ''} {listed} {verb} not set (or empty) while "
            f"rendering ({places}); set {'it' if len(names) == 1 else 'them'}, or give a default: "
            f'{{{{ env "{example}" "default" }}}}')
