"""A Dockerfile's instructions with their lines, flags and heredocs.

Line structure (continuations with the escape character, comment lines inside continuations, the `escape`
directive) comes from the maintained `dockerfile-parse` package. On top of it, BuildKit's rules it lacks:
- parser directives (`# syntax=`, `# escape=`, `# check=`) only at the very top, each at most once;
- heredocs for RUN, COPY and ADD (`<<EOF`, `<<-EOF`, `<<"EOF"`): the body lines are taken verbatim up to the
  terminator and the rest of the file is parsed again after it, so body lines are never read as instructions;
- leading `--name=value` flags split from the arguments; unknown instruction keywords refused with their line.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from dockerfile_parse import DockerfileParser

from werf_core.dockerfile.errors import DockerfileError

MAX_DOCKERFILE_BYTES = 4 * 1024 * 1024
KEYWORDS = frozenset({"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
                      "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"})
HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$")
_HEREDOC = re.compile(r"<<(-?)(?:\"([A-Za-z_][A-Za-z0-9_]*)\"|'([A-Za-z_][A-Za-z0-9_]*)'|([A-Za-z_][A-Za-z0-9_]*))")
_FLAG = re.compile(r"^--([a-zA-Z][a-zA-Z0-9-]*)(?:=(.*))?$")


@dataclass(frozen=True)
class Heredoc:
    name: str
    content: str          # the body, each line ending with a newline (leading tabs stripped for `<<-`)
    expand: bool          # an unquoted delimiter: `$VAR` in the body is substituted (COPY/ADD)
    chomp: bool


@dataclass(frozen=True)
class RawInstruction:
    keyword: str                       # upper-case
    args: str                          # the arguments after the flags, continuations joined
    line: int                          # 1-based first line
    end_line: int
    original: str                      # keyword + arguments as written (continuations joined), for ONBUILD
    flags: tuple[tuple[str, str | None], ...] = ()
    heredocs: tuple[Heredoc, ...] = ()

    def flag(self, name: str) -> str | None:
        values = [v for n, v in self.flags if n == name]
        return values[-1] if values else None


@dataclass(frozen=True)
class Dockerfile:
    path: str
    instructions: tuple[RawInstruction, ...]
    directives: dict[str, str] = field(default_factory=dict)
    escape: str = "\\"


def parse_directives(lines: list[str], path: str) -> dict[str, str]:
    """BuildKit's parser directives: `# name=value` lines at the top, before anything else."""
    directives: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        match = _DIRECTIVE.match(line.strip())
        if not match:
            break
        name, value = match.group(1).lower(), match.group(2)
        if name not in ("syntax", "escape", "check"):
            break
        if name in directives:
            raise DockerfileError(f"only one {name} parser directive can be used", path=path, line=number)
        directives[name] = value
    escape = directives.get("escape", "\\")
    if escape not in ("\\", "`"):
        raise DockerfileError(f"invalid escape token {escape!r}: it must be ` or \\", path=path, line=1)
    return directives


def split_flags(text: str) -> tuple[tuple[tuple[str, str | None], ...], str]:
    """Leading `--name[=value]` words (BuildKit's builder flags) and the arguments after them."""
    flags: list[tuple[str, str | None]] = []
    rest = text.lstrip()
    while rest.startswith("--"):
        word, _, remainder = rest.partition(" ")
        word, _, tail = word.partition("\t")
        remainder = (tail + " " + remainder) if tail else remainder
        if word == "--":
            break
        match = _FLAG.match(word)
        if not match:
            break
        flags.append((match.group(1), match.group(2)))
        rest = remainder.lstrip()
    return tuple(flags), rest


def _heredoc_markers(args: str) -> list[tuple[str, bool, bool]]:
    markers = []
    for match in _HEREDOC.finditer(args):
        chomp, double, single, bare = match.groups()
        name = double or single or bare
        markers.append((name, bare is not None, chomp == "-"))
    return markers


def parse_dockerfile(text: str, path: str) -> Dockerfile:
    if len(text.encode()) > MAX_DOCKERFILE_BYTES:
        raise DockerfileError(f"the Dockerfile is larger than {MAX_DOCKERFILE_BYTES} bytes", path=path)
    text = text.replace("\r\n", "\n")
    lines = text.splitlines(keepends=True)
    directives = parse_directives(lines, path)
    escape = directives.get("escape", "\\")
    instructions: list[RawInstruction] = []
    offset = 0       # lines of the file already consumed (instructions before the last heredoc)
    while offset < len(lines):
        # the rest of the file after a heredoc body is parsed again, with the escape directive restated on top
        prefix = "" if offset == 0 else f"# escape={escape}\n"
        chunk = prefix + "".join(lines[offset:])
        shift = offset - (1 if prefix else 0)
        structure = DockerfileParser(fileobj=io.BytesIO(chunk.encode())).structure
        resumed_at: int | None = None
        for item in structure:
            keyword = str(item["instruction"]).upper()
            if keyword == "COMMENT":
                continue
            first, last = int(item["startline"]) + shift, int(item["endline"]) + shift
            value = str(item["value"] or "")
            if keyword not in KEYWORDS:
                raise DockerfileError(f"unknown instruction: {item['instruction']}", path=path, line=first + 1,
                                      hint="check the spelling; the instructions are those of Docker's Dockerfile "
                                           "reference")
            flags, args = split_flags(value)
            heredocs: tuple[Heredoc, ...] = ()
            if keyword in HEREDOC_KEYWORDS and "<<" in args:
                markers = _heredoc_markers(args)
                if markers:
                    heredocs, resumed_at = _read_heredocs(lines, last + 1, markers, path, first + 1)
            instructions.append(RawInstruction(keyword=keyword, args=args.strip(), line=first + 1,
                                               end_line=(resumed_at or last + 1), original=f"{keyword} {value}",
                                               flags=flags, heredocs=heredocs))
            if resumed_at is not None:
                break
        if resumed_at is None:
            break
        offset = resumed_at
    return Dockerfile(path=path, instructions=tuple(instructions), directives=directives, escape=escape)


def _read_heredocs(lines: list[str], start: int, markers: list[tuple[str, bool, bool]], path: str,
                   line: int) -> tuple[tuple[Heredoc, ...], int]:
    """The bodies of the heredocs opened on one instruction line, in order; and the index of the line after them."""
    heredocs = []
    index = start
    for name, expand, chomp in markers:
        body: list[str] = []
        while True:
            if index >= len(lines):
                raise DockerfileError(f"unterminated heredoc <<{name}: no line {name!r} ends it", path=path,
                                      line=line)
            current = lines[index]
            index += 1
            stripped = current.rstrip("\n")
            if chomp:
                stripped = stripped.lstrip("\t")
            if stripped == name:
                break
            body.append((current.lstrip("\t") if chomp else current).rstrip("\n") + "\n")
        heredocs.append(Heredoc(name=name, content="".join(body), expand=expand, chomp=chomp))
    return tuple(heredocs), index
