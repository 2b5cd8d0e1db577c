"""Sprig's regular expression functions (Go RE2 syntax; `regexFind*` panic on bad patterns, `must*` return
errors, and `regexMatch` answers false)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werf_core.config.gotemplate import goregex, gostrconv
from werf_core.config.gotemplate.errors import GoError
from werf_core.config.gotemplate.funcs import gofunc
from werf_core.config.gotemplate.values import StringSlice


def _match(pattern: str, s: str) -> bool:
    return goregex.compile_go(pattern).search(s) is not None


def _quiet_match(pattern: str, s: str) -> bool:
    try:
        return _match(pattern, s)
    except GoError:
        return False


def _find_all(pattern: str, s: str, n: int) -> StringSlice:
    rx = goregex.compile_go(pattern)
    return StringSlice(m.group(0) for m in goregex.find_all(rx, s, n))


def _find(pattern: str, s: str) -> str:
    m = goregex.compile_go(pattern).search(s)
    return m.group(0) if m else ""


def _replace_all(pattern: str, s: str, repl: str) -> str:
    return goregex.replace_all(goregex.compile_go(pattern), s, repl, literal=False)


def _replace_all_literal(pattern: str, s: str, repl: str) -> str:
    return goregex.replace_all(goregex.compile_go(pattern), s, repl, literal=True)


def _split(pattern: str, s: str, n: int) -> StringSlice:
    return StringSlice(goregex.split(goregex.compile_go(pattern), s, n))


def _must_compile(fn: Callable[..., Any]) -> Callable[..., Any]:
    """regexp.MustCompile panics with the pattern quoted; the non-must Sprig functions surface that panic."""

    def wrapper(pattern: str, *args: Any) -> Any:
        try:
            return fn(pattern, *args)
        except GoError as err:
            quoted = "`" + pattern + "`" if gostrconv.can_backquote(pattern) else gostrconv.quote(pattern)
            raise GoError(f"regexp: Compile({quoted}): {err.message}") from None

    return wrapper


_META = set("\\.+*?()|[]{}^$")


def _quote_meta(s: str) -> str:
    return "".join("\\" + c if c in _META else c for c in s)


FUNCS = {
    "regexMatch": gofunc("string", "string")(_quiet_match),
    "mustRegexMatch": gofunc("string", "string")(_match),
    "regexFindAll": gofunc("string", "string", "int")(_must_compile(_find_all)),
    "mustRegexFindAll": gofunc("string", "string", "int")(_find_all),
    "regexFind": gofunc("string", "string")(_must_compile(_find)),
    "mustRegexFind": gofunc("string", "string")(_find),
    "regexReplaceAll": gofunc("string", "string", "string")(_must_compile(_replace_all)),
    "mustRegexReplaceAll": gofunc("string", "string", "string")(_replace_all),
    "regexReplaceAllLiteral": gofunc("string", "string", "string")(_must_compile(_replace_all_literal)),
    "mustRegexReplaceAllLiteral": gofunc("string", "string", "string")(_replace_all_literal),
    "regexSplit": gofunc("string", "string", "int")(_must_compile(_split)),
    "mustRegexSplit": gofunc("string", "string", "int")(_split),
    "regexQuoteMeta": gofunc("string")(_quote_meta),
}
