"""Sprig's regular expression functions (Go RE2 syntax; `regexFind*` panic on bad patterns, `must*` return
errors, and `regexMatch` answers false)."""

from __future__ import annotations

from typing import Any

from werf_core.config.gotemplate import bounds, goregex, gostrconv
from werf_core.config.gotemplate.errors import GoError
from werf_core.config.gotemplate.executor import State
from werf_core.config.gotemplate.funcs import gofunc
from werf_core.config.gotemplate.values import StringSlice


def _scan(state: State, s: str) -> None:
    state.count_work(len(s) // bounds.CHARS_PER_WORK_UNIT)


def _match(state: State, pattern: str, s: str) -> bool:
    rx = goregex.compile_go(pattern)
    _scan(state, s)
    return rx.search(s) is not None


def _quiet_match(state: State, pattern: str, s: str) -> bool:
    try:
        rx = goregex.compile_go(pattern)
    except GoError:
        return False
    _scan(state, s)
    return rx.search(s) is not None


def _find_all(state: State, pattern: str, s: str, n: int) -> StringSlice:
    rx = goregex.compile_go(pattern)
    return StringSlice(m.group(0) for m in goregex.find_all(rx, s, n, state.count_work))


def _find(state: State, pattern: str, s: str) -> str:
    rx = goregex.compile_go(pattern)
    _scan(state, s)
    m = rx.search(s)
    return (m.group(0) or "") if m else ""


def _replace_all(state: State, pattern: str, s: str, repl: str) -> str:
    return goregex.replace_all(goregex.compile_go(pattern), s, repl, literal=False, charge=state.count_work)


def _replace_all_literal(state: State, pattern: str, s: str, repl: str) -> str:
    return goregex.replace_all(goregex.compile_go(pattern), s, repl, literal=True, charge=state.count_work)


def _split(state: State, pattern: str, s: str, n: int) -> StringSlice:
    return StringSlice(goregex.split(goregex.compile_go(pattern), s, n, state.count_work))


def _must_compile(fn):
    """regexp.MustCompile panics with the pattern quoted; the non-must Sprig functions surface that panic."""

    def wrapper(state: State, pattern: str, *args: Any) -> Any:
        try:
            goregex.compile_go(pattern)
        except GoError as err:
            quoted = "`" + pattern + "`" if gostrconv.can_backquote(pattern) else gostrconv.quote(pattern)
            raise GoError(f"regexp: Compile({quoted}): {err.message}") from None
        return fn(state, pattern, *args)  # errors of the call itself (a limit) pass unchanged

    return wrapper


_META = set("\\.+*?()|[]{}^$")


def _quote_meta(s: str) -> str:
    return "".join("\\" + c if c in _META else c for c in s)


FUNCS = {
    "regexMatch": gofunc("string", "string", needs_state=True)(_quiet_match),
    "mustRegexMatch": gofunc("string", "string", needs_state=True)(_match),
    "regexFindAll": gofunc("string", "string", "int", needs_state=True)(_must_compile(_find_all)),
    "mustRegexFindAll": gofunc("string", "string", "int", needs_state=True)(_find_all),
    "regexFind": gofunc("string", "string", needs_state=True)(_must_compile(_find)),
    "mustRegexFind": gofunc("string", "string", needs_state=True)(_find),
    "regexReplaceAll": gofunc("string", "string", "string", needs_state=True)(_must_compile(_replace_all)),
    "mustRegexReplaceAll": gofunc("string", "string", "string", needs_state=True)(_replace_all),
    "regexReplaceAllLiteral": gofunc("string", "string", "string", needs_state=True)(_must_compile(_replace_all_literal)),
    "mustRegexReplaceAllLiteral": gofunc("string", "string", "string", needs_state=True)(_replace_all_literal),
    "regexSplit": gofunc("string", "string", "int", needs_state=True)(_must_compile(_split)),
    "mustRegexSplit": gofunc("string", "string", "int", needs_state=True)(_split),
    "regexQuoteMeta": gofunc("string")(_quote_meta),
}
