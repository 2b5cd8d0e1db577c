"""Sprig dictionary functions (merge follows mergo: fill missing or empty keys, recurse into maps): outputs expected from Go's text/template with Sprig."""

from __future__ import annotations

import pytest

CASES = [
    pytest.param(
        '{{ dict "a" 1 "b" (dict "c" 2) }}|{{ dict "odd" }}|{{ dict 1 2 }}|{{ typeOf (dict) }}',
        {},
        'map[a:1 b:map[c:2]]|map[odd:]|map[1:2]|map[string]interface {}',
        id='dict',
    ),
    pytest.param(
        '{{ hasKey .m "a" }}|{{ hasKey .m "z" }}|{{ hasKey (dict "n" nil) "n" }}',
        {'m': {'a': 1}},
        'true|false|true',
        id='hasKey',
    ),
    pytest.param(
        '{{ get .m "a" }}|{{ get .m "zz" }}|{{ typeOf (get .m "zz") }}',
        {'m': {'a': 1}},
        '1||string',
        id='get',
    ),
    pytest.param(
        '{{ $d := dict "a" 1 }}{{ $_ := set $d "b" 2 }}{{ $d }}|{{ set (dict) "k" "v" }}',
        {},
        'map[a:1 b:2]|map[k:v]',
        id='set',
    ),
    pytest.param(
        '{{ $d := dict "a" 1 "b" 2 }}{{ $_ := unset $d "a" }}{{ $d }}|{{ unset (dict) "x" }}',
        {},
        'map[b:2]|map[]',
        id='unset',
    ),
    pytest.param(
        '{{ keys (dict "b" 1 "a" 2) | sortAlpha }}|{{ keys (dict "x" 1) (dict "y" 2) | sortAlpha }}|{{ typeOf (keys (dict)) }}',
        {},
        '[a b]|[x y]|[]string',
        id='keys',
    ),
    pytest.param(
        '{{ values (dict "k" 1) }}|{{ pluck "a" (dict "a" 1) (dict "b" 2) (dict "a" 3) }}',
        {},
        '[1]|[1 3]',
        id='values',
    ),
    pytest.param(
        '{{ pick (dict "a" 1 "b" 2 "c" 3) "a" "c" "z" }}|{{ omit (dict "a" 1 "b" 2) "a" }}',
        {},
        'map[a:1 c:3]|map[b:2]',
        id='pick',
    ),
    pytest.param(
        '{{ $a := dict "a" 1 "n" (dict "x" 1) "e" "" "l" (list 1) }}{{ $b := dict "a" 2 "b" 3 "n" (dict "y" 2 "x" 9) "e" "filled" "l" (list 2 3) }}{{ merge $a $b }}|{{ $a }}',
        {},
        'map[a:1 b:3 e:filled l:[1] n:map[x:1 y:2]]|map[a:1 b:3 e:filled l:[1] n:map[x:1 y:2]]',
        id='merge',
    ),
    pytest.param(
        '{{ mustMerge (dict "a" 1) (dict "a" 3 "c" 4) (dict "d" 5) }}',
        {},
        'map[a:1 c:4 d:5]',
        id='mustMerge',
    ),
    pytest.param(
        '{{ mergeOverwrite (dict "a" 1 "n" (dict "x" 1)) (dict "a" 2 "n" (dict "x" 5 "z" 0) "m" "q") }}',
        {},
        'map[a:2 m:q n:map[x:5 z:0]]',
        id='mergeOverwrite',
    ),
    pytest.param(
        '{{ dig "a" "b" "def" .d }}|{{ dig "a" "x" "def" .d }}|{{ dig "z" "def" .d }}',
        {'d': {'a': {'b': 'found'}}},
        'found|def|def',
        id='dig',
    ),
    pytest.param(
        '{{ $a := dict "l" (list 1) }}{{ $b := deepCopy $a }}{{ $_ := set $b "x" 1 }}{{ $a }} {{ $b }}',
        {},
        'map[l:[1]] map[l:[1] x:1]',
        id='deepCopy',
    ),
]


@pytest.mark.parametrize("text, data, expected", CASES)
def test_dicts(render, text, data, expected):
    assert render(text, data) == expected
