"""Sprig math and type conversion (integer math on int64, `div` is integer division): outputs expected from Go's text/template with Sprig."""

from __future__ import annotations

import pytest

CASES = [
    pytest.param(
        '{{ add 1 2 3 }}|{{ add "3" 1.9 }}|{{ add }}|{{ typeOf (add 1 2) }}|{{ add1 5 }}',
        {},
        '6|4|0|int64|6',
        id='add',
    ),
    pytest.param(
        '{{ sub 1 5 }}|{{ sub 10 "3" }}',
        {},
        '-4|7',
        id='sub',
    ),
    pytest.param(
        '{{ mul 2 3 4 }}|{{ mul 5 }}|{{ mul 1.5 3 }}',
        {},
        '24|5|3',
        id='mul',
    ),
    pytest.param(
        '{{ div 7 2 }}|{{ div -7 2 }}|{{ div 10 "4" }}',
        {},
        '3|-3|2',
        id='div',
    ),
    pytest.param(
        '{{ mod 7 3 }}|{{ mod -7 3 }}|{{ mod 7 -3 }}',
        {},
        '1|-1|1',
        id='mod',
    ),
    pytest.param(
        '{{ max 1 5 3 }}|{{ min 4 2 8 }}|{{ biggest 1 9 }}|{{ maxf 1 2.5 }}|{{ minf 1 -2.5 }}',
        {},
        '5|2|9|2.5|-2.5',
        id='max',
    ),
    pytest.param(
        '{{ int "12" }}|{{ int 3.9 }}|{{ int -3.9 }}|{{ int "abc" }}|{{ int true }}|{{ typeOf (int 1) }}|{{ int64 "5" }}|{{ typeOf (int64 1) }}',
        {},
        '12|3|-3|0|1|int|5|int64',
        id='int',
    ),
    pytest.param(
        '{{ atoi "42" }}|{{ atoi "x" }}|{{ atoi "-7" }}|{{ typeOf (atoi "1") }}',
        {},
        '42|0|-7|int',
        id='atoi',
    ),
    pytest.param(
        '{{ float64 "1.5" }}|{{ float64 2 }}|{{ float64 "x" }}|{{ typeOf (float64 1) }}',
        {},
        '1.5|2|0|float64',
        id='float64',
    ),
    pytest.param(
        '{{ round 3.14159 2 }}|{{ round 2.5 0 }}|{{ ceil 1.2 }}|{{ floor 1.8 }}|{{ round 1.2345 3 0.3 }}',
        {},
        '3.14|3|2|1|1.235',
        id='round',
    ),
    pytest.param(
        '{{ addf 1.1 2.2 }}|{{ subf 5 1.5 }}|{{ mulf 1.5 2 }}|{{ divf 10 3 }}|{{ add1f 1.5 }}',
        {},
        '3.3|3.5|3|3.3333333333333335|2.5',
        id='addf',
    ),
    pytest.param(
        '{{ toDecimal "0777" }}|{{ toDecimal 755 }}|{{ toDecimal "9" }}',
        {},
        '511|493|0',
        id='toDecimal',
    ),
]


@pytest.mark.parametrize("text, data, expected", CASES)
def test_math(render, text, data, expected):
    assert render(text, data) == expected
