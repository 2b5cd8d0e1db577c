"""Sprig regular expressions (Go RE2 syntax and matching rules): outputs expected from Go's text/template with Sprig."""

from __future__ import annotations

import pytest

CASES = [
    pytest.param(
        '{{ regexMatch "^[a-z]+$" "abc" }}|{{ regexMatch "^a$" "a\\n" }}|{{ regexMatch "[" "x" }}|{{ regexMatch "(?i)ABC" "abc" }}|{{ regexMatch "a(?i)b" "aB" }}',
        {},
        'true|false|false|true|true',
        id='regexMatch',
    ),
    pytest.param(
        '{{ regexFindAll "[0-9]+" "a1b22c333" -1 }}|{{ regexFindAll "a*" "baaab" -1 }}|{{ regexFindAll "[0-9]" "123" 2 }}|{{ regexFindAll "[[:digit:]]+" "a12b3" -1 }}|{{ regexFind "[a-z]+" "12abc34" }}',
        {},
        '[1 22 333]|[ aaa ]|[1 2]|[12 3]|abc',
        id='regexFindAll',
    ),
    pytest.param(
        '{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}|{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "$1W" }}|{{ regexReplaceAllLiteral "a(x*)b" "-ab-" "$1" }}|{{ regexReplaceAll "(?P<first>[a-z]+) (?P<last>[a-z]+)" "john smith" "$last, $first" }}|{{ regexReplaceAll "x*" "abc" "-" }}',
        {},
        '-W-xxW-|---|-$1-|smith, john|-a-b-c-',
        id='regexReplaceAll',
    ),
    pytest.param(
        '{{ regexSplit "[,;]" "a,b;c" -1 }}|{{ regexSplit "x*" "axbc" -1 }}|{{ regexSplit "," "a,b,c" 2 }}|{{ regexSplit "z" "" -1 }}|{{ regexQuoteMeta "a.b*c" }}',
        {},
        '[a b c]|[a b c]|[a b,c]|[]|a\\.b\\*c',
        id='regexSplit',
    ),
]


@pytest.mark.parametrize("text, data, expected", CASES)
def test_regex(render, text, data, expected):
    assert render(text, data) == expected
