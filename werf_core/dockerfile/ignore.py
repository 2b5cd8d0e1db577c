"""`.dockerignore` with Docker's pattern semantics (moby/patternmatcher).

Each line is a pattern (comments `#`, blank lines skipped), cleaned like Go's filepath.Clean and stripped of a
leading `/`; `!` makes it an exception. A path is excluded when the last pattern that matches it (or one of its
parent directories) is not an exception. Patterns use Go's filepath.Match syntax per path element (`*`, `?`,
`[...]`, `\\` escapes) plus `**` for any number of elements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from werf_core.gopath import clean as go_clean

MAX_IGNORE_BYTES = 1 << 20


@dataclass(frozen=True)
class _Pattern:
    text: str
    exclusion: bool          # a `!` exception
    regex: re.Pattern[str]


def _element_regex(element: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(element):
        char = element[index]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "\\" and index + 1 < len(element):
            index += 1
            out.append(re.escape(element[index]))
        elif char == "[":
            end = element.find("]", index + 2 if element[index + 1:index + 2] in ("]", "^", "!") else index + 1)
            if end < 0:
                raise ValueError(f"bad pattern {element!r}: unterminated [")
            body = element[index + 1:end]
            if body.startswith(("^", "!")):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            index = end
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def _compile(pattern: str) -> re.Pattern[str]:
    parts = pattern.split("/")
    regex = ""
    need_separator = False
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            if last:
                regex += ".*" if not regex else "(?:/.*)?"
            else:
                regex += "(?:.*/)?" if not regex else "(?:/.*)?/"
            need_separator = False
            continue
        if need_separator:
            regex += "/"
        regex += _element_regex(part)
        need_separator = True
    return re.compile("^" + regex + "$")


class DockerIgnore:
    def __init__(self, lines: list[str]) -> None:
        self.patterns: list[_Pattern] = []
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            exclusion = line.startswith("!")
            if exclusion:
                line = line[1:].strip()
            line = go_clean(line)
            line = line.lstrip("/") or "."
            if line == ".":
                # `.` (or `/`) matches the whole context: Docker drops it; an exception `!.` is meaningless too
                continue
            self.patterns.append(_Pattern(text=line, exclusion=exclusion, regex=_compile(line)))

    @classmethod
    def from_text(cls, text: str) -> DockerIgnore:
        if len(text) > MAX_IGNORE_BYTES:
            raise ValueError(".dockerignore is too large")
        return cls(text.splitlines())

    @property
    def has_exceptions(self) -> bool:
        return any(p.exclusion for p in self.patterns)

    def excluded(self, path: str) -> bool:
        """`path` is relative to the context root, `/`-separated, without a leading `./`."""
        parents = path.split("/")
        matched = False
        for pattern in self.patterns:
            if pattern.exclusion == (not matched):
                continue   # cannot change the outcome
            hit = bool(pattern.regex.match(path))
            if not hit:
                # a pattern that matches a parent directory excludes everything under it
                for depth in range(1, len(parents)):
                    if pattern.regex.match("/".join(parents[:depth])):
                        hit = True
                        break
            if hit:
                matched = not pattern.exclusion
        return matched
