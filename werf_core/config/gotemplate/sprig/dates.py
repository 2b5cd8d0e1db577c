"""Sprig's date functions: now, date, dateInZone, toDate, dateModify, ago, duration, durationRound, unixEpoch."""

from __future__ import annotations

from typing import Any

from werf_core.config.gotemplate import gotime
from werf_core.config.gotemplate.errors import GoError
from werf_core.config.gotemplate.funcs import gofunc
from werf_core.config.gotemplate.gotime import GoTime


def _as_time(date: Any) -> GoTime:
    """Sprig accepts a time.Time or Unix seconds (int, int32, int64); anything else means now."""
    if isinstance(date, GoTime):
        return date
    if type(date) is int or type(date).__name__ in ("Int64", "Int32"):
        return GoTime(int(date), 0, gotime.LOCAL)
    return GoTime.now()


def date_in_zone(fmt: str, date: Any, zone: str) -> str:
    t = _as_time(date)
    try:
        loc = gotime.load_location(zone)
    except GoError:
        loc = gotime.UTC
    return gotime.format_time(t.in_location(loc), fmt)


def _date_modify(fmt: str, date: GoTime) -> GoTime:
    try:
        d = gotime.parse_duration(fmt)
    except GoError:
        return date
    return GoTime(date.sec, date.nsec + d, date.loc)


def _must_date_modify(fmt: str, date: GoTime) -> GoTime:
    d = gotime.parse_duration(fmt)
    return GoTime(date.sec, date.nsec + d, date.loc)


def _since_ns(t: GoTime) -> int:
    now = GoTime.now()
    return (now.sec - t.sec) * 1_000_000_000 + (now.nsec - t.nsec)


def _ago(date: Any) -> str:
    if isinstance(date, GoTime):
        t = date
    elif type(date) is int or type(date).__name__ == "Int64":
        t = GoTime(int(date), 0, gotime.LOCAL)
    else:
        t = GoTime.now()
    return gotime.duration_string(gotime.round_duration_to_second(_since_ns(t)))


def _duration(sec: Any) -> str:
    if type(sec) is str:
        body = sec[1:] if sec[:1] in "+-" else sec
        n = int(sec) if body.isdigit() and body.isascii() else 0
    elif type(sec).__name__ == "Int64":
        n = int(sec)
    else:
        n = 0
    return gotime.duration_string(n * 1_000_000_000)


def _duration_round(duration: Any) -> str:
    if type(duration) is str:
        try:
            d = gotime.parse_duration(duration)
        except GoError:
            d = 0
    elif type(duration).__name__ == "Int64":
        d = int(duration)
    elif isinstance(duration, GoTime):
        d = _since_ns(duration)
    else:
        d = 0
    u = abs(d)
    second = 1_000_000_000
    for unit, suffix in ((second * 3600 * 24 * 365, "y"), (second * 3600 * 24 * 30, "mo"),
                         (second * 3600 * 24, "d"), (second * 3600, "h"), (second * 60, "m"), (second, "s")):
        if u > unit:
            return f"{u // unit}{suffix}"
    return "0s"


def _to_date(fmt: str, value: str) -> GoTime:
    try:
        return gotime.parse_time(fmt, value, gotime.LOCAL)
    except GoError:
        return GoTime(gotime.ZERO_UNIX, 0, gotime.UTC)


FUNCS = {
    "now": gofunc()(GoTime.now),
    "date": gofunc("string", "any")(lambda fmt, date: date_in_zone(fmt, date, "Local")),
    "dateInZone": gofunc("string", "any", "string")(date_in_zone),
    "date_in_zone": gofunc("string", "any", "string")(date_in_zone),
    "htmlDate": gofunc("any")(lambda date: date_in_zone("2006-01-02", date, "Local")),
    "htmlDateInZone": gofunc("any", "string")(lambda date, zone: date_in_zone("2006-01-02", date, zone)),
    "dateModify": gofunc("string", "time")(_date_modify),
    "date_modify": gofunc("string", "time")(_date_modify),
    "mustDateModify": gofunc("string", "time")(_must_date_modify),
    "must_date_modify": gofunc("string", "time")(_must_date_modify),
    "ago": gofunc("any")(_ago),
    "duration": gofunc("any")(_duration),
    "durationRound": gofunc("any")(_duration_round),
    "toDate": gofunc("string", "string")(_to_date),
    "mustToDate": gofunc("string", "string")(lambda fmt, value: gotime.parse_time(fmt, value, gotime.LOCAL)),
    "unixEpoch": gofunc("time")(lambda t: str(t.sec)),
}
