"""Go's time.Time, time.Location and time.Duration for templates: layout-based Format and Parse
("2006-01-02 15:04:05"), zones, durations ("1h2m3.5s"), and the methods templates call (`.Year`, `.Format`...)."""

from __future__ import annotations

import datetime as _dt
import time as _time
from collections.abc import Callable
from typing import Any

from werf_core.config.gotemplate.errors import GoError
from werf_core.config.gotemplate.funcs import GoFunc
from werf_core.config.gotemplate.gostrconv import quote
from werf_core.config.gotemplate.values import GoObject, Int64

_EPOCH = _dt.datetime(1970, 1, 1)
_PROCESS_START = _time.monotonic()
ZERO_UNIX = -62135596800  # 0001-01-01 00:00:00 UTC, Go's zero Time

LONG_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December"]
LONG_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


class Location:
    """A time zone: UTC, Local (this machine's zone), a fixed offset, or an IANA zone."""

    def __init__(self, name: str, zone: Any = None, fixed: tuple[int, str] | None = None):
        self.name = name
        self.zone = zone
        self.fixed = fixed

    def lookup(self, unix: int) -> tuple[int, str]:
        """(offset seconds east of UTC, abbreviation) in force at a Unix time."""
        if self.fixed is not None:
            return self.fixed
        if self.name == "Local":
            try:
                tm = _time.localtime(unix)
                return tm.tm_gmtoff, tm.tm_zone
            except (OverflowError, OSError, ValueError):
                return 0, "UTC"
        try:
            moment = _dt.datetime.fromtimestamp(unix, tz=self.zone)
        except (OverflowError, OSError, ValueError):
            moment = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC).astimezone(self.zone)
        offset = moment.utcoffset()
        return int(offset.total_seconds()) if offset else 0, moment.tzname() or ""


UTC = Location("UTC", fixed=(0, "UTC"))
LOCAL = Location("Local")


def load_location(name: str) -> Location:
    """time.LoadLocation. Raises GoError("unknown time zone X")."""
    if name in ("", "UTC"):
        return UTC
    if name == "Local":
        return LOCAL
    try:
        import zoneinfo

        return Location(name, zone=zoneinfo.ZoneInfo(name))
    except Exception:
        raise GoError(f"unknown time zone {name}") from None


