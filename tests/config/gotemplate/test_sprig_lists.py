"""Sprig list functions and integer sequences: outputs expected from Go's text/template with Sprig."""

from __future__ import annotations

import pytest

CASES = [
    pytest.param(
        '{{ list 1 "a" 2.5 nil }}|{{ list }}|{{ typeOf (list) }}|{{ tuple 1 "b" }}',
        {},
        '[1 a 2.5 <nil>]|[]|[]interface {}|[1 b]',
        id='list',
    ),
    pytest.param(
        '{{ append (list 1) 2 }}|{{ push (list) "x" }}|{{ append (splitList "," "a,b") "c" }}',
        {},
        '[1 2]|[x]|[a b c]',
        id='append',
    ),
    pytest.param(
        '{{ prepend (list 1 2) 0 }}',
        {},
        '[0 1 2]',
        id='prepend',
    ),
    pytest.param(
        '{{ first (list 1 2 3) }}|{{ first (list) }}|{{ rest (list 1 2 3) }}|{{ rest (list) }}',
        {},
        '1|<no value>|[2 3]|[]',
        id='first',
    ),
    pytest.param(
        '{{ last (list 1 2 3) }}|{{ last (list) }}|{{ initial (list 1 2 3) }}|{{ last (splitList "/" "a/b/c") }}',
        {},
        '3|<no value>|[1 2]|c',
        id='last',
    ),
    pytest.param(
        '{{ reverse (list 1 2 3) }}|{{ uniq (list 1 2 1 "a" "a") }}|{{ without (list 1 2 3 2) 2 }}',
        {},
        '[3 2 1]|[1 2 a]|[1 3]',
        id='reverse',
    ),
    pytest.param(
        '{{ has 2 (list 1 2) }}|{{ has "x" (list 1) }}|{{ has "x" nil }}|{{ compact (list 0 1 "" "a" nil false) }}',
        {},
        'true|false|false|[1 a]',
        id='has',
    ),
    pytest.param(
        '{{ slice (list 1 2 3 4) 1 3 }}|{{ slice (list 1 2 3) 1 }}|{{ slice (list 1 2) }}|{{ concat (list 1) (list 2 3) (splitList "," "x") }}',
        {},
        '[2 3]|[2 3]|[1 2]|[1 2 3 x]',
        id='slice',
    ),
    pytest.param(
        '{{ chunk 2 (list 1 2 3 4 5) }}|{{ chunk 3 (list) }}',
        {},
        '[[1 2] [3 4] [5]]|[]',
        id='chunk',
    ),
    pytest.param(
        '{{ until 3 }}|{{ until -2 }}|{{ until 0 }}|{{ typeOf (until 1) }}',
        {},
        '[0 1 2]|[0 -1]|[]|[]int',
        id='until',
    ),
    pytest.param(
        '{{ untilStep 0 10 3 }}|{{ untilStep 10 0 -4 }}|{{ untilStep 1 5 0 }}|{{ untilStep 5 1 2 }}',
        {},
        '[0 3 6 9]|[10 6 2]|[]|[]',
        id='untilStep',
    ),
    pytest.param(
        '{{ seq 3 }}|{{ seq 2 5 }}|{{ seq 5 -1 2 }}|{{ seq 0 }}|{{ seq 5 2 }}',
        {},
        '1 2 3|2 3 4 5|5 4 3 2|1 0|5 4 3 2',
        id='seq',
    ),
]


@pytest.mark.parametrize("text, data, expected", CASES)
def test_lists(render, text, data, expected):
    assert render(text, data) == expected
