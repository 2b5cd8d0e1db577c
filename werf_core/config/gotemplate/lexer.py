"""Tokens of Go's text/template, scanned the way Go's lexer does (including its error messages).

The whole input is scanned up front into a list; an ERROR token, if any, is the last one. Go's lexer runs lazily
beside the parser, but it is strictly sequential, so the parser sees exactly the same stream either way.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

from werf_core.config.gotemplate.gostrconv import quote

# token types (keywords after KEYWORD, like Go's itemType)
ERROR, BOOL, CHAR, CHAR_CONSTANT, COMMENT, COMPLEX, ASSIGN, DECLARE, EOF, FIELD, IDENTIFIER, LEFT_DELIM, \
    LEFT_PAREN, NUMBER, PIPE, RAW_STRING, RIGHT_DELIM, RIGHT_PAREN, SPACE, STRING, TEXT, VARIABLE, KEYWORD, \
    BLOCK, BREAK, CONTINUE, DOT, DEFINE, ELSE, END, IF, NIL, RANGE, TEMPLATE, WITH = range(35)

KEYWORDS = {
    ".": DOT, "block": BLOCK, "break": BREAK, "continue": CONTINUE, "define": DEFINE, "else": ELSE, "end": END,
    "if": IF, "range": RANGE, "nil": NIL, "template": TEMPLATE, "with": WITH,
}

LEFT_DELIM_TEXT = "{{"
RIGHT_DELIM_TEXT = "}}"
LEFT_COMMENT = "/*"
RIGHT_COMMENT = "*/"
SPACE_CHARS = " \t\r\n"


class Item:
    __slots__ = ("typ", "pos", "val", "line")

    def __init__(self, typ: int, pos: int, val: str, line: int):
        self.typ = typ
        self.pos = pos
        self.val = val
        self.line = line

    def __str__(self) -> str:
        """How Go's parser names a token in messages: EOF, <keyword>, "text" or "first 10 c"..."""
        if self.typ == EOF:
            return "EOF"
        if self.typ == ERROR:
            return self.val
        if self.typ > KEYWORD:
            return f"<{self.val}>"
        if len(self.val) > 10:
            return quote(self.val[:10]) + "..."
        return quote(self.val)

    def __repr__(self) -> str:
        return f"Item({self.typ}, {self.pos}, {self.val!r}, {self.line})"


def describe_rune(ch: str) -> str:
    """Go's %#U: U+0023 '#'."""
    cp = ord(ch)
    text = f"U+{cp:04X}"
    if ch.isprintable():
        text += f" '{ch}'"
    return text


def _is_alnum(ch: str) -> bool:
    return ch == "_" or ch.isalpha() or ch.isdecimal()


_ALNUM_RUN = re.compile(r"[\w]*", re.UNICODE)
_SPACE_RUN = re.compile(r"[ \t\r\n]+")
_SPACES = re.compile(r"[ \t\r\n]*")


def _has_left_trim_marker(s: str, i: int) -> bool:
    """A "-" followed by a space right after "{{" trims the spaces before the action."""
    return s.startswith("-", i) and i + 1 < len(s) and s[i + 1] in SPACE_CHARS
_DIGIT_SETS = {
    "dec": set("0123456789_"),
    "hex": set("0123456789abcdefABCDEF_"),
    "oct": set("01234567_"),
    "bin": set("01_"),
}


class _LexError(Exception):
    pass


