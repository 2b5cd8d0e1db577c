"""Sprig date functions (Go layouts, zones, durations): outputs expected from Go's text/template with Sprig."""

from __future__ import annotations

import pytest

CASES = [
    pytest.param(
        '{{ date "2006-01-02" 0 }}|{{ dateInZone "2006-01-02 15:04:05 MST" 1700000000 "UTC" }}|{{ dateInZone "Jan _2 Mon 3:04PM -07:00" (int64 1700000000) "America/New_York" }}|{{ htmlDateInZone 86400 "UTC" }}|{{ dateInZone "2006-01-02T15:04:05.000Z07:00" 1700000000 "Asia/Kolkata" }}',
        {},
        '1970-01-01|2023-11-14 22:13:20 UTC|Nov 14 Tue 5:13PM -05:00|1970-01-02|2023-11-15T03:43:20.000+05:30',
        id='date',
    ),
    pytest.param(
        '{{ toDate "2006-01-02" "2024-03-05" | date "02/01/2006" }}|{{ (toDate "2006-01-02T15:04:05Z07:00" "2024-03-05T10:11:12+02:00").UTC }}|{{ unixEpoch (toDate "2006-01-02" "2020-01-01") }}|{{ toDate "2006-01-02" "bad" }}|{{ (toDate "2006-01-02" "2020-02-03").Weekday }}',
        {},
        '05/03/2024|2024-03-05 08:11:12 +0000 UTC|1577836800|0001-01-01 00:00:00 +0000 UTC|Monday',
        id='toDate',
    ),
    pytest.param(
        '{{ duration "95" }}|{{ duration 3 }}|{{ duration (int64 3700) }}|{{ durationRound "2h10m" }}|{{ durationRound "400h" }}|{{ durationRound "3s" }}',
        {},
        '1m35s|0s|1h1m40s|2h|16d|3s',
        id='duration',
    ),
    pytest.param(
        '{{ dateModify "-1.5h" (toDate "2006-01-02" "2024-01-01") | date "2006-01-02 15:04" }}|{{ dateModify "bad" (toDate "2006-01-02" "2024-01-01") | date "2006-01-02" }}',
        {},
        '2023-12-31 22:30|2024-01-01',
        id='dateModify',
    ),
]


@pytest.mark.parametrize("text, data, expected", CASES)
def test_dates(render, text, data, expected):
    assert render(text, data) == expected