class GoTime(GoObject):
    go_type = "time.Time"
    go_kind = "struct"
    is_stringer = True

    __slots__ = ("sec", "nsec", "loc", "mono")

    def __init__(self, sec: int, nsec: int = 0, loc: Location = UTC, mono: float | None = None):
        sec += nsec // 1_000_000_000
        self.sec = sec
        self.nsec = nsec % 1_000_000_000
        self.loc = loc
        self.mono = mono

    @classmethod
    def now(cls) -> GoTime:
        ns = _time.time_ns()
        return cls(ns // 1_000_000_000, ns % 1_000_000_000, LOCAL, _time.monotonic() - _PROCESS_START)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, GoTime) and (self.sec, self.nsec, self.loc) == (other.sec, other.nsec, other.loc)

    def __hash__(self) -> int:
        return hash((self.sec, self.nsec))

    def in_location(self, loc: Location) -> GoTime:
        return GoTime(self.sec, self.nsec, loc)

    def fields(self) -> tuple[_dt.datetime, int, str]:
        """(wall-clock datetime in this location, offset, zone abbreviation)."""
        offset, abbr = self.loc.lookup(self.sec)
        wall = _EPOCH + _dt.timedelta(seconds=self.sec + offset)
        return wall, offset, abbr

    def go_string(self) -> str:
        text = format_time(self, "2006-01-02 15:04:05.999999999 -0700 MST")
        if self.mono is not None:
            text += f" m=+{self.mono:.9f}"
        return text

    def go_json(self) -> str:
        return format_time(self, "2006-01-02T15:04:05.999999999Z07:00")

    def is_zero(self) -> bool:
        return self.sec == ZERO_UNIX and self.nsec == 0

    def add_date(self, years: int, months: int, days: int) -> GoTime:
        wall, offset, _ = self.fields()
        month0 = wall.month - 1 + months
        year = wall.year + years + month0 // 12
        month = month0 % 12 + 1
        base = _dt.datetime(year, month, 1, wall.hour, wall.minute, wall.second)
        target = base + _dt.timedelta(days=wall.day - 1 + days)  # Go normalizes overflowing days
        new_sec = int((target - _EPOCH).total_seconds()) - offset
        new_offset, _ = self.loc.lookup(new_sec)
        return GoTime(new_sec + offset - new_offset, self.nsec, self.loc)


class GoMonth(int):
    go_type = "time.Month"
    go_kind = "int"
    is_stringer = True

    def go_string(self) -> str:
        return LONG_MONTHS[self - 1] if 1 <= self <= 12 else f"%!Month({int(self)})"


class GoWeekday(int):
    go_type = "time.Weekday"
    go_kind = "int"
    is_stringer = True

    def go_string(self) -> str:
        return LONG_DAYS[self] if 0 <= self <= 6 else f"%!Weekday({int(self)})"


# ---------------------------------------------------------------- layouts

_STD_CHUNKS = [
    "January", "Jan", "Monday", "Mon", "MST",
    "2006", "002", "01", "02", "03", "04", "05", "06", "15", "1", "2", "3", "4", "5",
    "__2", "_2",
    "PM", "pm",
    "-07:00:00", "-070000", "-07:00", "-0700", "-07",
    "Z07:00:00", "Z070000", "Z07:00", "Z0700", "Z07",
]


def _layout_tokens(layout: str) -> list[tuple[str, str]]:
    """Split a Go layout into ("lit", text) and ("std", chunk) tokens, like time.nextStdChunk."""
    tokens: list[tuple[str, str]] = []
    lit: list[str] = []
    i = 0
    n = len(layout)
    while i < n:
        ch = layout[i]
        std = None
        if ch == "J" and layout.startswith("Jan", i):
            if layout.startswith("January", i):
                std = "January"
            elif not (i + 3 < n and layout[i + 3].islower()):
                std = "Jan"
        elif ch == "M":
            if layout.startswith("Mon", i):
                if layout.startswith("Monday", i):
                    std = "Monday"
                elif not (i + 3 < n and layout[i + 3].islower()):
                    std = "Mon"
            elif layout.startswith("MST", i):
                std = "MST"
        elif ch == "0":
            if i + 1 < n and layout[i + 1] in "123456":
                std = layout[i:i + 2]
            elif layout.startswith("002", i):
                std = "002"
        elif ch == "1":
            std = "15" if layout.startswith("15", i) else "1"
        elif ch == "2":
            std = "2006" if layout.startswith("2006", i) else "2"
        elif ch == "_":
            if layout.startswith("_2", i):
                if layout.startswith("_2006", i):
                    lit.append("_")
                    i += 1
                    continue
                std = "_2"
            elif layout.startswith("__2", i):
                std = "__2"
        elif ch in "345":
            std = ch
        elif ch == "P" and layout.startswith("PM", i):
            std = "PM"
        elif ch == "p" and layout.startswith("pm", i):
            std = "pm"
        elif ch in "-Z":
            for cand in ("07:00:00", "070000", "07:00", "0700", "07"):
                if layout.startswith(ch + cand, i):
                    std = ch + cand
                    break
        elif ch in ".," and i + 1 < n and layout[i + 1] in "09":
            digit = layout[i + 1]
            j = i + 1
            while j < n and layout[j] == digit:
                j += 1
            if not (j < n and layout[j].isdigit()):
                std = ("frac0" if digit == "0" else "frac9") + ch + str(j - (i + 1))
                if lit:
                    tokens.append(("lit", "".join(lit)))
                    lit = []
                tokens.append(("std", std))
                i = j
                continue
        if std is None:
            lit.append(ch)
            i += 1
            continue
        if lit:
            tokens.append(("lit", "".join(lit)))
            lit = []
        tokens.append(("std", std))
        i += len(std)
    if lit:
        tokens.append(("lit", "".join(lit)))
    return tokens


def _format_offset(offset: int, std: str) -> str:
    if std.startswith("Z") and offset == 0:
        return "Z"
    sign = "-" if offset < 0 else "+"
    offset = abs(offset)
    hh, rem = divmod(offset, 3600)
    mm, ss = divmod(rem, 60)
    body = std[1:]
    if body == "07":
        return f"{sign}{hh:02d}"
    if body == "0700":
        return f"{sign}{hh:02d}{mm:02d}"
    if body == "07:00":
        return f"{sign}{hh:02d}:{mm:02d}"
    if body == "070000":
        return f"{sign}{hh:02d}{mm:02d}{ss:02d}"
    return f"{sign}{hh:02d}:{mm:02d}:{ss:02d}"


def format_time(t: GoTime, layout: str) -> str:
    wall, offset, abbr = t.fields()
    out: list[str] = []
    for kind, text in _layout_tokens(layout):
        if kind == "lit":
            out.append(text)
            continue
        std = text
        if std == "2006":
            out.append(f"{wall.year:04d}")
        elif std == "06":
            out.append(f"{wall.year % 100:02d}")
        elif std == "January":
            out.append(LONG_MONTHS[wall.month - 1])
        elif std == "Jan":
            out.append(LONG_MONTHS[wall.month - 1][:3])
        elif std == "1":
            out.append(str(wall.month))
        elif std == "01":
            out.append(f"{wall.month:02d}")
        elif std == "Monday":
            out.append(LONG_DAYS[(wall.weekday() + 1) % 7])
        elif std == "Mon":
            out.append(LONG_DAYS[(wall.weekday() + 1) % 7][:3])
        elif std == "2":
            out.append(str(wall.day))
        elif std == "_2":
            out.append(f"{wall.day:2d}")
        elif std == "02":
            out.append(f"{wall.day:02d}")
        elif std == "__2":
            out.append(f"{wall.timetuple().tm_yday:3d}")
        elif std == "002":
            out.append(f"{wall.timetuple().tm_yday:03d}")
        elif std == "15":
            out.append(f"{wall.hour:02d}")
        elif std in ("3", "03"):
            hour = wall.hour % 12 or 12
            out.append(str(hour) if std == "3" else f"{hour:02d}")
        elif std == "4":
            out.append(str(wall.minute))
        elif std == "04":
            out.append(f"{wall.minute:02d}")
        elif std == "5":
            out.append(str(wall.second))
        elif std == "05":
            out.append(f"{wall.second:02d}")
        elif std == "PM":
            out.append("PM" if wall.hour >= 12 else "AM")
        elif std == "pm":
            out.append("pm" if wall.hour >= 12 else "am")
        elif std == "MST":
            if abbr:
                out.append(abbr)
            else:
                minutes = offset // 60
                sign = "-" if minutes < 0 else "+"
                minutes = abs(minutes)
                out.append(f"{sign}{minutes // 60:02d}{minutes % 60:02d}")
        elif std[0] in "-Z":
            out.append(_format_offset(offset, std))
        elif std.startswith("frac"):
            digit, sep, width = std[4], std[5], int(std[6:])
            frac = f"{t.nsec:09d}"[:width]
            if digit == "9":
                frac = frac.rstrip("0")
                if frac:
                    out.append(sep + frac)
            else:
                out.append(sep + frac)
    return "".join(out)


def _parse_error(value: str, layout: str, value_elem: str, layout_elem: str, message: str = "") -> GoError:
    if message:
        return GoError(f"parsing time {quote(value)}{message}")
    return GoError(f"parsing time {quote(value)} as {quote(layout)}: cannot parse {quote(value_elem)} as "
                   f"{quote(layout_elem)}")


def _take_digits(value: str, i: int, min_n: int, max_n: int) -> tuple[int, int] | None:
    j = i
    while j < len(value) and j - i < max_n and value[j].isdigit():
        j += 1
    if j - i < min_n:
        return None
    return int(value[i:j]), j


def parse_time(layout: str, value: str, default_loc: Location) -> GoTime:
    """time.ParseInLocation (the common layout elements). Raises GoError with Go's message."""
    year, month, day, hour, minute, second, nsec = 1, 1, 1, 0, 0, 0, 0
    yday = -1
    pm_set = None
    zone_offset: int | None = None
    zone_name: str | None = None
    i = 0
    tokens = _layout_tokens(layout)
    for idx, (kind, text) in enumerate(tokens):
        if kind == "lit":
            if not value.startswith(text, i):
                raise _parse_error(value, layout, value[i:], text)
            i += len(text)
            continue
        std = text
        rest = value[i:]
        if std in ("2006", "06"):
            width = 4 if std == "2006" else 2
            if len(rest) < width or not rest[:width].isdigit():
                raise _parse_error(value, layout, rest, std)
            year = int(rest[:width])
            if std == "06":
                year += 1900 if year >= 69 else 2000
            i += width
        elif std in ("January", "Jan"):
            names = LONG_MONTHS if std == "January" else [m[:3] for m in LONG_MONTHS]
            for k, name in enumerate(names):
                if rest[:len(name)].lower() == name.lower():
                    month = k + 1
                    i += len(name)
                    break
            else:
                raise _parse_error(value, layout, rest, std)
        elif std in ("Monday", "Mon"):
            names = LONG_DAYS if std == "Monday" else [d[:3] for d in LONG_DAYS]
            for name in names:
                if rest[:len(name)].lower() == name.lower():
                    i += len(name)
                    break
            else:
                raise _parse_error(value, layout, rest, std)
        elif std in ("1", "01", "2", "02", "_2", "15", "3", "03", "4", "04", "5", "05", "002", "__2"):
            if std == "_2" and rest.startswith(" "):
                i += 1
                rest = rest[1:]
            if std == "__2":
                while rest.startswith(" "):
                    i += 1
                    rest = rest[1:]
            fixed = std in ("01", "02", "03", "04", "05", "15", "002")
            width = 3 if std in ("002", "__2") else 2
            got = _take_digits(value, i, width if fixed else 1, width)
            if got is None:
                raise _parse_error(value, layout, rest, std)
            num, i = got
            if std in ("1", "01"):
                if not 1 <= num <= 12:
                    raise _parse_error(value, layout, "", "", ": month out of range")
                month = num
            elif std in ("2", "02", "_2"):
                day = num
            elif std in ("002", "__2"):
                yday = num
            elif std == "15":
                if num > 23:
                    raise _parse_error(value, layout, "", "", ": hour out of range")
                hour = num
            elif std in ("3", "03"):
                if num > 12:
                    raise _parse_error(value, layout, "", "", ": hour out of range")
                hour = num
            elif std in ("4", "04"):
                if num > 59:
                    raise _parse_error(value, layout, "", "", ": minute out of range")
                minute = num
            else:
                if num > 59:
                    raise _parse_error(value, layout, "", "", ": second out of range")
                second = num
                # a fractional second in the value is accepted even when the layout has none
                nxt = tokens[idx + 1] if idx + 1 < len(tokens) else None
                if i + 1 < len(value) and value[i] in ".," and value[i + 1].isdigit() and \
                        not (nxt and nxt[0] == "std" and nxt[1].startswith("frac")):
                    j = i + 1
                    while j < len(value) and value[j].isdigit():
                        j += 1
                    nsec = int((value[i + 1:j] + "000000000")[:9])
                    i = j
        elif std in ("PM", "pm"):
            word = rest[:2]
            if word.upper() not in ("AM", "PM"):
                raise _parse_error(value, layout, rest, std)
            pm_set = word.upper() == "PM"
            i += 2
        elif std[0] in "-Z":
            if std[0] == "Z" and rest.startswith("Z"):
                zone_offset = 0
                zone_name = "UTC"
                i += 1
                continue
            body = std[1:]
            if not rest or rest[0] not in "+-":
                raise _parse_error(value, layout, rest, std)
            sign = -1 if rest[0] == "-" else 1
            layouts: dict[str, list[int | str]] = {
                "07": [2], "0700": [2, 2], "07:00": [2, ":", 2], "070000": [2, 2, 2], "07:00:00": [2, ":", 2, ":", 2]}
            pieces = layouts[body]
            j = i + 1
            nums = []
            for piece in pieces:
                if piece == ":":
                    if value[j:j + 1] != ":":
                        raise _parse_error(value, layout, rest, std)
                    j += 1
                    continue
                if len(value) < j + 2 or not value[j:j + 2].isdigit():
                    raise _parse_error(value, layout, rest, std)
                nums.append(int(value[j:j + 2]))
                j += 2
            nums += [0] * (3 - len(nums))
            zone_offset = sign * (nums[0] * 3600 + nums[1] * 60 + nums[2])
            i = j
        elif std == "MST":
            j = i
            while j < len(value) and value[j].isupper():
                j += 1
            if j - i < 3:
                raise _parse_error(value, layout, rest, std)
            zone_name = value[i:j]
            i = j
        elif std.startswith("frac"):
            sep, width = std[5], int(std[6:])
            if not value.startswith(sep, i):
                if std[4] == "9":
                    continue
                raise _parse_error(value, layout, rest, std)
            j = i + 1
            while j < len(value) and value[j].isdigit():
                j += 1
            digits = value[i + 1:j]
            if std[4] == "0" and len(digits) != width:
                raise _parse_error(value, layout, rest, std)
            nsec = int((digits + "000000000")[:9]) if digits else 0
            i = j
    if i != len(value):
        raise _parse_error(value, layout, "", "", f": extra text: {quote(value[i:])}")
    if pm_set is not None:
        if pm_set and hour < 12:
            hour += 12
        elif not pm_set and hour == 12:
            hour = 0
    if yday >= 0:
        base = _dt.datetime(year, 1, 1) + _dt.timedelta(days=yday - 1)
        month, day = base.month, base.day
    try:
        wall = _dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise _parse_error(value, layout, "", "", ": day out of range") from None
    wall_sec = int((wall - _EPOCH).total_seconds())
    if zone_offset is not None:
        if zone_offset == 0 and zone_name == "UTC":
            return GoTime(wall_sec, nsec, UTC)
        # an offset that matches the default location keeps that location, like Go
        local_offset, _ = default_loc.lookup(wall_sec - zone_offset)
        loc = default_loc if local_offset == zone_offset else Location("", fixed=(zone_offset, ""))
        return GoTime(wall_sec - zone_offset, nsec, loc)
    if zone_name is not None:
        if zone_name == "UTC":
            return GoTime(wall_sec, nsec, UTC)
        local_offset, local_abbr = default_loc.lookup(wall_sec)
        if local_abbr == zone_name:
            return GoTime(wall_sec - local_offset, nsec, default_loc)
        return GoTime(wall_sec, nsec, Location(zone_name, fixed=(0, zone_name)))
    offset, _ = default_loc.lookup(wall_sec)
    offset2, _ = default_loc.lookup(wall_sec - offset)
    return GoTime(wall_sec - offset2, nsec, default_loc)


# ---------------------------------------------------------------- durations

_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
          "m": 60_000_000_000, "h": 3_600_000_000_000}


