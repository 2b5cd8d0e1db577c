"""`.Files` in werf.yaml: read project files while rendering (`.Files.Get`, `.Files.Glob`, `.Files.Exists`).

Paths are relative to the project directory; a path that leads outside it (`../x`, an absolute path, a symlink
pointing out), a FIFO, device or socket, or a file over the size limits is refused (see `project_files`), so a
werf.yaml cannot read the rest of the machine nor hang the render. `Glob` uses doublestar patterns
(`**` spans directories, `{a,b}` alternatives). Missing files give "" / an empty map plus a warning.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from typing import Any

import re2

from werf_core.config.gotemplate.errors import GoError
from werf_core.config.gotemplate.funcs import GoFunc
from werf_core.config.gotemplate.gostrconv import from_bytes, quote
from werf_core.config.gotemplate.values import GoObject
from werf_core.config.limits import MAX_GLOB_MATCHES, MAX_PROJECT_FILE_BYTES
from werf_core.config.project_files import ConfinedReader, ReadBudget, UnsafeProjectFile


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


def glob_regex(pattern: str) -> Any:
    """A doublestar pattern as a regex over slash-separated relative paths. RE2 (linear time): `*a*a*a…b` over a
    long path would make a backtracking engine run for ages."""
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
    options = re2.Options()
    options.dot_nl = True
    options.log_errors = False
    try:
        return re2.compile("".join(out), options)
    except re2.error:
        raise GoError(f"syntax error in pattern {quote(pattern)}") from None


def _static_prefix(pattern: str) -> str:
    """The leading directories of a pattern that contain no wildcard: where walking can start."""
    prefix = []
    for seg in _split_segments(pattern)[:-1]:
        if any(c in seg for c in "*?[{\\"):
            break
        prefix.append(seg)
    return "/".join(prefix)


class Files(GoObject):
    """werf's `.Files`: project files for templates, read through a `ConfinedReader` (inside the project, regular
    files only, bounded in size)."""

    go_type = "config.files"
    go_kind = "struct"

    def __init__(self, project_dir: str | os.PathLike[str], warn: Callable[[str], None] | None = None,
                 budget: ReadBudget | None = None):
        self.reader = ConfinedReader(project_dir, budget)
        self.root = self.reader.root
        self.warn = warn or _stderr_warning
        self._cache: dict[str, str | None] = {}

    def go_string(self) -> str:
        return "{" + self.root + "}"

    # -- path safety

    def _resolve(self, rel: str, what: str) -> str:
        if rel == "":
            raise GoError(f"{what} \"\": an empty path does not name a file of the project")
        if os.path.isabs(rel):
            raise GoError(f"{what} {quote(rel)}: absolute paths are refused; give a path relative to the project "
                          f"directory")
        try:
            return self.reader.resolve(rel)
        except UnsafeProjectFile as err:
            raise _refused(what, rel, err) from None

    def _read(self, rel: str, what: str) -> str | None:
        key = os.path.normpath(rel)
        if key in self._cache:
            return self._cache[key]
        try:
            data = self.reader.read(rel, MAX_PROJECT_FILE_BYTES)
        except UnsafeProjectFile as err:
            raise _refused(what, rel, err) from None
        content = None if data is None else from_bytes(data)
        self._cache[key] = content
        return content

    # -- template methods

    def get(self, rel: str) -> str:
        self._resolve(rel, ".Files.Get")
        content = self._read(rel, ".Files.Get")
        if content is None:
            self.warn(f"WARNING: {{{{ .Files.Get {quote(rel)} }}}}: file {self.reader.display(rel)} does not exist "
                      "in the project directory")
            return ""
        return content

    def exists(self, rel: str) -> bool:
        self._resolve(rel, ".Files.Exists")
        return self.reader.is_regular_file(rel)

    def is_dir(self, rel: str) -> bool:
        """werf 1.2's `.Files.IsDir`: the path is a directory of the project."""
        full = self._resolve(rel, ".Files.IsDir")
        return os.path.isdir(full)

    def glob(self, pattern: str) -> dict[str, str]:
        if pattern == "" or os.path.isabs(pattern):
            raise GoError(f".Files.Glob {quote(pattern)}: give a pattern relative to the project directory")
        rx = glob_regex(pattern)
        start_rel = _static_prefix(pattern)
        if start_rel:
            self._resolve(start_rel, ".Files.Glob")
        result: dict[str, str] = {}
        try:
            entries = list(self.reader.walk_files(start_rel or "."))
        except UnsafeProjectFile as err:
            raise _refused(".Files.Glob", pattern, err) from None
        for rel, _full in entries:
            if not rx.fullmatch(rel):
                continue
            if len(result) >= MAX_GLOB_MATCHES:
                raise GoError(f".Files.Glob {quote(pattern)}: matches more than {MAX_GLOB_MATCHES} files, the limit "
                              "for one Glob while rendering werf.yaml; use a narrower pattern")
            content = self._read(rel, ".Files.Glob")
            if content is not None:
                result[rel] = content
        if not result:
            self.warn(f"WARNING: No matches found for {{{{ .Files.Glob {quote(pattern)} }}}}")
        return result


def _refused(what: str, rel: str, err: UnsafeProjectFile) -> GoError:
    return GoError(f"{what} {quote(rel)}: {err.display} {err.problem}", hint=err.hint)


Files.go_methods = {
    "Get": GoFunc(Files.get, ("any", "string"), name="Get"),
    "Glob": GoFunc(Files.glob, ("any", "string"), name="Glob"),
    "Exists": GoFunc(Files.exists, ("any", "string"), name="Exists"),
    "IsDir": GoFunc(Files.is_dir, ("any", "string"), name="IsDir"),
}