class Lexer:
    """Scans `text` into tokens. `break_ok`/`continue_ok` are false when functions by those names exist."""

    def __init__(self, text: str, break_ok: bool = True, continue_ok: bool = True):
        self.input = text
        self.break_ok = break_ok
        self.continue_ok = continue_ok
        self.items: list[Item] = []
        self.pos = 0
        self.start = 0
        self.line = 1
        self.start_line = 1
        self.paren_depth = 0

    # -- helpers mirroring Go's lexer bookkeeping

    def _emit(self, typ: int) -> None:
        val = self.input[self.start:self.pos]
        self.items.append(Item(typ, self.start, val, self.start_line))
        if "\n" in val:
            self.line += val.count("\n")
        self.start = self.pos
        self.start_line = self.line

    def _ignore(self) -> None:
        self.line += self.input.count("\n", self.start, self.pos)
        self.start = self.pos
        self.start_line = self.line

    def _error(self, message: str) -> NoReturn:
        self.items.append(Item(ERROR, self.start, message, self.start_line))
        raise _LexError

    def _peek(self) -> str:
        return self.input[self.pos] if self.pos < len(self.input) else ""

    def _at_right_delim(self) -> tuple[bool, bool]:
        s = self.input
        p = self.pos
        if s.startswith(" -", p) or s.startswith("\t-", p) or s.startswith("\r-", p) or s.startswith("\n-", p):
            if s.startswith(RIGHT_DELIM_TEXT, p + 2):
                return True, True
        if s.startswith(RIGHT_DELIM_TEXT, p):
            return True, False
        return False, False

    def _at_terminator(self) -> bool:
        ch = self._peek()
        if ch == "" or ch in SPACE_CHARS or ch in ".,|:)(":
            return True
        return self.input.startswith(RIGHT_DELIM_TEXT, self.pos)

    # -- states

    def run(self) -> list[Item]:
        try:
            self._lex_text()
        except _LexError:
            pass
        return self.items

    def _lex_text(self) -> None:
        s = self.input
        while True:
            x = s.find(LEFT_DELIM_TEXT, self.pos)
            if x < 0:
                self.pos = len(s)
                if self.pos > self.start:
                    self._emit(TEXT)
                self._emit(EOF)
                return
            trim = 0
            if _has_left_trim_marker(s, x + len(LEFT_DELIM_TEXT)):
                text = s[self.start:x]
                trim = len(text) - len(text.rstrip(SPACE_CHARS))
            self.pos = x - trim
            if self.pos > self.start:
                self._emit(TEXT)
            self.pos = x
            self._ignore()
            self._lex_left_delim()

    def _lex_left_delim(self) -> None:
        s = self.input
        self.pos += len(LEFT_DELIM_TEXT)
        trim_space = _has_left_trim_marker(s, self.pos)
        after_marker = 2 if trim_space else 0
        if s.startswith(LEFT_COMMENT, self.pos + after_marker):
            self.pos += after_marker
            self._ignore()
            self._lex_comment()
            return
        self.items.append(Item(LEFT_DELIM, self.start, s[self.start:self.pos], self.start_line))
        self.start = self.pos
        self.pos += after_marker
        self._ignore()
        self.paren_depth = 0
        self._lex_inside_action()

    def _lex_comment(self) -> None:
        s = self.input
        self.pos += len(LEFT_COMMENT)
        x = s.find(RIGHT_COMMENT, self.pos)
        if x < 0:
            self._error("unclosed comment")
        self.pos = x + len(RIGHT_COMMENT)
        delim, trim_space = self._at_right_delim()
        if not delim:
            self._error("comment ends before closing delimiter")
        if trim_space:
            self.pos += 2
        self.pos += len(RIGHT_DELIM_TEXT)
        if trim_space:
            self.pos = _matched(_SPACES, s, self.pos)
        self._ignore()

    def _lex_right_delim(self) -> None:
        _, trim_space = self._at_right_delim()
        if trim_space:
            self.pos += 2
            self._ignore()
        self.pos += len(RIGHT_DELIM_TEXT)
        self._emit(RIGHT_DELIM)
        if trim_space:
            self.pos = _matched(_SPACES, self.input, self.pos)
            self._ignore()

    def _lex_inside_action(self) -> None:
        s = self.input
        n = len(s)
        while True:
            delim, _ = self._at_right_delim()
            if delim:
                if self.paren_depth == 0:
                    self._lex_right_delim()
                    return
                self._error("unclosed left paren")
            if self.pos >= n:
                self._error("unclosed action")
            ch = s[self.pos]
            if ch in SPACE_CHARS:
                if self._lex_space():
                    self._lex_right_delim()
                    return
                continue
            self.pos += 1
            if ch == "=":
                self._emit(ASSIGN)
            elif ch == ":":
                if self._peek() != "=":
                    if self.pos < n:
                        self.pos += 1
                    self._error("expected :=")
                self.pos += 1
                self._emit(DECLARE)
            elif ch == "|":
                self._emit(PIPE)
            elif ch == '"':
                self._lex_quote()
            elif ch == "`":
                self._lex_raw_quote()
            elif ch == "$":
                self._lex_variable()
            elif ch == "'":
                self._lex_char()
            elif ch == "." and self.pos < n and not ("0" <= s[self.pos] <= "9"):
                self._lex_field_or_variable(FIELD)
            elif ch in "+-." or "0" <= ch <= "9":
                self.pos -= 1
                self._lex_number()
            elif _is_alnum(ch):
                self.pos -= 1
                self._lex_identifier()
            elif ch == "(":
                self.paren_depth += 1
                self._emit(LEFT_PAREN)
            elif ch == ")":
                self._emit(RIGHT_PAREN)
                self.paren_depth -= 1
                if self.paren_depth < 0:
                    self._error("unexpected right paren")
            elif ord(ch) < 0x80 and ch.isprintable():
                self._emit(CHAR)
            else:
                self._error(f"unrecognized character in action: {describe_rune(ch)}")

    def _lex_space(self) -> bool:
        """Scan a run of spaces. Returns True when the run ends at a trim-marked right delimiter (" -}}")."""
        s = self.input
        end = _matched(_SPACE_RUN, s, self.pos)
        num_spaces = end - self.pos
        self.pos = end
        # a trim-marked closing delimiter has a minus right after a space
        if s.startswith("-" + RIGHT_DELIM_TEXT, self.pos):
            self.pos -= 1  # before the last space
            if num_spaces == 1:
                return True
        self._emit(SPACE)
        return False

    def _lex_identifier(self) -> None:
        s = self.input
        self.pos = _matched(_ALNUM_RUN, s, self.pos)
        word = s[self.start:self.pos]
        if not self._at_terminator():
            self._error(f"bad character {describe_rune(self._peek())}")
        typ = KEYWORDS.get(word)
        if typ is not None and typ > KEYWORD:
            if (typ == BREAK and not self.break_ok) or (typ == CONTINUE and not self.continue_ok):
                self._emit(IDENTIFIER)
            else:
                self._emit(typ)
        elif word in ("true", "false"):
            self._emit(BOOL)
        else:
            self._emit(IDENTIFIER)

    def _lex_variable(self) -> None:
        if self._at_terminator():
            self._emit(VARIABLE)
            return
        self._lex_field_or_variable(VARIABLE)

    def _lex_field_or_variable(self, typ: int) -> None:
        if self._at_terminator():
            self._emit(VARIABLE if typ == VARIABLE else DOT)
            return
        s = self.input
        self.pos = _matched(_ALNUM_RUN, s, self.pos)
        if not self._at_terminator():
            self._error(f"bad character {describe_rune(self._peek())}")
        self._emit(typ)

    def _lex_char(self) -> None:
        s = self.input
        n = len(s)
        while True:
            if self.pos >= n:
                self._error("unterminated character constant")
            ch = s[self.pos]
            self.pos += 1
            if ch == "\\":
                if self.pos >= n or s[self.pos] == "\n":
                    self._error("unterminated character constant")
                self.pos += 1
            elif ch == "\n":
                self._error("unterminated character constant")
            elif ch == "'":
                break
        self._emit(CHAR_CONSTANT)

    def _lex_quote(self) -> None:
        s = self.input
        n = len(s)
        while True:
            if self.pos >= n:
                self._error("unterminated quoted string")
            ch = s[self.pos]
            self.pos += 1
            if ch == "\\":
                if self.pos >= n or s[self.pos] == "\n":
                    self._error("unterminated quoted string")
                self.pos += 1
            elif ch == "\n":
                self._error("unterminated quoted string")
            elif ch == '"':
                break
        self._emit(STRING)

    def _lex_raw_quote(self) -> None:
        x = self.input.find("`", self.pos)
        if x < 0:
            self._error("unterminated raw quoted string")
        self.pos = x + 1
        self._emit(RAW_STRING)

    def _accept(self, chars: str) -> bool:
        if self.pos < len(self.input) and self.input[self.pos] in chars:
            self.pos += 1
            return True
        return False

    def _accept_run(self, chars: set[Any]) -> None:
        s = self.input
        n = len(s)
        while self.pos < n and s[self.pos] in chars:
            self.pos += 1

    def _scan_number(self) -> bool:
        self._accept("+-")
        digits = _DIGIT_SETS["dec"]
        kind = "dec"
        if self._accept("0"):
            if self._accept("xX"):
                digits, kind = _DIGIT_SETS["hex"], "hex"
            elif self._accept("oO"):
                digits, kind = _DIGIT_SETS["oct"], "oct"
            elif self._accept("bB"):
                digits, kind = _DIGIT_SETS["bin"], "bin"
        self._accept_run(digits)
        if self._accept("."):
            self._accept_run(digits)
        if kind == "dec" and self._accept("eE"):
            self._accept("+-")
            self._accept_run(_DIGIT_SETS["dec"])
        if kind == "hex" and self._accept("pP"):
            self._accept("+-")
            self._accept_run(_DIGIT_SETS["dec"])
        self._accept("i")
        nxt = self._peek()
        if nxt and _is_alnum(nxt):
            self.pos += 1
            return False
        return True

    def _lex_number(self) -> None:
        if not self._scan_number():
            self._error(f"bad number syntax: {quote(self.input[self.start:self.pos])}")
        nxt = self._peek()
        if nxt in ("+", "-") and nxt:
            # complex: 1+2i, no spaces, must end in 'i'
            if not self._scan_number() or self.input[self.pos - 1] != "i":
                self._error(f"bad number syntax: {quote(self.input[self.start:self.pos])}")
            self._emit(COMPLEX)
        else:
            self._emit(NUMBER)


def lex(text: str, break_ok: bool = True, continue_ok: bool = True) -> list[Item]:
    return Lexer(text, break_ok, continue_ok).run()


def _matched(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """Where a run of `pattern` starting at `pos` ends; callers only ask where the run is known to match."""
    match = pattern.match(text, pos)
    assert match is not None, f"{pattern.pattern!r} must match at {pos}"
    return match.end()
