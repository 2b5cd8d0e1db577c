"""Sprig path functions (Go's path.Base/Dir/Clean/Ext/IsAbs): outputs expected from Go's text/template with Sprig."""

from __future__ import annotations

import pytest

CASES = [
    pytest.param(
        '{{ base "/a/b.txt" }}|{{ base "" }}|{{ base "/a/b/" }}|{{ base "/" }}|{{ osBase "x/y" }}',
        {},
        'b.txt|.|b|/|y',
        id='base',
    ),
    pytest.param(
        '{{ dir "/a/b.txt" }}|{{ dir "x" }}|{{ dir "/" }}|{{ dir "a/b/" }}',
        {},
        '/a|.|/|a/b',
        id='dir',
    ),
    pytest.param(
        '{{ clean "a//b/../c/." }}|{{ clean "../../a" }}|{{ clean "" }}|{{ clean "/../x" }}|{{ ext "a/b.tar.gz" }}|{{ ext "a.d/b" }}|{{ isAbs "/x" }}|{{ isAbs "x" }}',
        {},
        'a/c|../../a|.|/x|.gz||true|false',
        id='clean',
    ),
]


@pytest.mark.parametrize("text, data, expected", CASES)
def test_paths(render, text, data, expected):
    assert render(text, data) == expected
