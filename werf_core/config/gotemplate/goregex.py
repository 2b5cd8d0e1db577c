"""Go regular expressions for Sprig's regex functions, on RE2 (the `google-re2` package).

Go's `regexp` is RE2: the same syntax (`\\z`, `(?P<name>…)`/`(?<name>…)`, `\\Q…\\E`, `[[:alpha:]]`, `\\pL`, flags
`imsU` anywhere, ASCII-only `\\d \\w \\s \\b`, `$` = end of text unless `(?m)`) and the same guarantee: matching
takes time linear in the input, so a pattern like `(a+)+$` cannot backtrack exponentially on a long string. Matching
runs on the UTF-8 bytes of the text, as Go's does, and the parts of Go's API RE2 has no equivalent for are
reimplemented with Go's rules: FindAll (no empty match right after a previous match), Split, and `$1`/`${name}`
replacement templates. Compile errors are worded like Go's (`error parsing regexp: missing closing ]: `[``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import re2

from werf_core.config.gotemplate import bounds
from werf_core.config.gotemplate.errors import GoError
from werf_core.config.limits import MAX_REGEX_MATCHES, MAX_STRING_CHARS

Charge = Callable[[int], None]
"""Receives the work units a regex call cost (see `bounds`): RE2 is linear, but each match costs a Python round trip."""

MATCH_COST = 10  # a match round trip takes about as long as ten template function calls

# RE2's error codes (re2.h, RE2::ErrorCode texts) → Go's regexp/syntax ErrorCode texts
_GO_ERRORS = {
    "missing ]": "missing closing ]",
    "missing )": "missing closing )",
    "unexpected )": "unexpected )",
    "trailing \\": "trailing backslash at end of expression",
    "no argument for repetition operator": "missing argument to repetition operator",
    "invalid repetition size": "invalid repeat count",
    "bad repetition operator": "invalid nested repetition operator",
    "invalid perl operator": "invalid or unsupported Perl syntax",
    "invalid named capture group": "invalid named capture",
    "invalid escape sequence": "invalid escape sequence",
    "invalid character class": "invalid character class",
    "invalid character class range": "invalid character class range",
    "invalid UTF-8": "invalid UTF-8",
    "pattern too large - compile failed": "expression too large",
    "pattern too large - reverse compile failed": "expression too large",
}


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # RE2 would print every bad pattern to stderr
    return options


_OPTIONS = _options()


def _to_bytes(s: str) -> bytes:
    # template strings carry non-UTF-8 bytes as surrogate escapes (gostrconv.from_bytes): give RE2 Go's bytes back
    return s.encode("utf-8", "surrogateescape")


def _to_str(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


class GoMatch:
    """One match: group spans in bytes of the text."""

    __slots__ = ("_data", "_spans", "_names")

    def __init__(self, data: bytes, spans: list[tuple[int, int]], names: dict[str, int]):
        self._data = data
        self._spans = spans
        self._names = names

    def start(self) -> int:
        return self._spans[0][0]

    def end(self) -> int:
        return self._spans[0][1]

    def group(self, group: int | str = 0) -> str | None:
        """The text of a group (by number or name); None when it did not take part in the match."""
        index = self._names[group] if isinstance(group, str) else group
        start, end = self._spans[index]
        if start < 0:
            return None
        return _to_str(self._data[start:end])


class GoRegexp:
    """A compiled Go regular expression."""

    __slots__ = ("pattern", "_rx", "_names")

    def __init__(self, pattern: str, rx: Any):
        self.pattern = pattern
        self._rx = rx
        self._names: dict[str, int] = {_to_str(name) if isinstance(name, bytes) else name: index
                                       for name, index in rx.groupindex.items()}

    def match_at(self, data: bytes, pos: int) -> GoMatch | None:
        """The leftmost-first match in `data` starting at byte `pos` or later (the text before pos is context for
        `^` and `\\b`, as in Go)."""
        m = self._rx.search(data, pos)
        if m is None:
            return None
        spans = [m.span(i) for i in range(self._rx.groups + 1)]
        return GoMatch(data, spans, self._names)

    def search(self, s: str) -> GoMatch | None:
        return self.match_at(_to_bytes(s), 0)


@lru_cache(maxsize=512)
def compile_go(pattern: str) -> GoRegexp:
    """Compile a Go regexp. Raises GoError("error parsing regexp: ...") for invalid patterns."""
    try:
        return GoRegexp(pattern, re2.compile(_to_bytes(pattern), _OPTIONS))
    except re2.error as err:
        text = err.args[0] if err.args else ""
        raise GoError(_go_error_text(_to_str(text) if isinstance(text, bytes) else str(text), pattern)) from None


def _go_error_text(re2_text: str, pattern: str) -> str:
    code, sep, arg = re2_text.partition(": ")
    go_code = _GO_ERRORS.get(code)
    if go_code is None:
        return f"error parsing regexp: {re2_text}: `{pattern}`"
    if code.startswith("pattern too large"):
        return f"error parsing regexp: {go_code}"
    return f"error parsing regexp: {go_code}: `{arg if sep else pattern}`"


def _rune_width(data: bytes, pos: int) -> int:
    """Bytes of the UTF-8 sequence at pos (1 for an invalid one), like utf8.DecodeRune's width."""
    lead = data[pos]
    if lead < 0x80:
        return 1
    width = 2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF else 4 if 0xF0 <= lead <= 0xF4 else 1
    if pos + width > len(data) or any(not 0x80 <= b <= 0xBF for b in data[pos + 1:pos + width]):
        return 1
    return width


