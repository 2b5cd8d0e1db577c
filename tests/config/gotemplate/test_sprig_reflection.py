"""Sprig reflection functions (Go type and kind names): outputs expected from Go's text/template with Sprig."""

from __future__ import annotations

import pytest

CASES = [
    pytest.param(
        '{{ kindIs "map" .m }}|{{ kindIs "int" 1 }}|{{ kindIs "slice" (list) }}|{{ kindIs "string" 1 }}',
        {'m': {'a': 1}},
        'true|true|true|false',
        id='kindIs',
    ),
    pytest.param(
        '{{ kindOf "s" }}|{{ kindOf (list) }}|{{ kindOf .m }}|{{ kindOf nil }}|{{ kindOf 1.5 }}|{{ kindOf (add 1 1) }}|{{ kindOf true }}',
        {'m': {'a': 1}},
        'string|slice|map|invalid|float64|int64|bool',
        id='kindOf',
    ),
    pytest.param(
        '{{ typeOf .m }}|{{ typeOf (splitList "," "a") }}|{{ typeOf nil }}|{{ typeIs "string" "x" }}|{{ typeIsLike "int" 1 }}|{{ typeOf (split "," "a") }}',
        {'m': {'a': 1}},
        'map[string]interface {}|[]string|<nil>|true|true|map[string]string',
        id='typeOf',
    ),
    pytest.param(
        '{{ deepEqual (list 1) (list 1) }}|{{ deepEqual 1 1.0 }}|{{ deepEqual (dict "a" 1) (dict "a" 1) }}',
        {},
        'true|false|true',
        id='deepEqual',
    ),
]


@pytest.mark.parametrize("text, data, expected", CASES)
def test_reflection(render, text, data, expected):
    assert render(text, data) == expected
