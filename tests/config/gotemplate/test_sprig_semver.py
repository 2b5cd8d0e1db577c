"""Sprig semantic versions (Masterminds/semver v3 constraints): outputs expected from Go's text/template with Sprig."""

from __future__ import annotations

import pytest

CASES = [
    pytest.param(
        '{{ semverCompare ">=1.2.0" "1.3.0" }}|{{ semverCompare "^1.2" "2.0.0" }}|{{ semverCompare "~1.2.3" "1.2.9" }}|{{ semverCompare "1.2 - 1.4" "1.4.5" }}|{{ semverCompare ">1.0.0" "1.1.0-beta" }}|{{ semverCompare ">1.0.0-0" "1.1.0-beta" }}|{{ semverCompare "1.x || >=3" "3.1.0" }}|{{ semverCompare "!=1.2.3" "1.2.3" }}|{{ semverCompare "<2" "1.9.9" }}|{{ semverCompare "^0.2.3" "0.2.9" }}|{{ semverCompare "^0.2.3" "0.3.0" }}',
        {},
        'true|false|true|true|false|true|true|false|true|true|false',
        id='semverCompare',
    ),
    pytest.param(
        '{{ (semver "v1.2.3-rc.1+b5").Major }}|{{ semver "1.2" }}|{{ (semver "1.2.3-beta").Prerelease }}|{{ (semver "1.2.3+meta").Metadata }}|{{ (semver "v1.0").Original }}',
        {},
        '1|1.2.0|beta|meta|v1.0',
        id='semver',
    ),
]


@pytest.mark.parametrize("text, data, expected", CASES)
def test_semver(render, text, data, expected):
    assert render(text, data) == expected
