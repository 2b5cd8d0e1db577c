"""Go's `time.ParseDuration` syntax, used by `cleanup.keepPolicies` (`in: 168h`, `in: 1h30m`, `in: 90s`).

A duration is an optional sign and a sequence of decimal numbers, each with a unit: ns, us (µs, μs), ms, s, m, h.
"0" alone is allowed. Days are not a Go unit, which surprises people; the error says so.
"""

from __future__ import annotations

import re
from datetime import timedelta

_UNIT_NANOSECONDS = {
    "ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000,
    "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000,
}
_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


class DurationSyntaxError(ValueError):
    pass


def parse_go_duration(text: str) -> timedelta:
    """`"1h30m"` → timedelta(hours=1, minutes=30); raises DurationSyntaxError with a readable reason."""
    original = text
    sign = 1
    if text and text[0] in "+-":
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    if text == "0":
        return timedelta(0)
    if not text:
        raise DurationSyntaxError(f'invalid duration "{original}"')
    total_ns = 0.0
    position = 0
    while position < len(text):
        match = _PART.match(text, position)
        if not match:
            if re.match(r"\d+d", text[position:]):
                raise DurationSyntaxError(f'invalid duration "{original}": Go durations have no day unit, '
                                          f"write hours instead (e.g. 168h for 7 days)")
            raise DurationSyntaxError(f'invalid duration "{original}": expected numbers with units ns, us, ms, s, '
                                      f"m or h, like 72h or 1h30m")
        number, unit = match.groups()
        total_ns += float(number) * _UNIT_NANOSECONDS[unit]
        position = match.end()
    return sign * timedelta(microseconds=total_ns / 1000)


def format_go_duration(value: timedelta) -> str:
    """The reverse, in Go's `Duration.String()` style for whole seconds and above: 168h0m0s, 1h30m0s, 45s."""
    total = int(value.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{sign}{minutes}m{seconds}s"
    return f"{sign}{seconds}s"
