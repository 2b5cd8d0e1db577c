"""Sprig's math: integer math on int64 (`add`, `div` is integer division...), float math via decimals, type
conversion (`int`, `int64`, `float64`, `atoi`, `toDecimal`) and integer sequences (`until`, `seq`)."""

from __future__ import annotations

import decimal
import math
import random
from typing import Any

from werf_core.config.gotemplate import bounds, gofmt
from werf_core.config.gotemplate.errors import GoError
from werf_core.config.gotemplate.funcs import gofunc
from werf_core.config.gotemplate.sprig.common import as_int64, atoi, to_float64, to_int64, wrap_int64
from werf_core.config.gotemplate.values import Int64, IntSlice


def _go_div(a: int, b: int) -> int:
    if b == 0:
        raise GoError("runtime error: integer divide by zero")
    q = abs(a) // abs(b)
    return wrap_int64(q if (a >= 0) == (b >= 0) else -q)


def _go_mod(a: int, b: int) -> int:
    if b == 0:
        raise GoError("runtime error: integer divide by zero")
    return a - b * _go_div(a, b)


def _add(*values: Any) -> Int64:
    total = 0
    for v in values:
        total = wrap_int64(total + to_int64(v))
    return Int64(total)


def _mul(a: Any, *values: Any) -> Int64:
    result = to_int64(a)
    for v in values:
        result = wrap_int64(result * to_int64(v))
    return Int64(result)


def _max(a: Any, *values: Any) -> Int64:
    return Int64(max([to_int64(a)] + [to_int64(v) for v in values]))


def _min(a: Any, *values: Any) -> Int64:
    return Int64(min([to_int64(a)] + [to_int64(v) for v in values]))


def _go_max(a: float, b: float) -> float:
    if math.isinf(a) and a > 0 or math.isinf(b) and b > 0:
        return math.inf
    if math.isnan(a) or math.isnan(b):
        return math.nan
    return max(a, b)


def _go_min(a: float, b: float) -> float:
    if math.isinf(a) and a < 0 or math.isinf(b) and b < 0:
        return -math.inf
    if math.isnan(a) or math.isnan(b):
        return math.nan
    return min(a, b)


def _maxf(a: Any, *values: Any) -> float:
    result = to_float64(a)
    for v in values:
        result = _go_max(result, to_float64(v))
    return result


def _minf(a: Any, *values: Any) -> float:
    result = to_float64(a)
    for v in values:
        result = _go_min(result, to_float64(v))
    return result


def until_step(start: int, stop: int, step: int) -> IntSlice:
    if stop < start:
        if step >= 0:
            return IntSlice()
        values = range(start, stop, step)
    elif step <= 0:
        return IntSlice()
    else:
        values = range(start, stop, step)
    bounds.ensure_items("untilStep", len(values))  # before the list exists: `until 10000000000` is one call
    return IntSlice(values)


def until(count: int) -> IntSlice:
    return until_step(0, count, -1 if count < 0 else 1)


def seq(*params: int) -> str:
    if len(params) == 1:
        start, end = 1, params[0]
        inc = -1 if end < start else 1
        values = until_step(start, end + inc, inc)
    elif len(params) == 2:
        start, end = params
        step = -1 if end < start else 1
        values = until_step(start, end + step, step)
    elif len(params) == 3:
        start, step, end = params
        inc = 1
        if end < start:
            inc = -1
            if step > 0:
                return ""
        values = until_step(start, end + inc, step)
    else:
        return ""
    return " ".join(str(v) for v in values)


def _round(a: Any, places: int, *round_on: float) -> float:
    threshold = round_on[0] if round_on else 0.5
    val = to_float64(a)
    pow10 = math.pow(10, float(places))
    digit = pow10 * val
    frac = math.modf(digit)[0]
    rounded = math.ceil(digit) if frac >= threshold else math.floor(digit)
    return rounded / pow10


def _to_decimal(v: Any) -> Int64:
    text = gofmt.value_text(v)
    body = text[1:] if text[:1] in "+-" else text
    if not body or any(c not in "01234567" for c in body):
        return Int64(0)
    value = int(text, 8)
    if not -(2 ** 63) <= value < 2 ** 63:
        return Int64(0)
    return Int64(value)


def _decimal(f: float) -> decimal.Decimal:
    if math.isnan(f) or math.isinf(f):
        raise GoError(f"Cannot create a Decimal from {gofmt.value_text(f)}")
    return decimal.Decimal(repr(f))


_CTX = decimal.Context(prec=200, rounding=decimal.ROUND_HALF_UP)


def _decimal_op(a: Any, rest: tuple, op: str) -> float:
    result = _decimal(to_float64(a))
    for x in rest:
        d = _decimal(to_float64(x))
        if op == "+":
            result = _CTX.add(result, d)
        elif op == "-":
            result = _CTX.subtract(result, d)
        elif op == "*":
            result = _CTX.multiply(result, d)
        else:
            if d == 0:
                raise GoError("decimal division by zero")
            # shopspring/decimal divides to 16 decimal places
            result = _CTX.divide(result, d).quantize(decimal.Decimal("1e-16"), rounding=decimal.ROUND_HALF_UP,
                                                      context=_CTX)
    return float(result)


def _rand_int(lo: int, hi: int) -> int:
    if hi - lo <= 0:
        raise GoError("invalid argument to Intn")
    return random.randrange(lo, hi)


FUNCS = {
    "atoi": gofunc("string")(atoi),
    "int64": gofunc("any")(lambda v: Int64(to_int64(v))),
    "int": gofunc("any")(to_int64),
    "float64": gofunc("any")(to_float64),
    "seq": gofunc(variadic="int")(seq),
    "toDecimal": gofunc("any")(_to_decimal),
    "until": gofunc("int")(until),
    "untilStep": gofunc("int", "int", "int")(until_step),
    "add1": gofunc("any")(lambda v: as_int64(to_int64(v) + 1)),
    "add": gofunc(variadic="any")(_add),
    "sub": gofunc("any", "any")(lambda a, b: as_int64(to_int64(a) - to_int64(b))),
    "div": gofunc("any", "any")(lambda a, b: Int64(_go_div(to_int64(a), to_int64(b)))),
    "mod": gofunc("any", "any")(lambda a, b: Int64(_go_mod(to_int64(a), to_int64(b)))),
    "mul": gofunc("any", variadic="any")(_mul),
    "randInt": gofunc("int", "int")(_rand_int),
    "add1f": gofunc("any")(lambda v: _decimal_op(v, (1,), "+")),
    "addf": gofunc(variadic="any")(lambda *v: _decimal_op(0.0, v, "+")),
    "subf": gofunc("any", variadic="any")(lambda a, *v: _decimal_op(a, v, "-")),
    "divf": gofunc("any", variadic="any")(lambda a, *v: _decimal_op(a, v, "/")),
    "mulf": gofunc("any", variadic="any")(lambda a, *v: _decimal_op(a, v, "*")),
    "biggest": gofunc("any", variadic="any")(_max),
    "max": gofunc("any", variadic="any")(_max),
    "min": gofunc("any", variadic="any")(_min),
    "maxf": gofunc("any", variadic="any")(_maxf),
    "minf": gofunc("any", variadic="any")(_minf),
    "ceil": gofunc("any")(lambda a: float(math.ceil(to_float64(a))) if math.isfinite(to_float64(a))
                          else to_float64(a)),
    "floor": gofunc("any")(lambda a: float(math.floor(to_float64(a))) if math.isfinite(to_float64(a))
                           else to_float64(a)),
    "round": gofunc("any", "int", variadic="float64")(_round),
}
