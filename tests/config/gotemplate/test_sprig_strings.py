"""Sprig string functions: outputs expected from Go's text/template with Sprig."""

from __future__ import annotations

import pytest

CASES = [
    pytest.param(
        '{{ trimSuffix "-x" "a-x" }}|{{ trimSuffix "z" "a-x" }}',
        {},
        'a|a-x',
        id='trimSuffix',
    ),
    pytest.param(
        '{{ trimPrefix "p" "pp" }}|{{ "v1.2" | trimPrefix "v" }}',
        {},
        'p|1.2',
        id='trimPrefix',
    ),
    pytest.param(
        '{{ trim "  a b \\n\\t" }}|{{ trim "" }}',
        {},
        'a b|',
        id='trim',
    ),
    pytest.param(
        '{{ trimAll "$" "$5.00$" }}|{{ trimall "-" "--x--" }}',
        {},
        '5.00|x',
        id='trimAll',
    ),
    pytest.param(
        '{{ trunc 3 "abcdef" }}|{{ trunc -2 "abcdef" }}|{{ trunc 10 "ab" }}|{{ trunc 0 "ab" }}',
        {},
        'abc|ef|ab|',
        id='trunc',
    ),
    pytest.param(
        '{{ indent 2 "a\\nb" }}|{{ indent 0 "x" }}|{{ "line1\\nline2" | indent 4 }}',
        {},
        '  a\n  b|x|    line1\n    line2',
        id='indent',
    ),
    pytest.param(
        '{{ nindent 4 "a\\nb" }}|{{ "k: v" | nindent 2 }}',
        {},
        '\n    a\n    b|\n  k: v',
        id='nindent',
    ),
    pytest.param(
        '{{ replace "a" "b" "banana" }}|{{ "x.y.z" | replace "." "-" }}|{{ replace "" "-" "abc" }}',
        {},
        'bbnbnb|x-y-z|-a-b-c-',
        id='replace',
    ),
    pytest.param(
        '{{ quote "a" 1 nil "b\\"c" }}|{{ quote }}|{{ "x\\ny" | quote }}',
        {},
        '"a" "1" "b\\"c"||"x\\ny"',
        id='quote',
    ),
    pytest.param(
        '{{ squote "a" 2 nil }}',
        {},
        "'a' '2'",
        id='squote',
    ),
    pytest.param(
        '{{ cat "a" 1 nil (list 1 2) "b" }}',
        {},
        'a 1 [1 2] b',
        id='cat',
    ),
    pytest.param(
        '{{ contains "ab" "cabd" }}|{{ contains "x" "abc" }}|{{ "hello" | contains "ell" }}',
        {},
        'true|false|true',
        id='contains',
    ),
    pytest.param(
        '{{ hasPrefix "a" "ab" }}|{{ hasSuffix "b" "ab" }}|{{ hasPrefix "b" "ab" }}',
        {},
        'true|true|false',
        id='hasPrefix',
    ),
    pytest.param(
        '{{ upper "abc" }}|{{ lower "ABC" }}|{{ title "hello world-foo bar_baz" }}',
        {},
        'ABC|abc|Hello World-Foo Bar_baz',
        id='upper',
    ),
    pytest.param(
        '{{ untitle "Hello World" }}|{{ untitle "ABC def" }}',
        {},
        'hello world|aBC def',
        id='untitle',
    ),
    pytest.param(
        '{{ camelcase "http_server_foo" }}|{{ camelcase "some words" }}|{{ camelcase "_complex__case_" }}|{{ camelcase "a" }}',
        {},
        'HttpServerFoo|SomeWords|_Complex_Case_|A',
        id='camelcase',
    ),
    pytest.param(
        '{{ snakecase "FirstName" }}|{{ snakecase "HTTPServer" }}|{{ snakecase "NoHTTPS" }}|{{ snakecase "GO_PATH" }}|{{ snakecase "http2xx" }}|{{ snakecase "HTTP20xOK" }}|{{ snakecase "Duration2m3s" }}|{{ snakecase "Bld4Floor3rd" }}',
        {},
        'first_name|http_server|no_https|go_path|http_2xx|http_20x_ok|duration_2m3s|bld4_floor_3rd',
        id='snakecase',
    ),
    pytest.param(
        '{{ kebabcase "FirstName" }}|{{ kebabcase "GO PATH" }}|{{ kebabcase "HTTPServer" }}',
        {},
        'first-name|go-path|http-server',
        id='kebabcase',
    ),
    pytest.param(
        '{{ swapcase "This Is A.Test" }}|{{ swapcase "hello WORLD" }}',
        {},
        'tHIS iS a.tEST|HELLO world',
        id='swapcase',
    ),
    pytest.param(
        '{{ initials "First Try" }}|{{ initials "  a  b c" }}',
        {},
        'FT|abc',
        id='initials',
    ),
    pytest.param(
        '{{ abbrev 5 "hello world" }}|{{ abbrev 3 "hello" }}|{{ abbrev 20 "short" }}|{{ abbrevboth 5 10 "1234 5678 9123" }}',
        {},
        'he...|hello|short|...5678...',
        id='abbrev',
    ),
    pytest.param(
        '{{ wrap 5 "Hello World Foo" }}|{{ wrapWith 5 "\\t" "Hello World" }}|{{ wrap 3 "abcdefg hi" }}',
        {},
        'Hello\nWorld\nFoo|Hello\tWorld|abcdefg\nhi',
        id='wrap',
    ),
    pytest.param(
        '{{ nospace "a b\\tc\\nd" }}',
        {},
        'abcd',
        id='nospace',
    ),
    pytest.param(
        '{{ plural "one" "many" 1 }}|{{ plural "one" "many" 2 }}|{{ plural "one" "many" 0 }}',
        {},
        'one|many|many',
        id='plural',
    ),
    pytest.param(
        '{{ repeat 3 "ab" }}|{{ "-" | repeat 4 }}',
        {},
        'ababab|----',
        id='repeat',
    ),
    pytest.param(
        '{{ substr 1 3 "hello" }}|{{ substr 2 -1 "hello" }}|{{ substr -1 2 "hello" }}|{{ substr 0 99 "hi" }}',
        {},
        'el|llo|he|hi',
        id='substr',
    ),
    pytest.param(
        '{{ split "," "a,b" }}|{{ (split "," "a,b")._1 }}|{{ $p := split "/" "x/y/z" }}{{ $p._2 }}|{{ split "," "" }}',
        {},
        'map[_0:a _1:b]|b|z|map[_0:]',
        id='split',
    ),
    pytest.param(
        '{{ splitList "," "a,b,,c" }}|{{ splitList "" "abc" }}|{{ splitList "," "" }}|{{ len (splitList "." "1.2.3") }}',
        {},
        '[a b  c]|[a b c]|[]|3',
        id='splitList',
    ),
    pytest.param(
        '{{ splitn "," 2 "a,b,c" }}|{{ splitn "," 0 "a,b" }}|{{ (splitn "=" 2 "k=v=w")._1 }}',
        {},
        'map[_0:a _1:b,c]|map[]|v=w',
        id='splitn',
    ),
    pytest.param(
        '{{ join "-" (list 1 "a" nil 2) }}|{{ join "," (splitList " " "x y") }}|{{ join "," "single" }}',
        {},
        '1-a-2|x,y|single',
        id='join',
    ),
    pytest.param(
        '{{ toString 1 }}|{{ toString 1.5 }}|{{ toString true }}|{{ toString (list 1) }}',
        {},
        '1|1.5|true|[1]',
        id='toString',
    ),
    pytest.param(
        '{{ toStrings (list 1 "a" nil) }}|{{ typeOf (toStrings (list 1)) }}',
        {},
        '[1 a]|[]string',
        id='toStrings',
    ),
    pytest.param(
        '{{ sortAlpha (list "b" "a" "C" 1) }}|{{ sortAlpha "x" }}',
        {},
        '[1 C a b]|[x]',
        id='sortAlpha',
    ),
    pytest.param(
        '{{ printf "%s=%d" "a" 1 }}|{{ printf "%05.1f|%x|%q" 3.14159 255 "hi" }}|{{ printf "%v" (dict "b" 1 "a" (list 2)) }}',
        {},
        'a=1|003.1|ff|"hi"|map[a:[2] b:1]',
        id='printf',
    ),
]


@pytest.mark.parametrize("text, data, expected", CASES)
def test_strings(render, text, data, expected):
    assert render(text, data) == expected
