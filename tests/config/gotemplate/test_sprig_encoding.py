"""Sprig encodings, digests and JSON: outputs expected from Go's text/template with Sprig."""

from __future__ import annotations

import pytest

CASES = [
    pytest.param(
        '{{ sha256sum "hello" }}|{{ sha256sum "" }}|{{ "héllo" | sha256sum }}',
        {},
        '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824|e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855|3c48591d8d098a4538f5e013dfcf406e948eac4d3277b10bf614e295d6068179',
        id='sha256sum',
    ),
    pytest.param(
        '{{ sha1sum "hello" }}|{{ sha512sum "a" }}|{{ adler32sum "hello" }}',
        {},
        'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d|1f40fc92da241694750979ee6cf582f2d5d7d28e18335de05abc54d0560e0f5302860c652bf08d560252aa5e74210546f369fbbbce8c12cfc7957b2652fe9a75|103547413',
        id='sha1sum',
    ),
    pytest.param(
        '{{ b64enc "héllo" }}|{{ b64dec "aGVsbG8=" }}|{{ b64dec "!!" }}|{{ b64dec "aGVsbG8" }}',
        {},
        'aMOpbGxv|hello|illegal base64 data at input byte 0|illegal base64 data at input byte 4',
        id='b64enc',
    ),
    pytest.param(
        '{{ b32enc "hi" }}|{{ b32dec "NBUQ====" }}|{{ b32dec "x" }}',
        {},
        'NBUQ====|hi|illegal base32 data at input byte 0',
        id='b32enc',
    ),
    pytest.param(
        '{{ toJson .d }}|{{ toJson "<a&b>" }}|{{ toRawJson "<x>" }}|{{ toJson (list) }}|{{ toJson nil }}',
        {'d': {'b': [1, 2.5, None, True], 'a': 'x', 'f': 1e+21, 'g': 1e-07}},
        '{"a":"x","b":[1,2.5,null,true],"f":1e+21,"g":1e-7}|"\\u003ca\\u0026b\\u003e"|"<x>"|[]|null',
        id='toJson',
    ),
    pytest.param(
        '{{ toPrettyJson (dict "a" (list 1 2) "b" (dict)) }}',
        {},
        '{\n  "a": [\n    1,\n    2\n  ],\n  "b": {}\n}',
        id='toPrettyJson',
    ),
    pytest.param(
        '{{ mustToJson (dict "k" "v") }}|{{ toJson "\\u2028\\t\\u0001" }}',
        {},
        '{"k":"v"}|"\\u2028\\t\\u0001"',
        id='mustToJson',
    ),
    pytest.param(
        '{{ $x := fromJson "{\\"a\\": [1, 2], \\"b\\": {\\"c\\": null}}" }}{{ $x }}|{{ typeOf $x.a }}|{{ fromJson "bad" }}|{{ fromJson "[1,2]" }}|{{ (fromJson "{\\"n\\": 5}").n | typeOf }}',
        {},
        'map[a:[1 2] b:map[c:<nil>]]|[]interface {}|<no value>|[1 2]|float64',
        id='fromJson',
    ),
]


@pytest.mark.parametrize("text, data, expected", CASES)
def test_encoding(render, text, data, expected):
    assert render(text, data) == expected
