from datetime import timedelta

import pytest

from werf_core.config.go_duration import DurationSyntaxError, format_go_duration, parse_go_duration


@pytest.mark.parametrize("text, expected", [
    ("168h", timedelta(hours=168)),
    ("1h30m", timedelta(hours=1, minutes=30)),
    ("90s", timedelta(seconds=90)),
    ("1.5h", timedelta(minutes=90)),
    ("300ms", timedelta(milliseconds=300)),
    ("2us", timedelta(microseconds=2)),
    ("0", timedelta(0)),
    ("-5m", -timedelta(minutes=5)),
    ("+5m", timedelta(minutes=5)),
    ("1h1m1s", timedelta(hours=1, minutes=1, seconds=1)),
])
def test_go_syntax(text, expected):
    assert parse_go_duration(text) == expected


@pytest.mark.parametrize("text", ["", "5", "h", "1x", "1h 30m", "-", "1.2.3h"])
def test_invalid(text):
    with pytest.raises(DurationSyntaxError):
        parse_go_duration(text)


def test_days_are_not_a_unit_and_the_error_says_what_to_write():
    with pytest.raises(DurationSyntaxError, match="168h for 7 days"):
        parse_go_duration("7d")


def test_format_round_trip():
    assert format_go_duration(timedelta(hours=168)) == "168h0m0s"
    assert format_go_duration(timedelta(seconds=45)) == "45s"
    assert parse_go_duration(format_go_duration(timedelta(hours=1, minutes=2, seconds=3))) == \
        timedelta(hours=1, minutes=2, seconds=3)