def parse_duration(s: str) -> int:
    """time.ParseDuration -> nanoseconds. Raises GoError("time: invalid duration ...")."""
    orig = s
    neg = False
    if s[:1] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if s == "":
        raise GoError(f"time: invalid duration {quote(orig)}")
    total_ns = 0
    while s:
        j = 0
        while j < len(s) and (s[j].isdigit() or s[j] == "."):
            j += 1
        number = s[:j]
        if number in ("", ".") or number.count(".") > 1:
            raise GoError(f"time: invalid duration {quote(orig)}")
        s = s[j:]
        k = 0
        while k < len(s) and not (s[k].isdigit() or s[k] == "."):
            k += 1
        unit = s[:k]
        s = s[k:]
        if unit == "":
            raise GoError(f"time: missing unit in duration {quote(orig)}")
        if unit not in _UNITS:
            raise GoError(f"time: unknown unit {quote(unit)} in duration {quote(orig)}")
        whole, _, frac = number.partition(".")
        mult = _UNITS[unit]
        total_ns += int(whole or "0") * mult
        if frac:
            total_ns += int(frac) * mult // (10 ** len(frac))
    if total_ns > (1 << 63) - 1:
        raise GoError(f"time: invalid duration {quote(orig)}")
    return -total_ns if neg else total_ns


