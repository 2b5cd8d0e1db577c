"""Conversions Sprig functions share: strval, toInt64/toFloat64 (Sprig v2 rules, as werf v1.1 used), Go's
64-bit integer wrap-around, and the messages Go prints when a function is handed a nil or the wrong kind."""

from __future__ import annotations

import math
from typing import Any

from werf_core.config.gotemplate import gofmt, gostrconv
from werf_core.config.gotemplate.errors import GoError
from werf_core.config.gotemplate.values import MISSING, GoObject, Int64, go_kind_of, is_int

NIL_DEREF = "runtime error: invalid memory address or nil pointer dereference"

# unicode.IsSpace
GO_SPACES = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
            "\u2028\u2029\u202f\u205f\u3000"


def is_go_space(ch: str) -> bool:
    return ch in GO_SPACES


def strval(v: Any) -> str:
    """Sprig's strval: strings as they are, Stringers via String(), anything else as fmt's %v."""
    if type(v) is str:
        return v
    if isinstance(v, GoObject) and getattr(v, "is_stringer", False):
        return v.go_string()
    return gofmt.value_text(v)


def wrap_int64(x: int) -> int:
    """Go int64 arithmetic wraps around."""
    x &= (1 << 64) - 1
    return x - (1 << 64) if x >= (1 << 63) else x


def float_to_int64(f: float) -> int:
    """Go's int64(f) on amd64: truncation; NaN and out-of-range give the minimum int64."""
    if math.isnan(f) or math.isinf(f) or not (-2 ** 63 <= f < 2 ** 63):
        return -(2 ** 63)
    return int(f)


def to_int64(v: Any) -> int:
    """Sprig v2 toInt64: numbers converted, strings parsed in base 10 (0 when not a number), bool 1/0, else 0."""
    t = type(v)
    if t is str:
        try:
            return _parse_int10(v)
        except ValueError:
            return 0
    if t is bool:
        return 1 if v else 0
    if is_int(v):
        return wrap_int64(int(v))
    if t is float:
        return float_to_int64(v)
    return 0


def _parse_int10(s: str) -> int:
    body = s[1:] if s[:1] in "+-" else s
    if not body or not body.isascii() or not body.isdigit():
        raise ValueError(s)
    value = int(s)
    if not -(2 ** 63) <= value < 2 ** 63:
        raise ValueError(s)
    return value


def to_float64(v: Any) -> float:
    """Sprig v2 toFloat64: numbers converted, strings parsed as floats (0 when not a number), bool 1/0, else 0."""
    t = type(v)
    if t is str:
        try:
            return _parse_go_float(v)
        except ValueError:
            return 0.0
    if t is bool:
        return 1.0 if v else 0.0
    if is_int(v):
        return float(v)
    if t is float:
        return float(v)
    return 0.0


def _parse_go_float(s: str) -> float:
    try:
        return gostrconv.parse_float(s)
    except (ValueError, OverflowError):
        raise ValueError(s) from None


def atoi(s: str) -> int:
    """strconv.Atoi; Sprig's atoi turns errors into 0."""
    try:
        return _parse_int10(s)
    except ValueError:
        return 0


def list_kind(v: Any, action: str) -> list[Any]:
    """The elements of a slice argument, or Go's panic text for nil / non-slices ("Cannot <action> on type K")."""
    if v is None or v is MISSING:
        raise GoError(NIL_DEREF)
    if isinstance(v, list):
        return v
    raise GoError(f"{action} {go_kind_of(v)}")


def as_int64(v: int) -> Int64:
    return Int64(wrap_int64(v))