def _all_matches(rx: GoRegexp, data: bytes, n: int, charge: Charge | None = None) -> list[GoMatch]:
    """Go's allMatches: successive matches; an empty match right after the previous match is skipped."""
    if n < 0:
        n = len(data) + 1
    result: list[GoMatch] = []
    pos = 0
    prev_end = -1
    end = len(data)
    while len(result) < n and pos <= end:
        m = rx.match_at(data, pos)
        if m is None:
            break
        accept = True
        if m.end() == pos:
            if m.start() == prev_end:
                accept = False
            pos += _rune_width(data, pos) if pos < end else 1
        else:
            pos = m.end()
        prev_end = m.end()
        if accept:
            result.append(m)
            if len(result) > MAX_REGEX_MATCHES:
                raise GoError(f"a regular expression matched more than {MAX_REGEX_MATCHES} times "
                              "(MAX_REGEX_MATCHES) while rendering werf.yaml", hint=bounds.HINT)
    if charge is not None:
        charge(len(data) // bounds.CHARS_PER_WORK_UNIT + len(result) * MATCH_COST)
    return result


def find_all(rx: GoRegexp, s: str, n: int, charge: Charge | None = None) -> list[GoMatch]:
    return _all_matches(rx, _to_bytes(s), n, charge)


def split(rx: GoRegexp, s: str, n: int, charge: Charge | None = None) -> list[str]:
    """regexp.Split."""
    if n == 0:
        return []
    if rx.pattern != "" and s == "":
        return [""]
    data = _to_bytes(s)
    parts: list[str] = []
    beg = 0
    end = 0
    for m in _all_matches(rx, data, n, charge):
        if n > 0 and len(parts) == n - 1:
            break
        end = m.start()
        if m.end() != 0:
            parts.append(_to_str(data[beg:end]))
        beg = m.end()
    if end != len(data):
        parts.append(_to_str(data[beg:]))
    return parts


_TEMPLATE_NAME = re.compile(r"[A-Za-z0-9_]+")


def expand(template: str, m: GoMatch) -> str:
    """regexp.Expand: $1, ${1}, $name, ${name}, $$; unknown names expand to nothing."""
    out = []
    i = 0
    n = len(template)
    while i < n:
        j = template.find("$", i)
        if j < 0:
            out.append(template[i:])
            break
        out.append(template[i:j])
        if j + 1 < n and template[j + 1] == "$":
            out.append("$")
            i = j + 2
            continue
        name = None
        end = j + 1
        if j + 1 < n and template[j + 1] == "{":
            close = template.find("}", j + 2)
            if close >= 0 and _TEMPLATE_NAME.fullmatch(template[j + 2:close]):
                name = template[j + 2:close]
                end = close + 1
        else:
            mm = _TEMPLATE_NAME.match(template, j + 1)
            if mm:
                name = mm.group(0)
                end = mm.end()
        if name is None:
            out.append("$")
            i = j + 1
            continue
        out.append(_group(m, name))
        i = end
    return "".join(out)


def _group(m: GoMatch, name: str) -> str:
    try:
        value = m.group(int(name)) if name.isdigit() else m.group(name)
    except (IndexError, KeyError, ValueError):
        return ""
    return value or ""


def replace_all(rx: GoRegexp, s: str, repl: str, literal: bool, charge: Charge | None = None) -> str:
    data = _to_bytes(s)
    out: list[str] = []
    size = 0
    last = 0
    for m in _all_matches(rx, data, -1, charge):
        piece = repl if literal else expand(repl, m)
        out.append(_to_str(data[last:m.start()]))
        out.append(piece)
        size += m.start() - last + len(piece)
        if size > MAX_STRING_CHARS:
            raise bounds.string_too_long("the result of regexReplaceAll", size)
        last = m.end()
    out.append(_to_str(data[last:]))
    return "".join(out)