def duration_string(d: int) -> str:
    """time.Duration.String: "1h2m3.5s", "1.5ms", "0s"."""
    if d == 0:
        return "0s"
    neg = d < 0
    u = -d if neg else d
    if u < 1_000_000_000:
        if u < 1_000:
            text = f"{u}ns"
        elif u < 1_000_000:
            text = _frac(u, 3) + "µs"
        else:
            text = _frac(u, 6) + "ms"
    else:
        secs_part = _frac(u % 60_000_000_000, 9) + "s"
        u //= 60_000_000_000
        text = secs_part
        if u > 0:
            text = f"{u % 60}m" + text
            u //= 60
            if u > 0:
                text = f"{u}h" + text
    return ("-" if neg else "") + text


def _frac(v: int, prec: int) -> str:
    whole, frac = divmod(v, 10 ** prec)
    frac_text = f"{frac:0{prec}d}".rstrip("0")
    return f"{whole}.{frac_text}" if frac_text else str(whole)


def round_duration_to_second(d: int) -> int:
    """Duration.Round(time.Second): halfway values round away from zero."""
    m = 1_000_000_000
    r = abs(d) % m
    if d < 0:
        r = -r
        if r + r > -m:
            return d - r
        return d - r - m
    if r + r < m:
        return d - r
    return d + m - r


