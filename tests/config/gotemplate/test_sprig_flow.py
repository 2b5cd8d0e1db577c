"""defaults, truthiness and Go's comparison/logic builtins as used with Sprig: outputs expected from Go's text/template with Sprig."""

from __future__ import annotations

import pytest

CASES = [
    pytest.param(
        '{{ default "d" "" }}|{{ default "d" .missing }}|{{ default "d" 0 }}|{{ default "d" "x" }}|{{ default "d" false }}|{{ default "d" (list) }}|{{ default 5 nil }}|{{ .missing | default "piped" }}',
        {},
        'd|d|d|x|d|d|5|piped',
        id='default',
    ),
    pytest.param(
        '{{ empty 0 }}|{{ empty "a" }}|{{ empty (dict) }}|{{ empty nil }}|{{ empty .missing }}|{{ coalesce "" 0 "z" }}|{{ coalesce 0 "" }}',
        {},
        'true|false|true|true|true|z|<no value>',
        id='empty',
    ),
    pytest.param(
        '{{ ternary "y" "n" true }}|{{ ternary "y" "n" false }}|{{ true | ternary "A" "B" }}',
        {},
        'y|n|A',
        id='ternary',
    ),
    pytest.param(
        '{{ all 1 "a" true }}|{{ all 1 "" }}|{{ any 0 "" "x" }}|{{ any 0 "" }}',
        {},
        'true|false|true|false',
        id='all',
    ),
    pytest.param(
        '{{ eq 1 1 }}|{{ eq "a" "b" }}|{{ eq "a" "b" "a" }}|{{ ne 1 2 }}|{{ not true }}|{{ not "" }}',
        {},
        'true|false|true|true|false|true',
        id='eq',
    ),
    pytest.param(
        '{{ and 1 2 }}|{{ and 1 0 }}|{{ or 0 "" }}|{{ or 0 "x" }}',
        {},
        '2|0||x',
        id='and',
    ),
    pytest.param(
        '{{ len (list 1 2) }}|{{ len "abc" }}|{{ len (dict "a" 1) }}|{{ len "é" }}',
        {},
        '2|3|1|2',
        id='len',
    ),
    pytest.param(
        '{{ index (list 1 2 3) 1 }}|{{ index (dict "a" "b") "a" }}|{{ index .m "x" "y" }}|{{ index "hi" 0 }}',
        {'m': {'x': {'y': 'deep'}}},
        '2|b|deep|104',
        id='index',
    ),
]


@pytest.mark.parametrize("text, data, expected", CASES)
def test_flow(render, text, data, expected):
    assert render(text, data) == expected
