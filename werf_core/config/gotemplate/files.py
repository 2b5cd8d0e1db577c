"""`.Files` in werf.yaml: read project files while rendering (`.Files.Get`, `.Files.Glob`, `.Files.Exists`).

Paths are relative to the project directory; a path that leads outside it (`../x`, an absolute path, a symlink
pointing out) is refused, so a werf.yaml cannot read the rest of the machine. `Glob` uses doublestar patterns
(`**` spans directories, `{a,b}` alternatives). Missing files give "" / an empty map plus a warning.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from typing import Any

from werf_core.config.gotemplate.errors import GoError
from werf_core.config.gotemplate.funcs import GoFunc
from werf_core.config.gotemplate.gostrconv import from_bytes, quote
from werf_core.config.gotemplate.values import GoObject


def _stderr_warning(message: str) -> None:
    print(message, file=sys.stderr)


def _segment_regex(seg: str) -> str:
    out = []
    i = 0
    n = len(seg)
    while i < n:
        c = seg[i]
        if c == "*":
            out.append("[^/]*")
            while i + 1 < n and seg[i + 1] == "*":
                i += 1
        elif c == "?":
            out.append("[^/]")
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(seg[i]))
        elif c == "[":
            end = seg.find("]", i + 2 if i + 1 < n and seg[i + 1] in "!^" else i + 1)
            if end < 0:
                raise GoError(f"syntax error in pattern {quote(seg)}")
            body = seg[i + 1:end]
            negate = body[:1] in ("!", "^")
            if negate:
                body = body[1:]
            body = body.replace("\\", "\\\\").replace("^", "\\^")
            out.append("[" + ("^/" if negate else "") + body + "]")
            i = end
        elif c == "{":
            depth = 0
            j = i
            while j < n:
                if seg[j] == "{":
                    depth += 1
                elif seg[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if j >= n:
                raise GoError(f"syntax error in pattern {quote(seg)}")
            alternatives = _split_alternatives(seg[i + 1:j])
            out.append("(?:" + "|".join(_segment_regex(a) for a in alternatives) + ")")
            i = j
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _split_alternatives(body: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, c in enumerate(body):
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    parts.append(body[start:])
    return parts


def _split_segments(pattern: str) -> list[str]:
    """Split at "/" outside {...} alternatives."""
    segments, depth, start = [], 0, 0
    for i, c in enumerate(pattern):
        if c == "{":
            depth += 1
        elif c == "}" and depth:
            depth -= 1
        elif c == "/" and depth == 0:
            segments.append(pattern[start:i])
            start = i + 1
    segments.append(pattern[start:])
    return segments


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A doublestar pattern as a regex over slash-separated relative paths."""
    segments = _split_segments(pattern)
    out = []
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg == "**":
            out.append(".*" if last else "(?:[^/]*/)*")
            continue
        out.append(_segment_regex(seg))
        if not last:
            out.append("/")
    return re.compile("".join(out), re.DOTALL)


def _static_prefix(pattern: str) -> str:
    """The leading directories of a pattern that contain no wildcard: where walking can start."""
    prefix = []
    for seg in _split_segments(pattern)[:-1]:
        if any(c in seg for c in "*?[{\\"):
            break
        prefix.append(seg)
    return "/".join(prefix)


class Files(GoObject):
    """werf's `.Files`: project files for templates."""

    go_type = "config.files"
    go_kind = "struct"

    def __init__(self, project_dir: str | os.PathLike[str], warn: Callable[[str], None] | None = None) -> None:
        self.root = os.path.abspath(os.fspath(project_dir))
        self.real_root = os.path.realpath(self.root)
        self.warn = warn or _stderr_warning
        self._cache: dict[str, str | None] = {}

    def go_string(self) -> str:
        return "{" + self.root + "}"

    # -- path safety

    def _inside(self, real: str) -> bool:
        return real == self.real_root or real.startswith(self.real_root.rstrip(os.sep) + os.sep)

    def _resolve(self, rel: str, what: str) -> str:
        if rel == "":
            raise GoError(f"{what} \"\": an empty path does not name a file of the project")
        if os.path.isabs(rel):
            raise GoError(f"{what} {quote(rel)}: absolute paths are refused; give a path relative to the project "
                          f"directory {self.root}")
        full = os.path.normpath(os.path.join(self.root, rel))
        if not self._inside(os.path.realpath(full)):
            raise GoError(f"{what} {quote(rel)}: the path leads outside the project directory {self.root}")
        return full

    def _read(self, full: str, rel: str, what: str) -> str | None:
        if full in self._cache:
            return self._cache[full]
        try:
            with open(full, "rb") as fh:
                content: str | None = from_bytes(fh.read())
        except FileNotFoundError:
            content = None
        except IsADirectoryError:
            raise GoError(f"{what} {quote(rel)}: {full} is a directory, not a file") from None
        except OSError as err:
            raise GoError(f"{what} {quote(rel)}: {err.strerror or err}") from None
        self._cache[full] = content
        return content

    # -- template methods

    def get(self, rel: str) -> str:
        full = self._resolve(rel, ".Files.Get")
        content = self._read(full, rel, ".Files.Get")
        if content is None:
            self.warn(f"WARNING: {{{{ .Files.Get {quote(rel)} }}}}: file {full} does not exist")
            return ""
        return content

    def exists(self, rel: str) -> bool:
        full = self._resolve(rel, ".Files.Exists")
        return os.path.isfile(full)

    def glob(self, pattern: str) -> dict[str, Any]:
        if pattern == "" or os.path.isabs(pattern):
            raise GoError(f".Files.Glob {quote(pattern)}: give a pattern relative to the project directory "
                          f"{self.root}")
        rx = glob_regex(pattern)
        start_rel = _static_prefix(pattern)
        start = self._resolve(start_rel, ".Files.Glob") if start_rel else self.root
        result: dict[str, str] = {}
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames.sort()
            for name in sorted(filenames):
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, self.root).replace(os.sep, "/")
                if not rx.fullmatch(rel) or not os.path.isfile(full):
                    continue
                if not self._inside(os.path.realpath(full)):
                    raise GoError(f".Files.Glob {quote(pattern)}: {rel} leads outside the project directory "
                                  f"{self.root}")
                content = self._read(full, rel, ".Files.Glob")
                if content is not None:
                    result[rel] = content
        if not result:
            self.warn(f"WARNING: No matches found for {{{{ .Files.Glob {quote(pattern)} }}}}")
        return result


Files.go_methods = {
    "Get": GoFunc(Files.get, ("any", "string"), name="Get"),
    "Glob": GoFunc(Files.glob, ("any", "string"), name="Glob"),
    "Exists": GoFunc(Files.exists, ("any", "string"), name="Exists"),
}
