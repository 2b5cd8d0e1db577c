"""Go regular expressions (RE2 syntax) on Python's `re`, with Go's matching rules.

Translation covers what differs: `\\z`, `$` (end of text only, unless (?m)), `(?<name>...)`, `\\Q...\\E`, POSIX classes
`[[:alpha:]]`, flags in the middle of a pattern (Python only allows them at the start), ASCII-only `\\d \\w \\s \\b`.
`\\pL`-style Unicode classes use the `regex` module when it is installed. Go's FindAll (no empty match right after a
previous match), Split and `$1`/`${name}` replacement templates are reimplemented.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from werf_core.config.gotemplate.errors import GoError

_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ", "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~", "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ", "upper": "A-Z", "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f",
}


class _Translator:
    def __init__(self, pattern: str):
        self.p = pattern
        self.i = 0
        self.out: list[str] = []
        self.needs_regex_module = False
        self.multiline = False
        self.group_stack: list[int] = []  # number of scoped-flag groups to close at each group end

    def error(self, message: str) -> GoError:
        return GoError(f"error parsing regexp: {message}")

    def translate(self) -> str:
        p = self.p
        n = len(p)
        self.group_stack.append(0)
        while self.i < n:
            ch = p[self.i]
            if ch == "\\":
                self.escape(in_class=False)
            elif ch == "[":
                self.char_class()
            elif ch == "(":
                self.open_group()
            elif ch == ")":
                if len(self.group_stack) <= 1:
                    raise self.error(f"unexpected ): `{p}`")
                self.out.append(")" * self.group_stack.pop())
                self.out.append(")")
                self.i += 1
            elif ch == "$":
                self.out.append("$" if self.multiline else "\\Z")
                self.i += 1
            else:
                self.out.append(ch)
                self.i += 1
        if len(self.group_stack) > 1:
            raise self.error(f"missing closing ): `{p}`")
        self.out.append(")" * self.group_stack.pop())
        return "".join(self.out)

    def escape(self, in_class: bool) -> None:
        p = self.p
        if self.i + 1 >= len(p):
            raise self.error("trailing backslash at end of expression: ``")
        c = p[self.i + 1]
        if c == "z" and not in_class:
            self.out.append("\\Z")
        elif c == "Z":
            raise self.error("invalid escape sequence: `\\Z`")
        elif c == "Q" and not in_class:
            end = p.find("\\E", self.i + 2)
            literal = p[self.i + 2:] if end < 0 else p[self.i + 2:end]
            self.out.append(re.escape(literal))
            self.i = len(p) if end < 0 else end + 2
            return
        elif c in "pP":
            self.needs_regex_module = True
            if self.i + 2 < len(p) and p[self.i + 2] == "{":
                end = p.find("}", self.i + 2)
                if end < 0:
                    raise self.error(f"invalid character class range: `{p[self.i:]}`")
                self.out.append(p[self.i:end + 1])
                self.i = end + 1
            else:
                self.out.append(p[self.i:self.i + 3])
                self.i += 3
            return
        else:
            self.out.append(p[self.i:self.i + 2])
        self.i += 2

    def char_class(self) -> None:
        p = self.p
        self.out.append("[")
        self.i += 1
        if self.i < len(p) and p[self.i] == "^":
            self.out.append("^")
            self.i += 1
        first = True
        while self.i < len(p):
            ch = p[self.i]
            if ch == "]" and not first:
                self.out.append("]")
                self.i += 1
                return
            first = False
            if ch == "[" and p.startswith("[:", self.i):
                end = p.find(":]", self.i + 2)
                name = p[self.i + 2:end] if end >= 0 else ""
                negated = name.startswith("^")
                cls = _POSIX_CLASSES.get(name.lstrip("^"))
                if end >= 0 and cls is not None and not negated:
                    self.out.append(cls)
                    self.i = end + 2
                    continue
                if end >= 0 and negated:
                    raise self.error(f"invalid character class range: `[:{name}:]`")
            if ch == "\\":
                self.escape(in_class=True)
                continue
            if ch == "[":
                self.out.append("\\[")
            else:
                self.out.append(ch)
            self.i += 1
        raise self.error(f"missing closing ]: `{p[p.rfind('['):]}`")

    def open_group(self) -> None:
        p = self.p
        if p.startswith("(?P<", self.i) or p.startswith("(?<", self.i):
            start = self.i + (4 if p.startswith("(?P<", self.i) else 3)
            end = p.find(">", start)
            if end < 0:
                raise self.error(f"invalid named capture: `{p[self.i:]}`")
            self.out.append("(?P<" + p[start:end] + ">")
            self.i = end + 1
            self.group_stack.append(0)
            return
        if p.startswith("(?", self.i):
            end = self.i + 2
            while end < len(p) and p[end] in "imsU-":
                end += 1
            flags = p[self.i + 2:end]
            if end < len(p) and p[end] in ":)":
                on, _, off = flags.partition("-")
                if "U" in flags:
                    raise self.error("flag U (ungreedy) is not supported here")
                if "m" in on:
                    self.multiline = True
                if p[end] == ":":
                    self.out.append("(?" + flags + ":")
                    self.group_stack.append(0)
                    self.i = end + 1
                    return
                # "(?i)" in the middle: Python wants scoped flags, so open a group up to the enclosing ")"
                if flags:
                    self.out.append("(?" + flags + ":")
                    self.group_stack[-1] += 1
                self.i = end + 1
                return
            raise self.error(f"invalid or unsupported Perl syntax: `{p[self.i:self.i + 3]}`")
        self.out.append("(")
        self.group_stack.append(0)
        self.i += 1


@lru_cache(maxsize=512)
def compile_go(pattern: str) -> Any:
    """Compile a Go regexp. Raises GoError("error parsing regexp: ...") for invalid patterns."""
    tr = _Translator(pattern)
    translated = tr.translate()
    if tr.needs_regex_module:
        try:
            import regex  # optional: only patterns with \p{...} need it
        except ImportError:
            raise GoError("error parsing regexp: Unicode classes (\\p) need the `regex` module") from None
        try:
            return regex.compile(translated, regex.ASCII | regex.V0)
        except regex.error as err:
            raise GoError(f"error parsing regexp: {err}: `{pattern}`") from None
    try:
        return re.compile(translated, re.ASCII)
    except re.error as err:
        raise GoError(f"error parsing regexp: {err.msg}: `{pattern}`") from None
    except (RecursionError, OverflowError):
        raise GoError(f"error parsing regexp: expression too large: `{pattern}`") from None


def find_all(rx: Any, s: str, n: int) -> list[Any]:
    """Go's allMatches: successive matches; an empty match right after the previous match is skipped."""
    if n < 0:
        n = len(s) + 1
    result: list[list[int]] = []
    pos = 0
    prev_end = -1
    while len(result) < n and pos <= len(s):
        m = rx.search(s, pos)
        if m is None:
            break
        accept = True
        if m.end() == m.start():
            if m.start() == prev_end:
                accept = False
            pos = m.end() + 1
        else:
            pos = m.end()
        prev_end = m.end()
        if accept:
            result.append(m)
    return result


def split(rx: Any, s: str, n: int) -> list[str]:
    """regexp.Split."""
    if n == 0:
        return []
    if rx.pattern != "" and s == "":
        return [""]
    matches = find_all(rx, s, n)
    parts: list[str] = []
    beg = 0
    end = 0
    for m in matches:
        if n > 0 and len(parts) == n - 1:
            break
        end = m.start()
        if m.end() != 0:
            parts.append(s[beg:end])
        beg = m.end()
    if end != len(s):
        parts.append(s[beg:])
    return parts


_TEMPLATE_NAME = re.compile(r"[A-Za-z0-9_]+")


def expand(template: str, m: Any) -> str:
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


def _group(m: Any, name: str) -> str:
    try:
        if name.isdigit():
            value = m.group(int(name))
        else:
            value = m.group(name)
    except IndexError:
        return ""
    return value or ""


def replace_all(rx: Any, s: str, repl: str, literal: bool) -> str:
    out = []
    last = 0
    for m in find_all(rx, s, -1):
        out.append(s[last:m.start()])
        out.append(repl if literal else expand(repl, m))
        last = m.end()
    out.append(s[last:])
    return "".join(out)
