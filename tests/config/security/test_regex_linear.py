"""Sprig's regex functions run on RE2: linear time on patterns that make backtracking engines explode, with Go's
semantics (leftmost-first, `$` at end of text, ASCII `\\d`, byte-wise empty-match stepping, `$1`/`${name}`)."""

from __future__ import annotations

import re
import time

import pytest

from werf_core.config.gotemplate import TemplateError, TemplateSet, werf_functions
from werf_core.config.gotemplate.files import glob_regex

pytestmark = pytest.mark.timeout(120)


def _render(text: str) -> str:
    ts = TemplateSet(werf_functions({}))
    ts.parse("t", text)
    return ts.execute("t", {})


EVIL = [
    ("(a+)+$", "a" * 30000 + "!"),
    ("(a|aa)+$", "a" * 30000 + "b"),
    ("(x+x+)+y", "x" * 30000),
    ("^(a?){40}a{40}$", "a" * 40),
    ("(.*a){25}", "a" * 3000 + "b"),
    ("^(\\w+\\s?)*$", "word " * 6000 + "!"),
]


@pytest.mark.parametrize("pattern, text", EVIL)
@pytest.mark.parametrize("function", ["regexMatch", "regexFind", "regexFindAll", "regexReplaceAll", "regexSplit"])
def test_exponential_backtracking_patterns_finish_fast(pattern, text, function):
    args = {"regexMatch": "", "regexFind": "", "regexFindAll": " -1", "regexReplaceAll": ' "z"',
            "regexSplit": " -1"}[function]
    quoted = pattern.replace("\\", "\\\\")
    template = f'{{{{ $r := {function} "{quoted}" .text{args} }}}}done'
    ts = TemplateSet(werf_functions({}))
    ts.parse("t", template)
    start = time.perf_counter()
    assert ts.execute("t", {"text": text}) == "done"
    assert time.perf_counter() - start < 5


def test_a_backtracking_engine_would_not_have_finished():
    # the control: Python's own engine on the first evil case takes exponential time in the input length
    start = time.perf_counter()
    re.search(EVIL[0][0], "a" * 22 + "!")
    slow = time.perf_counter() - start
    start = time.perf_counter()
    _render('{{ regexMatch "(a+)+$" "' + "a" * 22 + '!" }}')
    assert time.perf_counter() - start < slow


GO_SEMANTICS = [
    ('{{ regexFind "a|ab" "ab" }}', "a"),  # leftmost-first, not leftmost-longest
    ('{{ regexMatch "^a$" "a\\n" }}|{{ regexMatch "(?m)^b$" "a\\nb\\nc" }}', "false|true"),
    ('{{ regexFindAll "\\\\d+" "١٢٣ 456" -1 }}', "[456]"),  # \\d is ASCII only
    ('{{ regexFindAll "\\\\pL+" "héllo wörld 42" -1 }}', "[héllo wörld]"),
    ('{{ regexFind "(?U)a+" "aaa" }}|{{ regexFind "a(?i)b" "aB" }}', "a|aB"),
    ('{{ regexFind "\\\\Qa.b\\\\E" "axb a.b" }}|{{ regexFind "[[:upper:]]+" "abcDEFghi" }}', "a.b|DEF"),
    ('{{ regexReplaceAll "(?<word>\\\\w+)" "hi there" "<${word}>" }}', "<hi> <there>"),
    ('{{ regexReplaceAll "(?P<w>\\\\w+)" "hi" "$w!" }}', "hi!"),
    ('{{ regexReplaceAll "(a)(b)?" "ac" "[$2|$1|$$|$1x]" }}', "[|a|$|]c"),
    ('{{ regexReplaceAllLiteral "(a)" "a" "$1" }}', "$1"),
    ('{{ regexReplaceAll "" "hé" "-" }}', "-h-é-"),  # empty matches step over whole runes
    ('{{ regexFindAll "" "hé" -1 | len }}', "3"),
    ('{{ regexSplit "é" "aébéc" -1 }}|{{ regexSplit "b" "abcbd" 2 }}', "[a b c]|[a cbd]"),
    ('{{ regexFind "é+" "ab éé cd" }}|{{ regexFindAll "." "日本" -1 }}', "éé|[日 本]"),
    ('{{ regexFind "\\\\bb\\\\w" "ab bc" }}', "bc"),
]


@pytest.mark.parametrize("text, expected", GO_SEMANTICS)
def test_go_semantics(text, expected):
    assert _render(text) == expected


@pytest.mark.parametrize("pattern, message", [
    ("a**", "error parsing regexp: invalid nested repetition operator: `**`"),
    ("(?=a)", "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"),
    ("(a)\\\\1", "error parsing regexp: invalid escape sequence: `\\1`"),
    ("x{1001}", "error parsing regexp: invalid repeat count: `{1001}`"),
    ("(", "error parsing regexp: missing closing ): `(`"),
    ("*", "error parsing regexp: missing argument to repetition operator: `*`"),
])
def test_compile_errors_read_like_go(pattern, message):
    with pytest.raises(TemplateError) as info:
        _render('{{ mustRegexFind "' + pattern + '" "x" }}')
    assert info.value.go_message.endswith("error calling mustRegexFind: " + message)


def test_glob_patterns_are_linear_too():
    rx = glob_regex("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b")
    start = time.perf_counter()
    assert not rx.fullmatch("a" * 3000)
    assert time.perf_counter() - start < 2
