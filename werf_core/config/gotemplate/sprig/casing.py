"""Word-level string helpers Sprig takes from xstrings and goutils: snake/kebab/camel case, initials,
uncapitalize, swapcase, abbreviation and word wrapping — with the same word-splitting rules."""

from __future__ import annotations

import unicodedata
from typing import Any

from werf_core.config.gotemplate.errors import GoError
from werf_core.config.gotemplate.sprig.common import is_go_space


def _is_connector(ch: str) -> bool:
    return ch == "-" or ch == "_" or is_go_space(ch)


def _is_upper(ch: str) -> bool:
    return unicodedata.category(ch) == "Lu"


def _is_letter(ch: str) -> bool:
    return unicodedata.category(ch).startswith("L")


def _is_number(ch: str) -> bool:
    return unicodedata.category(ch).startswith("N")


def _is_punct(ch: str) -> bool:
    return unicodedata.category(ch).startswith("P")


def to_camel_case(s: str) -> str:
    """xstrings.ToCamelCase: "some_words" -> "SomeWords"; other letters keep their case."""
    if not s:
        return ""
    out = []
    i = 0
    n = len(s)
    r0 = ""
    while i < n:  # leading connectors are kept
        r0 = s[i]
        i += 1
        if not _is_connector(r0):
            r0 = _upper1(r0)
            break
        out.append(r0)
    if i >= n:
        out.append(r0)  # xstrings writes the last rune once more here, even a connector
        return "".join(out)
    while i < n:
        r1 = r0
        r0 = s[i]
        i += 1
        if _is_connector(r0) and _is_connector(r1):
            out.append(r1)
            continue
        if _is_connector(r1):
            r0 = _upper1(r0)
        else:
            out.append(r1)
    out.append(r0)
    return "".join(out)


def _upper1(ch: str) -> str:
    u = ch.upper()
    return u if len(u) == 1 else ch


def _lower1(ch: str) -> str:
    low = ch.lower()
    return low if len(low) == 1 else ch


# word types of xstrings' splitter
_INVALID, _NUMBER, _UPPER, _ALPHA, _CONNECTOR, _PUNCT, _OTHER = range(7)


def _next_word(s: str, i: int) -> tuple[int, int, int]:
    """Returns (word type, word end, next start) for the word starting at s[i]."""
    n = len(s)
    if i >= n:
        return _INVALID, i, i
    r = s[i]
    j = i + 1
    if _is_connector(r):
        while j < n and _is_connector(s[j]):
            j += 1
        return _CONNECTOR, j, j
    if _is_punct(r):
        while j < n and _is_punct(s[j]):
            j += 1
        return _PUNCT, j, j
    if _is_upper(r):
        if j >= n:
            return _UPPER, j, j
        r2 = s[j]
        if _is_upper(r2):
            k = j + 1
            while k < n and _is_upper(s[k]):
                k += 1
            # "HTTPStatus" splits into "HTTP" and "Status"
            if k < n and _is_letter(s[k]):
                k -= 1
            return _UPPER, k, k
        if _is_letter(r2):
            k = j + 1
            while k < n and _is_letter(s[k]) and not _is_upper(s[k]):
                k += 1
            return _UPPER, k, k
        return _UPPER, j, j
    if _is_letter(r):
        while j < n and _is_letter(s[j]) and not _is_upper(s[j]):
            j += 1
        return _ALPHA, j, j
    if _is_number(r):
        while j < n and _is_number(s[j]):
            j += 1
        return _NUMBER, j, j
    while j < n and not (_is_connector(s[j]) or _is_letter(s[j]) or _is_number(s[j]) or _is_punct(s[j])):
        j += 1
    return _OTHER, j, j


def _to_lower_word(out: list[Any], wt: int, word: str, connector: str) -> None:
    if wt != _UPPER and wt != _CONNECTOR:
        out.append(word)
        return
    for ch in word:
        if _is_connector(ch):
            out.append(connector)
        elif _is_upper(ch):
            out.append(_lower1(ch))
        else:
            out.append(ch)


