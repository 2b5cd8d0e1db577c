"""Pointing a problem found in the rendered config back at the line the user wrote.

Validation runs on the rendered text, but the user edits the template. Where the template had no actions, rendered and
source lines are identical and the mapping is exact. Elsewhere the rendered lines are aligned with the source lines
(whole lines, see line_alignment.py): a rendered line that also appears, unchanged and in order, in the source
maps to it exactly; a line produced by a template action maps to the stretch of source between the nearest aligned
lines — the action that produced it — and the error quotes both that source stretch and the rendered lines.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from werf_core.errors import ConfigError

MAX_SNIPPET_LINES = 8


@dataclass(frozen=True)
class SourceLocation:
    """Where a config section was written: the config file (as given, relative to the project dir) and a line."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class MappedLines:
    first: int          # source line (1-based)
    last: int
    exact: bool         # the rendered lines are these source lines verbatim


class SourceMap:
    """Maps rendered line numbers (1-based) to source line numbers; the alignment is computed only when first needed."""

    def __init__(self, source_text: str | None, rendered_text: str) -> None:
        self.source_lines = _lines(source_text if source_text is not None else rendered_text)
        self.rendered_lines = _lines(rendered_text)
        self._blocks: list[tuple[int, int, int]] | None = None
        self._block_starts: list[int] = []

    def _alignment(self) -> list[tuple[int, int, int]]:
        if self._blocks is None:
            from werf_core.config.line_alignment import align_lines
            self._blocks = align_lines(self.source_lines, self.rendered_lines)
            self._block_starts = [b for _, b, _ in self._blocks]
        return self._blocks

    def source_line(self, rendered_line: int) -> tuple[int, bool]:
        """(source line, exact) for one rendered line; inexact lines map to the first line of their template region."""
        first, _, exact = self._map_one(rendered_line)
        return first, exact

    def _map_one(self, rendered_line: int) -> tuple[int, int, bool]:
        blocks = self._alignment()
        j = rendered_line - 1
        pos = bisect.bisect_right(self._block_starts, j) - 1
        if pos >= 0:
            a, b, size = blocks[pos]
            if j < b + size:
                line = a + (j - b) + 1
                return line, line, True
        # not aligned: produced by template code between the previous aligned block and the next one
        region_first = blocks[pos][0] + blocks[pos][2] if pos >= 0 else 0
        region_last = blocks[pos + 1][0] - 1 if pos + 1 < len(blocks) else len(self.source_lines) - 1
        region_last = max(region_first, region_last)
        return region_first + 1, region_last + 1, False

    def map_span(self, first: int, last: int) -> MappedLines:
        start_first, start_last, start_exact = self._map_one(first)
        if first == last:
            return MappedLines(start_first, start_last, start_exact)
        end_first, end_last, end_exact = self._map_one(last)
        exact = start_exact and end_exact and (end_first - start_first) == (last - first)
        return MappedLines(start_first, max(start_first, end_last if not end_exact else end_first), exact)


def _lines(text: str) -> list[str]:
    """Lines without their line break: a CRLF file (or a template that kept CRLF while the source was read with
    universal newlines) must align line by line with its rendering, and snippets must not carry a stray \\r."""
    lines = text.split("\n")
    if "\r" in text:
        lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    return lines


class ErrorReporter:
    """Builds `ConfigError`s for one config: a message at a rendered span → `file:line: message` + quoted lines."""

    def __init__(self, config_path: str, source_text: str | None, rendered_text: str) -> None:
        self.config_path = config_path
        self.source_map = SourceMap(source_text, rendered_text)

    def location(self, rendered_line: int) -> SourceLocation:
        line, _ = self.source_map.source_line(rendered_line)
        return SourceLocation(self.config_path, line)

    def error(self, message: str, first: int | None = None, last: int | None = None, *,
              hint: str | None = None) -> ConfigError:
        if first is None:
            return ConfigError(message, path=self.config_path, hint=hint)
        last = max(first, last or first)
        mapped = self.source_map.map_span(first, last)
        err = ConfigError(message, path=self.config_path, line=mapped.first,
                          snippet=self._snippet(mapped, first, last), hint=hint)
        err.last_line = mapped.last  # type: ignore[attr-defined]  # the source region, for hints about its lines
        return err

    def _snippet(self, mapped: MappedLines, first: int, last: int) -> str:
        text = _numbered(self.source_map.source_lines, mapped.first, mapped.last)
        if not mapped.exact:
            text += "\nrendered by the template as:\n" + _numbered(self.source_map.rendered_lines, first, last,
                                                                    numbers=False)
        return text


def _numbered(lines: list[str], first: int, last: int, numbers: bool = True) -> str:
    chosen = lines[first - 1:min(last, first + MAX_SNIPPET_LINES - 1)]
    width = len(str(first + len(chosen)))
    out = [f"{n:>{width}} | {text}" if numbers else f"  {text}" for n, text in enumerate(chosen, start=first)]
    if last - first + 1 > MAX_SNIPPET_LINES:
        out.append("..." if not numbers else f"{'':>{width}} | ...")
    return "\n".join(out)