# ---------------------------------------------------------------- methods templates can call


def _method(fn: Callable[..., Any], *params: str, name: str) -> GoFunc:
    return GoFunc(fn, ("any",) + params, name=name)


def _wall(t: GoTime) -> _dt.datetime:
    return t.fields()[0]


GoTime.go_methods = {
    "Year": _method(lambda t: _wall(t).year, name="Year"),
    "Month": _method(lambda t: GoMonth(_wall(t).month), name="Month"),
    "Day": _method(lambda t: _wall(t).day, name="Day"),
    "Hour": _method(lambda t: _wall(t).hour, name="Hour"),
    "Minute": _method(lambda t: _wall(t).minute, name="Minute"),
    "Second": _method(lambda t: _wall(t).second, name="Second"),
    "Nanosecond": _method(lambda t: t.nsec, name="Nanosecond"),
    "YearDay": _method(lambda t: _wall(t).timetuple().tm_yday, name="YearDay"),
    "Weekday": _method(lambda t: GoWeekday((_wall(t).weekday() + 1) % 7), name="Weekday"),
    "Unix": _method(lambda t: Int64(t.sec), name="Unix"),
    "UnixMilli": _method(lambda t: Int64(t.sec * 1000 + t.nsec // 1_000_000), name="UnixMilli"),
    "UnixNano": _method(lambda t: Int64(t.sec * 1_000_000_000 + t.nsec), name="UnixNano"),
    "Format": _method(format_time, "string", name="Format"),
    "UTC": _method(lambda t: t.in_location(UTC), name="UTC"),
    "Local": _method(lambda t: t.in_location(LOCAL), name="Local"),
    "String": _method(lambda t: t.go_string(), name="String"),
    "IsZero": _method(lambda t: t.is_zero(), name="IsZero"),
    "AddDate": _method(lambda t, y, m, d: t.add_date(y, m, d), "int", "int", "int", name="AddDate"),
    "Before": _method(lambda t, u: (t.sec, t.nsec) < (u.sec, u.nsec), "time", name="Before"),
    "After": _method(lambda t, u: (t.sec, t.nsec) > (u.sec, u.nsec), "time", name="After"),
    "Equal": _method(lambda t, u: (t.sec, t.nsec) == (u.sec, u.nsec), "time", name="Equal"),
}