def camel_to_lower(s: str, connector: str) -> str:
    """xstrings.ToSnakeCase / ToKebabCase: "HTTPServer" -> "http_server", "Bld4Floor3rd" -> "bld4_floor_3rd"."""
    if not s:
        return ""
    out: list[str] = []
    wt, end, pos = _next_word(s, 0)
    word = s[0:end]
    while pos < len(s):
        if wt != _CONNECTOR:
            _to_lower_word(out, wt, word, connector)
        prev, last = wt, word
        start = pos
        wt, end, pos = _next_word(s, pos)
        word = s[start:end]
        if prev == _NUMBER:
            while wt in (_ALPHA, _NUMBER):
                _to_lower_word(out, wt, word, connector)
                start = pos
                wt, end, pos = _next_word(s, pos)
                word = s[start:end]
            if wt not in (_INVALID, _PUNCT, _CONNECTOR):
                out.append(connector)
        elif prev == _CONNECTOR:
            _to_lower_word(out, prev, last, connector)
        elif prev == _PUNCT:
            pass
        else:
            if wt != _NUMBER:
                if wt not in (_CONNECTOR, _PUNCT):
                    out.append(connector)
                continue
            if pos >= len(s):
                continue
            last = word
            start = pos
            wt, end, pos = _next_word(s, pos)
            word = s[start:end]
            # a number is part of the previous word ("Bld4Floor" -> "bld4_floor")
            if wt != _ALPHA:
                _to_lower_word(out, _NUMBER, last, connector)
                if wt not in (_CONNECTOR, _PUNCT):
                    out.append(connector)
                continue
            # lower-case letters after a number start a new word ("HTTP2xx" -> "http_2xx")
            out.append(connector)
            _to_lower_word(out, _NUMBER, last, connector)
            while wt in (_ALPHA, _NUMBER):
                _to_lower_word(out, wt, word, connector)
                start = pos
                wt, end, pos = _next_word(s, pos)
                word = s[start:end]
            if wt not in (_INVALID, _CONNECTOR, _PUNCT):
                out.append(connector)
    _to_lower_word(out, wt, word, connector)
    return "".join(out)


def initials(s: str) -> str:
    """goutils.Initials: the first letter of every whitespace-separated word."""
    out = []
    last_was_gap = True
    for ch in s:
        if is_go_space(ch):
            last_was_gap = True
        elif last_was_gap:
            out.append(ch)
            last_was_gap = False
    return "".join(out)


def uncapitalize(s: str) -> str:
    """goutils.Uncapitalize: lower-case the first letter of every whitespace-separated word."""
    out = []
    next_lower = True
    for ch in s:
        if is_go_space(ch):
            next_lower = True
            out.append(ch)
        elif next_lower:
            out.append(_lower1(ch))
            next_lower = False
        else:
            out.append(ch)
    return "".join(out)


def swap_case(s: str) -> str:
    """goutils.SwapCase: upper -> lower, lower -> title case at word start, upper elsewhere."""
    out = []
    whitespace = True
    for ch in s:
        cat = unicodedata.category(ch)
        if cat == "Lu" or cat == "Lt":
            out.append(_lower1(ch))
            whitespace = False
        elif cat == "Ll":
            if whitespace:
                t = ch.title()
                out.append(t if len(t) == 1 else ch)
                whitespace = False
            else:
                out.append(_upper1(ch))
        else:
            out.append(ch)
            whitespace = is_go_space(ch)
    return "".join(out)


def abbreviate_full(s: str, offset: int, max_width: int) -> str:
    """goutils.AbbreviateFull: shorten with "..." to at most max_width characters around `offset`."""
    if s == "":
        return ""
    if max_width < 4:
        raise GoError("stringutils illegal argument: Minimum abbreviation width is 4")
    if len(s) <= max_width:
        return s
    if offset > len(s):
        offset = len(s)
    if len(s) - offset < max_width - 3:
        offset = len(s) - (max_width - 3)
    marker = "..."
    if offset <= 4:
        return s[:max_width - 3] + marker
    if max_width < 7:
        raise GoError("stringutils illegal argument: Minimum abbreviation width with offset is 7")
    if offset + max_width - 3 < len(s):
        return marker + abbreviate_full(s[offset:], 0, max_width - 3)
    return marker + s[len(s) - (max_width - 3):]


def wrap_custom(s: str, width: int, newline: str, wrap_long_words: bool) -> str:
    """goutils.WrapCustom: wrap at spaces to `width` columns; long words wrapped only when asked."""
    if s == "":
        return ""
    if newline == "":
        newline = "\n"
    if width < 1:
        width = 1
    n = len(s)
    offset = 0
    out = []
    while n - offset > width:
        if s[offset] == " ":
            offset += 1
            continue
        end = width + offset + 1
        space = s.rfind(" ", offset, end)
        if space >= offset:
            out.append(s[offset:space])
            out.append(newline)
            offset = space + 1
        elif wrap_long_words:
            end = width + offset
            out.append(s[offset:end])
            out.append(newline)
            offset += width
        else:
            end = width + offset
            idx = s.find(" ", end)
            if idx == -1:
                out.append(s[offset:])
                offset = n
            else:
                out.append(s[offset:idx])
                out.append(newline)
                offset = idx + 1
    out.append(s[offset:])
    return "".join(out)
