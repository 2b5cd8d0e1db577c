"""BuildKit's word processing for the instructions it substitutes (ENV, ARG, LABEL, FROM, COPY, ADD, WORKDIR, USER,
EXPOSE, VOLUME, STOPSIGNAL and the --chown/--chmod/--from flags).

Quotes are removed (single quotes literal, double quotes allow `$` expansion), the escape character (`\\` or the
`# escape=` one) makes the next character literal, and variables expand: `$X`, `${X}`, `${X:-word}` (X unset or
empty → word), `${X-word}` (X unset → word), `${X:+word}` (X set and non-empty → word), `${X+word}` (X set → word),
`${X:?message}` / `${X?message}` (an error when X is missing). Words split on unquoted whitespace, including the
whitespace of unquoted expansions, as BuildKit's ProcessWords does. The names looked up are recorded, so a digest can
include exactly the build arguments an instruction uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

MAX_WORD_LENGTH = 1 << 20


class WordError(ValueError):
    """A malformed word (unterminated quote, bad substitution, `${X:?}` with X missing)."""


@dataclass
class Lexer:
    escape: str = "\\"
    used: set[str] = field(default_factory=set)

    def word(self, text: str, env: Mapping[str, str]) -> str:
        """One word: quotes removed, variables expanded, no splitting."""
        return "".join(_Scanner(self, text, env, split=False).run()[0:1]) if text else ""

    def words(self, text: str, env: Mapping[str, str]) -> list[str]:
        """Whitespace-separated words (unquoted whitespace splits, also inside unquoted expansions)."""
        return _Scanner(self, text, env, split=True).run()


class _Scanner:
    def __init__(self, lexer: Lexer, text: str, env: Mapping[str, str], *, split: bool) -> None:
        if len(text) > MAX_WORD_LENGTH:
            raise WordError("the instruction is too long")
        self.lexer = lexer
        self.text = text
        self.env = env
        self.split = split
        self.pos = 0
        self.words: list[str] = []
        self.current: list[str] = []
        self.in_word = False

    # ------------------------------------------------------------------ output
    def _add(self, text: str) -> None:
        self.current.append(text)
        self.in_word = True

    def _add_split(self, text: str) -> None:
        if not self.split:
            self._add(text)
            return
        for char in text:
            if char.isspace():
                self._end_word()
            else:
                self._add(char)

    def _end_word(self) -> None:
        if self.in_word:
            self.words.append("".join(self.current))
        self.current = []
        self.in_word = False

    # ------------------------------------------------------------------ scanning
    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _next(self) -> str:
        char = self._peek()
        self.pos += 1
        return char

    def run(self) -> list[str]:
        if not self.split:
            self.in_word = True
        while self.pos < len(self.text):
            char = self._peek()
            if self.split and char.isspace():
                self.pos += 1
                self._end_word()
                continue
            self._add(self._unit(stop=""))
        self._end_word()
        return self.words if self.split else ["".join(self.words)]

    def _unit(self, stop: str) -> str:
        """One scanning unit outside quotes: a quoted string, an escaped char, an expansion, or one char."""
        char = self._next()
        if char == self.lexer.escape:
            if self.pos >= len(self.text):
                return char
            return self._next()
        if char == "'":
            return self._single_quoted()
        if char == '"':
            return self._double_quoted()
        if char == "$":
            value = self._dollar()
            if self.split and not stop:
                # an unquoted expansion splits like the rest of the word
                self.in_word = True
                head, *rest = _split_keep(value)
                if not rest:
                    return head
                self.current.append(head)
                for piece in rest[:-1]:
                    self._end_word()
                    if piece:
                        self._add(piece)
                self._end_word()
                if rest[-1]:
                    self.in_word = True
                return rest[-1]
            return value
        return char

    def _single_quoted(self) -> str:
        end = self.text.find("'", self.pos)
        if end < 0:
            raise WordError("unexpected end of statement while looking for matching single-quote")
        value = self.text[self.pos:end]
        self.pos = end + 1
        self.in_word = True
        return value

    def _double_quoted(self) -> str:
        out: list[str] = []
        self.in_word = True
        while True:
            if self.pos >= len(self.text):
                raise WordError("unexpected end of statement while looking for matching double-quote")
            char = self._next()
            if char == '"':
                return "".join(out)
            if char == self.lexer.escape:
                following = self._peek()
                if following in ('"', "$", self.lexer.escape):
                    out.append(self._next())
                else:
                    out.append(char)
                continue
            if char == "$":
                out.append(self._dollar())
                continue
            out.append(char)

    def _name(self) -> str:
        start = self.pos
        if self.pos < len(self.text) and self.text[self.pos].isdigit():
            while self.pos < len(self.text) and self.text[self.pos].isdigit():
                self.pos += 1
            return self.text[start:self.pos]
        while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] == "_"):
            self.pos += 1
        return self.text[start:self.pos]

    def _lookup(self, name: str) -> str | None:
        self.lexer.used.add(name)
        return self.env.get(name)

    def _dollar(self) -> str:
        if self._peek() != "{":
            name = self._name()
            if not name:
                return "$"
            return self._lookup(name) or ""
        self.pos += 1
        name = self._name()
        if not name:
            raise WordError("bad substitution: a variable name must follow ${")
        char = self._next()
        if char == "}":
            return self._lookup(name) or ""
        colon = char == ":"
        if colon:
            char = self._next()
        if char not in ("-", "+", "?"):
            raise WordError(f"unsupported modifier ({char or 'end of text'}) in substitution ${{{name}...}}")
        word = self._until_brace()
        value = self._lookup(name)
        missing = value is None or (colon and value == "")
        if char == "-":
            return word if missing else (value or "")
        if char == "+":
            return "" if missing else word
        if missing:
            raise WordError(f"{name}: {word or 'is not set'}")
        return value or ""

    def _until_brace(self) -> str:
        out: list[str] = []
        while True:
            if self.pos >= len(self.text):
                raise WordError("unexpected end of statement while looking for matching }")
            if self._peek() == "}":
                self.pos += 1
                return "".join(out)
            out.append(self._unit(stop="}"))


def _split_keep(value: str) -> list[str]:
    """Split on whitespace runs, keeping leading/trailing empties (they end/start words)."""
    pieces: list[str] = []
    current: list[str] = []
    previous_space = False
    for char in value:
        if char.isspace():
            if not previous_space:
                pieces.append("".join(current))
                current = []
            previous_space = True
        else:
            current.append(char)
            previous_space = False
    pieces.append("".join(current))
    return pieces
