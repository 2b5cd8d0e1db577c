"""Sprig environment, URL, flow-control and password functions: outputs expected from Go's text/template with Sprig."""

from __future__ import annotations

import pytest

CASES = [
    pytest.param(
        '{{ env "HOME" }}|{{ env "NOPE_X" }}|{{ env "EMPTY" | default "fallback" }}',
        {},
        '/home/werf||fallback',
        id='env',
    ),
    pytest.param(
        '{{ expandenv "a $HOME ${HOME} $$ ${} ${ $1 x" }}',
        {},
        'a /home/werf /home/werf     x',
        id='expandenv',
    ),
    pytest.param(
        '{{ if false }}{{ fail "not reached" }}{{ end }}ok',
        {},
        'ok',
        id='fail',
    ),
    pytest.param(
        '{{ urlParse "https://u:p@host.com:8080/a%20b?q=1#frag" }}|{{ urlJoin (dict "scheme" "https" "host" "h.com" "path" "/p" "query" "a=b") }}',
        {},
        'map[fragment:frag host:host.com:8080 hostname:host.com opaque: path:/a b query:q=1 scheme:https userinfo:u:p]|https://h.com/p?a=b',
        id='urlParse',
    ),
    pytest.param(
        '{{ derivePassword 1 "long" "password" "user" "example.com" }}|{{ derivePassword 1 "pin" "p" "u" "s" }}',
        {},
        'ZedaFaxcZaso9*|2461',
        id='derivePassword',
    ),
]


@pytest.mark.parametrize("text, data, expected", CASES)
def test_os(render, text, data, expected):
    assert render(text, data) == expected
