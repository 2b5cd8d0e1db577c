"""Doublestar globs, as werf's path rules use them (bmatcuk/doublestar semantics).

- `*` matches any run of characters inside one path component, `?` one character, `[abc]`, `[a-z]`, `[!a]`/`[^a]`
  a character class, `{a,b}` alternatives, `\\x` a literal `x`.
- `**` as a whole component matches zero or more components, so `src/**/*.py` matches `src/a.py` and `src/x/y/a.py`.
  Inside a component (`a**b`) it behaves like `*`.
- Nothing special about dot files: `*` matches `.env`.

Besides matching whole paths, a glob answers what it can say about a directory before its contents are listed
(`directory_state`), which lets tree walks skip directories that cannot contain a match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

DOUBLESTAR = "**"


class GlobSyntaxError(ValueError):
    """A pattern with an unclosed `[` or `{`."""


def expand_braces(pattern: str) -> list[str]:
    """`a{b,c{d,e}}` → `[abd? ...]`: every alternative spelled out (nested braces supported, escapes kept)."""
    start = _find_unescaped(pattern, "{", 0)
    if start < 0:
        return [pattern]
    depth, i, parts, part_start = 0, start, [], start + 1
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                parts.append(pattern[part_start:i])
                break
        elif ch == "," and depth == 1:
            parts.append(pattern[part_start:i])
            part_start = i + 1
        i += 1
    else:
        raise GlobSyntaxError(f"unclosed '{{' in pattern {pattern!r}")
    prefix, suffix = pattern[:start], pattern[i + 1:]
    result: list[str] = []
    for alternative in parts:
        for expanded in expand_braces(prefix + alternative + suffix):
            if expanded not in result:
                result.append(expanded)
    return result


def _find_unescaped(text: str, char: str, start: int) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == char:
            return i
        i += 1
    return -1


def _component_regex(component: str) -> str:
    """Regex (no anchors) for one path component of a glob, never crossing `/`."""
    out, i = [], 0
    while i < len(component):
        ch = component[i]
        if ch == "\\" and i + 1 < len(component):
            out.append(re.escape(component[i + 1]))
            i += 2
        elif ch == "*":
            while i < len(component) and component[i] == "*":
                i += 1
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
            i += 1
        elif ch == "[":
            end = i + 1
            if end < len(component) and component[end] in "!^":
                end += 1
            if end < len(component) and component[end] == "]":
                end += 1
            while end < len(component) and component[end] != "]":
                end += 2 if component[end] == "\\" else 1
            if end >= len(component):
                raise GlobSyntaxError(f"unclosed '[' in pattern component {component!r}")
            body = component[i + 1:end]
            negate = body[:1] in ("!", "^")
            if negate:
                body = body[1:]
            out.append(("[^/" if negate else "[") + _class_body(body) + "]")
            i = end + 1
        else:
            out.append(re.escape(ch))
            i += 1
    return "".join(out)


def _class_body(body: str) -> str:
    """A glob character class body as a regex class body: ranges kept, everything else literal."""
    out, i = [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            out.append(re.escape(body[i + 1]))
            i += 2
        else:
            out.append(body[i] if body[i] == "-" else re.escape(body[i]))
            i += 1
    return "".join(out)


def _is_star_only(component: str) -> bool:
    return component != "" and set(component) == {"*"}


@dataclass(frozen=True)
class _Alternative:
    """One brace-free spelling of a glob, as a list of components (`**` kept as the DOUBLESTAR marker)."""

    components: tuple[str, ...]
    component_regexes: tuple[re.Pattern[str] | None, ...]  # None for DOUBLESTAR

    def closure(self, states: set[int]) -> set[int]:
        """Add the states reachable by letting `**` match zero components."""
        stack, result = list(states), set(states)
        while stack:
            s = stack.pop()
            if s < len(self.components) and self.components[s] == DOUBLESTAR and s + 1 not in result:
                result.add(s + 1)
                stack.append(s + 1)
        return result

    def step(self, states: set[int], name: str) -> set[int]:
        following: set[int] = set()
        for s in states:
            if s >= len(self.components):
                continue
            regex = self.component_regexes[s]
            if regex is None:   # DOUBLESTAR
                following.add(s)
            elif regex.fullmatch(name):
                following.add(s + 1)
        return self.closure(following)

    def rest_matches_every_path(self, state: int) -> bool:
        """True if the components from `state` on match some leading part of *any* non-empty relative path.

        Combined with werf's "or anything under a match" rule this means everything below is matched: the rest
        may hold any number of `**` and at most one component made only of `*`.
        """
        rest = [c for c in self.components[state:] if c != DOUBLESTAR]
        return len(rest) == 0 or (len(rest) == 1 and _is_star_only(rest[0]))


class DirState:
    """What a glob (or a path matcher) can tell about everything below a directory."""

    NONE = "none"        # nothing below can match: skip the directory
    PARTIAL = "partial"  # some paths below may match: look inside
    ALL = "all"          # every path below matches: take the whole directory


@dataclass(frozen=True)
class Glob:
    """A compiled doublestar pattern over `/`-separated relative paths."""

    pattern: str
    alternatives: tuple[_Alternative, ...]
    regex: re.Pattern[str]  # the full-path match, with "or anything under a match" appended

    def matches(self, path: str) -> bool:
        """Whether `path` or one of its parent directories matches the pattern (werf: P, or P + "/**/*")."""
        return self.regex.fullmatch(path) is not None

    def directory_state(self, components: tuple[str, ...]) -> str:
        """DirState for the directory `"/".join(components)` (empty tuple: the base directory itself)."""
        possible = False
        for alt in self.alternatives:
            states = alt.closure({0})
            end = len(alt.components)
            matched_ancestor = False
            for name in components:
                if end in states:
                    matched_ancestor = True
                    break
                states = alt.step(states, name)
                if not states:
                    break
            if matched_ancestor or (end in states and components):
                return DirState.ALL
            if any(alt.rest_matches_every_path(s) for s in states if s < end):
                return DirState.ALL
            if any(s < end for s in states):
                possible = True
        return DirState.PARTIAL if possible else DirState.NONE


@lru_cache(maxsize=4096)
def compile_glob(pattern: str) -> Glob:
    alternatives = []
    regex_parts = []
    for spelled in expand_braces(pattern):
        components = _collapse_doublestars(spelled.split("/"))
        regexes = tuple(None if c == DOUBLESTAR else re.compile(_component_regex(c)) for c in components)
        alternatives.append(_Alternative(components, regexes))
        regex_parts.append(_alternative_regex(components))
    full = "(?:" + "|".join(regex_parts) + ")(?:/.+)?"
    return Glob(pattern, tuple(alternatives), re.compile(full, re.DOTALL))


def _collapse_doublestars(components: list[str]) -> tuple[str, ...]:
    """`a/**/**/b` means the same as `a/**/b`; collapsing keeps the regex and the walk simple."""
    result: list[str] = []
    for comp in components:
        if comp == DOUBLESTAR and result and result[-1] == DOUBLESTAR:
            continue
        result.append(comp)
    return tuple(result)


def _alternative_regex(components: tuple[str, ...]) -> str:
    """Full-path regex of one alternative; `**` matches zero or more whole components."""
    if all(c == DOUBLESTAR for c in components):
        return ".*"
    out = ""
    pending_separator = False
    for i, comp in enumerate(components):
        if comp == DOUBLESTAR:
            if i == len(components) - 1:
                out += "(?:/[^/]+)*"  # trailing `**`: the parent itself or anything below it
                pending_separator = False
            else:
                out += ("/" if pending_separator else "") + "(?:[^/]+/)*"
                pending_separator = False
            continue
        if pending_separator:
            out += "/"
        out += _component_regex(comp)
        pending_separator = True
    return out
